package kernels

import (
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

func TestSgemmReport(t *testing.T) {
	t.Logf("\n%s", Report())
	t.Logf("kc=%d mc=%d nc=%d", sgemmKC, sgemmMC, sgemmNC)
}

func BenchmarkSgemmKernelL1(b *testing.B) {
	kc := 256
	ap := sgemmGetBuf(6 * kc).f
	bp := sgemmGetBuf(16 * kc).f
	c := make([]float32, 6*16)
	for b.Loop() {
		for i := 0; i < 100; i++ {
			sgemmKern6x16(kc, &ap[0], 24, &bp[0], 64, &c[0], 64, 1, 0, 1, 0, 0, 0)
		}
	}
	b.ReportMetric(2*6*16*float64(kc)*100*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemmPackA(b *testing.B) {
	n := 1024
	a := make([]float32, n*n)
	ap := sgemmGetBuf(252 * 256).f
	for b.Loop() {
		sgemmPackA(false, a, n, 0, 252, 0, 256, ap)
	}
	b.ReportMetric(252*256*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
}

func BenchmarkSgemmPackB(b *testing.B) {
	n := 1024
	a := make([]float32, n*n)
	bp := sgemmGetBuf(256 * 16).f
	for b.Loop() {
		for j := 0; j < 1024; j += 16 {
			sgemmPackB(false, a, n, 0, 256, j, 16, bp)
		}
	}
	b.ReportMetric(1024*256*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
}

func threadCPU() float64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

func TestSgemmKernelCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	kc := 256
	ap := sgemmGetBuf(6 * kc).f
	bp := sgemmGetBuf(16 * kc).f
	for i := range ap {
		ap[i] = 1
	}
	for i := range bp {
		bp[i] = 1
	}
	c := make([]float32, 6*16)
	bestv := 0.0
	for r := 0; r < 20; r++ {
		t0 := threadCPU()
		for i := 0; i < 1000; i++ {
			sgemmKern6x16(kc, &ap[0], 24, &bp[0], 64, &c[0], 64, 1, 0, 1, 0, 0, 0)
		}
		g := 2 * 6 * 16 * float64(kc) * 1000 / (threadCPU() - t0) / 1e9
		bestv = max(bestv, g)
	}
	t.Logf("kernel 6x16 L1: %.1f GFLOP/s (thread CPU time)", bestv)
}

func cpuBest(f func(), reps int) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	bestv := 1e9
	f()
	for r := 0; r < reps; r++ {
		t0 := threadCPU()
		f()
		bestv = min(bestv, threadCPU()-t0)
	}
	return bestv
}

func TestSgemmPackCPU(t *testing.T) {
	n := 1024
	a := make([]float32, n*n)
	for i := range a {
		a[i] = float32(i)
	}
	ap := sgemmGetBuf(252 * 256).f
	bp := sgemmGetBuf(256 * 1024).f
	for _, tr := range []bool{false, true} {
		d := cpuBest(func() {
			for i := 0; i < 1008; i += 252 {
				for p := 0; p < 1024; p += 256 {
					sgemmPackA(tr, a, n, i, 252, p, 256, ap)
				}
			}
		}, 10)
		t.Logf("packA trans=%v: %.2f ns/float", tr, d/1008/1024*1e9)
		d = cpuBest(func() {
			for p := 0; p < 1024; p += 256 {
				sgemmPackB(tr, a, n, p, 256, 0, 1024, bp)
			}
		}, 10)
		t.Logf("packB trans=%v: %.2f ns/float", tr, d/1024/1024*1e9)
	}
}

func TestSgemmBandwidth(t *testing.T) {
	for _, mb := range []int{1, 8, 64} {
		n := mb << 18
		src := make([]float32, n)
		dst := make([]float32, n)
		d := cpuBest(func() { copy(dst, src) }, 10)
		t.Logf("copy %d MiB: %.1f GB/s (read+write)", mb*1, 2*float64(n*4)/d/1e9)
	}
}

func TestSgemmShapeCPU(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)

	for _, sh := range [][3]int{{32, 2048, 32}, {32, 16384, 32}, {32, 65536, 32}, {16, 2048, 16}, {16, 65536, 16}, {64, 2048, 64}, {64, 65536, 64}} {
		m, n, k := sh[0], sh[1], sh[2]
		a := make([]float32, m*k)
		b := make([]float32, k*n)
		c := make([]float32, m*n)
		for i := range b {
			b[i] = float32(i % 7)
		}
		for i := range c {
			c[i] = 1
		}
		for i := range a {
			a[i] = 1
		}
		d := cpuBest(func() {
			for r := 0; r < 65536/n; r++ {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			}
		}, 40)
		t.Logf("m=%d n=%d k=%d: %.1f GFLOP/s", m, n, k, 2*float64(m*k)*65536/d/1e9)
	}
}

func TestSgemmStreamCPU(t *testing.T) {
	for _, k := range []int{16, 32, 64} {
		n := 65536
		b := make([]float32, k*n)
		for i := range b {
			b[i] = 1
		}
		cols := Detected.L2 / 4 / (4 * k)
		bt := sgemmGetBuf(k * cols).f
		for _, pfOn := range []bool{false, true} {
			d := cpuBest(func() {
				for js := 0; js < n; js += cols {
					pf := 0
					if pfOn && js+cols < n {
						pf = 4 * cols
					}
					sgemmPackStrip(k, &b[js], 4*n, cols/16, &bt[0], pf)
				}
			}, 20)
			t.Logf("packstrip k=%d cols=%d pf=%v: %.1f GB/s read", k, cols, pfOn, float64(4*k*n)/d/1e9)
		}
		// NT store stream: write C of k rows with the N kernel, A/B tiny.
		m := k
		c := make([]float32, m*n)
		ap := sgemmGetBuf(m * 16).f
		bq := sgemmGetBuf(16 * 16).f
		g := sgemmPanelGroups(m)
		for _, nt := range []int{0, 2} {
			d := cpuBest(func() {
				if nt >= 2 {
					for js := 0; js < n; js += 1024 {
						for i := 0; i < m; i += 4 {
							sgemmKerns[4](16, &ap[0], 16, &bq[0], 0, &c[i*n+js], 4*n, 1, 0, 64, -16*16, 0, 64)
						}
					}
				} else {
					for j := 0; j < n; j += 16 {
						sgemmPanel(&g, 16, ap, &bq[0], c, j, n, 1, 0)
					}
				}
			}, 20)
			t.Logf("C write m=%d mode=%d (0,1: panel rows; 2,3: strip cols; 1,3 NT): %.1f GB/s", m, nt, float64(4*m*n)/d/1e9)
		}
	}
}

func TestSgemmDotCPU(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)
	for _, sh := range [][3]int{{32, 32, 65536}, {64, 64, 65536}} {
		m, n, k := sh[0], sh[1], sh[2]
		a := make([]float32, m*k)
		b := make([]float32, n*k)
		c := make([]float32, m*n)
		for i := range a {
			a[i] = float32(i % 7)
		}
		for i := range b {
			b[i] = float32(i % 5)
		}
		for _, kcd := range []int{0, 256, 512, 1024} {
			for _, sw := range []bool{false} {
				sgemmDotKC = kcd
				d := cpuBest(func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }, 10)
				_ = sw
				t.Logf("dW m=%d n=%d k=%d kcd=%d: %.1f GFLOP/s", m, n, k, kcd, 2*float64(m*n*k)/d/1e9)
			}
		}
		sgemmDotKC = 0
		d := cpuBest(func() {
			for r := 0; r < 16; r++ {
				Sgemm(false, true, m, n, 4096, 1, a, k, b, k, 0, c, n)
			}
		}, 10)
		t.Logf("dW in cache m=%d n=%d k=4096x16: %.1f GFLOP/s", m, n, 2*float64(m*n*k)/d/1e9)
		for _, ld := range []int{4096, 4096 + 16, 4096 + 8} {
			d = cpuBest(func() {
				for r := 0; r < 16; r++ {
					Sgemm(false, true, m, n, 4096, 1, a, ld, b, ld, 0, c, n)
				}
			}, 10)
			t.Logf("dW in cache ld=%d m=%d n=%d k=4096x16: %.1f GFLOP/s", ld, m, n, 2*float64(m*n*k)/d/1e9)
		}
		sgemmDotKC = 0
	}
}

