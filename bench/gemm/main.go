// Command gemm compares kernels.Sgemm with OpenBLAS's cblas_sgemm, both on
// one thread, in the same process and on the same operands, and prints a
// table of GFLOP/s and ratios. It needs cgo and libopenblas-dev:
//
//	OPENBLAS_NUM_THREADS=1 go run -tags openblas ./bench/gemm   (make bench-gemm)
//
// Without the openblas tag it only times kernels.Sgemm.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/darts-go/darts/kernels"
)

type shape struct {
	name    string
	tA, tB  bool
	m, n, k int
}

func shapes() []shape {
	var s []shape
	for _, sq := range []int{64, 128, 256, 512, 1024, 2048} {
		s = append(s, shape{name: fmt.Sprintf("square %d", sq), m: sq, n: sq, k: sq})
	}
	for _, m := range []int{16, 32, 64} {
		for _, k := range []int{16, 32, 64} {
			s = append(s, shape{name: fmt.Sprintf("1x1 fwd M=%d K=%d N=65536", m, k), m: m, n: 65536, k: k})
		}
	}
	return append(s,
		shape{name: "1x1 dX Wᵀ·dY M=32 K=32 N=65536", tA: true, m: 32, n: 65536, k: 32},
		shape{name: "1x1 dX Wᵀ·dY M=64 K=64 N=65536", tA: true, m: 64, n: 65536, k: 64},
		shape{name: "1x1 dW dY·Xᵀ M=32 N=32 K=65536", tB: true, m: 32, n: 32, k: 65536},
		shape{name: "1x1 dW dY·Xᵀ M=64 N=64 K=65536", tB: true, m: 64, n: 64, k: 65536},
		shape{name: "1x1 dW dY·Xᵀ M=8 N=8 K=32768", tB: true, m: 8, n: 8, k: 32768},
		shape{name: "1x1 dW dY·Xᵀ M=16 N=16 K=32768", tB: true, m: 16, n: 16, k: 32768},
		shape{name: "1x1 dW dY·Xᵀ M=16 N=16 K=65536", tB: true, m: 16, n: 16, k: 65536},
		shape{name: "1x1 dW dY·Xᵀ M=32 N=32 K=16384", tB: true, m: 32, n: 32, k: 16384},
		shape{name: "1x1 dW dY·Xᵀ M=64 N=64 K=8192", tB: true, m: 64, n: 64, k: 8192},
		shape{name: "1x1 dW dY·Xᵀ M=16 N=32 K=65536", tB: true, m: 16, n: 32, k: 65536},
		shape{name: "1x1 dW dY·Xᵀ M=64 N=32 K=16384", tB: true, m: 64, n: 32, k: 16384},
		shape{name: "1x1 dW dY·Xᵀ M=8 N=64 K=8192", tB: true, m: 8, n: 64, k: 8192},
		shape{name: "stem im2col M=48 K=27 N=65536", m: 48, n: 65536, k: 27},
	)
}

// operands allocates op(A), op(B) and C of a shape with small integers.
func operands(s shape) (a []float32, lda int, b []float32, ldb int, c []float32) {
	ar, ac, br, bc := s.m, s.k, s.k, s.n
	if s.tA {
		ar, ac = ac, ar
	}
	if s.tB {
		br, bc = bc, br
	}
	a = make([]float32, ar*ac)
	b = make([]float32, br*bc)
	for i := range a {
		a[i] = float32(i%7-3) / 4
	}
	for i := range b {
		b[i] = float32(i%5-2) / 4
	}
	return a, ac, b, bc, make([]float32, s.m*s.n)
}

// best times f: reps rounds of enough calls to fill minDur each, and returns
// the fastest round's seconds per call by clock (the machine is shared; the
// minimum is the least disturbed).
func best(f func(), reps int, minDur time.Duration, clock func() float64) float64 {
	f()
	iters := 1
	for {
		t := time.Now()
		for i := 0; i < iters; i++ {
			f()
		}
		if d := time.Since(t); d >= minDur/4 || iters >= 1<<20 {
			iters = max(1, int(float64(iters)*float64(minDur)/float64(max(d, time.Microsecond))))
			break
		}
		iters *= 4
	}
	times := make([]float64, reps)
	for r := range times {
		t := clock()
		for i := 0; i < iters; i++ {
			f()
		}
		times[r] = (clock() - t) / float64(iters)
	}
	sort.Float64s(times)
	return times[0]
}

