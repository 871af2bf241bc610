package kernels

import (
	"fmt"
	"math"
	"testing"
)

// Naive references written straight from the definition, in float64.

func naiveDW(x, w []float64, s DWConv) []float64 {
	s = s.norm()
	ho, wo := s.OutH(), s.OutW()
	y := make([]float64, s.C*s.N*ho*wo)
	for c := 0; c < s.C; c++ {
		for n := 0; n < s.N; n++ {
			for oh := 0; oh < ho; oh++ {
				for ow := 0; ow < wo; ow++ {
					acc := 0.0
					for ki := 0; ki < s.K; ki++ {
						for kj := 0; kj < s.K; kj++ {
							ih := oh*s.Stride - s.Pad + ki*s.Dilation
							iw := ow*s.Stride - s.Pad + kj*s.Dilation
							if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
								continue
							}
							v := x[((c*s.N+n)*s.H+ih)*s.W+iw]
							if s.ReLUIn && v < 0 {
								v = 0
							}
							acc += w[(c*s.K+ki)*s.K+kj] * v
						}
					}
					y[((c*s.N+n)*ho+oh)*wo+ow] = acc
				}
			}
		}
	}
	return y
}

// naiveDWBack returns dx (masked by x>0 when ReLUIn) and dw for output
// gradient dy.
func naiveDWBack(dy, x, w []float64, s DWConv) (dx, dw []float64) {
	s = s.norm()
	ho, wo := s.OutH(), s.OutW()
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for c := 0; c < s.C; c++ {
		for n := 0; n < s.N; n++ {
			for oh := 0; oh < ho; oh++ {
				for ow := 0; ow < wo; ow++ {
					g := dy[((c*s.N+n)*ho+oh)*wo+ow]
					for ki := 0; ki < s.K; ki++ {
						for kj := 0; kj < s.K; kj++ {
							ih := oh*s.Stride - s.Pad + ki*s.Dilation
							iw := ow*s.Stride - s.Pad + kj*s.Dilation
							if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
								continue
							}
							xi := ((c*s.N+n)*s.H+ih)*s.W + iw
							wi := (c*s.K+ki)*s.K + kj
							v := x[xi]
							if s.ReLUIn && v <= 0 {
								v = 0
							} else {
								dx[xi] += w[wi] * g
							}
							dw[wi] += g * v
						}
					}
				}
			}
		}
	}
	return dx, dw
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func dwCases() []DWConv {
	var cs []DWConv
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, st := range []int{1, 2} {
				for _, hw := range [][2]int{{7, 9}, {8, 8}, {13, 21}, {16, 16}, {3, 4}} {
					same := d * (k - 1) / 2
					for _, pad := range []int{same, 0, 1} {
						s := DWConv{C: 3, N: 2, H: hw[0], W: hw[1], K: k, Stride: st, Pad: pad, Dilation: d, ReLUIn: (hw[0]+pad+st)%2 == 0}
						if s.OutH() <= 0 || s.OutW() <= 0 {
							continue
						}
						cs = append(cs, s)
					}
				}
			}
		}
	}
	// "Same" stride-1 shapes with W a multiple of 8 (the direct kernels):
	// one to five vectors per row, heights that are not a multiple of the
	// 8-row block and heights below the padding; heights that are whole
	// 8-row blocks (the table-free kernels: a single block, first and last
	// block only, and one to four blocks inside; one to five vectors; with
	// dilation 2 the kernels take even and odd rows apart, the forward ones
	// in blocks of 16 rows and the weight-gradient ones in two walks of H/2,
	// so that 48 rows give both blocks inside).
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, hw := range [][2]int{{1, 8}, {3, 16}, {5, 24}, {13, 32}, {20, 40}, {16, 8}, {24, 24}, {32, 40}, {16, 32},
				{8, 8}, {8, 16}, {8, 24}, {4, 16}, {48, 16}} {
				for _, relu := range []bool{false, true} {
					cs = append(cs, DWConv{C: 2, N: 2, H: hw[0], W: hw[1], K: k, Stride: 1, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: relu})
				}
			}
		}
	}
	// Stride 2, "same" padding, W a multiple of 16: the input gradient by
	// output parity (one to three vectors per class row, odd heights).
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, hw := range [][2]int{{2, 16}, {7, 16}, {16, 32}, {21, 48}} {
				for _, relu := range []bool{false, true} {
					cs = append(cs, DWConv{C: 2, N: 2, H: hw[0], W: hw[1], K: k, Stride: 2, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: relu})
				}
			}
		}
	}
	// Stride 2, "same" padding, W 16 or 32: the direct stride-2 kernels.
	// Forward: whole groups of output rows (1, 2 or 4 by filter and width,
	// see dws2fRowsTab): a single group, the edge groups only, one and more
	// middle groups, and heights the kernels leave to the old path (2 or 3
	// groups where the edges take 4). Weight gradient: H a multiple of 4
	// from 8. Input gradient: even H from 4 (4 and 6: first and last pair
	// of dx rows only, one middle pair; on 16-wide planes, which take two
	// middle pairs a step, 6 and 10 leave one over). Three planes per
	// channel.
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, hw := range [][2]int{{16, 16}, {32, 16}, {48, 16}, {8, 32}, {16, 32}, {24, 32}, {32, 32}, {4, 16}, {6, 32},
				{2, 32}, {4, 32}, {10, 32}, {8, 16}, {12, 16}, {6, 16}, {10, 16}} {
				for _, relu := range []bool{false, true} {
					cs = append(cs, DWConv{C: 2, N: 3, H: hw[0], W: hw[1], K: k, Stride: 2, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: relu})
				}
			}
		}
	}
	// 16-wide 5×5 of dilation 2 adding to dx over the gathered plane, in
	// runs of 16 planes and more (dwS2IEEOK): chunks of planes cut at a
	// channel's end (17 planes) and inside one (40 planes of 32×16, 32 to
	// a chunk).
	for _, hwn := range [][3]int{{16, 16, 17}, {12, 16, 17}, {4, 16, 16}, {32, 16, 40}} {
		for _, relu := range []bool{false, true} {
			cs = append(cs, DWConv{C: 2, N: hwn[2], H: hwn[0], W: hwn[1], K: 5, Stride: 2, Pad: 4, Dilation: 2, ReLUIn: relu})
		}
	}
	// A 1×1 and a 7×7 to exercise "any odd K" on the reference.
	cs = append(cs, DWConv{C: 2, N: 1, H: 5, W: 6, K: 1, Stride: 1, Pad: 0, Dilation: 1})
	cs = append(cs, DWConv{C: 2, N: 2, H: 11, W: 10, K: 7, Stride: 1, Pad: 3, Dilation: 1, ReLUIn: true})
	cs = append(cs, DWConv{C: 2, N: 2, H: 34, W: 35, K: 5, Stride: 1, Pad: 4, Dilation: 2, ReLUIn: true})
	cs = append(cs, DWConv{C: 2, N: 3, H: 33, W: 32, K: 3, Stride: 2, Pad: 1, Dilation: 1, ReLUIn: true})
	return cs
}

