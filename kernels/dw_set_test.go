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

// BenchmarkDepthwiseBackwardInputSet compares, on the reduction-cell
// shapes (batch 64), the overwriting input gradient with what it replaces
// for a fresh gradient: clearing dx, then adding to it.
func BenchmarkDepthwiseBackwardInputSet(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, kd := range [][2]int{{3, 1}, {5, 1}} {
		k, d := kd[0], kd[1]
		s := DWConv{C: 16, N: 64, H: 32, W: 32, K: k, Stride: 2, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
		r := ktRand(1)
		x := ktVec(r, s.C*s.N*s.H*s.W)
		w := ktVec(r, s.C*k*k)
		dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
		dx := make([]float32, len(x))
		flops := 2 * float64(k*k*len(dy))
		name := fmt.Sprintf("K%dD%d/32x32/C16", k, d)
		b.Run(name+"/clear+add", func(b *testing.B) {
			ktFlops(b, flops, func() {
				Fill(dx, 0)
				DepthwiseConvBackwardInput(dx, dy, w, x, s)
			})
		})
		b.Run(name+"/set", func(b *testing.B) {
			ktFlops(b, flops, func() { DepthwiseConvBackwardInputSet(dx, dy, w, x, s) })
		})
	}
}
