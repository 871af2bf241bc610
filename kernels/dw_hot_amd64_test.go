//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkDepthwiseHot runs the BenchmarkDepthwise and
// BenchmarkDepthwiseStride2 shapes on one channel at batch 64 (64 planes:
// 256 KiB of 32×32, 64 KiB of 16×16), which stays in L2 across
// iterations: it measures the kernels' compute efficiency apart from the
// memory traffic of the full tensors, a pass being the one call per
// channel that the full tensor makes too. (On 32 KiB, 8 planes of 32×32,
// the cost of a call showed more than the kernels: 24–28 GFLOP/s for the
// stride-2 3×3 forward against 33–37 at batch 64.)
func BenchmarkDepthwiseHot(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, st := range []int{1, 2} {
				for _, hw := range []int{32, 16} {
					s := DWConv{C: 1, N: 64, H: hw, W: hw, K: k, Stride: st, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: os.Getenv("DWNORELU") == ""}
					r := ktRand(1)
					x := ktVec(r, s.C*s.N*hw*hw)
					w := ktVec(r, s.C*k*k)
					y := make([]float32, s.C*s.N*s.OutH()*s.OutW())
					dx := make([]float32, len(x))
					dw := make([]float32, len(w))
					flops := 2 * float64(k*k*len(y))
					name := fmt.Sprintf("S%dK%dD%d/%dx%d", st, k, d, hw, hw)
					b.Run(name+"/fwd", func(b *testing.B) { ktFlops(b, flops, func() { DepthwiseConv(y, x, w, s) }) })
					b.Run(name+"/bwdin", func(b *testing.B) { ktFlops(b, flops, func() { DepthwiseConvBackwardInput(dx, y, w, x, s) }) })
					b.Run(name+"/bwdw", func(b *testing.B) { ktFlops(b, flops, func() { DepthwiseConvBackwardWeight(dw, y, x, s) }) })
				}
			}
		}
	}
}