func TestDepthwiseAgainstNaive(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range dwCases() {
			t.Run(fmt.Sprintf("%d_K%dS%dD%dP%d_%dx%d_r%v", i, s.K, s.Stride, s.Dilation, s.Pad, s.H, s.W, s.ReLUIn), func(t *testing.T) {
				r := ktRand(uint64(i + 1))
				ho, wo := s.OutH(), s.OutW()
				x := ktVec(r, s.C*s.N*s.H*s.W)
				for j := 0; j < len(x); j += 11 {
					x[j] = 0 // the ReLU's gradient at exactly 0 is 0
				}
				w := ktVec(r, s.C*s.K*s.K)
				dy := ktVec(r, s.C*s.N*ho*wo)
				off := i%7 + 1
				// Inputs at unaligned offsets too.
				xu, _ := ktPlace(x, (i+3)%7+1)
				dyu, _ := ktPlace(dy, (i+5)%7+1)
				y, ychk := ktGuarded(len(dy), off)
				DepthwiseConv(y, xu, w, s)
				ychk(t, "y")
				want := naiveDW(to64(x), to64(w), s)
				ktClose64(t, "forward", y, want, 1e-5, 1e-5)

				dxw, dww := naiveDWBack(to64(dy), to64(x), to64(w), s)
				dx0 := ktVec(r, len(x))
				dx, dxchk := ktPlace(dx0, off)
				DepthwiseConvBackwardInput(dx, dyu, w, xu, s)
				dxchk(t, "dx")
				for j := range dxw {
					dxw[j] += float64(dx0[j])
				}
				ktClose64(t, "backward-input", dx, dxw, 1e-5, 1e-5)

				dw0 := ktVec(r, len(w))
				dw, dwchk := ktPlace(dw0, off)
				DepthwiseConvBackwardWeight(dw, dyu, xu, s)
				dwchk(t, "dw")
				for j := range dww {
					dww[j] += float64(dw0[j])
				}
				ktClose64(t, "backward-weight", dw, dww, 1e-4, 1e-5)
			})
		}
	})
}

