package kernels

import (
	"fmt"
	"testing"
)

// TestKernelsDoNotAllocate checks that the kernels run without heap
// allocations once warm (jobs, scratch buffers and tables come from pools),
// at one and at several threads. Sgemm and the kernels that call it are
// left out. The race detector makes sync.Pool drop items at random, so the
// test does not run under it.
func TestKernelsDoNotAllocate(t *testing.T) {
	if ktRace {
		t.Skip("sync.Pool drops items under the race detector")
	}
	r := ktRand(9)
	const C, N, HW = 4, 3, 32 * 32
	x, y, z := ktVec(r, C*N*HW), ktVec(r, C*N*HW), ktVec(r, C*N*HW)
	scale, g, bt := ktVec(r, N), ktVec(r, C), ktVec(r, C)
	mean, inv, dg, db := ktVec(r, C), ktVec(r, C), ktVec(r, C), ktVec(r, C)
	arg := make([]int32, C*N*HW)
	logits, probs := ktVec(r, 8*10), make([]float32, 8*10)
	labels := []int32{1, 2, 3, 4, 5, 6, 7, 8}
	w := ktVec(r, C*25)
	wsW, wsX := ktVec(r, 9), [][]float32{x, y, x, y, x, y, x, y, x} // two assembly calls a chunk
	type allocCase struct {
		name string
		f    func()
	}
	cases := []allocCase{
		{"Add", func() { Add(z, x, y) }},
		{"AddTo", func() { AddTo(z, x) }},
		{"Axpy", func() { Axpy(0.5, x, z) }},
		{"Scale", func() { Scale(z, 0.5, x) }},
		{"WeightedSum", func() { WeightedSum(z, wsW, wsX) }},
		{"Fill", func() { Fill(z, 0) }},
		{"Dot", func() { _ = Dot(x, y) }},
		{"Sum", func() { _ = Sum(x) }},
		{"SumSquares", func() { _ = SumSquares(x) }},
		{"ReLU", func() { ReLU(z, x) }},
		{"ReLUBackward", func() { ReLUBackward(z, y, x) }},
		{"ScaleSamples", func() { ScaleSamples(z, x, scale, C, N, HW) }},
		{"ScaleSamplesBackward", func() { ScaleSamplesBackward(z, y, scale, C, N, HW) }},
		{"BatchNormTrain", func() { BatchNormTrain(z, x, g, bt, mean, inv, C, N*HW, 1e-5) }},
		{"BatchNormInfer", func() { BatchNormInfer(z, x, g, bt, mean, inv, C, N*HW, 1e-5) }},
		{"BatchNormBackward", func() { BatchNormBackward(z, dg, db, y, x, g, mean, inv, C, N*HW) }},
		{"Softmax", func() { Softmax(probs, logits, 8, 10) }},
		{"LogSoftmax", func() { LogSoftmax(probs, logits, 8, 10) }},
		{"SoftmaxBackward", func() { SoftmaxBackward(probs, logits, logits, 8, 10) }},
		{"CrossEntropy", func() { _ = CrossEntropy(logits, labels, probs, 8, 10) }},
		{"GlobalAvgPool", func() { GlobalAvgPool(z, x, C, N, HW) }},
		{"GlobalAvgPoolBackward", func() { GlobalAvgPoolBackward(z, y, C, N, HW) }},
	}
	for _, st := range []int{1, 2} {
		for _, wd := range []int{32, 9} { // fast path and reference
			s := Pool{C: C, N: N, H: 32, W: wd, K: 3, Stride: st, Pad: 1}
			n := fmt.Sprintf("S%dW%d", st, wd)
			cases = append(cases,
				allocCase{"MaxPool" + n, func() { MaxPool(z, arg, x, s) }},
				allocCase{"MaxPoolBackward" + n, func() { MaxPoolBackward(z, y, arg, s) }},
				allocCase{"AvgPool" + n, func() { AvgPool(z, x, s, false) }},
				allocCase{"AvgPoolBackward" + n, func() { AvgPoolBackward(z, y, s, false) }})
		}
		dwz := make([]float32, len(w))
		for _, k := range []int{3, 5} {
			s := DWConv{C: C, N: N, H: 32, W: 32, K: k, Stride: st, Pad: (k - 1) / 2, Dilation: 1, ReLUIn: true}
			n := fmt.Sprintf("K%dS%d", k, st)
			cases = append(cases,
				allocCase{"DepthwiseConv" + n, func() { DepthwiseConv(z, x, w, s) }},
				allocCase{"DepthwiseConvBackwardInput" + n, func() { DepthwiseConvBackwardInput(z, y, w, x, s) }},
				allocCase{"DepthwiseConvBackwardWeight" + n, func() { DepthwiseConvBackwardWeight(w, y, x, s) }},
				allocCase{"DepthwiseConvBackward" + n, func() { DepthwiseConvBackward(z, dwz, y, w, x, s, true) }})
		}
		ps := PWConv{Cin: C, Cout: C, N: N, H: 32, W: 32, Stride: st, Offset: st - 1, ReLUIn: true}
		cases = append(cases,
			allocCase{fmt.Sprintf("pwGatherS%d", st), func() { pwGather(z, x, ps) }})
		cs := Conv{Cin: 3, Cout: 4, N: 2, H: 16, W: 16, KH: 3, KW: 3, Stride: st, Pad: 1}
		col := make([]float32, cs.WorkSize())
		cases = append(cases,
			allocCase{fmt.Sprintf("im2colS%d", st), func() { im2col(col, x, cs.norm()) }},
			allocCase{fmt.Sprintf("col2imS%d", st), func() { col2im(z, col, cs.norm()) }})
	}
	ktBothPaths(t, func(t *testing.T) {
		ktThreads(t, func(t *testing.T) {
			for _, c := range cases {
				c.f() // warm the pools
				if n := testing.AllocsPerRun(20, c.f); n != 0 {
					t.Errorf("%s: %v allocations per call", c.name, n)
				}
			}
		})
	})
}
