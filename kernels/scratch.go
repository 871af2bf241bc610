package kernels

import "sync"

// Scratch buffers reused across calls (padded planes, per-plane partial
// sums), so the kernels do not allocate on every call.

var scratchPool sync.Pool // *[]float32

// getScratch returns a zeroed buffer of n floats; release it with
// putScratch.
func getScratch(n int) *[]float32 {
	if v, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*v) >= n {
			*v = (*v)[:n]
			clear(*v)
			return v
		}
		scratchPool.Put(v)
	}
	b := make([]float32, n)
	return &b
}

func putScratch(b *[]float32) { scratchPool.Put(b) }