// TestDepthwiseNaiveAdjoint checks the naive backward formulas against the
// naive forward through <dy, A x> = <Aᵀ dy, x> (x-adjoint) and
// <dy, B w> = <Bᵀ dy, w> (w-adjoint), without ReLU (the map is bilinear).
func TestDepthwiseNaiveAdjoint(t *testing.T) {
	for i, s := range dwCases() {
		s.ReLUIn = false
		r := ktRand(uint64(100 + i))
		x := to64(ktVec(r, s.C*s.N*s.H*s.W))
		w := to64(ktVec(r, s.C*s.K*s.K))
		dy := to64(ktVec(r, s.C*s.N*s.OutH()*s.OutW()))
		y := naiveDW(x, w, s)
		dx, dw := naiveDWBack(dy, x, w, s)
		lhs := 0.0
		for j := range y {
			lhs += y[j] * dy[j]
		}
		rx, rw := 0.0, 0.0
		for j := range x {
			rx += dx[j] * x[j]
		}
		for j := range w {
			rw += dw[j] * w[j]
		}
		if math.Abs(lhs-rx) > 1e-9*(1+math.Abs(lhs)) || math.Abs(lhs-rw) > 1e-9*(1+math.Abs(lhs)) {
			t.Fatalf("case %d %+v: <dy,y>=%g <dx,x>=%g <dw,w>=%g", i, s, lhs, rx, rw)
		}
	}
}

func TestDepthwiseOutSize(t *testing.T) {
	s := DWConv{H: 32, W: 31, K: 5, Stride: 2, Pad: 4, Dilation: 2}
	if s.OutH() != 16 || s.OutW() != 16 {
		t.Fatalf("OutH/OutW = %d/%d", s.OutH(), s.OutW())
	}
}

// TestDepthwiseDeterministic checks bit-identical results across runs and
// thread counts.
func TestDepthwiseDeterministic(t *testing.T) {
	for _, s := range []DWConv{
		{C: 5, N: 6, H: 16, W: 16, K: 5, Stride: 1, Pad: 4, Dilation: 2, ReLUIn: true},
		{C: 5, N: 6, H: 13, W: 16, K: 3, Stride: 1, Pad: 1, Dilation: 1, ReLUIn: true},
		{C: 5, N: 6, H: 16, W: 16, K: 3, Stride: 2, Pad: 1, Dilation: 1, ReLUIn: true},
	} {
		testDepthwiseDeterministic(t, s)
	}
}

func testDepthwiseDeterministic(t *testing.T, s DWConv) {
	r := ktRand(7)
	x := ktVec(r, s.C*s.N*s.H*s.W)
	w := ktVec(r, s.C*s.K*s.K)
	dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
	run := func() (y, dx, dw []float32) {
		y = make([]float32, len(dy))
		dx = make([]float32, len(x))
		dw = make([]float32, len(w))
		DepthwiseConv(y, x, w, s)
		DepthwiseConvBackwardInput(dx, dy, w, x, s)
		DepthwiseConvBackwardWeight(dw, dy, x, s)
		return
	}
	prev := Threads()
	defer SetThreads(prev)
	SetThreads(1)
	y1, dx1, dw1 := run()
	SetThreads(3)
	y2, dx2, dw2 := run()
	for _, p := range [][2][]float32{{y1, y2}, {dx1, dx2}, {dw1, dw2}} {
		for i := range p[0] {
			if math.Float32bits(p[0][i]) != math.Float32bits(p[1][i]) {
				t.Fatalf("%+v: results differ between thread counts at %d", s, i)
			}
		}
	}
}

