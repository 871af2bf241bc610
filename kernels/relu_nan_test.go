package kernels

import (
	"fmt"
	"math"
	"testing"
)

// ktNaNs puts NaN into every 37th element of x from the 5th and -0 into
// every 13th from the 3rd, and returns how many NaNs it placed.
func ktNaNs(x []float32) int {
	n := 0
	for j := range x {
		switch {
		case j%37 == 5:
			x[j] = float32(math.NaN())
			n++
		case j%13 == 3:
			x[j] = float32(math.Copysign(0, -1))
		}
	}
	return n
}

// ktNaNCount returns how many NaNs y holds.
func ktNaNCount(y []float32) int {
	n := 0
	for _, v := range y {
		if v != v {
			n++
		}
	}
	return n
}

// ktCloseNaN is ktClose64 for a weight gradient over an input with NaNs:
// wherever the reference is NaN, got must be too; elsewhere got may also be
// NaN (a kernel that multiplies a row's padding, or columns no tap keeps,
// by a zero of dy gets NaN·0 there, where the reference skips the
// product), and where it is not, it is close to the reference.
func ktCloseNaN(t *testing.T, name string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	for i, w := range want {
		g := float64(got[i])
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g) {
				t.Fatalf("%s: [%d] = %g, want NaN", name, i, g)
			}
		case !math.IsNaN(g) && math.Abs(g-w) > atol+rtol*math.Abs(w):
			t.Fatalf("%s: [%d] = %g, want %g (diff %g)", name, i, g, w, g-w)
		}
	}
}

// TestDepthwiseReLUNaN checks that the fused ReLU of every depthwise
// kernel family lets a NaN of x through (relu1: only negative values
// become 0, as PyTorch's relu) on both paths: in the forward, whose NaNs
// and values match the naive reference's, and in the weight gradient
// (ktCloseNaN), which both read relu(x); and that the input gradient
// passes where x is NaN (reluPasses), as the reference's.
func TestDepthwiseReLUNaN(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		cases, withNaN := dwCases(), 0
		defer func() {
			// Most shapes read one of the NaNs; a ReLU that zeroed them
			// would leave none.
			if withNaN < len(cases)/2 {
				t.Errorf("NaN in the forward of %d of %d shapes", withNaN, len(cases))
			}
		}()
		for i, s := range cases {
			s.ReLUIn = true
			t.Run(fmt.Sprintf("%d_K%dS%dD%dP%d_%dx%d", i, s.K, s.Stride, s.Dilation, s.Pad, s.H, s.W), func(t *testing.T) {
				r := ktRand(uint64(i + 101))
				x := ktVec(r, s.C*s.N*s.H*s.W)
				ktNaNs(x)
				w := ktVec(r, s.C*s.K*s.K)
				dy := ktVec(r, s.C*s.N*s.OutH()*s.OutW())
				y := make([]float32, len(dy))
				DepthwiseConv(y, x, w, s)
				want := naiveDW(to64(x), to64(w), s)
				ktClose64(t, "forward", y, want, 1e-5, 1e-5)
				if ktNaNCount(y) > 0 {
					withNaN++
				}
				dxw, dww := naiveDWBack(to64(dy), to64(x), to64(w), s)
				dw := make([]float32, len(w))
				DepthwiseConvBackwardWeight(dw, dy, x, s)
				ktCloseNaN(t, "backward-weight", dw, dww, 1e-4, 1e-5)
				// dy has no NaN, so dx has none: a NaN of x only decides
				// whether its gradient passes.
				dx := make([]float32, len(x))
				DepthwiseConvBackwardInput(dx, dy, w, x, s)
				ktClose64(t, "backward-input", dx, dxw, 1e-5, 1e-5)
			})
		}
	})
}

// TestPointwiseReLUNaN is TestDepthwiseReLUNaN for the 1×1 convolution's
// gathered, rectified input (plain, offset and stride 2).
func TestPointwiseReLUNaN(t *testing.T) {
	var cases []PWConv
	for _, st := range []int{1, 2} {
		for _, off := range []int{0, 1} {
			for _, w := range []int{9, 16, 32} {
				cases = append(cases, PWConv{Cin: 3, Cout: 4, N: 2, H: 8, W: w, Stride: st, Offset: off, ReLUIn: true})
			}
		}
	}
	ktBothPaths(t, func(t *testing.T) {
		for i, s := range cases {
			t.Run(fmt.Sprintf("%d_s%d_o%d_w%d", i, s.Stride, s.Offset, s.W), func(t *testing.T) {
				r := ktRand(uint64(i + 211))
				x := ktVec(r, s.Cin*s.N*s.H*s.W)
				// One NaN where the sampling reads it: input (0, 0, Offset,
				// Offset) of channel 1.
				ktNaNs(x)
				x[(1*s.N*s.H+s.Offset)*s.W+s.Offset] = float32(math.NaN())
				w := ktVec(r, s.Cout*s.Cin)
				dy := ktVec(r, s.Cout*s.N*s.OutH()*s.OutW())
				yw, dxw, dww := naivePW(to64(x), to64(w), to64(dy), s)
				work := make([]float32, s.WorkSize())
				y := make([]float32, len(dy))
				PointwiseConv(y, x, w, s, work)
				ktClose64(t, "PointwiseConv", y, yw, 1e-5, 1e-5)
				if ktNaNCount(y) == 0 {
					t.Fatal("forward: no NaN came through the ReLU")
				}
				dw := make([]float32, len(w))
				PointwiseConvBackwardWeight(dw, dy, x, s, work)
				ktCloseNaN(t, "PointwiseConvBackwardWeight", dw, dww, 1e-4, 1e-5)
				dx := make([]float32, len(x))
				PointwiseConvBackwardInput(dx, dy, w, x, s, work)
				ktClose64(t, "PointwiseConvBackwardInput", dx, dxw, 1e-5, 1e-5)
			})
		}
	})
}
