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
