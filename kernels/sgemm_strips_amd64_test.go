//go:build amd64 && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmDirectStrips covers sgemmDirectStrips, where the kernel calls
// of each strip of B pack the next one (sgemmKernsC): narrow strips so
// that small problems take many, a last strip narrower than the others
// (packed by sgemmPackStrip) or with a tail panel, rows past what the
// calls copy (k > calls·sgemmCopyRowsMax, packed after them), every row
// panel height, k from 1 up, alpha and beta, padding and offsets, at one
// and two threads; and the same problems with the overlap off, whose
// results must be bit-identical (the sums run in the same order).
func TestSgemmDirectStrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	defer SetThreads(Threads())
	for _, cols := range []int{16, 32, 48, 80} {
		restore := sgemmSetBlocking(sgemmKC, sgemmMC, cols)
		for i := 0; i < 40; i++ {
			s := sgemmScalars[rng.IntN(len(sgemmScalars))]
			m := 1 + rng.IntN(40)
			if i%4 == 0 {
				m = 1 + rng.IntN(6) // one call: every row of the next strip past sgemmCopyRowsMax packed after it
			}
			tc := sgemmCase{tA: rng.IntN(2) == 0, m: m, n: 1 + rng.IntN(6*cols), k: 1 + rng.IntN(70),
				alpha: s[0], beta: s[1], padA: rng.IntN(4), padB: rng.IntN(4), padC: rng.IntN(4),
				offA: rng.IntN(8), offB: rng.IntN(8), offC: rng.IntN(8)}
			runSgemmCase(t, tc, rng)

			lda, ldb, ldc := tc.k+tc.padA, tc.n+tc.padB, tc.n+tc.padC
			if tc.tA {
				lda = tc.m + tc.padA
			}
			a := make([]float32, tc.offA+tc.m*lda+tc.k*lda)
			b := make([]float32, tc.offB+tc.k*ldb)
			c := make([]float32, tc.offC+tc.m*ldc)
			for _, v := range [][]float32{a, b, c} {
				for j := range v {
					v[j] = float32(rng.NormFloat64())
				}
			}
			for _, th := range []int{1, 2} {
				SetThreads(th)
				var got [2][]float32
				for o, ov := range []bool{true, false} {
					sgemmDirectOverlap = ov
					got[o] = append([]float32(nil), c...)
					Sgemm(tc.tA, false, tc.m, tc.n, tc.k, tc.alpha, a[tc.offA:], lda, b[tc.offB:], ldb, tc.beta, got[o][tc.offC:], ldc)
				}
				sgemmDirectOverlap = true
				for j := range got[0] {
					if math.Float32bits(got[0][j]) != math.Float32bits(got[1][j]) {
						t.Fatalf("%v cols %d threads %d: C index %d is %v with the overlap, %v without", tc, cols, th, j, got[0][j], got[1][j])
					}
				}
			}
		}
		restore()
	}
}
