package kernels

import (
	"fmt"
	"math"
	"testing"
)

var ktSizes = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 4097, 70001}

func TestElementwise(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for _, n := range ktSizes {
			for off := 0; off < 8; off++ {
				if n > 2000 && off > 1 {
					continue
				}
				t.Run(fmt.Sprintf("n%d_o%d", n, off), func(t *testing.T) {
					testElementwise(t, n, off)
				})
			}
		}
	})
}

func testElementwise(t *testing.T, n, off int) {
	r := ktRand(uint64(n*8 + off))
	x, y := ktVec(r, n), ktVec(r, n)
	want := make([]float32, n)

	d, chk := ktGuarded(n, off)
	Add(d, x, y)
	chk(t, "Add")
	for i := range want {
		want[i] = x[i] + y[i]
	}
	ktClose(t, "Add", d, want, 0, 0)

	d, chk = ktPlace(y, off)
	AddTo(d, x)
	chk(t, "AddTo")
	ktClose(t, "AddTo", d, want, 0, 0)

	d, chk = ktPlace(y, off)
	Axpy(0.37, x, d)
	chk(t, "Axpy")
	for i := range want {
		want[i] = y[i] + 0.37*x[i]
	}
	ktClose(t, "Axpy", d, want, 1e-7, 1e-7)

	d, chk = ktGuarded(n, off)
	Scale(d, -1.5, x)
	chk(t, "Scale")
	for i := range want {
		want[i] = -1.5 * x[i]
	}
	ktClose(t, "Scale", d, want, 0, 0)
	// In place.
	d, chk = ktPlace(x, off)
	Scale(d, -1.5, d)
	chk(t, "Scale in place")
	ktClose(t, "Scale in place", d, want, 0, 0)

	d, chk = ktGuarded(n, off)
	Fill(d, 2.5)
	chk(t, "Fill")
	for i := range want {
		want[i] = 2.5
	}
	ktClose(t, "Fill", d, want, 0, 0)

	xs, _ := ktPlace(x, off)
	ys, _ := ktPlace(y, off)
	var dot, sum, ss float64
	for i := range x {
		dot += float64(x[i]) * float64(y[i])
		sum += float64(x[i])
		ss += float64(x[i]) * float64(x[i])
	}
	if g := Dot(xs, ys); math.Abs(float64(g)-dot) > 1e-5*(1+math.Abs(dot)) {
		t.Fatalf("Dot = %g, want %g", g, dot)
	}
	if g := Sum(xs); math.Abs(float64(g)-sum) > 1e-5*(1+math.Abs(sum)) {
		t.Fatalf("Sum = %g, want %g", g, sum)
	}
	if g := SumSquares(xs); math.Abs(g-ss) > 1e-9*(1+ss) {
		t.Fatalf("SumSquares = %g, want %g", g, ss)
	}

	d, chk = ktGuarded(n, off)
	ReLU(d, x)
	chk(t, "ReLU")
	for i := range want {
		want[i] = float32(math.Max(float64(x[i]), 0))
	}
	ktClose(t, "ReLU", d, want, 0, 0)
	d, chk = ktPlace(x, off)
	ReLU(d, d)
	chk(t, "ReLU in place")
	ktClose(t, "ReLU in place", d, want, 0, 0)

	d, chk = ktPlace(y, off)
	ReLUBackward(d, want, x) // dy = relu(x) values, mask x>0
	chk(t, "ReLUBackward")
	for i := range want {
		w := y[i]
		if x[i] > 0 {
			w += want[i]
		}
		want[i] = w
	}
	ktClose(t, "ReLUBackward", d, want, 0, 0)
}

func TestReLUSpecial(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		nan := float32(math.NaN())
		negz := float32(math.Copysign(0, -1))
		x := []float32{nan, negz, 0, 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)), 2, nan, -3, 4}
		y := make([]float32, len(x))
		ReLU(y, x)
		// Only negative values become 0: NaN and -0 pass (relu1).
		want := []float32{nan, negz, 0, 1, 0, float32(math.Inf(1)), 0, 2, nan, 0, 4}
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
				t.Fatalf("ReLU(%v)[%d] = %v, want %v", x[i], i, y[i], want[i])
			}
		}
		dx := make([]float32, len(x))
		dy := make([]float32, len(x))
		for i := range dy {
			dy[i] = 1
		}
		ReLUBackward(dx, dy, x)
		for i := range dx {
			// The gradient passes unless x <= 0: at NaN too (PyTorch).
			w := float32(0)
			if !(x[i] <= 0) {
				w = 1
			}
			if dx[i] != w {
				t.Fatalf("ReLUBackward mask at %d (x=%v): %v", i, x[i], dx[i])
			}
		}
	})
}

func TestScaleSamples(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for _, sh := range [][3]int{{3, 4, 5}, {2, 3, 64}, {1, 1, 1}, {4, 2, 17}} {
			C, N, HW := sh[0], sh[1], sh[2]
			r := ktRand(uint64(C*100 + N*10 + HW))
			x := ktVec(r, C*N*HW)
			sc := ktVec(r, N)
			sc[0] = 0
			d, chk := ktGuarded(len(x), 3)
			ScaleSamples(d, x, sc, C, N, HW)
			chk(t, "ScaleSamples")
			want := make([]float32, len(x))
			for c := 0; c < C; c++ {
				for n := 0; n < N; n++ {
					for i := 0; i < HW; i++ {
						j := (c*N+n)*HW + i
						want[j] = x[j] * sc[n]
					}
				}
			}
			ktClose(t, "ScaleSamples", d, want, 0, 0)
			dx0 := ktVec(r, len(x))
			dx, chk2 := ktPlace(dx0, 5)
			ScaleSamplesBackward(dx, x, sc, C, N, HW)
			chk2(t, "ScaleSamplesBackward")
			for j := range want {
				want[j] += dx0[j]
			}
			ktClose(t, "ScaleSamplesBackward", dx, want, 1e-6, 1e-6)
		}
	})
}

func TestReductionsDeterministic(t *testing.T) {
	r := ktRand(3)
	x := ktVec(r, 100003)
	y := ktVec(r, 100003)
	prev := Threads()
	defer SetThreads(prev)
	SetThreads(1)
	a, b, c := Dot(x, y), Sum(x), SumSquares(x)
	SetThreads(3)
	if a2, b2, c2 := Dot(x, y), Sum(x), SumSquares(x); a != a2 || b != b2 || c != c2 {
		t.Fatalf("reductions depend on thread count: %v %v %v vs %v %v %v", a, b, c, a2, b2, c2)
	}
}
