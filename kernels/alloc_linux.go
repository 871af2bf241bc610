//go:build linux

package kernels

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// allocHuge allocates n floats from the Go heap with slack, returns n of
// them that start hugeStagger bytes past a hugePage boundary (capacity
// n), and advises the whole huge pages from that boundary MADV_HUGEPAGE,
// then MADV_DONTNEED: the heap may hand out memory it has touched before
// (and zeroed, or faulted in as small pages), which the kernel only backs
// with huge pages when it faults in afresh; the contents stay zero. Where
// the advice fails (THP off, an old kernel) the slice works as make's
// would.
//
// The staggered start keeps the tensors off one alignment: 2 MiB-aligned
// tensors put element i of each in the same sets of every cache level up
// to L3 (whose set index spans 2 MiB here), and a search step, which
// streams several tensors side by side, ran 8–20% slower than on the
// heap's own placement (bench/README.md, fifteenth session).
func allocHuge(n int) []float32 {
	st := hugeStagger()
	buf := make([]float32, n+(hugePage+hugeStaggerSpan)/4)
	a := hugeAlignOff(uintptr(unsafe.Pointer(&buf[0])))
	s := buf[a+st/4 : a+st/4+n : a+st/4+n]
	if whole := (st + 4*n) / hugePage * hugePage; whole > 0 {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[a])), whole)
		if unix.Madvise(b, unix.MADV_HUGEPAGE) == nil {
			_ = unix.Madvise(b, unix.MADV_DONTNEED)
		}
	}
	return s
}

// hugeAlignOff is how many floats from address p the next hugePage
// boundary lies (0 on a boundary).
func hugeAlignOff(p uintptr) int {
	return int((hugePage-p%hugePage)%hugePage) / 4
}

var hugeSeq atomic.Uint32

// hugeStagger is the byte offset of the next huge-page allocation from its
// page: 4160 bytes (a 4 KiB page and a cache line) times a sequence
// number, modulo hugeStaggerSpan, so that consecutive allocations differ
// by one line modulo 4 KiB and 1024 of them take distinct lines of the
// span.
func hugeStagger() int {
	return int(hugeSeq.Add(1)-1) * 4160 % hugeStaggerSpan
}
