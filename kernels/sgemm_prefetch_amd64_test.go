//go:build amd64 && !noasm

package kernels

import "testing"

// TestSgemmStripPrefetch walks the rows sgemmDirect packs, in its order
// (strips, then blocks of kc rows), and checks that every row's prefetch,
// as sgemmPackStrip applies pf, tail and pf2, lands on the row packed
// min(sgemmStripRowsAhead, k) rows later, and that the last rows prefetch
// nothing outside B.
func TestSgemmStripPrefetch(t *testing.T) {
	for _, tc := range []struct{ k, kc, n, cols int }{
		{64, 64, 4096, 1024}, {64, 24, 4096, 1024}, {7, 8, 100, 32}, {1, 8, 64, 16},
		{300, 128, 2048, 512}, {9, 4, 48, 16}, {10, 8, 64, 16}, {3, 8, 64, 16},
	} {
		ldb := tc.n + 3
		type row struct{ addr, target, d int }
		var rows []row
		for js := 0; js < tc.n; js += tc.cols {
			je := min(tc.n, js+tc.cols)
			for p0 := 0; p0 < tc.k; p0 += tc.kc {
				kb := min(tc.kc, tc.k-p0)
				pf, tail, pf2 := sgemmStripPrefetch(p0, kb, tc.k, ldb, je-js, je < tc.n)
				off := pf
				for r := 0; r < kb; r++ {
					if kb-r <= tail { // sgemmPackStrip: the last tail rows
						off = pf2
					}
					if off%4 != 0 {
						t.Fatalf("%+v: offset %d bytes not a whole float", tc, off)
					}
					addr := (p0+r)*ldb + js
					rows = append(rows, row{addr, addr + off/4, min(sgemmStripRowsAhead, tc.k)})
				}
			}
		}
		for i, r := range rows {
			want := r.addr // nothing left to fetch: the row itself
			if i+r.d < len(rows) {
				want = rows[i+r.d].addr
			}
			if r.target != want {
				t.Fatalf("%+v: row %d at %d prefetches %d, want %d", tc, i, r.addr, r.target, want)
			}
		}
	}
}
