package kernels

import (
	"fmt"
	"math"
	"testing"
)

func TestPools(t *testing.T) {
	var cases []Pool
	for _, k := range []int{2, 3, 5} {
		for _, st := range []int{1, 2, 3} {
			for _, pad := range []int{0, 1, 2} {
				if pad > k/2 {
					continue
				}
				cases = append(cases, Pool{C: 2, N: 3, H: 9, W: 8, K: k, Stride: st, Pad: pad})
			}
		}
	}
	cases = append(cases, Pool{C: 1, N: 1, H: 1, W: 1, K: 3, Stride: 1, Pad: 1})
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range cases {
			t.Run(fmt.Sprintf("%d_K%dS%dP%d", i, s.K, s.Stride, s.Pad), func(t *testing.T) {
				testPool(t, i, s)
			})
		}
	})
}

func testPool(t *testing.T, i int, s Pool) {
	r := ktRand(uint64(i + 77))
	ho, wo := s.OutH(), s.OutW()
	x := ktVec(r, s.C*s.N*s.H*s.W)
	dy := ktVec(r, s.C*s.N*ho*wo)
	// Brute force over the padded window.
	wantMax := make([]float32, len(dy))
	wantArg := make([]int32, len(dy))
	wantAvg := [2][]float64{make([]float64, len(dy)), make([]float64, len(dy))}
	dxMax := make([]float64, len(x))
	dxAvg := [2][]float64{make([]float64, len(x)), make([]float64, len(x))}
	for p := 0; p < s.C*s.N; p++ {
		for oh := 0; oh < ho; oh++ {
			for ow := 0; ow < wo; ow++ {
				yi := (p*ho+oh)*wo + ow
				best, bi := float32(math.Inf(-1)), -1
				sum, cnt, cntPad := 0.0, 0, 0
				var pos []int
				for a := 0; a < s.K; a++ {
					for b := 0; b < s.K; b++ {
						ih, iw := oh*s.Stride-s.Pad+a, ow*s.Stride-s.Pad+b
						if ih < s.H+s.Pad && iw < s.W+s.Pad {
							cntPad++
						}
						if ih < 0 || iw < 0 || ih >= s.H || iw >= s.W {
							continue
						}
						v := x[p*s.H*s.W+ih*s.W+iw]
						if bi < 0 || v > best {
							best, bi = v, ih*s.W+iw
						}
						sum += float64(v)
						cnt++
						pos = append(pos, p*s.H*s.W+ih*s.W+iw)
					}
				}
				wantMax[yi], wantArg[yi] = best, int32(bi)
				dxMax[p*s.H*s.W+bi] += float64(dy[yi])
				for inc, c := range []int{cnt, cntPad} {
					wantAvg[inc][yi] = sum / float64(c)
					for _, q := range pos {
						dxAvg[inc][q] += float64(dy[yi]) / float64(c)
					}
				}
			}
		}
	}
	y, ychk := ktGuarded(len(dy), 3)
	arg := make([]int32, len(dy))
	MaxPool(y, arg, x, s)
	ychk(t, "MaxPool")
	ktClose(t, "MaxPool", y, wantMax, 0, 0)
	for j := range arg {
		if arg[j] != wantArg[j] {
			t.Fatalf("MaxPool arg[%d] = %d, want %d", j, arg[j], wantArg[j])
		}
	}
	dx0 := ktVec(r, len(x))
	dx, dxchk := ktPlace(dx0, 5)
	MaxPoolBackward(dx, dy, arg, s)
	dxchk(t, "MaxPoolBackward")
	for j := range dxMax {
		dxMax[j] += float64(dx0[j])
	}
	ktClose64(t, "MaxPoolBackward", dx, dxMax, 1e-6, 1e-6)

	for inc, include := range []bool{false, true} {
		y, ychk := ktGuarded(len(dy), 1)
		AvgPool(y, x, s, include)
		ychk(t, "AvgPool")
		ktClose64(t, fmt.Sprintf("AvgPool(include=%v)", include), y, wantAvg[inc], 1e-6, 1e-6)
		dx, dxchk := ktPlace(dx0, 7)
		AvgPoolBackward(dx, dy, s, include)
		dxchk(t, "AvgPoolBackward")
		for j := range dxAvg[inc] {
			dxAvg[inc][j] += float64(dx0[j])
		}
		ktClose64(t, "AvgPoolBackward", dx, dxAvg[inc], 1e-6, 1e-6)
	}
}

func TestGlobalAvgPool(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		C, N, HW := 5, 3, 37
		r := ktRand(5)
		x := ktVec(r, C*N*HW)
		y, chk := ktGuarded(N*C, 2)
		GlobalAvgPool(y, x, C, N, HW)
		chk(t, "GlobalAvgPool")
		want := make([]float64, N*C)
		for c := 0; c < C; c++ {
			for n := 0; n < N; n++ {
				s := 0.0
				for i := 0; i < HW; i++ {
					s += float64(x[(c*N+n)*HW+i])
				}
				want[n*C+c] = s / float64(HW)
			}
		}
		ktClose64(t, "GlobalAvgPool", y, want, 1e-7, 1e-6)
		dy := ktVec(r, N*C)
		dx0 := ktVec(r, len(x))
		dx, chk2 := ktPlace(dx0, 6)
		GlobalAvgPoolBackward(dx, dy, C, N, HW)
		chk2(t, "GlobalAvgPoolBackward")
		wdx := make([]float64, len(x))
		for c := 0; c < C; c++ {
			for n := 0; n < N; n++ {
				for i := 0; i < HW; i++ {
					j := (c*N+n)*HW + i
					wdx[j] = float64(dx0[j]) + float64(dy[n*C+c])/float64(HW)
				}
			}
		}
		ktClose64(t, "GlobalAvgPoolBackward", dx, wdx, 1e-6, 1e-6)
	})
}

