package autograd

import (
	"fmt"
	"math"
	"sort"

	"github.com/darts-go/darts/kernels"
)

// The optimizers reproduce PyTorch's update rules (torch.optim.SGD and
// torch.optim.Adam, single-tensor path, float32 arithmetic with the
// hyper-parameters rounded to float32 as PyTorch does when it applies a
// Python scalar to a float tensor). They work on host memory: parameters
// and gradients are read through Tensor.Data and Tensor.Grad. A parameter
// without a gradient (Grad() == nil) is skipped, as in PyTorch.

// ParamGroup is a set of parameters sharing hyper-parameters, like a
// PyTorch param_group. Fields an optimizer does not use are ignored.
type ParamGroup struct {
	Params      []*Tensor
	LR          float64
	WeightDecay float64 // L2 penalty added to the gradient

	// SGD.
	Momentum  float64
	Dampening float64
	Nesterov  bool

	// Adam (defaults 0.9, 0.999, 1e-8 when all three are zero).
	Beta1, Beta2, Eps float64
}

// Optimizer is what SGD and Adam have in common.
type Optimizer interface {
	Step()
	ZeroGrad()
	SetLR(lr float64)
	// State exports the optimizer state as named float32 slices (copies);
	// LoadState restores it.
	State() map[string][]float32
	LoadState(map[string][]float32) error
}

// paramKey names a parameter in exported state: its Name, or its position.
func paramKey(gi, pi int, p *Tensor) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("group%d.param%d", gi, pi)
}

// ZeroGradOf zeroes the gradients of params.
func ZeroGradOf(params []*Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// ---- SGD ----

// SGD (usable as a zero value plus AddGroup) is stochastic gradient descent with momentum, dampening, Nesterov
// momentum and L2 weight decay, exactly as torch.optim.SGD:
//
//	d = grad + wd·p
//	buf = d (first step), else buf = momentum·buf + (1-dampening)·d
//	d = d + momentum·buf (Nesterov) or d = buf
//	p = p - lr·d
type SGD struct {
	Groups []*ParamGroup
	buf    map[*Tensor][]float32
}

// NewSGD returns an SGD optimizer with one parameter group.
func NewSGD(params []*Tensor, lr, momentum, weightDecay float64) *SGD {
	o := &SGD{buf: make(map[*Tensor][]float32)}
	o.AddGroup(&ParamGroup{Params: params, LR: lr, Momentum: momentum, WeightDecay: weightDecay})
	return o
}

// AddGroup adds a parameter group.
func (o *SGD) AddGroup(g *ParamGroup) { o.Groups = append(o.Groups, g) }

// SetLR sets the learning rate of every group.
func (o *SGD) SetLR(lr float64) {
	for _, g := range o.Groups {
		g.LR = lr
	}
}

// ZeroGrad zeroes every parameter's gradient.
func (o *SGD) ZeroGrad() {
	for _, g := range o.Groups {
		ZeroGradOf(g.Params)
	}
}

// MomentumBuffer is the momentum buffer of p (live, not a copy), nil before
// p's first step or without momentum. DARTS' second-order architecture step
// replays the weight update with it.
func (o *SGD) MomentumBuffer(p *Tensor) []float32 { return o.buf[p] }

// Step applies one update to every parameter that has a gradient.
func (o *SGD) Step() {
	if o.buf == nil {
		o.buf = make(map[*Tensor][]float32)
	}
	for _, g := range o.Groups {
		lr, wd := float32(g.LR), float32(g.WeightDecay)
		mom, damp := float32(g.Momentum), float32(1-g.Dampening)
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			w := p.Data()
			grad = grad[:len(w)]
			if g.Momentum == 0 {
				for i, d := range grad {
					if wd != 0 {
						d += wd * w[i]
					}
					w[i] -= lr * d
				}
				continue
			}
			buf, ok := o.buf[p]
			if !ok {
				buf = make([]float32, len(w))
				o.buf[p] = buf
			}
			for i, d := range grad {
				if wd != 0 {
					d += wd * w[i]
				}
				var b float32
				if !ok {
					b = d
				} else {
					b = mom*buf[i] + damp*d
				}
				buf[i] = b
				if g.Nesterov {
					d += mom * b
				} else {
					d = b
				}
				w[i] -= lr * d
			}
		}
	}
}

