//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkDepthwiseRows compares the table-free direct kernels with the
// row-table ones on the stride-1 BenchmarkDepthwise shapes and on 8×8
// maps (the last cells of the C=16 search supernet).
func BenchmarkDepthwiseRows(b *testing.B) {
	defer ktBenchSetup(b)()
	const N = 64
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, hw := range []int{32, 16, 8} {
				for _, c := range []int{16, 64} {
					s := DWConv{C: c, N: N, H: hw, W: hw, K: k, Stride: 1, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
					r := ktRand(1)
					x := ktVec(r, c*N*hw*hw)
					w := ktVec(r, c*k*k)
					y := make([]float32, len(x))
					dx := make([]float32, len(x))
					dw := make([]float32, len(w))
					flops := 2 * float64(k*k*len(y))
					for _, on := range []bool{false, true} {
						impl := "tables"
						if on {
							impl = "tablefree"
						}
						run := func(b *testing.B, f func()) {
							prev := dwRowsOn
							dwRowsOn = on
							defer func() { dwRowsOn = prev }()
							ktFlops(b, flops, f)
						}
						name := fmt.Sprintf("K%dD%d/%dx%d/C%d/%s", k, d, hw, hw, c, impl)
						b.Run(name+"/fwd", func(b *testing.B) { run(b, func() { DepthwiseConv(y, x, w, s) }) })
						b.Run(name+"/bwdin", func(b *testing.B) { run(b, func() { DepthwiseConvBackwardInput(dx, y, w, x, s) }) })
						b.Run(name+"/bwdw", func(b *testing.B) { run(b, func() { DepthwiseConvBackwardWeight(dw, y, x, s) }) })
					}
				}
			}
		}
	}
}
