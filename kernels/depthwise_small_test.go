package kernels

import "testing"

// Taps that never land inside a small plane (a 5×5 dilation-2 filter on a
// 2×2 map, as in the last cells of a small supernet) contribute nothing.
func TestDepthwiseFilterLargerThanPlane(t *testing.T) {
	for _, asm := range []bool{false, true} {
		prev := SetUseAsm(asm)
		for _, k := range []int{3, 5} {
			for _, d := range []int{1, 2} {
				for _, st := range []int{1, 2} {
					for hw := 1; hw <= 4; hw++ {
						s := DWConv{C: 3, N: 2, H: hw, W: hw, K: k, Stride: st, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
						x := ktVec(ktRand(1), s.C*s.N*s.H*s.W)
						dy := ktVec(ktRand(2), s.C*s.N*s.OutH()*s.OutW())
						w := ktVec(ktRand(3), s.C*k*k)
						y := make([]float32, len(dy))
						dx := make([]float32, len(x))
						dw := make([]float32, len(w))
						DepthwiseConv(y, x, w, s)
						DepthwiseConvBackwardInput(dx, dy, w, x, s)
						DepthwiseConvBackwardWeight(dw, dy, x, s)
						// Adjoint identity: <dy, conv(x)> = <convᵀ(dy), relu(x)> via dx on the ReLU mask.
						var lhs, rhs float64
						for i := range y {
							lhs += float64(y[i]) * float64(dy[i])
						}
						for i := range x {
							if x[i] > 0 {
								rhs += float64(dx[i]) * float64(x[i])
							}
						}
						if diff := lhs - rhs; diff > 1e-3 || diff < -1e-3 {
							t.Errorf("asm=%v k=%d d=%d stride=%d %d×%d: <dy,y>=%g but <dx,x>=%g", asm, k, d, st, hw, hw, lhs, rhs)
						}
					}
				}
			}
		}
		SetUseAsm(prev)
	}
}
