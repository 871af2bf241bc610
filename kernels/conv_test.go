package kernels

import (
	"fmt"
	"testing"
)

// naiveConv is the dense convolution straight from the definition in
// float64; w is (Cout, Cin, KH, KW). Returns y and, for output gradient dy,
// dx and dw.
func naiveConv(x, w, dy []float64, s Conv) (y, dx, dw []float64) {
	s = s.norm()
	ho, wo := s.OutH(), s.OutW()
	y = make([]float64, s.Cout*s.N*ho*wo)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for co := 0; co < s.Cout; co++ {
		for n := 0; n < s.N; n++ {
			for oh := 0; oh < ho; oh++ {
				for ow := 0; ow < wo; ow++ {
					yi := ((co*s.N+n)*ho+oh)*wo + ow
					acc := 0.0
					for ci := 0; ci < s.Cin; ci++ {
						for ki := 0; ki < s.KH; ki++ {
							for kj := 0; kj < s.KW; kj++ {
								ih := oh*s.Stride - s.Pad + ki*s.Dilation
								iw := ow*s.Stride - s.Pad + kj*s.Dilation
								if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
									continue
								}
								xi := ((ci*s.N+n)*s.H+ih)*s.W + iw
								wi := ((co*s.Cin+ci)*s.KH+ki)*s.KW + kj
								acc += w[wi] * x[xi]
								dx[xi] += w[wi] * dy[yi]
								dw[wi] += x[xi] * dy[yi]
							}
						}
					}
					y[yi] = acc
				}
			}
		}
	}
	return
}

func TestConv2D(t *testing.T) {
	cases := []Conv{
		{Cin: 3, Cout: 5, N: 2, H: 9, W: 10, KH: 3, KW: 3, Stride: 1, Pad: 1, Dilation: 1},
		{Cin: 2, Cout: 4, N: 3, H: 8, W: 7, KH: 2, KW: 2, Stride: 1, Pad: 0, Dilation: 1},
		{Cin: 3, Cout: 6, N: 2, H: 11, W: 12, KH: 3, KW: 3, Stride: 2, Pad: 1, Dilation: 2},
		{Cin: 4, Cout: 3, N: 2, H: 5, W: 6, KH: 1, KW: 1, Stride: 1, Pad: 0, Dilation: 1},
		{Cin: 2, Cout: 2, N: 1, H: 6, W: 5, KH: 3, KW: 1, Stride: 2, Pad: 2},
	}
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range cases {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				r := ktRand(uint64(i + 11))
				x := ktVec(r, s.Cin*s.N*s.H*s.W)
				w := ktVec(r, s.Cout*s.Cin*s.KH*s.KW)
				dy := ktVec(r, s.Cout*s.N*s.OutH()*s.OutW())
				yw, dxw, dww := naiveConv(to64(x), to64(w), to64(dy), s)
				work := make([]float32, s.WorkSize())
				y, ychk := ktGuarded(len(dy), i%5+1)
				Conv2D(y, x, w, s, work)
				ychk(t, "y")
				ktClose64(t, "Conv2D", y, yw, 1e-5, 1e-5)
				dx0 := ktVec(r, len(x))
				dx, dxchk := ktPlace(dx0, 2)
				Conv2DBackwardInput(dx, dy, w, s, work)
				dxchk(t, "dx")
				for j := range dxw {
					dxw[j] += float64(dx0[j])
				}
				ktClose64(t, "Conv2DBackwardInput", dx, dxw, 1e-5, 1e-5)
				dw0 := ktVec(r, len(w))
				dw, dwchk := ktPlace(dw0, 3)
				Conv2DBackwardWeight(dw, dy, x, s, work)
				dwchk(t, "dw")
				for j := range dww {
					dww[j] += float64(dw0[j])
				}
				ktClose64(t, "Conv2DBackwardWeight", dw, dww, 1e-4, 1e-5)
			})
		}
	})
}

