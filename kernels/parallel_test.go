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
