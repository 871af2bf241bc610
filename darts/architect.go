package darts

import (
	"math"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/kernels"
)

// Architect updates the architecture parameters α of a supernet on
// validation batches (the original's architect.py): first order by default,
// or second order through one unrolled weight step.
type Architect struct {
	Net  *Supernet
	Opt  *ag.Adam
	G    *ag.Graph
	Cost float64 // λ of the hardware-cost term λ·E[cost] (Supernet.SetCostTable)

	// Weight-optimizer hyper-parameters replayed by the unrolled step.
	Momentum, WeightDecay float64
	WeightOpt             *ag.SGD

	saved, vec []float32 // scratch for the unrolled step
	savedBuf   []float32
	twin       *Supernet // runs the w − r·v pass beside the real network
	twinG      *ag.Graph
}

// NewArchitect returns an architect using Adam(lr, betas 0.5/0.999, wd).
func NewArchitect(net *Supernet, g *ag.Graph, lr, weightDecay float64) *Architect {
	return &Architect{
		Net: net, G: g,
		Opt: ag.NewAdam(net.Alphas(), lr, 0.5, 0.999, 1e-8, weightDecay),
	}
}

// loss runs the supernet in training mode on (x, y) and returns the loss
// tensor (the graph then holds the tape).
func (a *Architect) loss(x *ag.Tensor, y []int32) *ag.Tensor {
	return a.G.CrossEntropy(a.Net.Forward(a.G, x, true), y)
}

// Step makes one architecture step. First order: α ← Adam(∇α L_val(w, α)).
// With unrolled, the gradient is that of L_val(w − η∇w L_train(w, α), α),
// the Hessian-vector product approximated by finite differences. eta is the
// current weight learning rate. It returns the validation loss.
func (a *Architect) Step(xTrain *ag.Tensor, yTrain []int32, xVal *ag.Tensor, yVal []int32, eta float64, unrolled bool) float32 {
	alphas := a.Net.Alphas()
	ag.ZeroGradOf(alphas)
	var lv float32
	if unrolled {
		lv = a.unrolledGrad(xTrain, yTrain, xVal, yVal, eta)
	} else {
		restore := freeze(a.Net.Weights)
		lv = a.G.Backward(a.loss(xVal, yVal), alphas...)
		restore()
	}
	a.Net.AddCostGradient(a.Cost)
	a.Opt.Step()
	return lv
}

// flatten copies the values (or, with grads, the gradients) of ts into dst.
func flatten(dst []float32, ts []*ag.Tensor, grads bool) []float32 {
	dst = dst[:0]
	for _, t := range ts {
		if grads {
			if gr := t.Grad(); gr != nil {
				dst = append(dst, gr...)
			} else {
				dst = append(dst, make([]float32, t.Len())...)
			}
		} else {
			dst = append(dst, t.Data()...)
		}
	}
	return dst
}

// setWeights writes w + scale·v into the network weights.
func setWeights(ts []*ag.Tensor, w, v []float32, scale float32) {
	off := 0
	for _, t := range ts {
		d := t.Data()
		n := len(d)
		copy(d, w[off:off+n])
		if v != nil {
			kernels.Axpy(scale, v[off:off+n], d)
		}
		off += n
	}
}

func (a *Architect) unrolledGrad(xTrain *ag.Tensor, yTrain []int32, xVal *ag.Tensor, yVal []int32, eta float64) float32 {
	net := a.Net
	ws := net.Weights
	alphas := net.Alphas()

	// Virtual step w' = w − η(μ·buf + ∇w L_train + λ_wd·w), replaying SGD.
	a.saved = flatten(a.saved, ws, false)
	ag.ZeroGradOf(ws)
	a.G.Backward(a.loss(xTrain, yTrain), ws...)
	for _, t := range ws {
		d, gr := t.Data(), t.Grad()
		var buf []float32
		if a.WeightOpt != nil {
			buf = a.WeightOpt.MomentumBuffer(t)
		}
		for i := range d {
			step := gr[i] + float32(a.WeightDecay)*d[i]
			if buf != nil {
				step += float32(a.Momentum) * buf[i]
			}
			d[i] -= float32(eta) * step
		}
	}

	// L_val at w' (a separate model in the original: keep the running
	// statistics of the real one untouched).
	a.savedBuf = flatten(a.savedBuf, net.Buffers, false)
	ag.ZeroGradOf(ws)
	ag.ZeroGradOf(alphas)
	all := append(append([]*ag.Tensor(nil), ws...), alphas...)
	lv := a.G.Backward(a.loss(xVal, yVal), all...)
	setWeights(net.Buffers, a.savedBuf, nil, 0)
	dalpha := flatten(nil, alphas, true)
	a.vec = flatten(a.vec, ws, true)
	norm := math.Sqrt(kernels.SumSquares(a.vec))
	r := 0.01 / norm

	// Finite-difference ∇²_{α,w} L_train · v around the real w.
	gp, gn := a.hessianPasses(xTrain, yTrain, r, defaultPairMode(a.G.Backend()))
	setWeights(ws, a.saved, nil, 0)
	ag.ZeroGradOf(ws)

	// ∇α = ∇α L_val(w') − η·(g⁺ − g⁻)/(2r).
	off := 0
	for _, t := range alphas {
		gr := t.EnsureGrad()
		for i := range gr {
			gr[i] = dalpha[off+i] - float32(eta*float64(gp[off+i]-gn[off+i])/(2*r))
		}
		off += len(gr)
	}
	return lv
}