func naivePW(x, w, dy []float64, s PWConv) (y, dx, dw []float64) {
	s = s.norm()
	ho, wo := s.OutH(), s.OutW()
	y = make([]float64, s.Cout*s.N*ho*wo)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for co := 0; co < s.Cout; co++ {
		for n := 0; n < s.N; n++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					yi := ((co*s.N+n)*ho+i)*wo + j
					for ci := 0; ci < s.Cin; ci++ {
						xi := ((ci*s.N+n)*s.H+s.Offset+s.Stride*i)*s.W + s.Offset + s.Stride*j
						v := x[xi]
						if s.ReLUIn && v <= 0 {
							v = 0
						} else {
							dx[xi] += w[co*s.Cin+ci] * dy[yi]
						}
						y[yi] += w[co*s.Cin+ci] * v
						dw[co*s.Cin+ci] += dy[yi] * v
					}
				}
			}
		}
	}
	return
}

func TestPointwiseConv(t *testing.T) {
	var cases []PWConv
	for _, st := range []int{1, 2} {
		for _, off := range []int{0, 1} {
			for _, relu := range []bool{false, true} {
				cases = append(cases, PWConv{Cin: 5, Cout: 7, N: 3, H: 8, W: 9, Stride: st, Offset: off, ReLUIn: relu})
				cases = append(cases, PWConv{Cin: 4, Cout: 2, N: 2, H: 7, W: 6, Stride: st, Offset: off, ReLUIn: relu})
				// W a multiple of 16: the stride-2 assembly gather/scatter.
				cases = append(cases, PWConv{Cin: 3, Cout: 4, N: 2, H: 7, W: 16, Stride: st, Offset: off, ReLUIn: relu})
				cases = append(cases, PWConv{Cin: 2, Cout: 3, N: 3, H: 8, W: 32, Stride: st, Offset: off, ReLUIn: relu})
			}
		}
	}
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range cases {
			t.Run(fmt.Sprintf("%d_s%d_o%d_r%v", i, s.Stride, s.Offset, s.ReLUIn), func(t *testing.T) {
				r := ktRand(uint64(i + 31))
				x := ktVec(r, s.Cin*s.N*s.H*s.W)
				w := ktVec(r, s.Cout*s.Cin)
				dy := ktVec(r, s.Cout*s.N*s.OutH()*s.OutW())
				yw, dxw, dww := naivePW(to64(x), to64(w), to64(dy), s)
				work := make([]float32, s.WorkSize())
				y, ychk := ktGuarded(len(dy), i%7+1)
				PointwiseConv(y, x, w, s, work)
				ychk(t, "y")
				ktClose64(t, "PointwiseConv", y, yw, 1e-5, 1e-5)
				dx0 := ktVec(r, len(x))
				dx, dxchk := ktPlace(dx0, 4)
				PointwiseConvBackwardInput(dx, dy, w, x, s, work)
				dxchk(t, "dx")
				for j := range dxw {
					dxw[j] += float64(dx0[j])
				}
				ktClose64(t, "PointwiseConvBackwardInput", dx, dxw, 1e-5, 1e-5)
				dw0 := ktVec(r, len(w))
				dw, dwchk := ktPlace(dw0, 6)
				PointwiseConvBackwardWeight(dw, dy, x, s, work)
				dwchk(t, "dw")
				for j := range dww {
					dww[j] += float64(dw0[j])
				}
				ktClose64(t, "PointwiseConvBackwardWeight", dw, dww, 1e-4, 1e-5)
			})
		}
	})
	if (PWConv{Cin: 1, Cout: 1, N: 1, H: 8, W: 8}).WorkSize() != 0 {
		t.Fatal("plain 1×1 should need no work")
	}
	if s := (PWConv{Cin: 2, Cout: 1, N: 3, H: 8, W: 7, Stride: 2, Offset: 1}); s.OutH() != 4 || s.OutW() != 3 || s.WorkSize() != 2*3*4*3 {
		t.Fatalf("PWConv sizes %d %d %d", s.OutH(), s.OutW(), s.WorkSize())
	}
}
