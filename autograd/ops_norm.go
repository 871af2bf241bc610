package autograd

import "github.com/darts-go/darts/kernels"

// BatchNorm holds the parameters and buffers of a 2-D batch normalisation
// over the channels of (N, C, H, W) activations, as PyTorch's BatchNorm2d.
type BatchNorm struct {
	Weight, Bias            *Tensor // γ and β, (C); nil when not affine
	RunningMean, RunningVar *Tensor // (C); updated in training mode
	Momentum                float32 // weight of the new batch statistics (PyTorch: 0.1)
	Eps                     float32 // added to the variance (PyTorch: 1e-5)
}

// NewBatchNorm returns a batch norm over c channels with PyTorch's defaults:
// γ = 1, β = 0 (when affine), running mean 0, running variance 1, momentum
// 0.1, eps 1e-5. The tensors are named name+".weight", ".bias",
// ".running_mean" and ".running_var".
func NewBatchNorm(be Backend, name string, c int, affine bool) *BatchNorm {
	bn := &BatchNorm{Momentum: 0.1, Eps: 1e-5}
	if affine {
		bn.Weight = NewParam(be, name+".weight", c)
		be.Fill(bn.Weight.st, 1)
		bn.Bias = NewParam(be, name+".bias", c)
	}
	bn.RunningMean = New(be, c)
	bn.RunningMean.Name = name + ".running_mean"
	bn.RunningVar = New(be, c)
	bn.RunningVar.Name = name + ".running_var"
	be.Fill(bn.RunningVar.st, 1)
	return bn
}

// Params returns the learnable tensors (γ, β), none when not affine.
func (bn *BatchNorm) Params() []*Tensor {
	if bn.Weight == nil {
		return nil
	}
	return []*Tensor{bn.Weight, bn.Bias}
}

// Buffers returns the running statistics.
func (bn *BatchNorm) Buffers() []*Tensor { return []*Tensor{bn.RunningMean, bn.RunningVar} }

// BatchNorm normalises x (N, C, H, W) per channel. In training mode it uses
// the batch statistics (biased variance) and updates the running
// statistics with PyTorch's rule (running = (1-m)·running + m·batch, the
// variance unbiased by M/(M-1), M = N·H·W); otherwise it uses the running
// statistics. The running statistics are updated in no-grad mode too, as
// in PyTorch.
func (g *Graph) BatchNorm(x *Tensor, bn *BatchNorm, training bool) *Tensor {
	check4("BatchNorm", x)
	C := x.shape[1]
	M := x.shape[0] * x.shape[2] * x.shape[3]
	if bn.RunningMean.n != C || bn.RunningVar.n != C || (bn.Weight != nil && bn.Weight.n != C) ||
		(bn.Bias != nil && bn.Bias.n != C) || (bn.Weight == nil) != (bn.Bias == nil) {
		failf("BatchNorm: parameters do not match %d channels of %v", C, x)
	}
	y := g.like(x)
	rec := g.wants(x, bn.Weight, bn.Bias)
	if !training {
		g.be.BatchNormInfer(y.st, x.st, st(bn.Weight), st(bn.Bias), bn.RunningMean.st, bn.RunningVar.st, C, M, bn.Eps)
		if rec {
			n := g.record(opBatchNormInfer, y)
			n.ins = append(n.ins, x)
			if bn.Weight != nil {
				n.ins = append(n.ins, bn.Weight, bn.Bias)
			}
			n.bn = bn
			n.i[0], n.i[1] = C, M
		}
		return y
	}
	if M < 2 {
		failf("BatchNorm: training needs more than one value per channel, got input %v", x)
	}
	mean := g.newT(1, C, 0, 0, 0)
	invStd := g.newT(1, C, 0, 0, 0)
	g.be.BatchNormTrain(y.st, x.st, st(bn.Weight), st(bn.Bias), mean.st, invStd.st, C, M, bn.Eps)
	g.be.BatchNormUpdateRunning(bn.RunningMean.st, bn.RunningVar.st, mean.st, invStd.st, M, bn.Momentum, bn.Eps)
	if !rec {
		g.free(mean)
		g.free(invStd)
		return y
	}
	n := g.record(opBatchNorm, y)
	n.ins = append(n.ins, x)
	n.bn = bn
	n.i[0], n.i[1] = C, M
	if bn.Weight != nil {
		n.ins = append(n.ins, bn.Weight, bn.Bias)
		n.aux = [2]*Tensor{mean, invStd}
		return y
	}
	// Without an affine transform y is x̂ itself, so the backward step reads
	// y and invStd instead of x: x may be released (see Drop).
	g.free(mean)
	n.aux[0] = invStd
	n.flag = true
	return y
}