func TestSgemmDotKernelCPU(t *testing.T) {
	kc := 512
	for _, ld := range []int{512, 520, 65536} {
		a := make([]float32, 3*ld+kc)
		b := make([]float32, 4*ld+kc)
		acc := make([]float32, 96)
		d := cpuBest(func() {
			for i := 0; i < 1000; i++ {
				sgemmDot3x4(kc, &a[0], 4*ld, &b[0], 4*ld, &acc[0])
			}
		}, 20)
		t.Logf("dot3x4 L1 ld=%d: %.1f GFLOP/s", ld, 2*12*float64(kc)*1000/d/1e9)
	}
}

func TestSgemmDotAB(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)
	for _, sh := range [][3]int{{32, 32, 65536}, {64, 64, 65536}} {
		m, n, k := sh[0], sh[1], sh[2]
		a := make([]float32, m*k)
		b := make([]float32, n*k)
		c := make([]float32, m*n)
		for i := range a {
			a[i] = float32(i % 7)
		}
		for i := range b {
			b[i] = float32(i % 5)
		}
		type cfg struct {
			kc     int
			nocopy bool
		}
		cfgs := []cfg{{0, true}, {512, true}, {2048, true}}
		best := make([]float64, len(cfgs))
		for round := 0; round < 6; round++ {
			for ci, cf := range cfgs {
				sgemmDotKC = cf.kc
				d := cpuBest(func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }, 2)
				if best[ci] == 0 || d < best[ci] {
					best[ci] = d
				}
			}
		}
		for ci, cf := range cfgs {
			t.Logf("dW m=%d n=%d %+v: %.1f GFLOP/s", m, n, cf, 2*float64(m*n*k)/best[ci]/1e9)
		}
		sgemmDotKC = 0
	}
}
