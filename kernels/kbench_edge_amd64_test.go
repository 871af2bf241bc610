//go:build linux && !noasm

package kernels

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BenchmarkMaskedEdge shows what getScratchInset avoids: the stride-1
// max-pool gradient (64 planes of 32×32) with its sentinel rows, which the
// kernel reads with masked loads starting one float before them, placed at
// the very start of a page that follows an inaccessible one ("edge"), and
// 32 bytes into that page ("inset"). Masked-off lanes that fall in the
// inaccessible page cost a microcode assist on every such load.
func BenchmarkMaskedEdge(b *testing.B) {
	const H, W, P = 32, 32, 64
	mem, err := unix.Mmap(-1, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		b.Skipf("mmap: %v", err)
	}
	defer unix.Munmap(mem)
	if err := unix.Mprotect(mem[:4096], unix.PROT_NONE); err != nil {
		b.Skipf("mprotect: %v", err)
	}
	r := ktRand(7)
	dy := ktVec(r, P*H*W)
	dx := make([]float32, P*H*W)
	arg := make([]int32, P*H*W)
	for i := range arg {
		arg[i] = int32(i % (H * W))
	}
	for _, c := range []struct {
		name string
		off  int
	}{{"edge", 0}, {"inset", 4 * scratchMargin}} {
		b.Run(c.name, func(b *testing.B) {
			rows := unsafe.Slice((*float32)(unsafe.Pointer(&mem[4096+c.off])), 2*(W+8))
			clear(rows)
			sa := unsafe.Slice((*int32)(unsafe.Pointer(&rows[0])), W+8)
			for i := range sa {
				sa[i] = -1
			}
			ktBytes(b, 4*3*P*H*W, func() {
				for p := 0; p < P; p++ {
					maxPool3S1BackAsm(&dx[p*H*W], &dy[p*H*W], &arg[p*H*W], &sa[0], &rows[W+8], H, W)
				}
			})
		})
	}
}
