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

// scratchMargin is how many floats getScratchInset leaves on either side
// of the slice it hands out: one vector, so that any 8-float load that
// touches the slice stays inside the buffer.
const scratchMargin = 8

// getScratchInset returns a zeroed buffer (release it with putScratch) and
// n floats in its middle, scratchMargin floats from either end. It is for
// rows that the assembly reads with masked loads (VMASKMOVPS, VPMASKMOVD)
// reaching past the rows' ends: the zero and sentinel rows that stand for
// the rows outside a plane. A masked load whose masked-off lanes fall in a
// page that is not mapped, or mapped but never touched, takes a microcode
// assist: on this project's Zen 3 host 118 ns a load against 1.4 (3.0 when
// it crosses into a touched page). Rows at the start of a buffer that
// itself starts a page risked that on every plane, depending on where the
// allocator had put the buffer (see BenchmarkMaskedEdge).
func getScratchInset(n int) (*[]float32, []float32) {
	b := getScratch(n + 2*scratchMargin)
	return b, (*b)[scratchMargin : scratchMargin+n]
}
