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

// A job is a ParallelFor body together with its arguments, kept in a pool
// so that a kernel call hands ParallelFor a function value bound once, when
// the job was created: a closure literal passed to ParallelFor escapes (the
// workers run it) and would cost an allocation per call.
type job[A any] struct {
	a   A
	run func(lo, hi int) // calls body(&a, lo, hi)
}

// jobs is a pool of jobs running one body.
type jobs[A any] struct {
	body func(a *A, lo, hi int)
	pool sync.Pool // *job[A]
}

func newJobs[A any](body func(a *A, lo, hi int)) *jobs[A] { return &jobs[A]{body: body} }

// do runs body(&a, lo, hi) over the ParallelFor split of [0, n) and returns
// when every chunk is done. It does not allocate in steady state.
func (js *jobs[A]) do(n, grain int, a A) {
	if n <= 0 {
		return
	}
	j, _ := js.pool.Get().(*job[A])
	if j == nil {
		j = new(job[A])
		body := js.body
		j.run = func(lo, hi int) { body(&j.a, lo, hi) }
	}
	j.a = a
	ParallelFor(n, grain, j.run)
	var zero A
	j.a = zero // drop the references to the caller's slices
	js.pool.Put(j)
}
