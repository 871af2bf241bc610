//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkDepthwiseDirect compares the direct stride-1 kernels (and the
// stride-2 input gradient by output parity) with the padded-copy kernels
// they replace ("padded"), on the DARTS shapes at the C = 8, batch 32
// search configuration and at C = 16, batch 64. GFLOP/s counts all K²
// taps of every output (for stride 2: of every strided output).
func BenchmarkDepthwiseDirect(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, st := range []struct{ C, N, HW, S int }{{8, 32, 32, 1}, {16, 32, 16, 1}, {32, 32, 8, 1}, {16, 64, 32, 1}, {8, 32, 32, 2}, {16, 32, 16, 2}} {
		for _, kd := range [][2]int{{3, 1}, {5, 1}, {3, 2}, {5, 2}} {
			k, d := kd[0], kd[1]
			s := DWConv{C: st.C, N: st.N, H: st.HW, W: st.HW, K: k, Stride: st.S, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true}
			r := ktRand(1)
			x := ktVec(r, st.C*st.N*st.HW*st.HW)
			w := ktVec(r, st.C*k*k)
			y := make([]float32, st.C*st.N*s.OutH()*s.OutW())
			dx := make([]float32, len(x))
			dw := make([]float32, len(w))
			flops := 2 * float64(k*k*len(y))
			for _, direct := range []bool{true, false} {
				impl := "direct"
				if !direct {
					impl = "padded"
				}
				name := fmt.Sprintf("S%dK%dD%d/%dx%d/C%dN%d/%s", st.S, k, d, st.HW, st.HW, st.C, st.N, impl)
				run := func(b *testing.B, f func()) {
					prev := dwDirectOn
					dwDirectOn = direct
					defer func() { dwDirectOn = prev }()
					ktFlops(b, flops, f)
				}
				b.Run(name+"/fwd", func(b *testing.B) { run(b, func() { DepthwiseConv(y, x, w, s) }) })
				b.Run(name+"/bwdin", func(b *testing.B) { run(b, func() { DepthwiseConvBackwardInput(dx, y, w, x, s) }) })
				b.Run(name+"/bwdw", func(b *testing.B) { run(b, func() { DepthwiseConvBackwardWeight(dw, y, x, s) }) })
			}
		}
	}
}