func (g *Graph) bnBackward(n *node) {
	x, bn := n.ins[0], n.bn
	var dx Storage
	bnBack := g.be.BatchNormBackward
	if n.op == opBatchNorm {
		// Training mode writes every element of dx: a gradient that holds
		// nothing yet is overwritten rather than cleared and added to.
		var fresh bool
		if dx, fresh = g.gradOut(x); fresh {
			bnBack = g.be.BatchNormBackwardSet
		}
	} else {
		dx = g.gradOf(x)
	}
	var dgamma, dbeta Storage
	if len(n.ins) > 1 {
		dgamma, dbeta = g.gradOf(n.ins[1]), g.gradOf(n.ins[2])
	}
	C, M := n.i[0], n.i[1]
	if n.op == opBatchNorm && n.flag {
		// dx = invStd·(dy - mean(dy) - x̂·mean(dy·x̂)) with x̂ = y: the
		// kernel's formula with x = y, mean = 0, invStd = 1 and γ = invStd.
		zeros, ones := g.constants(C)
		y, dy, gamma := n.out, n.out.gst, n.aux[0].st
		if y.lzSrc == nil {
			if dx != nil {
				bnBack(dx, nil, nil, dy, y.st, gamma, zeros, ones, C, M)
			}
			return
		}
		// Pending dy = s[k]·dsrc: scale γ instead, and take the pending
		// ∂/∂s[k] += <y, dsrc> from the "dγ" of the kernel's own sums,
		// Σ dsrc·x̂ per channel.
		sg := g.get(C)
		g.be.ScaleElem(sg, gamma, y.lzS.st, y.lzK)
		var dots Storage
		if y.lzDot {
			dots = g.get(C)
			g.be.Fill(dots, 0)
		}
		if dx != nil || dots != nil {
			bnBack(dx, dots, nil, y.lzSrc.gst, y.st, sg, zeros, ones, C, M)
		}
		if dots != nil {
			g.be.DotAcc(g.gradOf(y.lzS), y.lzK, dots, ones)
			g.put(dots)
		}
		g.put(sg)
		g.resolved(y)
		return
	}
	if n.op == opBatchNorm {
		bnBack(dx, dgamma, dbeta, n.out.gst, x.st, st(bn.Weight), n.aux[0].st, n.aux[1].st, C, M)
		return
	}
	g.be.BatchNormInferBackward(dx, dgamma, dbeta, n.out.gst, x.st, st(bn.Weight), bn.RunningMean.st, bn.RunningVar.st, C, M, bn.Eps)
}

// takesScaledGrad reports whether the node's backward step can read its
// output gradient as a pending s[k]·dsrc (a batch norm from its output: the
// scale folds into γ).
func (n *node) takesScaledGrad() bool { return n.op == opBatchNorm && n.flag }

// constants returns storages holding at least c zeros and c ones.
func (g *Graph) constants(c int) (zeros, ones Storage) {
	if g.zeros == nil || g.zeros.Len() < c {
		g.zeros, g.ones = g.be.Alloc(c), g.be.Alloc(c)
		g.be.Fill(g.ones, 1)
	}
	return g.zeros, g.ones
}

