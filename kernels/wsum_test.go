package kernels

import (
	"fmt"
	"testing"
)

// TestWeightedSum checks WeightedSum on both paths, for 1 to 11 terms (one
// and two assembly calls a chunk), every size of ktSizes (tails, several
// chunks) and unaligned outputs and terms: against a float64 reference,
// bit for bit against Scale then Axpy on the same path (its stated
// arithmetic), and with guards around y.
func TestWeightedSum(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for _, k := range []int{1, 2, 7, 8, 9, 11} {
			for _, n := range ktSizes {
				off := (n + k) % 8
				t.Run(fmt.Sprintf("k%d_n%d_o%d", k, n, off), func(t *testing.T) {
					r := ktRand(uint64(100*k + n))
					s := ktVec(r, k)
					xs := make([][]float32, k)
					for i := range xs {
						xs[i], _ = ktPlace(ktVec(r, n+i%3), (off+i)%8)
					}
					y, chk := ktGuarded(n, off)
					WeightedSum(y, s, xs)
					chk(t, "WeightedSum")
					want := make([]float64, n)
					for i := range want {
						for j := range xs {
							want[i] += float64(s[j]) * float64(xs[j][i])
						}
					}
					ktClose64(t, "WeightedSum", y, want, 1e-5, 1e-5)
					seq := make([]float32, n)
					Scale(seq, s[0], xs[0][:n])
					for j := 1; j < k; j++ {
						Axpy(s[j], xs[j][:n], seq)
					}
					for i := range seq {
						if y[i] != seq[i] {
							t.Fatalf("element %d: %v, Scale then Axpy give %v", i, y[i], seq[i])
						}
					}
				})
			}
		}
	})
}

// TestWeightedSumBadArgs: no terms, a weight short, a term short.
func TestWeightedSumBadArgs(t *testing.T) {
	y := make([]float32, 4)
	for name, f := range map[string]func(){
		"no terms":     func() { WeightedSum(y, nil, nil) },
		"weight short": func() { WeightedSum(y, []float32{1}, [][]float32{y, y}) },
		"term short":   func() { WeightedSum(y, []float32{1}, [][]float32{y[:3]}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
