package kernels

import (
	"testing"
	"unsafe"
)

// TestScratchInset checks that the rows getScratchInset hands out are
// zeroed and lie a whole vector inside their buffer at both ends, also
// when the buffer comes back dirty from the pool.
func TestScratchInset(t *testing.T) {
	for _, n := range []int{1, 7, 48, 80, 1000} {
		for round := 0; round < 2; round++ {
			b, s := getScratchInset(n)
			if len(s) != n {
				t.Fatalf("n=%d: len %d", n, len(s))
			}
			for i, v := range s {
				if v != 0 {
					t.Fatalf("n=%d round %d: s[%d] = %v, want 0", n, round, i, v)
				}
			}
			base := uintptr(unsafe.Pointer(&(*b)[0]))
			lo := (uintptr(unsafe.Pointer(&s[0])) - base) / 4
			hi := len(*b) - int(lo) - n
			if lo < scratchMargin || hi < scratchMargin {
				t.Fatalf("n=%d: %d floats before the rows and %d after, want at least %d each", n, lo, hi, scratchMargin)
			}
			for i := range *b {
				(*b)[i] = 1 // dirty for the next round
			}
			putScratch(b)
		}
	}
}
