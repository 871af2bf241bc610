package kernels

import (
	"runtime"
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
	b      *barrier
}

// A barrier counts the chunks of one ParallelFor call still running. The
// chunk that brings it to zero sends one token on done, which the caller
// always receives (after spinning briefly in case it is already there).
type barrier struct {
	pending atomic.Int32
	done    chan struct{}
}

func (b *barrier) finish() {
	if b.pending.Add(-1) == 0 {
		b.done <- struct{}{}
	}
}

func (b *barrier) wait() {
	for i := 0; i < spinChecks && b.pending.Load() != 0; i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	<-b.done
}

var barrierPool = sync.Pool{New: func() any { return &barrier{done: make(chan struct{}, 1)} }}

// spinChecks bounds how long an idle worker (and a caller waiting for its
// chunks) polls before it blocks: about 20–40 µs. Kernels are called back
// to back, so a worker that is still polling when the next call comes
// starts at once, where one woken from a blocked receive costs a futex
// wake-up and a scheduler pass (5–20 µs each way).
const spinChecks = 4096

// Worker states.
const (
	wFree     = iota // idle and polling its state
	wSleeping        // idle and blocked on wake (or about to be)
	wClaimed         // a caller is writing its task
	wReady           // the task is written: the worker runs it
)

// A worker runs the chunks ParallelFor hands it, one at a time.
type worker struct {
	state atomic.Int32
	spin  bool // poll before blocking (only GOMAXPROCS-1 workers do)
	t     task
	wake  chan struct{}
	_     [64]byte // keep hot states on separate cache lines
}

// offer hands t to w if w is idle and reports whether it did.
func (w *worker) offer(t task) bool {
	for {
		switch w.state.Load() {
		case wFree:
			if w.state.CompareAndSwap(wFree, wClaimed) {
				w.t = t
				w.state.Store(wReady)
				return true
			}
		case wSleeping:
			if w.state.CompareAndSwap(wSleeping, wClaimed) {
				w.t = t
				w.state.Store(wReady)
				w.wake <- struct{}{}
				return true
			}
		default:
			return false
		}
	}
}

func (w *worker) loop() {
	for {
		for i := 0; w.state.Load() != wReady; i++ {
			if !w.spin || i >= spinChecks {
				if w.state.CompareAndSwap(wFree, wSleeping) {
					<-w.wake
				}
				continue
			}
			if i%64 == 63 {
				runtime.Gosched()
			}
		}
		t := w.t
		w.t = task{}
		t.fn(t.lo, t.hi)
		w.state.Store(wFree)
		t.b.finish()
	}
}

var (
	workersMu sync.Mutex
	workers   atomic.Pointer[[]*worker]
)

// getWorkers returns at least n workers, starting any that are missing.
func getWorkers(n int) []*worker {
	if ws := workers.Load(); ws != nil && len(*ws) >= n {
		return *ws
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	var ws []*worker
	if p := workers.Load(); p != nil {
		ws = *p
	}
	for len(ws) < n {
		w := &worker{spin: len(ws) < runtime.GOMAXPROCS(0)-1, wake: make(chan struct{}, 1)}
		ws = append(ws[:len(ws):len(ws)], w)
		go w.loop()
	}
	workers.Store(&ws)
	return ws
}

// Chunks that find every worker busy (ParallelFor called from inside a
// chunk, or from several goroutines at once) go to a pool of plain
// goroutines instead.
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
				t.b.finish()
			}
		}()
	}
}

// inline counts the open Inline regions.
var inline atomic.Int32

// Inline makes every ParallelFor call, until the returned function is
// called, run its chunks one after the other on the calling goroutine. The
// split is the one ParallelFor would hand to the workers, so every kernel
// gives the same bits as it does in parallel. It is for callers that run
// independent computations side by side on goroutines of their own, one per
// core: each then keeps its core instead of sharing the workers with the
// others. Regions may overlap and nest; the mode lasts until the last one
// ends. It applies to the whole process.
func Inline() (end func()) {
	inline.Add(1)
	var once sync.Once
	return func() { once.Do(func() { inline.Add(-1) }) }
}

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
	if inline.Load() > 0 {
		for p := 0; p < parts; p++ {
			fn(p*n/parts, (p+1)*n/parts)
		}
		return
	}
	b := barrierPool.Get().(*barrier)
	b.pending.Store(int32(parts - 1))
	ws := getWorkers(parts - 1)
	next := 0
	for p := 1; p < parts; p++ {
		t := task{fn: fn, lo: p * n / parts, hi: (p + 1) * n / parts, b: b}
		handed := false
		for next < len(ws) && !handed {
			handed = ws[next].offer(t)
			next++
		}
		if !handed {
			poolOnce.Do(startPool)
			tasks <- t
		}
	}
	fn(0, n/parts)
	b.wait()
	barrierPool.Put(b)
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
