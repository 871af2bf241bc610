//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkFMAPeak measures the single-thread FMA peak of this machine
// (12 independent 8-wide FMA chains), the yardstick for "%measured".
func BenchmarkFMAPeak(b *testing.B) {
	defer ktBenchSetup(b)()
	const n = 1 << 18
	ktFlops(b, float64(n)*192, func() { fmaPeakAsm(n) })
}

// BenchmarkDWKernelRaw runs the forward block kernels on one L1-resident
// padded plane, without the driver (padding copies, dispatch), at 1 thread.
func BenchmarkDWKernelRaw(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, k := range []int{3, 5} {
		for _, hw := range []int{32, 16} {
			s := DWConv{C: 1, N: 1, H: hw, W: hw, K: k, Stride: 1, Pad: (k - 1) / 2, Dilation: 1}
			g := dwInGeom(s, s.OutH())
			buf := ktVec(ktRand(1), g.rows*g.ld)
			w := ktVec(ktRand(2), k*k)
			y := make([]float32, hw*hw)
			ik, id, is := dwIdx(s)
			fns := &dwfTab[ik][id][is]
			b.Run(fmt.Sprintf("K%d/%dx%d", k, hw, hw), func(b *testing.B) {
				ktFlops(b, 2*float64(k*k*hw*hw), func() {
					dwRun(fns, 0, y, hw, buf, g.ld, 1, w, &g, hw, nil, 0)
				})
			})
		}
	}
}

// BenchmarkSgemmKernHot runs the 6×16 SGEMM micro-kernel alone on
// L1-resident packed panels (kc deep; nt tiles a call, the B panel shared),
// the ceiling of the packed SGEMM path against BenchmarkFMAPeak.
func BenchmarkSgemmKernHot(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, kc := range []int{64, 256} {
		for _, nt := range []int{1, 8} {
			a := ktVec(ktRand(1), sgemmMR*kc*nt)
			bp := ktVec(ktRand(2), sgemmNR*kc)
			c := make([]float32, sgemmMR*sgemmNR*nt)
			b.Run(fmt.Sprintf("kc%d/tiles%d", kc, nt), func(b *testing.B) {
				ktFlops(b, 2*float64(sgemmMR*sgemmNR*kc*nt), func() {
					sgemmKern6x16(kc, &a[0], 4*sgemmMR, &bp[0], 4*sgemmNR, &c[0], 4*sgemmNR, 1, 1,
						nt, 0, -4*sgemmNR*kc, 4*sgemmMR*sgemmNR, 0)
				})
			})
		}
	}
}
