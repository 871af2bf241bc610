package kernels

import (
	"os"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

// TestAlloc checks Alloc's slices, with huge pages on and off: length and capacity n, zeroed (also
// when the heap hands back memory that held data), writable to the end;
// on Linux the large ones start on a line, consecutive ones on different
// lines modulo 4 KiB (the stagger), and each 2 MiB page from the start's
// page boundary lies inside the allocation.
func TestAlloc(t *testing.T) {
	defer func(on bool) { hugeOn = on }(hugeOn)
	for _, on := range []bool{false, true} {
		hugeOn = on // off by default (DARTS_HUGEPAGES); both ways here
		testAlloc(t)
	}
}

func testAlloc(t *testing.T) {
	sizes := []int{0, 1, 1000, hugeMin/4 - 1, hugeMin / 4, 3*hugeMin/4 + 5}
	for round := 0; round < 3; round++ {
		var prev uintptr
		for _, n := range sizes {
			s := Alloc(n)
			if len(s) != n || cap(s) != n {
				t.Fatalf("Alloc(%d): len %d cap %d", n, len(s), cap(s))
			}
			for i, v := range s {
				if v != 0 {
					t.Fatalf("Alloc(%d)[%d] = %v, want 0", n, i, v)
				}
			}
			for i := range s {
				s[i] = float32(i) + 1 // dirty the heap for the next rounds
			}
			if n == 0 || 4*n < hugeMin || runtime.GOOS != "linux" || !hugeOn {
				continue
			}
			p := uintptr(unsafe.Pointer(&s[0]))
			if p%64 != 0 {
				t.Errorf("Alloc(%d) starts at %#x, not on a cache line", n, p)
			}
			if off := int(p % hugePage); off >= hugeStaggerSpan {
				t.Errorf("Alloc(%d) starts %d bytes into its huge page, want under %d", n, off, hugeStaggerSpan)
			}
			if prev != 0 && prev%4096 == p%4096 {
				t.Errorf("two consecutive large slices start at the same offset %d modulo 4 KiB", p%4096)
			}
			prev = p
		}
		runtime.GC()
	}
}

// TestAllocHugePages checks that large slices get huge pages: it fails
// where the kernel grants transparent huge pages on madvise and the
// process's AnonHugePages did not grow by at least half the pages of a
// 64 MiB slice (all of them when run alone here; after other tests have
// churned the heap the kernel finds free 2 MiB frames for about three
// quarters), and skips (saying why) where the kernel does not grant them
// or does not report them.
func TestAllocHugePages(t *testing.T) {
	if runtime.GOOS != "linux" || envSet("DARTS_NOHUGEPAGES") {
		t.Skip("huge pages: Linux only, and not with DARTS_NOHUGEPAGES set")
	}
	defer func(on bool) { hugeOn = on }(hugeOn)
	hugeOn = true
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !regexp.MustCompile(`\[(always|madvise)\]`).Match(mode) {
		t.Skipf("transparent huge pages are off here (%q, %v): skipped", mode, err)
	}
	anon := func() int {
		b, err := os.ReadFile("/proc/self/smaps_rollup")
		m := regexp.MustCompile(`AnonHugePages:\s+(\d+) kB`).FindSubmatch(b)
		if err != nil || m == nil {
			t.Skipf("no AnonHugePages in /proc/self/smaps_rollup (%v): skipped", err)
		}
		v, _ := strconv.Atoi(string(m[1]))
		return v
	}
	before := anon()
	s := Alloc(16 << 20) // 64 MiB
	for i := range s {
		s[i] = 1
	}
	got := anon() - before
	if want := 16 * 2048; got < want {
		t.Errorf("a 64 MiB Alloc added %d kB of huge pages, want at least %d (16 of its 32 pages)", got, want)
	}
	runtime.KeepAlive(s)
}
