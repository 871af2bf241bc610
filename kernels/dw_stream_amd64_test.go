//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

// ktAligned returns n floats whose first one lies on a 32-byte boundary
// plus skew floats, inside a buffer of guard values, and the check of the
// guards.
func ktAligned(n, skew int) ([]float32, func(t *testing.T, name string)) {
	for off := 8; ; off++ {
		// ktGuarded allocates a fresh buffer each time: keep the first
		// whose element 0 (less skew) is aligned.
		s, chk := ktGuarded(n, off)
		if (addr(&s[0])-4*skew)%32 == 0 {
			return s, chk
		}
	}
}

// TestDepthwiseNonTemporal runs the table-free depthwise kernels that
// store non-temporally (through a block buffer, see dintFlush in
// gen_dw.go) on small tensors, with the size threshold lowered to 0, and
// checks that they give the bits of the ordinary kernels and write
// nothing outside the output: the forward and the overwriting input
// gradient, with and without the ReLU, at one and three threads. An output
// off the 32-byte boundary, rows over 64 floats and the 5×5 kernels must
// keep the ordinary stores.
func TestDepthwiseNonTemporal(t *testing.T) {
	if !useAsm || !Detected.HasAVX2 || !Detected.HasFMA {
		t.Skip("the assembly kernels are off on this machine")
	}
	prevMin := dwStreamMin
	dwStreamMin = func() int { return 0 }
	defer func() { dwStreamMin = prevMin; dwStreamOn = true }()

	for _, iv := range []int{0, 1, 4} {
		for id := 0; id < 2; id++ {
			nt, plain := dwdpPick(true, 0, id, iv), dwdpPick(false, 0, id, iv)
			if reflect.ValueOf(nt).Pointer() == reflect.ValueOf(plain).Pointer() {
				t.Errorf("K3 D%d variant %d: no non-temporal kernel", id+1, iv)
			}
			if f5 := dwdpPick(true, 1, id, iv); reflect.ValueOf(f5).Pointer() != reflect.ValueOf(dwdpPick(false, 1, id, iv)).Pointer() {
				t.Errorf("K5 D%d variant %d: non-temporal kernel picked", id+1, iv)
			}
		}
	}

	ktThreads(t, func(t *testing.T) {
		i := 0
		for _, hw := range [][2]int{{32, 32}, {16, 16}, {8, 8}, {16, 64}, {16, 72}, {32, 24}} {
			for _, d := range []int{1, 2} {
				for _, k := range []int{3, 5} {
					for _, relu := range []bool{false, true} {
						s := DWConv{C: 2, N: 3, H: hw[0], W: hw[1], K: k, Stride: 1, Pad: d * (k - 1) / 2, Dilation: d, ReLUIn: relu}
						if !dwDirectOK(s) || !dwRowsOK(s) {
							continue
						}
						for _, skew := range []int{0, 1} {
							i++
							name := fmt.Sprintf("K%dD%d_%dx%d_r%v_skew%d", k, d, s.H, s.W, relu, skew)
							t.Run(name, func(t *testing.T) {
								testDepthwiseNonTemporal(t, s, skew, uint64(i))
							})
						}
					}
				}
			}
		}
	})
}

func testDepthwiseNonTemporal(t *testing.T, s DWConv, skew int, seed uint64) {
	r := ktRand(seed)
	n := s.C * s.N * s.H * s.W
	x := ktVec(r, n)
	for j := 0; j < n; j += 7 {
		x[j] = 0
	}
	w := ktVec(r, s.C*s.K*s.K)
	dy := ktVec(r, n)

	y, ychk := ktAligned(n, skew)
	want := make([]float32, n)
	streams := dwStreamOut(y, 0, s)
	if wantNT := skew == 0 && s.W <= 64; streams != wantNT {
		t.Fatalf("non-temporal stores %v, want %v", streams, wantNT)
	}

	dwStreamOn = false
	DepthwiseConv(want, x, w, s)
	dwStreamOn = true
	DepthwiseConv(y, x, w, s)
	ychk(t, "y")
	ktSameBits(t, "forward", y, want)

	dx, dxchk := ktAligned(n, skew)
	for j := range dx {
		dx[j] = float32(math.NaN())
	}
	dwStreamOn = false
	DepthwiseConvBackwardInputSet(want, dy, w, x, s)
	dwStreamOn = true
	DepthwiseConvBackwardInputSet(dx, dy, w, x, s)
	dxchk(t, "dx")
	ktSameBits(t, "backward-input (set)", dx, want)
}

// ktSameBits fails unless got and want hold the same bits.
func ktSameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v, want %v", name, i, got[i], want[i])
		}
	}
}
