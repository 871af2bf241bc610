package autograd

import (
	"fmt"

	"github.com/darts-go/darts/kernels"
)

func st(t *Tensor) Storage {
	if t == nil {
		return nil
	}
	return t.st
}

// failf panics with a formatted message; callers test their condition
// first so that the arguments are only boxed on failure.
func failf(format string, args ...any) {
	panic("autograd: " + fmt.Sprintf(format, args...))
}

func check4(op string, x *Tensor) {
	x.live()
	if x.ndim != 4 || !x.cm {
		failf("%s: input %v is not a 4-D channel-major activation (make inputs with NewActivation or FromNCHW)", op, x)
	}
}

// Conv2D is a dense 2-D convolution without bias: x (N, Cin, H, W), w
// (Cout, Cin, KH, KW) → (N, Cout, Ho, Wo), Ho = (H+2·pad-dilation·(KH-1)-1)/stride+1.
func (g *Graph) Conv2D(x, w *Tensor, stride, pad, dilation int) *Tensor {
	check4("Conv2D", x)
	w.live()
	if !(w.ndim == 4 && !w.cm && w.shape[1] == x.shape[1]) {
		failf("Conv2D: weight %v does not match input %v", w, x)
	}
	if !(stride >= 1 && dilation >= 1 && pad >= 0) {
		failf("Conv2D: bad stride/pad/dilation %d/%d/%d", stride, pad, dilation)
	}
	s := kernels.Conv{Cin: x.shape[1], Cout: w.shape[0], N: x.shape[0], H: x.shape[2], W: x.shape[3],
		KH: w.shape[2], KW: w.shape[3], Stride: stride, Pad: pad, Dilation: dilation}
	ho, wo := s.OutH(), s.OutW()
	if !(ho > 0 && wo > 0) {
		failf("Conv2D: empty output for input %v and weight %v", x, w)
	}
	y := g.newT(4, s.N, s.Cout, ho, wo)
	g.be.Conv2D(y.st, x.st, w.st, s)
	if g.wants(x, w, nil) {
		n := g.record(opConv, y)
		n.ins = append(n.ins, x, w)
		n.conv = s
	}
	return y
}

func (g *Graph) convBackward(n *node) {
	x, w := n.ins[0], n.ins[1]
	g.be.Conv2DBackward(g.gradOf(x), g.gradOf(w), n.out.gst, x.st, w.st, n.conv)
}

// DepthwiseConv2D is a depthwise (groups = C) convolution: x (N, C, H, W),
// w (C, 1, K, K). With reluIn the input is rectified as it is read (the
// ReLU of DARTS' ReLU→conv blocks, fused; the gradient is masked by x > 0).
func (g *Graph) DepthwiseConv2D(x, w *Tensor, stride, pad, dilation int, reluIn bool) *Tensor {
	check4("DepthwiseConv2D", x)
	w.live()
	if !(w.ndim == 4 && !w.cm && w.shape[0] == x.shape[1] && w.shape[1] == 1 && w.shape[2] == w.shape[3]) {
		failf("DepthwiseConv2D: weight %v does not match input %v", w, x)
	}
	if !(stride >= 1 && dilation >= 1 && pad >= 0) {
		failf("DepthwiseConv2D: bad stride/pad/dilation %d/%d/%d", stride, pad, dilation)
	}
	s := kernels.DWConv{C: x.shape[1], N: x.shape[0], H: x.shape[2], W: x.shape[3], K: w.shape[2],
		Stride: stride, Pad: pad, Dilation: dilation, ReLUIn: reluIn}
	ho, wo := s.OutH(), s.OutW()
	if !(ho > 0 && wo > 0) {
		failf("DepthwiseConv2D: empty output for input %v and weight %v", x, w)
	}
	y := g.newT(4, s.N, s.C, ho, wo)
	g.be.DepthwiseConv(y.st, x.st, w.st, s)
	if g.wants(x, w, nil) {
		n := g.record(opDWConv, y)
		n.ins = append(n.ins, x, w)
		n.dw = s
	}
	return y
}

