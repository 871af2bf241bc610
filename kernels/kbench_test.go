package kernels

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// Benchmarks of the non-GEMM kernels. GFLOP/s counts 2·K²·C·N·Ho·Wo flops
// for a depthwise pass; "%peak" is relative to ktPeakPerCore × Threads().
// -kthreads=n runs them at n threads (default: the detected cores).

var ktBenchThreads = flag.Int("kthreads", 0, "threads for the kernel benchmarks (0: default)")

// ktPeakPerCore is the single-core FP32 FMA peak that the kernels issue
// states for this machine (116 GFLOP/s: 2 FMA pipes × 8 lanes × 2 flops ×
// ~3.6 GHz, as for Zen 4). The VM itself reports CPU family 25 model 1
// (Zen 3, EPYC Milan) and BenchmarkFMAPeak measures 89–97 GFLOP/s on it,
// so %peak understates the share of what the core gives by about a fifth.
const ktPeakPerCore = 116.0

func ktBenchSetup(b *testing.B) func() {
	prev := Threads()
	if *ktBenchThreads > 0 {
		SetThreads(*ktBenchThreads)
	}
	return func() { SetThreads(prev) }
}

// ktRun times f over b.N iterations and reports rate(seconds) metrics.
// At one thread it also reports the rate over the thread's CPU time
// ("-cpu" metrics), which other jobs on a shared machine do not inflate.
func ktRun(b *testing.B, f func(), amount float64, unit string, peak bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	f() // warm up: first-touch pages, buffers
	b.ResetTimer()
	c0 := ktThreadCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	cpu := (ktThreadCPU() - c0).Seconds() / float64(b.N)
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(amount/sec/1e9, unit)
	if peak {
		b.ReportMetric(100*amount/sec/1e9/(ktPeakPerCore*float64(Threads())), "%peak")
	}
	if Threads() == 1 && cpu > 0 {
		b.ReportMetric(amount/cpu/1e9, unit+"-cpu")
		if peak {
			b.ReportMetric(100*amount/cpu/1e9/ktPeakPerCore, "%peak-cpu")
		}
	}
}

func ktFlops(b *testing.B, flops float64, f func()) { ktRun(b, f, flops, "GFLOP/s", true) }

// ktPair times two ways of doing the same work call by call, b.N times
// each, and reports the median time of each (a-ms, b-ms) and their ratio
// a/b (speedup of b). On a shared machine whose speed drifts between runs,
// the two see the same conditions, so the ratio repeats far better than
// that of two separate benchmarks. Each round runs the two in a random
// order (a fixed seed), so that neither always runs right after the other
// and finds the caches as the other left them. (Measured once, on the
// SGEMM of the sixteenth session, that did not matter: each call took the
// same time after either.)
func ktPair(b *testing.B, fa, fb func()) {
	fa()
	fb()
	order := ktRand(99)
	ta, tb := make([]float64, 0, b.N), make([]float64, 0, b.N)
	b.ResetTimer()
	timed := func(f func()) float64 {
		t0 := time.Now()
		f()
		return time.Since(t0).Seconds()
	}
	for i := 0; i < b.N; i++ {
		if order.IntN(2) == 0 {
			ta = append(ta, timed(fa))
			tb = append(tb, timed(fb))
		} else {
			tb = append(tb, timed(fb))
			ta = append(ta, timed(fa))
		}
	}
	b.StopTimer()
	slices.Sort(ta)
	slices.Sort(tb)
	ma, mb := ta[len(ta)/2], tb[len(tb)/2]
	b.ReportMetric(1e3*ma, "a-ms")
	b.ReportMetric(1e3*mb, "b-ms")
	b.ReportMetric(ma/mb, "a/b")
}

func ktBytes(b *testing.B, bytes float64, f func()) { ktRun(b, f, bytes, "GB/s", false) }

