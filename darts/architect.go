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
		lv = a.G.Backward(a.loss(xVal, yVal), alphas...)
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
	off := 0
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
		off += len(d)
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
	gradAt := func(scale float64) []float32 {
		setWeights(ws, a.saved, a.vec, float32(scale))
		ag.ZeroGradOf(alphas)
		a.G.Backward(a.loss(xTrain, yTrain), alphas...)
		return flatten(nil, alphas, true)
	}
	gp := gradAt(r)
	gn := gradAt(-r)
	setWeights(ws, a.saved, nil, 0)
	ag.ZeroGradOf(ws)

	// ∇α = ∇α L_val(w') − η·(g⁺ − g⁻)/(2r).
	off = 0
	for _, t := range alphas {
		gr := t.EnsureGrad()
		for i := range gr {
			gr[i] = dalpha[off+i] - float32(eta*float64(gp[off+i]-gn[off+i])/(2*r))
		}
		off += len(gr)
	}
	return lv
}
