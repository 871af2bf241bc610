package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestSoftmaxFamily checks the softmax family against float64 formulas on
// rows shorter than a vector and on rows of several vectors and a tail (the
// assembly path of SoftmaxBackward starts at 16 columns).
func TestSoftmaxFamily(t *testing.T) {
	for _, sh := range []struct {
		rows, cols int
		labels     []int32
	}{{5, 7, []int32{0, 6, 3, 2, 5}}, {4, 37, []int32{0, 36, 17, 3}}} {
		t.Run(fmt.Sprintf("%dx%d", sh.rows, sh.cols), func(t *testing.T) { testSoftmaxFamily(t, sh.rows, sh.cols, sh.labels) })
	}
}

func testSoftmaxFamily(t *testing.T, rows, cols int, labels []int32) {
	r := ktRand(21)
	x := ktVec(r, rows*cols)
	for i := range x {
		x[i] *= 10
	}
	x[3] = 80 // large value: stability
	want := make([]float64, rows*cols)
	wantLog := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		mx := math.Inf(-1)
		for j := 0; j < cols; j++ {
			mx = math.Max(mx, float64(x[i*cols+j]))
		}
		s := 0.0
		for j := 0; j < cols; j++ {
			s += math.Exp(float64(x[i*cols+j]) - mx)
		}
		for j := 0; j < cols; j++ {
			want[i*cols+j] = math.Exp(float64(x[i*cols+j])-mx) / s
			wantLog[i*cols+j] = float64(x[i*cols+j]) - mx - math.Log(s)
		}
	}
	y, chk := ktGuarded(rows*cols, 3)
	Softmax(y, x, rows, cols)
	chk(t, "Softmax")
	ktClose64(t, "Softmax", y, want, 1e-7, 1e-6)
	ls, chk2 := ktGuarded(rows*cols, 5)
	LogSoftmax(ls, x, rows, cols)
	chk2(t, "LogSoftmax")
	ktClose64(t, "LogSoftmax", ls, wantLog, 1e-5, 1e-6)

	// SoftmaxBackward against the Jacobian J = diag(y) - y yᵀ.
	dy := ktVec(r, rows*cols)
	dx0 := ktVec(r, rows*cols)
	dx := ktCopy(dx0)
	SoftmaxBackward(dx, dy, y, rows, cols)
	wdx := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			s := 0.0
			for k := 0; k < cols; k++ {
				jac := -float64(y[i*cols+j]) * float64(y[i*cols+k])
				if j == k {
					jac += float64(y[i*cols+j])
				}
				s += jac * float64(dy[i*cols+k])
			}
			wdx[i*cols+j] = float64(dx0[i*cols+j]) + s
		}
	}
	ktClose64(t, "SoftmaxBackward", dx, wdx, 1e-6, 1e-6)

	probs := make([]float32, rows*cols)
	loss := CrossEntropy(x, labels, probs, rows, cols)
	ktClose64(t, "CE probs", probs, want, 1e-7, 1e-6)
	wl := 0.0
	for i, l := range labels {
		wl -= wantLog[i*cols+int(l)]
	}
	wl /= float64(rows)
	if math.Abs(float64(loss)-wl) > 1e-5*(1+wl) {
		t.Fatalf("CrossEntropy = %g, want %g", loss, wl)
	}
	dl0 := ktVec(r, rows*cols)
	dl := ktCopy(dl0)
	CrossEntropyBackward(dl, probs, labels, rows, cols, 2)
	wd := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			p := want[i*cols+j]
			if int32(j) == labels[i] {
				p--
			}
			wd[i*cols+j] = float64(dl0[i*cols+j]) + 2*p/float64(rows)
		}
	}
	ktClose64(t, "CrossEntropyBackward", dl, wd, 1e-6, 1e-6)

	// The gradient is the derivative of the loss: finite differences.
	const h = 1e-2
	for _, idx := range []int{0, 3, 9, 34} {
		xp := ktCopy(x)
		xp[idx] += h
		lp := CrossEntropy(xp, labels, probs, rows, cols)
		xp[idx] -= 2 * h
		lm := CrossEntropy(xp, labels, probs, rows, cols)
		fd := float64(lp-lm) / (2 * h)
		g := (wd[idx] - float64(dl0[idx])) / 2
		if math.Abs(fd-g) > 2e-3 {
			t.Fatalf("CE grad [%d] = %g, finite difference %g", idx, g, fd)
		}
	}
}