// gradAt returns ∇α L_train(w + scale·v, α) computed on net (the real
// network or its twin) with graph g. The pass updates net's running
// statistics, as the original's does.
func (a *Architect) gradAt(net *Supernet, g *ag.Graph, x *ag.Tensor, y []int32, scale float64) []float32 {
	setWeights(net.Weights, a.saved, a.vec, float32(scale))
	alphas := net.Alphas()
	ag.ZeroGradOf(alphas)
	restore := freeze(net.Weights)
	g.Backward(g.CrossEntropy(net.Forward(g, x, true), y), alphas...)
	restore()
	return flatten(nil, alphas, true)
}

// freeze turns off RequiresGrad on the weights for a pass that wants ∂/∂α
// only, and returns the function that turns it back on. The forward pass
// then records no op that only weights feed (the stem), and the graph
// lets go of the inputs the convolutions keep for their weight gradients:
// at C=8, L=5, batch 32 such a pass holds 347 MB instead of 566.
func freeze(ws []*ag.Tensor) (restore func()) {
	was := make([]bool, len(ws))
	for i, w := range ws {
		was[i], w.RequiresGrad = w.RequiresGrad, false
	}
	return func() {
		for i, w := range ws {
			w.RequiresGrad = was[i]
		}
	}
}

// pairMode says how hessianPasses runs its two passes.
type pairMode int

const (
	pairSequential pairMode = iota // one after the other on the real network
	pairShared                     // side by side, both splitting their kernels over the workers
	pairInline                     // side by side, each running its kernels' chunks inline on its own core
)

// defaultPairMode picks how to run the finite-difference passes: side by
// side on a CPU backend with at least two kernel threads; with exactly two,
// each pass on one core (kernels.Inline), where sharing the workers would
// put four goroutines on two cores. BenchmarkHessianPair on the 2-vCPU
// machine, three runs each: at C=8 L=5 batch 32 the pair takes 0.39–0.44 s
// inline, 0.49–0.51 s shared and 0.61–0.69 s one after the other; at
// C=16 L=8 batch 64, which is bound by memory bandwidth, 3.7–4.2 s inline
// or shared against 4.6–4.8 s in sequence.
func defaultPairMode(be ag.Backend) pairMode {
	if _, cpu := be.(*ag.CPU); !cpu {
		return pairSequential
	}
	switch t := kernels.Threads(); {
	case t == 2:
		return pairInline
	case t > 2:
		return pairShared
	}
	return pairSequential
}

// hessianPasses returns g± = ∇α L_train(w ± r·v, α). The two passes are
// independent: side by side (mode pairShared or pairInline), the one at
// w − r·v runs on a twin of the network (its own weights, α, running
// statistics, graph and CPU backend) on a goroutine of its own, at the
// same time as the other. Each pass's kernels split their work as they
// would alone (ParallelFor's split does not depend on what else runs, and
// Inline keeps it), so the gradients are the same bits as the passes one
// after the other. Afterwards the real network's running statistics are
// what the two passes run one after the other would have left:
// running = (1−m)·(running⁺ − running₀) + running⁻, where running⁺ and
// running⁻ are each pass's update of the statistics running₀ (a.savedBuf)
// both started from.
func (a *Architect) hessianPasses(x *ag.Tensor, y []int32, r float64, mode pairMode) (gp, gn []float32) {
	net := a.Net
	if mode == pairSequential {
		gp = a.gradAt(net, a.G, x, y, r)
		gn = a.gradAt(net, a.G, x, y, -r)
		return gp, gn
	}
	if a.twin == nil {
		be := ag.NewCPU()
		a.twin = NewSupernet(be, net.C, net.Layers, net.Steps, net.Multiplier, net.StemW.Dim(0)/net.C,
			net.Classes, net.InChannels, net.ImageSize, 0)
		a.twinG = ag.NewGraphSharing(be, a.G) // borrows what the α-only pass leaves idle
	}
	tw := a.twin
	for i, t := range net.Alphas() {
		tw.Alphas()[i].SetData(t.Data())
	}
	setWeights(tw.Buffers, a.savedBuf, nil, 0)
	xt := x.Clone() // a Tensor's bookkeeping is not shared between graphs running at once
	endInline := func() {}
	if mode == pairInline {
		endInline = kernels.Inline()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		gn = a.gradAt(tw, a.twinG, xt, y, -r)
	}()
	gp = a.gradAt(net, a.G, x, y, r)
	<-done
	endInline()
	off := 0
	for i, bn := range net.BNs {
		m := float64(bn.Momentum)
		for j, t := range bn.Buffers() {
			plus, minus := t.Data(), tw.BNs[i].Buffers()[j].Data()
			for k := range plus {
				r0 := float64(a.savedBuf[off+k])
				plus[k] = float32((1-m)*(float64(plus[k])-r0) + float64(minus[k]))
			}
			off += len(plus)
		}
	}
	return gp, gn
}
