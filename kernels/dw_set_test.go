package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestDepthwiseBackwardInputSet checks the overwriting input gradient on
// every depthwise test shape: dx starts as NaN, and the result must be the
// naive gradient alone (the stride-2, dilation-1 shapes run the kernel that
// writes dx itself; the others clear and add).
func TestDepthwiseBackwardInputSet(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range dwCases() {
			t.Run(fmt.Sprintf("%d_K%dS%dD%dP%d_%dx%d_r%v", i, s.K, s.Stride, s.Dilation, s.Pad, s.H, s.W, s.ReLUIn), func(t *testing.T) {
				r := ktRand(uint64(i + 11))
				x := ktVec(r, s.C*s.N*s.H*s.W)
				w := ktVec(r, s.C*s.K*s.K)
				dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
				xu, _ := ktPlace(x, i%5+1)
				dx, chk := ktGuarded(len(x), i%7+1)
				for j := range dx {
					dx[j] = float32(math.NaN())
				}
				DepthwiseConvBackwardInputSet(dx, dy, w, xu, s)
				chk(t, "dx")
				want, _ := naiveDWBack(to64(dy), to64(x), to64(w), s)
				ktClose64(t, "backward-input (set)", dx, want, 1e-5, 1e-5)
			})
		}
	})
}

// BenchmarkDepthwiseBackwardInputSet compares the overwriting input
// gradient with what it replaces for a fresh gradient, clearing dx and then
// adding to it, call by call in one loop (ktPair: a = clear+add, b = set;
// a/b is the speedup), batch 64: the reduction-cell shapes (stride 2) and
// the second depthwise convolution of a separable convolution in the C=16
// search network (stride 1, after a batch norm: its gradient is fresh).
func BenchmarkDepthwiseBackwardInputSet(b *testing.B) {
	defer ktBenchSetup(b)()
	type shape struct{ k, stride, hw, c int }
	for _, sh := range []shape{{3, 2, 32, 16}, {5, 2, 32, 16}, {3, 1, 32, 16}, {5, 1, 32, 16}, {3, 1, 16, 32}, {5, 1, 16, 32}, {3, 1, 8, 64}, {5, 1, 8, 64}} {
		k := sh.k
		s := DWConv{C: sh.c, N: 64, H: sh.hw, W: sh.hw, K: k, Stride: sh.stride, Pad: (k - 1) / 2, Dilation: 1, ReLUIn: true}
		r := ktRand(1)
		x := ktVec(r, s.C*s.N*s.H*s.W)
		w := ktVec(r, s.C*k*k)
		dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
		dx := make([]float32, len(x))
		name := fmt.Sprintf("S%dK%d/%dx%d/C%d", sh.stride, k, sh.hw, sh.hw, sh.c)
		b.Run(name, func(b *testing.B) {
			ktPair(b, func() {
				Fill(dx, 0)
				DepthwiseConvBackwardInput(dx, dy, w, x, s)
			}, func() { DepthwiseConvBackwardInputSet(dx, dy, w, x, s) })
		})
	}
}

// TestDepthwiseBackwardBoth checks that DepthwiseConvBackward gives the
// bits of DepthwiseConvBackwardWeight followed by the input gradient
// (added, or written with setDx), on every depthwise test shape and on
// batches with enough planes that each chunk runs several blocks, with
// guard values around dx and dw.
func TestDepthwiseBackwardBoth(t *testing.T) {
	cases := dwCases()
	for _, k := range []int{3, 5} {
		cases = append(cases,
			DWConv{C: 3, N: 50, H: 16, W: 16, K: k, Stride: 1, Pad: k / 2, Dilation: 1, ReLUIn: true},
			DWConv{C: 3, N: 50, H: 16, W: 16, K: k, Stride: 2, Pad: k / 2, Dilation: 1, ReLUIn: true},
			DWConv{C: 2, N: 30, H: 32, W: 32, K: k, Stride: 1, Pad: k - 1, Dilation: 2, ReLUIn: false})
	}
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range cases {
			for _, set := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d_K%dS%dD%dP%d_%dx%d_N%d_r%v_set%v", i, s.K, s.Stride, s.Dilation, s.Pad, s.H, s.W, s.N, s.ReLUIn, set), func(t *testing.T) {
					r := ktRand(uint64(i + 31))
					x := ktVec(r, s.C*s.N*s.H*s.W)
					w := ktVec(r, s.C*s.K*s.K)
					dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
					dx0, dw0 := ktVec(r, len(x)), ktVec(r, len(w))
					wantDx, wantDw := ktCopy(dx0), ktCopy(dw0)
					DepthwiseConvBackwardWeight(wantDw, dy, x, s)
					if set {
						DepthwiseConvBackwardInputSet(wantDx, dy, w, x, s)
					} else {
						DepthwiseConvBackwardInput(wantDx, dy, w, x, s)
					}
					dx, dxchk := ktGuarded(len(x), i%7+1)
					copy(dx, dx0)
					dw, dwchk := ktGuarded(len(w), i%5+1)
					copy(dw, dw0)
					DepthwiseConvBackward(dx, dw, dy, w, x, s, set)
					dxchk(t, "dx")
					dwchk(t, "dw")
					for j := range wantDx {
						if dx[j] != wantDx[j] {
							t.Fatalf("dx[%d] = %v, separate passes give %v", j, dx[j], wantDx[j])
						}
					}
					for j := range wantDw {
						if dw[j] != wantDw[j] {
							t.Fatalf("dw[%d] = %v, separate passes give %v", j, dw[j], wantDw[j])
						}
					}
				})
			}
		}
	})
}

// BenchmarkDepthwiseBackwardBoth compares DepthwiseConvBackward with the
// two gradients one after the other over the whole batch, on the normal
// cells' shapes of the C=16 search supernet at batch 64 (fused input ReLU).
func BenchmarkDepthwiseBackwardBoth(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, sh := range [][2]int{{16, 32}, {32, 16}, {64, 8}} {
		for _, kd := range [][2]int{{3, 1}, {5, 1}, {3, 2}, {5, 2}} {
			k, d := kd[0], kd[1]
			s := DWConv{C: sh[0], N: 64, H: sh[1], W: sh[1], K: k, Stride: 1, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
			r := ktRand(5)
			x := ktVec(r, s.C*s.N*s.H*s.W)
			w := ktVec(r, s.C*k*k)
			dy := ktVec(r, len(x))
			dx, dw := make([]float32, len(x)), make([]float32, len(w))
			flops := 4 * float64(k*k*len(x))
			name := fmt.Sprintf("K%dD%d/%dx%d/C%d", k, d, s.H, s.W, s.C)
			b.Run(name+"/separate", func(b *testing.B) {
				ktFlops(b, flops, func() {
					DepthwiseConvBackwardWeight(dw, dy, x, s)
					DepthwiseConvBackwardInputSet(dx, dy, w, x, s)
				})
			})
			b.Run(name+"/both", func(b *testing.B) {
				ktFlops(b, flops, func() { DepthwiseConvBackward(dx, dw, dy, w, x, s, true) })
			})
		}
	}
}