// TestPool3Fast checks the 3×3 fast paths (assembly where available)
// against the reference window-by-window kernels: the max pool exactly
// (values bit for bit and indices, on data with many ties, NaNs and
// infinities), the average pools to rounding, at sizes that exercise one
// and several vectors per row, odd heights and single rows, with guards
// around every output and unaligned offsets.
func TestPool3Fast(t *testing.T) {
	var cases []Pool
	for _, h := range []int{1, 2, 3, 8, 9, 32} {
		for _, w := range []int{8, 16, 24, 32} {
			cases = append(cases, Pool{C: 2, N: 3, H: h, W: w, K: 3, Stride: 1, Pad: 1})
		}
		for _, w := range []int{16, 32, 48} {
			cases = append(cases, Pool{C: 2, N: 3, H: h, W: w, K: 3, Stride: 2, Pad: 1})
		}
	}
	ktThreads(t, func(t *testing.T) {
		for i, s := range cases {
			name := fmt.Sprintf("S%d_%dx%d", s.Stride, s.H, s.W)
			t.Run(name, func(t *testing.T) { testPool3Fast(t, i, s) })
		}
	})
}

func testPool3Fast(t *testing.T, i int, s Pool) {
	r := ktRand(uint64(1000 + i))
	ny := s.C * s.N * s.OutH() * s.OutW()
	nx := s.C * s.N * s.H * s.W
	// Max: small integers (ties everywhere) with NaN and ±Inf sprinkled.
	xm := make([]float32, nx)
	for j := range xm {
		switch k := r.IntN(40); {
		case k == 0:
			xm[j] = float32(math.NaN())
		case k == 1:
			xm[j] = float32(math.Inf(-1))
		case k == 2:
			xm[j] = float32(math.Inf(1))
		default:
			xm[j] = float32(r.IntN(4) - 2)
		}
	}
	if i%3 == 0 { // a plane of -Inf only: padded clamps must not win
		for j := 0; j < s.H*s.W; j++ {
			xm[j] = float32(math.Inf(-1))
		}
	}
	prev := SetUseAsm(false)
	wantY := make([]float32, ny)
	wantA := make([]int32, ny)
	MaxPool(wantY, wantA, xm, s)
	SetUseAsm(prev)
	xg, _ := ktPlace(xm, 3)
	y, ychk := ktGuarded(ny, 5)
	abuf := make([]int32, ny+10)
	for j := range abuf {
		abuf[j] = -777
	}
	arg := abuf[1 : ny+1 : ny+1]
	MaxPool(y, arg, xg, s)
	ychk(t, "MaxPool")
	if abuf[0] != -777 || abuf[ny+1] != -777 {
		t.Fatalf("MaxPool: arg guard overwritten")
	}
	for j := range y {
		if math.Float32bits(y[j]) != math.Float32bits(wantY[j]) || arg[j] != wantA[j] {
			t.Fatalf("MaxPool[%d] = %g@%d, want %g@%d", j, y[j], arg[j], wantY[j], wantA[j])
		}
	}

	// Max backward through those (tie-heavy) indices: the gather-form
	// assembly adds in the reference's order, so the results are equal.
	dy := ktVec(r, ny)
	dx0 := ktVec(r, nx)
	prev = SetUseAsm(false)
	wantDx := ktCopy(dx0)
	MaxPoolBackward(wantDx, dy, wantA, s)
	SetUseAsm(prev)
	dx, dxchk := ktPlace(dx0, 2)
	MaxPoolBackward(dx, dy, wantA, s)
	dxchk(t, "MaxPoolBackward")
	for j := range dx {
		if math.Float32bits(dx[j]) != math.Float32bits(wantDx[j]) {
			t.Fatalf("MaxPoolBackward[%d] = %g, want %g", j, dx[j], wantDx[j])
		}
	}

	// Average pools: finite data, against the reference.
	x := ktVec(r, nx)
	for _, include := range []bool{false, true} {
		prev := SetUseAsm(false)
		want := make([]float32, ny)
		AvgPool(want, x, s, include)
		wantDx := ktCopy(dx0)
		AvgPoolBackward(wantDx, dy, s, include)
		SetUseAsm(prev)
		y, ychk := ktGuarded(ny, 1)
		AvgPool(y, x, s, include)
		ychk(t, "AvgPool")
		ktClose(t, fmt.Sprintf("AvgPool(include=%v)", include), y, want, 1e-6, 1e-6)
		dx, dxchk := ktPlace(dx0, 7)
		AvgPoolBackward(dx, dy, s, include)
		dxchk(t, "AvgPoolBackward")
		ktClose(t, fmt.Sprintf("AvgPoolBackward(include=%v)", include), dx, wantDx, 1e-6, 1e-6)
	}
}
