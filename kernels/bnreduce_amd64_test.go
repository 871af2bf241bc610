//go:build amd64 && !noasm

package kernels

import (
	"math"
	"testing"
)

// TestBNReductionsAsmMatchGo checks the blocked batch-norm reductions in
// assembly against their Go mirrors on lengths around every loop boundary
// (32-element steps, 8-element steps, the 512-element fold, the scalar
// tail) and on unaligned starts. The two follow the same order, so they
// agree to the last bits (a float32 FMA emulated in float64 may round
// differently once in a while: the bound allows a few ulps).
func TestBNReductionsAsmMatchGo(t *testing.T) {
	r := ktRand(9)
	base := ktVec(r, 70000)
	dyb := ktVec(r, 70000)
	for i := range base {
		base[i] = base[i]*2 + 3
	}
	var lens []int
	for n := 0; n <= 80; n++ {
		lens = append(lens, n)
	}
	for _, c := range []int{511, 512, 513, 519, 520, 543, 544, 1023, 1024, 1031, 4099, 65536 + 13} {
		lens = append(lens, c)
	}
	for _, n := range lens {
		for _, off := range []int{0, 1, 3} {
			x, dy := base[off:off+n], dyb[off:off+n]
			close := func(what string, a, b float64) {
				if d := math.Abs(a - b); d > 1e-12*(1+math.Abs(b)) {
					t.Fatalf("%s n=%d off=%d: asm %v, Go %v", what, n, off, a, b)
				}
			}
			k := float32(2.75)
			a1, a2 := bnStatsAsm(x, k)
			g1, g2 := bnStatsGo(x, k)
			close("stats S1", a1, g1)
			close("stats S2", a2, g2)
			a1, a2 = bnSumsAsm(dy, x, k)
			g1, g2 = bnSumsGo(dy, x, k)
			close("sums S1", a1, g1)
			close("sums S2", a2, g2)
		}
	}
}