// ktTraffic reports, after ktFlops, the compulsory memory traffic of one
// call as GB/s over the same timing. Next to BenchmarkStream's figure it
// shows which passes run at the memory's speed rather than the FMA units'.
func ktTraffic(b *testing.B, bytes float64) {
	b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkStream measures what one pass over memory costs with this
// package's own streaming kernels, on arrays of 1–64 MiB each (from L2 to
// well beyond the last-level cache): Scale reads x and writes y, Axpy
// reads x and y and writes y. GB/s counts those bytes. (Sum and Dot
// accumulate in float64 and are bound by the conversions, not by memory.)
// It is the memory roof of the kernel benchmarks: a pass doing f flops per
// byte of compulsory traffic cannot beat f × this figure at the size it
// moves (bench/dwtable lists the depthwise cells against it). The arrays
// come from Alloc (ktVec), as the depthwise benchmarks' tensors do.
func BenchmarkStream(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, mb := range []int{64, 32, 16, 8, 4, 2, 1} {
		n := mb << 20 / 4
		r := ktRand(3)
		x, y := ktVec(r, n), ktVec(r, n)
		nb := 4 * float64(n)
		name := fmt.Sprintf("%dMiB", mb)
		b.Run(name+"/scale", func(b *testing.B) { ktBytes(b, 2*nb, func() { Scale(y, 0.5, x) }) })
		b.Run(name+"/axpy", func(b *testing.B) { ktBytes(b, 3*nb, func() { Axpy(0.5, x, y) }) })
	}
}

// BenchmarkDepthwise runs the stride-1 depthwise passes of the DARTS
// cells (fused input ReLU, batch 64) and reports GFLOP/s, %peak and the
// compulsory traffic in GB/s (ktTraffic): a 3×3 pass moves 8–16 bytes per
// 18 flops, so on maps that do not stay in cache its GFLOP/s is bounded by
// BenchmarkStream's GB/s times 1.1–2.25.
func BenchmarkDepthwise(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, k := range []int{3, 5} {
		for _, d := range []int{1, 2} {
			for _, hw := range []int{32, 16} {
				for _, c := range []int{16, 32, 64} {
					ktDWPasses(b, DWConv{C: c, N: 64, H: hw, W: hw, K: k, Stride: 1, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true})
				}
			}
		}
	}
}

// ktDWPasses runs the forward, input-gradient and weight-gradient passes
// of s as sub-benchmarks K<K>D<D>/<H>x<W>/C<C>/{fwd,bwdin,bwdw}, in
// GFLOP/s and GB/s of compulsory traffic, on tensors from Alloc (as the
// autograd's; ktVec too).
func ktDWPasses(b *testing.B, s DWConv) {
	ho, wo := s.OutH(), s.OutW()
	r := ktRand(1)
	x := ktVec(r, s.C*s.N*s.H*s.W)
	w := ktVec(r, s.C*s.K*s.K)
	y := Alloc(s.C * s.N * ho * wo)
	dx := Alloc(len(x))
	dw := make([]float32, len(w))
	flops := 2 * float64(s.K*s.K*s.C*s.N*ho*wo)
	name := fmt.Sprintf("K%dD%d/%dx%d/C%d", s.K, s.Dilation, s.H, s.W, s.C)
	nx, ny := 4*float64(len(x)), 4*float64(len(y))
	b.Run(name+"/fwd", func(b *testing.B) {
		ktFlops(b, flops, func() {
			DepthwiseConv(y, x, w, s)
		})
		ktTraffic(b, nx+ny) // x read, y written
	})
	b.Run(name+"/bwdin", func(b *testing.B) {
		ktFlops(b, flops, func() {
			DepthwiseConvBackwardInput(dx, y, w, x, s)
		})
		ktTraffic(b, ny+3*nx) // dy and x (the ReLU mask) read, dx read and written
	})
	b.Run(name+"/bwdw", func(b *testing.B) {
		ktFlops(b, flops, func() {
			DepthwiseConvBackwardWeight(dw, y, x, s)
		})
		ktTraffic(b, nx+ny) // dy and x read
	})
}

// BenchmarkDepthwiseStride2 covers the reduction cells of a DARTS network
// on CIFAR: 32×32 maps at 16 channels (the first) and 16×16 at 32 (the
// second); GB/s as in BenchmarkDepthwise. A stride-2 pass does a quarter
// of the flops of stride 1 per byte of its input: 0.35–0.9 flops per byte
// for 3×3.
func BenchmarkDepthwiseStride2(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, ch := range [][2]int{{16, 32}, {32, 16}} {
		for _, k := range []int{3, 5} {
			for _, d := range []int{1, 2} {
				c, hw := ch[0], ch[1]
				ktDWPasses(b, DWConv{C: c, N: 64, H: hw, W: hw, K: k, Stride: 2, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: true})
			}
		}
	}
}

// BenchmarkBatchNorm measures the forward (train), backward and inference
// passes on (C, N·H·W) = (16, 64·32·32); GB/s counts the compulsory traffic
// (train: x read twice for the statistics + read once + y write; backward:
// dy, x read twice, dx read+write).
func BenchmarkBatchNorm(b *testing.B) {
	defer ktBenchSetup(b)()
	C, M := 16, 64*32*32
	r := ktRand(2)
	x := ktVec(r, C*M)
	dy := ktVec(r, C*M)
	y := make([]float32, C*M)
	dx := make([]float32, C*M)
	g, bt := ktVec(r, C), ktVec(r, C)
	mean, inv := make([]float32, C), make([]float32, C)
	dg, db := make([]float32, C), make([]float32, C)
	n := float64(C * M * 4)
	b.Run("train", func(b *testing.B) {
		ktBytes(b, 4*n, func() {
			BatchNormTrain(y, x, g, bt, mean, inv, C, M, 1e-5)
		})
	})
	b.Run("backward", func(b *testing.B) {
		ktBytes(b, 6*n, func() {
			BatchNormBackward(dx, dg, db, dy, x, g, mean, inv, C, M)
		})
	})
	b.Run("infer", func(b *testing.B) {
		ktBytes(b, 2*n, func() {
			BatchNormInfer(y, x, g, bt, mean, inv, C, M, 1e-5)
		})
	})
}

// BenchmarkReLU measures ReLU and its backward on 1M floats (4 MiB) and on
// 64K floats (L2-resident).
func BenchmarkReLU(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, n := range []int{1 << 16, 1 << 20} {
		r := ktRand(3)
		x := ktVec(r, n)
		y := make([]float32, n)
		dx := make([]float32, n)
		b.Run(fmt.Sprintf("fwd/%d", n), func(b *testing.B) {
			ktBytes(b, float64(8*n), func() {
				ReLU(y, x)
			})
		})
		b.Run(fmt.Sprintf("bwd/%d", n), func(b *testing.B) {
			ktBytes(b, float64(16*n), func() {
				ReLUBackward(dx, y, x)
			})
		})
		b.Run(fmt.Sprintf("axpy/%d", n), func(b *testing.B) {
			ktBytes(b, float64(12*n), func() {
				Axpy(0.5, x, dx)
			})
		})
	}
}

// BenchmarkLayout backs the channel-major choice (see doc.go): a 1×1
// convolution C→C at the three DARTS stages as one GEMM over N·H·W
// (channel-major) versus one GEMM per image (NCHW), and per-channel batch
// statistics over a contiguous run versus N strided runs.
func BenchmarkLayout(b *testing.B) {
	defer ktBenchSetup(b)()
	const N = 64
	for _, st := range [][2]int{{16, 32}, {32, 16}, {64, 8}} {
		C, HW := st[0], st[1]*st[1]
		r := ktRand(4)
		x := ktVec(r, C*N*HW)
		w := ktVec(r, C*C)
		y := make([]float32, C*N*HW)
		flops := 2 * float64(C*C*N*HW)
		name := fmt.Sprintf("C%d_%dx%d", C, st[1], st[1])
		b.Run("pw/"+name+"/channel-major", func(b *testing.B) {
			ktFlops(b, flops, func() {
				Sgemm(false, false, C, N*HW, C, 1, w, C, x, N*HW, 0, y, N*HW)
			})
		})
		b.Run("pw/"+name+"/nchw-per-image", func(b *testing.B) {
			ktFlops(b, flops, func() {
				for n := 0; n < N; n++ {
					Sgemm(false, false, C, HW, C, 1, w, C, x[n*C*HW:], HW, 0, y[n*C*HW:], HW)
				}
			})
		})
		mean := make([]float64, C)
		b.Run("bnstats/"+name+"/channel-major", func(b *testing.B) {
			ktBytes(b, float64(4*len(x)), func() {
				ParallelFor(C, 1, func(lo, hi int) {
					for c := lo; c < hi; c++ {
						mean[c] = SumSquares(x[c*N*HW : (c+1)*N*HW])
					}
				})
			})
		})
		b.Run("bnstats/"+name+"/nchw", func(b *testing.B) {
			ktBytes(b, float64(4*len(x)), func() {
				ParallelFor(C, 1, func(lo, hi int) {
					for c := lo; c < hi; c++ {
						s := 0.0
						for n := 0; n < N; n++ {
							s += SumSquares(x[(n*C+c)*HW : (n*C+c+1)*HW])
						}
						mean[c] = s
					}
				})
			})
		})
	}
}

// BenchmarkPool measures the 3×3 padding-1 pools of DARTS at batch 64 on
// the three stage shapes (stride 1) and the two reduction inputs (stride
// 2), on the fast path and ("ref") on the pure-Go window-by-window
// reference. GB/s counts the compulsory traffic: x read and y written
// (max: plus the int32 indices; backward: dy read, dx read and written).
func BenchmarkPool(b *testing.B) {
	defer ktBenchSetup(b)()
	const N = 64
	for _, st := range []struct{ C, HW, S int }{{16, 32, 1}, {32, 16, 1}, {64, 8, 1}, {16, 32, 2}, {32, 16, 2}} {
		s := Pool{C: st.C, N: N, H: st.HW, W: st.HW, K: 3, Stride: st.S, Pad: 1}
		nx, ny := st.C*N*st.HW*st.HW, st.C*N*s.OutH()*s.OutW()
		r := ktRand(5)
		x, dy := ktVec(r, nx), ktVec(r, ny)
		y, dx := make([]float32, ny), make([]float32, nx)
		arg := make([]int32, ny)
		for _, impl := range []string{"fast", "ref"} {
			name := fmt.Sprintf("S%d/%dx%d/C%d/%s", st.S, st.HW, st.HW, st.C, impl)
			run := func(b *testing.B, bytes int, f func()) {
				if impl == "ref" {
					prev := SetUseAsm(false)
					defer SetUseAsm(prev)
				}
				ktBytes(b, float64(4*bytes), f)
			}
			b.Run(name+"/maxfwd", func(b *testing.B) {
				run(b, nx+2*ny, func() { MaxPool(y, arg, x, s) })
			})
			b.Run(name+"/maxbwd", func(b *testing.B) {
				run(b, 2*nx+2*ny, func() { MaxPoolBackward(dx, dy, arg, s) })
			})
			b.Run(name+"/avgfwd", func(b *testing.B) {
				run(b, nx+ny, func() { AvgPool(y, x, s, false) })
			})
			b.Run(name+"/avgbwd", func(b *testing.B) {
				run(b, 2*nx+ny, func() { AvgPoolBackward(dx, dy, s, false) })
			})
		}
	}
}

// BenchmarkPointwiseGather measures the sampled-input gather of a 1×1
// convolution and its transposed scatter-add (FactorizedReduce: stride 2,
// offsets 0 and 1, ReLU on the input; the ReLU-only stride-1 case), batch
// 32, on the fast path and ("ref") the pure-Go loops. GB/s: gather reads x
// and writes the sampled quarter (stride 1: all of it); scatter reads the
// gathered gradient and x and updates dx.
func BenchmarkPointwiseGather(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, st := range []struct{ C, HW, S, Off int }{{16, 32, 2, 0}, {16, 32, 2, 1}, {32, 16, 2, 1}, {16, 32, 1, 0}} {
		s := PWConv{Cin: st.C, Cout: st.C, N: 32, H: st.HW, W: st.HW, Stride: st.S, Offset: st.Off, ReLUIn: true}
		nx, ng := st.C*32*st.HW*st.HW, s.WorkSize()
		r := ktRand(6)
		x, g, dx := ktVec(r, nx), ktVec(r, ng), make([]float32, nx)
		for _, impl := range []string{"fast", "ref"} {
			name := fmt.Sprintf("S%dO%d/%dx%d/C%d/%s", st.S, st.Off, st.HW, st.HW, st.C, impl)
			run := func(b *testing.B, bytes int, f func()) {
				if impl == "ref" {
					prev := SetUseAsm(false)
					defer SetUseAsm(prev)
				}
				ktBytes(b, float64(4*bytes), f)
			}
			b.Run(name+"/gather", func(b *testing.B) {
				run(b, nx+ng, func() { pwGather(g, x, s) })
			})
			b.Run(name+"/scatter", func(b *testing.B) {
				run(b, ng+3*nx, func() {
					if s.Stride == 1 {
						ReLUBackward(dx, g, x)
						return
					}
					pwScatterJobs.do(s.Cin*s.N, max(1, ewGrain/max(ng/(s.Cin*s.N), 1)), pwArgs{g: g, x: x, dx: dx, s: s})
				})
			})
		}
	}
}

// BenchmarkSoftmax runs the softmax family on the CIFAR-10 classifier's
// rows (64 × 10), ImageNet-sized ones (256 × 1000) and the architecture
// weights of a DARTS cell (14 edges × 8 ops), on the assembly path (fast)
// and the float64 Go path (ref). GB/s counts x read and the output written
// (backward: dy, y read, dx read and written; cross-entropy backward:
// probs read, dlogits read and written).
func BenchmarkSoftmax(b *testing.B) {
	defer ktBenchSetup(b)()
	for _, sh := range [][2]int{{64, 10}, {14, 8}, {256, 1000}} {
		rows, cols := sh[0], sh[1]
		n := rows * cols
		r := ktRand(8)
		x, dy := ktVec(r, n), ktVec(r, n)
		for i := range x {
			x[i] *= 8
		}
		y, dx := make([]float32, n), make([]float32, n)
		labels := make([]int32, rows)
		for i := range labels {
			labels[i] = int32(i % cols)
		}
		for _, impl := range []string{"fast", "ref"} {
			name := fmt.Sprintf("%dx%d/%s", rows, cols, impl)
			run := func(b *testing.B, bytes int, f func()) {
				if impl == "ref" {
					prev := SetUseAsm(false)
					defer SetUseAsm(prev)
				}
				ktBytes(b, float64(4*bytes), f)
			}
			b.Run(name+"/softmax", func(b *testing.B) { run(b, 2*n, func() { Softmax(y, x, rows, cols) }) })
			b.Run(name+"/logsoftmax", func(b *testing.B) { run(b, 2*n, func() { LogSoftmax(y, x, rows, cols) }) })
			b.Run(name+"/backward", func(b *testing.B) { run(b, 4*n, func() { SoftmaxBackward(dx, dy, y, rows, cols) }) })
			b.Run(name+"/crossentropy", func(b *testing.B) {
				run(b, 2*n, func() { CrossEntropy(x, labels, y, rows, cols) })
			})
			b.Run(name+"/crossentropyback", func(b *testing.B) {
				run(b, 3*n, func() { CrossEntropyBackward(dx, y, labels, rows, cols, 1) })
			})
		}
	}
}

// BenchmarkWeightedSum times the fused weighted sum of a DARTS mixed op (7
// terms, batch 64: 32×32 C16, 16×16 C32 and 8×8 C64 tensors of 1M, 512K
// and 256K floats) against what the autograd ran before it: Scale and then
// Axpy a term over blocks of 4096 floats, the block's sum staying in L1
// (ktPair: a = blocks, b = WeightedSum; a/b is the speedup). Both give the
// same bits (TestWeightedSum).
func BenchmarkWeightedSum(b *testing.B) {
	defer ktBenchSetup(b)()
	const blk = 1 << 12
	for _, n := range []int{1 << 20, 1 << 19, 1 << 18} {
		r := ktRand(5)
		s := ktVec(r, 7)
		xs := make([][]float32, 7)
		for i := range xs {
			xs[i] = ktVec(r, n)
		}
		y := Alloc(n)
		blocks := func() {
			ParallelFor(n/blk, 8, func(lo, hi int) {
				for bb := lo; bb < hi; bb++ {
					yb := y[bb*blk : (bb+1)*blk]
					Scale(yb, s[0], xs[0][bb*blk:(bb+1)*blk])
					for t := 1; t < len(xs); t++ {
						Axpy(s[t], xs[t][bb*blk:(bb+1)*blk], yb)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("7x%dK", n>>10), func(b *testing.B) {
			ktPair(b, blocks, func() { WeightedSum(y, s, xs) })
		})
	}
}