var (
	reps   = flag.Int("reps", 7, "timed rounds per measurement (the fastest counts)")
	minDur = flag.Duration("min", 60*time.Millisecond, "least duration of one round")
	only   = flag.String("only", "", "run only shapes whose name contains this")
	rounds = flag.Int("rounds", 4, "alternating rounds of ours and OpenBLAS per shape (the best of each counts)")
)

func main() {
	flag.Parse()
	// One-thread runs are timed by the CPU time of this (locked) OS thread,
	// which both ours and OpenBLAS (one thread) compute on: time the thread
	// spends descheduled on the shared machine does not count. Two-thread
	// runs use wall time.
	runtime.LockOSThread()
	fmt.Printf("date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Print(kernels.Report())
	fmt.Printf("OPENBLAS_CORETYPE=%q OPENBLAS_NUM_THREADS=%q\n", os.Getenv("OPENBLAS_CORETYPE"), os.Getenv("OPENBLAS_NUM_THREADS"))
	if haveBLAS {
		fmt.Println(blasInfo())
	}
	defer kernels.SetThreads(kernels.Threads())
	fmt.Printf("\n%-34s %10s %10s %7s\n", "shape (one thread)", "ours", "OpenBLAS", "ratio")
	for _, s := range shapes() {
		if *only != "" && !contains(s.name, *only) {
			continue
		}
		a, lda, b, ldb, c := operands(s)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		kernels.SetThreads(1)
		// Interleave the two so that both see the same machine load.
		var ours, theirs float64
		for round := 0; round < max(1, *rounds); round++ {
			o := best(func() { kernels.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }, (*reps+1)/2, *minDur, threadCPU)
			if round == 0 || o < ours {
				ours = o
			}
			if haveBLAS {
				t := best(func() { blasSgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }, (*reps+1)/2, *minDur, threadCPU)
				if round == 0 || t < theirs {
					theirs = t
				}
			}
		}
		if haveBLAS {
			fmt.Printf("%-34s %10.1f %10.1f %7.2f\n", s.name, flops/ours/1e9, flops/theirs/1e9, theirs/ours)
		} else {
			fmt.Printf("%-34s %10.1f %10s %7s\n", s.name, flops/ours/1e9, "-", "-")
		}
	}
	fmt.Printf("\n(GFLOP/s = 2·m·n·k / best thread CPU time; ratio = ours / OpenBLAS)\n\n")
	for _, s := range []shape{{name: "square 1024", m: 1024, n: 1024, k: 1024}, {name: "1x1 fwd M=32 K=32 N=65536", m: 32, n: 65536, k: 32}} {
		if *only != "" && !contains(s.name, *only) {
			continue
		}
		a, lda, b, ldb, c := operands(s)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		f := func() { kernels.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }
		g := func() { blasSgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }
		// Rounds alternate one and two threads, ours and OpenBLAS's, so that
		// a burst of load from outside hits all four alike; the best round
		// of each counts.
		var t1, t2, o1, o2, c1, c2 float64
		keep := func(dst *float64, v float64, round int) {
			if round == 0 || v < *dst {
				*dst = v
			}
		}
		for round := 0; round < 3; round++ {
			kernels.SetThreads(1)
			keep(&t1, best(f, *reps, *minDur, wall), round)
			keep(&c1, best(f, *reps, *minDur, processCPU), round)
			kernels.SetThreads(2)
			keep(&t2, best(f, *reps, *minDur, wall), round)
			keep(&c2, best(f, *reps, *minDur, processCPU), round)
			if haveBLAS {
				blasSetThreads(1)
				keep(&o1, best(g, *reps, *minDur, wall), round)
				blasSetThreads(2)
				keep(&o2, best(g, *reps, *minDur, wall), round)
				blasSetThreads(1)
			}
		}
		fmt.Printf("ours %s, wall time: 1 thread %.1f GFLOP/s, 2 threads %.1f GFLOP/s, 2-thread/1-thread %.2f\n",
			s.name, flops/t1/1e9, flops/t2/1e9, t1/t2)
		if haveBLAS {
			fmt.Printf("OpenBLAS %s, wall time: 1 thread %.1f GFLOP/s, 2 threads %.1f GFLOP/s, 2-thread/1-thread %.2f\n",
				s.name, flops/o1/1e9, flops/o2/1e9, o1/o2)
		}
		fmt.Printf("  process CPU time per call: 1 thread %.2f ms, 2 threads %.2f ms (both threads);"+
			" 2·cpu1/cpu2 = %.2f (the speed-up on an idle machine if the halves balance)\n",
			c1*1e3, c2*1e3, 2*c1/c2)
	}
}

var start = time.Now()

func wall() float64 { return time.Since(start).Seconds() }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
