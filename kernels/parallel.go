package kernels

import (
	"sync"
	"sync/atomic"
)

// threads is the number of workers kernels split their work over.
var threads atomic.Int32

// SetThreads sets how many goroutines kernels use (at least 1).
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	threads.Store(int32(n))
}

// Threads reports how many goroutines kernels use.
func Threads() int { return int(threads.Load()) }

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	poolOnce sync.Once
	tasks    chan task
)

func startPool() {
	tasks = make(chan task, 64)
	for i := 0; i < 64; i++ {
		go func() {
			for t := range tasks {
				t.fn(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

var wgPool = sync.Pool{New: func() any { return new(sync.WaitGroup) }}

// ParallelFor splits [0, n) into at most Threads() contiguous chunks of at
// least grain items and calls fn on each, the first chunk on the calling
// goroutine. The split depends only on n, grain and Threads(), never on
// scheduling, so a kernel that writes each output from one chunk gives the
// same bits on every run.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	parts := Threads()
	if maxParts := (n + grain - 1) / grain; parts > maxParts {
		parts = maxParts
	}
	if parts <= 1 {
		fn(0, n)
		return
	}
	poolOnce.Do(startPool)
	wg := wgPool.Get().(*sync.WaitGroup)
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		lo, hi := p*n/parts, (p+1)*n/parts
		tasks <- task{fn: fn, lo: lo, hi: hi, wg: wg}
	}
	fn(0, n/parts)
	wg.Wait()
	wgPool.Put(wg)
}
