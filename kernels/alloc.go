package kernels

// Alloc returns a zeroed slice of n float32s for a tensor. It is make,
// unless DARTS_HUGEPAGES=1 is in the environment: then on Linux a slice of
// hugeMin bytes or more starts less than hugeStaggerSpan past a 2 MiB
// boundary, and the kernel is asked (madvise MADV_HUGEPAGE) to back the
// 2 MiB pages from that boundary with huge pages (see alloc_linux.go):
// the streaming kernels then take one TLB entry per 2 MiB instead of 512.
// On the Zen 3 VM of the first fifteen sessions that made the depthwise
// passes over tensors out of L3 up to 1.2× as fast and was the default;
// on the Zen 5 VM of the sixteenth the default search iteration ran twice
// as long with it (kernels/doc.go), so it is off unless asked for. The
// memory is ordinary Go heap memory: the garbage collector frees it as it
// frees make's. DARTS_NOHUGEPAGES=1 keeps it off whatever else is set.
func Alloc(n int) []float32 {
	if n < 0 {
		panic("kernels: Alloc of a negative length")
	}
	if 4*n < hugeMin || !hugeOn {
		return make([]float32, n)
	}
	return allocHuge(n)
}

// hugeOn is whether Alloc uses huge pages: when DARTS_HUGEPAGES is set
// and DARTS_NOHUGEPAGES is not (Report shows it).
var hugeOn = envSet("DARTS_HUGEPAGES") && !envSet("DARTS_NOHUGEPAGES")

// hugeMin is the smallest allocation in bytes that Alloc aligns and
// advises: two huge pages, so that the slack (2 MiB and hugeStaggerSpan
// of address space, of which only the stagger in front of the slice,
// inside its first huge page, is ever touched) costs at most half the
// slice's size in address space and little memory.
const hugeMin = 4 << 20

// hugePage is the size of a huge page on amd64 and arm64 Linux with 4 KiB
// base pages.
const hugePage = 2 << 20

// hugeStaggerSpan bounds the offset of a huge-page slice from its first
// page (alloc_linux.go): 64 KiB, the period of this machine's L2 set
// index, so that the zeroed memory in front of a slice inside its first
// huge page is at most that much.
const hugeStaggerSpan = 64 << 10