// TestDepthwiseWeightGradBlocks checks the weight gradient against the
// naive reference on every plane height from 1 to 13, 16 and 24 (block tails
// of the register-blocked kernels: no full block, one to three leftover
// rows), one to three vectors per row (first, middle and last vector
// masks), both strides, dilations and filter sizes, fused ReLU on and off,
// on unaligned sub-slices with guard values around dw.
func TestDepthwiseWeightGradBlocks(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		i := 0
		for _, k := range []int{3, 5} {
			for _, d := range []int{1, 2} {
				for _, st := range []int{1, 2} {
					for _, h := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 24} {
						for _, w := range []int{8, 16, 24, 13} {
							i++
							s := DWConv{C: 2, N: 2, H: h, W: w, K: k, Stride: st, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: (h+w)%2 == 0}
							r := ktRand(uint64(1000 + i))
							x := ktVec(r, s.C*s.N*s.H*s.W)
							wt := ktVec(r, s.C*k*k)
							dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
							xu, _ := ktPlace(x, i%7+1)
							dyu, _ := ktPlace(dy, (i+3)%7+1)
							dw0 := ktVec(r, len(wt))
							dw, dwchk := ktPlace(dw0, (i+5)%7+1)
							DepthwiseConvBackwardWeight(dw, dyu, xu, s)
							dwchk(t, "dw")
							_, want := naiveDWBack(to64(dy), to64(x), to64(wt), s)
							for j := range want {
								want[j] += float64(dw0[j])
							}
							ktClose64(t, fmt.Sprintf("%+v", s), dw, want, 1e-4, 1e-5)
						}
					}
				}
			}
		}
	})
}

// TestDepthwiseWeightPartsWritten checks the partials the weight-gradient
// pass writes against the stride it returns: every plane's (stride 1), or
// only a group's first plane's when the dwwp kernels sum the group into it.
// The partials start as NaN, so one left unwritten, or one the stride
// skips that holds sums, spoils its channel. Batches of 37 planes end each
// channel in a short group; 1 and 3 threads cut the batch at different
// planes; stride 2 takes the dws2w groups (3×3) and the padded path (5×5).
func TestDepthwiseWeightPartsWritten(t *testing.T) {
	ktThreads(t, func(t *testing.T) {
		i := 0
		for _, k := range []int{3, 5} {
			for _, d := range []int{1, 2} {
				for _, hs := range [][2]int{{8, 1}, {16, 1}, {32, 1}, {16, 2}, {32, 2}} {
					hw := hs[0]
					i++
					s := DWConv{C: 3, N: 37, H: hw, W: hw, K: k, Stride: hs[1], Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: i%2 == 0}
					r := ktRand(uint64(2000 + i))
					x := ktVec(r, s.C*s.N*hw*hw)
					dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
					kk := k * k
					part := make([]float32, s.C*s.N*kk)
					Fill(part, float32(math.NaN()))
					g := dwBackwardWeightAsm(part, dy, x, s)
					got := make([]float64, s.C*kk)
					for p := range s.C * s.N {
						if p%s.N%g != 0 {
							continue
						}
						for j := range kk {
							got[p/s.N*kk+j] += float64(part[p*kk+j])
						}
					}
					_, want := naiveDWBack(to64(dy), to64(x), make([]float64, s.C*kk), s)
					for j := range want {
						if !(math.Abs(got[j]-want[j]) <= 1e-4+1e-5*math.Abs(want[j])) {
							t.Fatalf("%+v: dw[%d] = %v from the partials, want %v", s, j, got[j], want[j])
						}
					}
				}
			}
		}
	})
}

// TestDepthwiseEmptyBatch runs every depthwise pass on batches without
// planes (N = 0 or C = 0): nothing to compute, nothing written, no panic.
func TestDepthwiseEmptyBatch(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for _, k := range []int{3, 5} {
			for _, st := range []int{1, 2} {
				for _, hw := range []int{8, 16} {
					for _, cn := range [][2]int{{2, 0}, {0, 3}} {
						s := DWConv{C: cn[0], N: cn[1], H: hw, W: hw, K: k, Stride: st, Pad: k / 2, Dilation: 1, ReLUIn: true}
						dw := ktVec(ktRand(3), cn[0]*k*k)
						want := ktCopy(dw)
						w := ktVec(ktRand(4), cn[0]*k*k)
						DepthwiseConv(nil, nil, w, s)
						DepthwiseConvBackwardInput(nil, nil, w, nil, s)
						DepthwiseConvBackwardInputSet(nil, nil, w, nil, s)
						DepthwiseConvBackwardWeight(dw, nil, nil, s)
						DepthwiseConvBackward(nil, dw, nil, w, nil, s, true)
						for i := range dw {
							if dw[i] != want[i] {
								t.Fatalf("%+v: dw[%d] changed from %v to %v", s, i, want[i], dw[i])
							}
						}
					}
				}
			}
		}
	})
}