// ReLU is max(x, 0), element-wise, any shape: negative values become 0,
// NaN and -0 pass as they are, and the gradient passes unless x <= 0 (as
// in PyTorch; kernels.ReLU, kernels.ReLUBackward).
func (g *Graph) ReLU(x *Tensor) *Tensor {
	x.live()
	y := g.like(x)
	g.be.ReLU(y.st, x.st)
	if g.wants(x, nil, nil) {
		n := g.record(opReLU, y)
		n.ins = append(n.ins, x)
	}
	return y
}

func (g *Graph) reluBackward(n *node) {
	x := n.ins[0]
	if dx := g.gradOf(x); dx != nil {
		g.be.ReLUBackward(dx, n.out.gst, x.st)
	}
}

func (g *Graph) poolShape(op string, x *Tensor, k, stride, pad int) kernels.Pool {
	check4(op, x)
	if k < 1 || stride < 1 || pad < 0 || 2*pad > k {
		failf("%s: bad kernel/stride/pad %d/%d/%d", op, k, stride, pad)
	}
	s := kernels.Pool{C: x.shape[1], N: x.shape[0], H: x.shape[2], W: x.shape[3], K: k, Stride: stride, Pad: pad}
	if s.OutH() <= 0 || s.OutW() <= 0 {
		failf("%s: empty output for input %v", op, x)
	}
	return s
}

// MaxPool is a k×k max pooling with stride and implicit -inf padding.
func (g *Graph) MaxPool(x *Tensor, k, stride, pad int) *Tensor {
	s := g.poolShape("MaxPool", x, k, stride, pad)
	y := g.newT(4, s.N, s.C, s.OutH(), s.OutW())
	arg := g.newT(1, y.n, 0, 0, 0)
	g.be.MaxPool(y.st, arg.st, x.st, s)
	if !g.wants(x, nil, nil) {
		g.free(arg)
		return y
	}
	n := g.record(opMaxPool, y)
	n.ins = append(n.ins, x)
	n.pool = s
	n.aux[0] = arg
	return y
}

func (g *Graph) maxPoolBackward(n *node) {
	if dx := g.gradOf(n.ins[0]); dx != nil {
		g.be.MaxPoolBackward(dx, n.out.gst, n.aux[0].st, n.pool)
	}
}

// AvgPool is a k×k average pooling with stride and zero padding; with
// countIncludePad false (DARTS) the padded positions are not counted.
func (g *Graph) AvgPool(x *Tensor, k, stride, pad int, countIncludePad bool) *Tensor {
	s := g.poolShape("AvgPool", x, k, stride, pad)
	y := g.newT(4, s.N, s.C, s.OutH(), s.OutW())
	g.be.AvgPool(y.st, x.st, s, countIncludePad)
	if g.wants(x, nil, nil) {
		n := g.record(opAvgPool, y)
		n.ins = append(n.ins, x)
		n.pool = s
		n.flag = countIncludePad
	}
	return y
}

func (g *Graph) avgPoolBackward(n *node) {
	if dx := g.gradOf(n.ins[0]); dx != nil {
		g.be.AvgPoolBackward(dx, n.out.gst, n.pool, n.flag)
	}
}

// GlobalAvgPool averages each channel plane: (N, C, H, W) → (N, C).
func (g *Graph) GlobalAvgPool(x *Tensor) *Tensor {
	check4("GlobalAvgPool", x)
	C, N, HW := x.shape[1], x.shape[0], x.shape[2]*x.shape[3]
	y := g.newT(2, N, C, 0, 0)
	g.be.GlobalAvgPool(y.st, x.st, C, N, HW)
	if g.wants(x, nil, nil) {
		n := g.record(opGlobalAvgPool, y)
		n.ins = append(n.ins, x)
		n.i[0], n.i[1], n.i[2] = C, N, HW
	}
	return y
}

func (g *Graph) gapBackward(n *node) {
	if dx := g.gradOf(n.ins[0]); dx != nil {
		g.be.GlobalAvgPoolBackward(dx, n.out.gst, n.i[0], n.i[1], n.i[2])
	}
}