func (g *Graph) dwBackward(n *node) {
	x, w := n.ins[0], n.ins[1]
	dx, fresh := g.gradOut(x) // fresh: written, not cleared and added to
	g.be.DepthwiseConvBackward(dx, g.gradOf(w), n.out.gst, x.st, w.st, n.dw, fresh)
}

// PointwiseConv is a 1×1 convolution without bias: x (N, Cin, H, W), w
// (Cout, Cin, 1, 1) or (Cout, Cin). The input is sampled at (offset +
// stride·i, offset + stride·j), so stride 2 with offset 0 and 1 gives the
// two halves of DARTS' FactorizedReduce (the second on x[:, :, 1:, 1:]).
// With reluIn the input is rectified as it is read.
func (g *Graph) PointwiseConv(x, w *Tensor, stride, offset int, reluIn bool) *Tensor {
	check4("PointwiseConv", x)
	w.live()
	if !((w.ndim == 4 && !w.cm && w.shape[2] == 1 && w.shape[3] == 1 || w.ndim == 2) && w.shape[1] == x.shape[1]) {
		failf("PointwiseConv: weight %v does not match input %v", w, x)
	}
	if !(stride >= 1 && offset >= 0) {
		failf("PointwiseConv: bad stride/offset %d/%d", stride, offset)
	}
	s := kernels.PWConv{Cin: x.shape[1], Cout: w.shape[0], N: x.shape[0], H: x.shape[2], W: x.shape[3],
		Stride: stride, Offset: offset, ReLUIn: reluIn}
	ho, wo := s.OutH(), s.OutW()
	if !(ho > 0 && wo > 0) {
		failf("PointwiseConv: empty output for input %v", x)
	}
	y := g.newT(4, s.N, s.Cout, ho, wo)
	g.be.PointwiseConv(y.st, x.st, w.st, s)
	if g.wants(x, w, nil) {
		n := g.record(opPWConv, y)
		n.ins = append(n.ins, x, w)
		n.pw = s
	}
	return y
}

func (g *Graph) pwBackward(n *node) {
	x, w := n.ins[0], n.ins[1]
	dx, fresh := g.gradOut(x)
	g.be.PointwiseConvBackward(dx, g.gradOf(w), n.out.gst, x.st, w.st, n.pw, fresh)
}

// Linear is the fully connected layer y = x·wᵀ + b: x (N, in), w (out, in)
// (PyTorch's layout), b (out) or nil → (N, out).
func (g *Graph) Linear(x, w, b *Tensor) *Tensor {
	x.live()
	w.live()
	if !(x.ndim == 2) {
		failf("Linear: input %v is not 2-D (N, F); use Flatten", x)
	}
	if !(w.ndim == 2 && w.shape[1] == x.shape[1]) {
		failf("Linear: weight %v does not match input %v", w, x)
	}
	if b != nil {
		b.live()
		if !(b.n == w.shape[0]) {
			failf("Linear: bias %v does not match weight %v", b, w)
		}
	}
	N, in, out := x.shape[0], x.shape[1], w.shape[0]
	y := g.newT(2, N, out, 0, 0)
	g.be.Linear(y.st, x.st, w.st, st(b), N, in, out)
	if g.wants(x, w, b) {
		n := g.record(opLinear, y)
		n.ins = append(n.ins, x, w)
		if b != nil {
			n.ins = append(n.ins, b)
		}
		n.i = [6]int{N, in, out}
	}
	return y
}

func (g *Graph) linearBackward(n *node) {
	x, w := n.ins[0], n.ins[1]
	var db Storage
	if len(n.ins) > 2 {
		db = g.gradOf(n.ins[2])
	}
	dx, fresh := g.gradOut(x)
	g.be.LinearBackward(dx, g.gradOf(w), db, n.out.gst, x.st, w.st, n.i[0], n.i[1], n.i[2], fresh)
}
