package kernels

import (
	"math/bits"
	"sync"
)

// Scratch buffers reused across calls (padded planes, per-plane partial
// sums), so the kernels do not allocate on every call. Buffers are pooled
// by power-of-two capacity class, so that requests of different sizes do
// not evict each other.

var (
	scratchPools   [64]sync.Pool // *[]float32 of capacity 1<<class
	scratch64Pools [64]sync.Pool // *[]float64 of capacity 1<<class
)

func scratchClass(n int) int { return bits.Len(uint(max(n, 1) - 1)) }

// getScratch returns a zeroed buffer of n floats; release it with
// putScratch.
func getScratch(n int) *[]float32 {
	c := scratchClass(n)
	if v, ok := scratchPools[c].Get().(*[]float32); ok {
		*v = (*v)[:n]
		clear(*v)
		return v
	}
	b := make([]float32, n, 1<<c)
	return &b
}

func putScratch(b *[]float32) { scratchPools[scratchClass(cap(*b))].Put(b) }

// getScratch64 returns a zeroed buffer of n float64s; release it with
// putScratch64.
func getScratch64(n int) *[]float64 {
	c := scratchClass(n)
	if v, ok := scratch64Pools[c].Get().(*[]float64); ok {
		*v = (*v)[:n]
		clear(*v)
		return v
	}
	b := make([]float64, n, 1<<c)
	return &b
}

func putScratch64(b *[]float64) { scratch64Pools[scratchClass(cap(*b))].Put(b) }