// State implements Optimizer: "<param>.momentum_buffer" per parameter that
// has one.
func (o *SGD) State() map[string][]float32 {
	m := make(map[string][]float32)
	for gi, g := range o.Groups {
		for pi, p := range g.Params {
			if b, ok := o.buf[p]; ok {
				m[paramKey(gi, pi, p)+".momentum_buffer"] = append([]float32(nil), b...)
			}
		}
	}
	return m
}

// LoadState implements Optimizer. Buffers absent from the map are dropped
// (the next step starts them afresh); unknown keys are an error.
func (o *SGD) LoadState(m map[string][]float32) error {
	used := 0
	buf := make(map[*Tensor][]float32)
	for gi, g := range o.Groups {
		for pi, p := range g.Params {
			k := paramKey(gi, pi, p) + ".momentum_buffer"
			v, ok := m[k]
			if !ok {
				continue
			}
			if len(v) != p.Len() {
				return fmt.Errorf("autograd: SGD state %q has %d values, parameter has %d", k, len(v), p.Len())
			}
			buf[p] = append([]float32(nil), v...)
			used++
		}
	}
	if used != len(m) {
		return fmt.Errorf("autograd: SGD state has %d entries matching no parameter: %v", len(m)-used, unknownKeys(m, o.Groups, []string{".momentum_buffer"}))
	}
	o.buf = buf
	return nil
}

