package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestParallelForCoversOnce checks that every index is visited exactly once,
// in the documented contiguous split, for several thread counts and sizes.
func TestParallelForCoversOnce(t *testing.T) {
	defer SetThreads(Threads())
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		for _, n := range []int{1, 2, 7, 64, 1000} {
			for _, grain := range []int{0, 1, 5, 300} {
				hits := make([]int32, n)
				var calls atomic.Int32
				ParallelFor(n, grain, func(lo, hi int) {
					calls.Add(1)
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("threads %d n %d grain %d: index %d visited %d times", th, n, grain, i, h)
					}
				}
				g := max(grain, 1)
				if want := min(th, (n+g-1)/g); int(calls.Load()) != want {
					t.Fatalf("threads %d n %d grain %d: %d chunks, want %d", th, n, grain, calls.Load(), want)
				}
			}
		}
	}
}

// TestParallelForNestedAndConcurrent runs ParallelFor from inside chunks and
// from several goroutines at once: chunks that find the workers busy must
// still run (no deadlock) and each exactly once. Run it with -race.
func TestParallelForNestedAndConcurrent(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(3)
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 50; rep++ {
				ParallelFor(6, 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						ParallelFor(10, 1, func(lo, hi int) { total.Add(int64(hi - lo)) })
					}
				})
			}
		}()
	}
	wg.Wait()
	if want := int64(4 * 50 * 6 * 10); total.Load() != want {
		t.Fatalf("visited %d items, want %d", total.Load(), want)
	}
}

// TestParallelForPublishesWrites checks that what chunks write is visible
// to the caller when ParallelFor returns, and what the caller wrote before
// is visible to the chunks (the race detector checks the ordering).
func TestParallelForPublishesWrites(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	buf := make([]int, 1024)
	for rep := 0; rep < 200; rep++ {
		for i := range buf {
			buf[i] = rep
		}
		ParallelFor(len(buf), 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				buf[i] = buf[i]*2 + 1
			}
		})
		for i, v := range buf {
			if v != rep*2+1 {
				t.Fatalf("rep %d: buf[%d] = %d", rep, i, v)
			}
		}
	}
}

// BenchmarkParallelForRoundTrip measures the cost of one ParallelFor call
// with two chunks of almost no work: handing a chunk to a worker and
// waiting for it, back to back as kernels are called.
func BenchmarkParallelForRoundTrip(b *testing.B) {
	defer SetThreads(Threads())
	SetThreads(2)
	var sink [2]int64
	fn := func(lo, hi int) { sink[lo] += int64(hi) }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParallelFor(2, 1, fn)
	}
}

// TestInlineKeepsSplitAndBits checks that inside an Inline region
// ParallelFor hands the same chunks to fn, all on the calling goroutine and
// in order, and that split kernels (a reduction, SGEMM) give the same bits
// as they do on the workers.
func TestInlineKeepsSplitAndBits(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	chunks := func() (got [][2]int) {
		var mu sync.Mutex
		ParallelFor(1000, 7, func(lo, hi int) {
			mu.Lock()
			got = append(got, [2]int{lo, hi})
			mu.Unlock()
		})
		return got
	}
	par := chunks()
	end := Inline()
	end2 := Inline() // regions nest: the first end leaves the mode on
	end()
	end() // a second call of the same end does nothing
	in := chunks()
	if len(in) != len(par) || in[0] != [2]int{0, 500} || in[1] != [2]int{500, 1000} {
		t.Fatalf("inline chunks %v, want the parallel split in order (parallel gave %v)", in, par)
	}
	r := ktRand(1)
	x, y := ktVec(r, 1<<18+13), ktVec(r, 1<<18+13)
	a, b := ktVec(r, 67*301), ktVec(r, 301*129)
	c := make([]float32, 67*129)
	Sgemm(false, false, 67, 129, 301, 1, a, 301, b, 129, 0, c, 129)
	dotIn, sqIn, cIn := Dot(x, y), SumSquares(x), append([]float32(nil), c...)
	end2()
	if inline.Load() != 0 {
		t.Fatalf("inline count %d after every region ended", inline.Load())
	}
	Sgemm(false, false, 67, 129, 301, 1, a, 301, b, 129, 0, c, 129)
	if d := Dot(x, y); d != dotIn {
		t.Errorf("Dot: %v inline, %v on the workers", dotIn, d)
	}
	if s := SumSquares(x); s != sqIn {
		t.Errorf("SumSquares: %v inline, %v on the workers", sqIn, s)
	}
	for i := range c {
		if c[i] != cIn[i] {
			t.Fatalf("Sgemm: c[%d] = %v inline, %v on the workers", i, cIn[i], c[i])
		}
	}
}
