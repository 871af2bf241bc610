//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestSoftmaxKernelsAsmMatchGo checks the softmax-family assembly kernels
// against their Go references on lengths around every loop boundary (32-
// and 16-element steps, 8-element steps, the masked tail), on unaligned
// starts with guard values after every output, and on inputs that hold
// NaN, ±Inf, values far below the maximum (e^x under the smallest normal)
// and values spanning the whole reduced range. e^x matches math.Exp to 2
// ulp (4e-38 absolute where the assembly returns 0 below e^-87).
func TestSoftmaxKernelsAsmMatchGo(t *testing.T) {
	r := ktRand(31)
	var lens []int
	for n := 0; n <= 70; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 127, 128, 129, 1000, 1003)
	for _, n := range lens {
		for _, off := range []int{0, 1, 5} {
			name := fmt.Sprintf("n=%d off=%d", n, off)
			x := ktVec(r, n+off)[off:]
			for i := range x {
				x[i] = x[i]*40 - 30 // [-70, 10]: exponents from 2^-115 up
			}
			switch {
			case n > 3 && n%4 == 0:
				x[n/2] = float32(math.NaN())
			case n > 3 && n%4 == 1:
				x[n-1] = float32(math.Inf(-1))
				x[0] = -500
			case n > 3 && n%4 == 2:
				x[1] = -87.5 // e^(x-m) near and below the cut
			}
			if got, want := rowMaxAsm(x), rowMaxGo(x); math.Float32bits(got) != math.Float32bits(want) && !(got == 0 && want == 0) {
				t.Fatalf("%s: rowMax %v, Go %v", name, got, want)
			}
			if n == 0 {
				continue
			}
			m := rowMaxGo(x)
			for _, shift := range []float32{m, m + 3, 0} {
				d, chk := ktGuarded(n, off+1)
				sa := expShiftAsm(d, x, shift)
				chk(t, name+" expShift")
				g := make([]float32, n)
				sg := expShiftGo(g, x, shift)
				for i := range d {
					want := float64(g[i])
					if !(math.Abs(float64(d[i])-want) <= 2.5e-7*want+4e-38) && !(math.IsNaN(want) && math.IsNaN(float64(d[i]))) {
						t.Fatalf("%s shift %v: e^(%v) = %v, Go %v", name, shift, x[i]-shift, d[i], want)
					}
				}
				ss := expSumAsm(x, shift)
				if math.IsNaN(sg) {
					if !math.IsNaN(sa) || !math.IsNaN(ss) {
						t.Fatalf("%s: sums %v, %v, want NaN", name, sa, ss)
					}
					continue
				}
				if !(math.Abs(sa-sg) <= 2.5e-7*sg+1e-37) || ss != sa {
					t.Fatalf("%s shift %v: sums %v (store) and %v, Go %v", name, shift, sa, ss, sg)
				}
			}
			dy := ktVec(r, n)
			y := ktVec(r, n)
			dx0 := ktVec(r, n+off)[off:]
			dx, chk := ktGuarded(n, off+2)
			copy(dx, dx0)
			smBackAsm(dx, dy, y, 0.375)
			chk(t, name+" smBack")
			want := ktCopy(dx0)
			smBackGo(want, dy, y, 0.375)
			ktClose(t, name+" smBack", dx, want, 1e-6, 1e-6)

			f, chk2 := ktGuarded(n, off+3)
			fillAsm(f, 2.5)
			chk2(t, name+" fill")
			a, chk3 := ktGuarded(n, off+4)
			copy(a, dy)
			addScalarAsm(a, -1.25)
			chk3(t, name+" addScalar")
			for i := range f {
				if f[i] != 2.5 || a[i] != dy[i]-1.25 {
					t.Fatalf("%s: fill %v / addScalar %v at %d", name, f[i], a[i], i)
				}
			}
		}
	}
}

// TestExpAsmAccuracy sweeps e^a over [-87, 0] (and a few points past
// both ends) against math.Exp rounded to float32.
func TestExpAsmAccuracy(t *testing.T) {
	const n = 1 << 16
	x := make([]float32, n)
	for i := range x {
		x[i] = -87 * float32(i) / (n - 1)
	}
	x[0], x[1], x[2] = 0, -1e-30, -87.0001
	d := make([]float32, n)
	expShiftAsm(d, x, 0)
	worst := 0.0
	for i, v := range x {
		want := math.Exp(float64(v))
		if v < -87 {
			if d[i] != 0 {
				t.Fatalf("e^%v = %v, want 0 below the cut", v, d[i])
			}
			continue
		}
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		worst = max(worst, math.Abs(float64(d[i])-want)/ulp)
	}
	if worst > 2 {
		t.Fatalf("worst error %.2f ulp", worst)
	}
	t.Logf("worst error %.2f ulp over %d points", worst, n)
}
