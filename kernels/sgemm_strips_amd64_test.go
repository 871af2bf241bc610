//go:build amd64 && !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestSgemmDirectStrips covers sgemmDirect's strips of B (their panels
// sgemmPanelSkew floats apart beyond k·16): strips narrow enough that
// small problems take many, a last strip narrower than the others or with
// a tail panel, every row panel height, k from 1 up, alpha and beta,
// padding and offsets, at one and two threads, against the reference.
func TestSgemmDirectStrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, cols := range []int{16, 32, 48, 80} {
		restore := sgemmSetBlocking(sgemmKC, sgemmMC, cols)
		for i := 0; i < 40; i++ {
			s := sgemmScalars[rng.IntN(len(sgemmScalars))]
			tc := sgemmCase{tA: rng.IntN(2) == 0, m: 1 + rng.IntN(40), n: 1 + rng.IntN(6*cols), k: 1 + rng.IntN(70),
				alpha: s[0], beta: s[1], padA: rng.IntN(4), padB: rng.IntN(4), padC: rng.IntN(4),
				offA: rng.IntN(8), offB: rng.IntN(8), offC: rng.IntN(8)}
			runSgemmCase(t, tc, rng)
		}
		restore()
	}
}