func unknownKeys(m map[string][]float32, groups []*ParamGroup, suffixes []string) []string {
	known := make(map[string]bool)
	for gi, g := range groups {
		for pi, p := range g.Params {
			for _, s := range suffixes {
				known[paramKey(gi, pi, p)+s] = true
			}
		}
	}
	var out []string
	for k := range m {
		if !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ---- Adam ----

type adamState struct {
	step          int
	expAvg, expSq []float32
}

// Adam is torch.optim.Adam (amsgrad off) with L2 weight decay added to the
// gradient:
//
//	d = grad + wd·p
//	m = lerp(m, d, 1-β1);  v = β2·v + (1-β2)·d²
//	p = p - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps)
type Adam struct {
	Groups []*ParamGroup
	state  map[*Tensor]*adamState
}

// NewAdam returns an Adam optimizer with one parameter group.
func NewAdam(params []*Tensor, lr, beta1, beta2, eps, weightDecay float64) *Adam {
	o := &Adam{state: make(map[*Tensor]*adamState)}
	o.AddGroup(&ParamGroup{Params: params, LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay})
	return o
}

// AddGroup adds a parameter group.
func (o *Adam) AddGroup(g *ParamGroup) {
	if g.Beta1 == 0 && g.Beta2 == 0 && g.Eps == 0 {
		g.Beta1, g.Beta2, g.Eps = 0.9, 0.999, 1e-8
	}
	o.Groups = append(o.Groups, g)
}

// SetLR sets the learning rate of every group.
func (o *Adam) SetLR(lr float64) {
	for _, g := range o.Groups {
		g.LR = lr
	}
}

// ZeroGrad zeroes every parameter's gradient.
func (o *Adam) ZeroGrad() {
	for _, g := range o.Groups {
		ZeroGradOf(g.Params)
	}
}

// StepCount is the number of steps p has taken.
func (o *Adam) StepCount(p *Tensor) int {
	if s := o.state[p]; s != nil {
		return s.step
	}
	return 0
}

// lerp is torch.lerp for float32: weight < 0.5 ? a + w·(b-a) : b - (b-a)·(1-w).
func lerp(a, b, w float32) float32 {
	if w < 0.5 {
		return a + w*(b-a)
	}
	return b - (b-a)*(1-w)
}

// Step applies one update to every parameter that has a gradient.
func (o *Adam) Step() {
	if o.state == nil {
		o.state = make(map[*Tensor]*adamState)
	}
	for _, g := range o.Groups {
		wd := float32(g.WeightDecay)
		w1 := float32(1 - g.Beta1)
		b2, c2 := float32(g.Beta2), float32(1-g.Beta2)
		eps := float32(g.Eps)
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			w := p.Data()
			grad = grad[:len(w)]
			s := o.state[p]
			if s == nil {
				s = &adamState{expAvg: make([]float32, len(w)), expSq: make([]float32, len(w))}
				o.state[p] = s
			}
			s.step++
			bc1 := 1 - math.Pow(g.Beta1, float64(s.step))
			bc2 := 1 - math.Pow(g.Beta2, float64(s.step))
			stepSize := float32(g.LR / bc1)
			bc2s := float32(math.Sqrt(bc2))
			m, v := s.expAvg, s.expSq
			for i, d := range grad {
				if wd != 0 {
					d += wd * w[i]
				}
				m[i] = lerp(m[i], d, w1)
				v[i] = v[i]*b2 + c2*d*d // addcmul: v + (value·d)·d
				den := float32(math.Sqrt(float64(v[i])))/bc2s + eps
				w[i] += -stepSize * m[i] / den // addcdiv: p + (value·m)/den
			}
		}
	}
}

// State implements Optimizer: "<param>.exp_avg", ".exp_avg_sq" and ".step"
// (one value) per parameter that has stepped.
func (o *Adam) State() map[string][]float32 {
	m := make(map[string][]float32)
	for gi, g := range o.Groups {
		for pi, p := range g.Params {
			if s := o.state[p]; s != nil {
				k := paramKey(gi, pi, p)
				m[k+".exp_avg"] = append([]float32(nil), s.expAvg...)
				m[k+".exp_avg_sq"] = append([]float32(nil), s.expSq...)
				m[k+".step"] = []float32{float32(s.step)}
			}
		}
	}
	return m
}

// LoadState implements Optimizer.
func (o *Adam) LoadState(m map[string][]float32) error {
	used := 0
	state := make(map[*Tensor]*adamState)
	for gi, g := range o.Groups {
		for pi, p := range g.Params {
			k := paramKey(gi, pi, p)
			a, ok1 := m[k+".exp_avg"]
			q, ok2 := m[k+".exp_avg_sq"]
			st, ok3 := m[k+".step"]
			if !ok1 && !ok2 && !ok3 {
				continue
			}
			if !ok1 || !ok2 || !ok3 || len(a) != p.Len() || len(q) != p.Len() || len(st) != 1 {
				return fmt.Errorf("autograd: Adam state of %q is incomplete or mis-sized", k)
			}
			state[p] = &adamState{step: int(st[0]), expAvg: append([]float32(nil), a...), expSq: append([]float32(nil), q...)}
			used += 3
		}
	}
	if used != len(m) {
		return fmt.Errorf("autograd: Adam state has entries matching no parameter: %v",
			unknownKeys(m, o.Groups, []string{".exp_avg", ".exp_avg_sq", ".step"}))
	}
	o.state = state
	return nil
}

// ---- gradient clipping and schedules ----

// ClipGradNorm scales the gradients of params so that their joint 2-norm
// is at most maxNorm and returns the norm before clipping, as
// torch.nn.utils.clip_grad_norm_: coef = maxNorm/(norm+1e-6), applied
// (clamped to 1) when below 1. Parameters without a gradient are ignored.
func ClipGradNorm(params []*Tensor, maxNorm float64) float64 {
	total := 0.0
	for _, p := range params {
		if gr := p.Grad(); gr != nil {
			n := float64(float32(math.Sqrt(kernels.SumSquares(gr))))
			total += n * n
		}
	}
	total = float64(float32(math.Sqrt(total)))
	coef := maxNorm / (total + 1e-6)
	if coef < 1 {
		c := float32(coef)
		for _, p := range params {
			if gr := p.Grad(); gr != nil {
				kernels.Scale(gr, c, gr)
			}
		}
	}
	return total
}

// CosineAnnealing is PyTorch's CosineAnnealingLR in closed form:
// lr(t) = EtaMin + (BaseLR-EtaMin)·(1+cos(π·t/TMax))/2.
type CosineAnnealing struct {
	BaseLR, EtaMin float64
	TMax           int
}

// LR is the learning rate for epoch t (0-based).
func (c CosineAnnealing) LR(t int) float64 {
	return c.EtaMin + (c.BaseLR-c.EtaMin)*(1+math.Cos(math.Pi*float64(t)/float64(c.TMax)))/2
}
