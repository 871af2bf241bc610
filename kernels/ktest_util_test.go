package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Shared helpers for the non-GEMM kernel tests (prefixed kt to stay clear of
// other test files in the package).

func ktRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// ktVec returns n uniform values in [-1, 1), allocated as the autograd
// allocates tensors (Alloc: huge pages for large ones with
// DARTS_HUGEPAGES=1).
func ktVec(r *rand.Rand, n int) []float32 {
	v := Alloc(n)
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
	}
	return v
}

func ktCopy(x []float32) []float32 { return append([]float32(nil), x...) }

// ktClose reports the first index where got and want differ by more than
// atol + rtol·|want|.
func ktClose(t *testing.T, name string, got, want []float32, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			t.Fatalf("%s: [%d] = %g, want %g (diff %g)", name, i, g, w, g-w)
		}
	}
}

func ktClose64(t *testing.T, name string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	w32 := make([]float32, len(want))
	for i, v := range want {
		w32[i] = float32(v)
	}
	ktClose(t, name, got, w32, atol, rtol)
}

// ktBothPaths runs f with the assembly path (when available) and with the
// pure-Go path.
func ktBothPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, asm := range []bool{true, false} {
		if asm && !(haveAsm && Detected.HasAVX2 && Detected.HasFMA) {
			continue
		}
		name := "go"
		if asm {
			name = "asm"
		}
		t.Run(name, func(t *testing.T) {
			prev := SetUseAsm(asm)
			defer SetUseAsm(prev)
			f(t)
		})
	}
}

// ktWithThreads runs f at thread counts 1 and 3.
func ktThreads(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("t%d", n), func(t *testing.T) {
			prev := Threads()
			SetThreads(n)
			defer SetThreads(prev)
			f(t)
		})
	}
}

// ktGuarded returns a slice of n elements at offset off inside a larger
// buffer whose other elements hold a guard value, plus a check function
// that fails if any guard changed.
const ktGuardVal = float32(-12345.5)

func ktGuarded(n, off int) (s []float32, check func(t *testing.T, name string)) {
	buf := make([]float32, n+off+9)
	for i := range buf {
		buf[i] = ktGuardVal
	}
	s = buf[off : off+n : off+n]
	return s, func(t *testing.T, name string) {
		t.Helper()
		for i := 0; i < off; i++ {
			if buf[i] != ktGuardVal {
				t.Fatalf("%s: guard before output overwritten at %d", name, i-off)
			}
		}
		for i := off + n; i < len(buf); i++ {
			if buf[i] != ktGuardVal {
				t.Fatalf("%s: guard after output overwritten at +%d", name, i-off-n)
			}
		}
	}
}

// ktPlace copies x into a guarded buffer at offset off.
func ktPlace(x []float32, off int) ([]float32, func(t *testing.T, name string)) {
	s, chk := ktGuarded(len(x), off)
	copy(s, x)
	return s, chk
}

func ktDot64(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
