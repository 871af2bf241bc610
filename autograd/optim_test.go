package autograd

import (
	"math"
	"testing"
)

func param(name string, v ...float32) *Tensor {
	t := NewParam(NewCPU(), name, len(v))
	copy(t.Data(), v)
	return t
}

func setGrad(t *Tensor, v ...float32) { copy(t.EnsureGrad(), v) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestSGD(t *testing.T) {
	// momentum 0.9, lr 0.1, no decay; gradient 1 twice: buf 1 then 1.9.
	p := param("p", 1)
	o := NewSGD([]*Tensor{p}, 0.1, 0.9, 0)
	if o.MomentumBuffer(p) != nil {
		t.Error("buffer before the first step")
	}
	setGrad(p, 1)
	o.Step()
	if !near(float64(p.Data()[0]), 0.9, 1e-7) || o.MomentumBuffer(p)[0] != 1 {
		t.Errorf("step 1: p %v buf %v", p.Data()[0], o.MomentumBuffer(p))
	}
	o.Step()
	if !near(float64(p.Data()[0]), 0.71, 1e-6) || !near(float64(o.MomentumBuffer(p)[0]), 1.9, 1e-7) {
		t.Errorf("step 2: p %v buf %v", p.Data()[0], o.MomentumBuffer(p))
	}
	// Weight decay enters the buffer: d = g + wd·p.
	q := param("q", 2)
	o = NewSGD([]*Tensor{q}, 0.5, 0.9, 0.1)
	setGrad(q, 1)
	o.Step() // d = 1.2, buf = 1.2, q = 2 - 0.6
	if !near(float64(q.Data()[0]), 1.4, 1e-6) || !near(float64(o.MomentumBuffer(q)[0]), 1.2, 1e-6) {
		t.Errorf("decay: q %v buf %v", q.Data()[0], o.MomentumBuffer(q))
	}
	o.Step() // d = 1.14, buf = 0.9·1.2 + 1.14 = 2.22, q = 1.4 - 1.11
	if !near(float64(q.Data()[0]), 0.29, 1e-5) || !near(float64(o.MomentumBuffer(q)[0]), 2.22, 1e-6) {
		t.Errorf("decay 2: q %v buf %v", q.Data()[0], o.MomentumBuffer(q))
	}
	// Nesterov and dampening.
	r := param("r", 0)
	o = &SGD{}
	o.AddGroup(&ParamGroup{Params: []*Tensor{r}, LR: 1, Momentum: 0.5, Dampening: 0.5, Nesterov: true})
	setGrad(r, 1)
	o.Step() // buf = 1 (first step: no dampening), d = 1 + 0.5 = 1.5
	o.Step() // buf = 0.5 + 0.5 = 1, d = 1 + 0.5 = 1.5
	if !near(float64(r.Data()[0]), -3, 1e-7) {
		t.Errorf("nesterov: %v", r.Data()[0])
	}
	// No momentum; a parameter without a gradient is skipped.
	s, u := param("s", 1), param("u", 1)
	o = NewSGD([]*Tensor{s, u}, 0.1, 0, 0)
	setGrad(s, 2)
	o.Step()
	if !near(float64(s.Data()[0]), 0.8, 1e-7) || u.Data()[0] != 1 || o.MomentumBuffer(s) != nil {
		t.Error("plain SGD")
	}
	o.ZeroGrad()
	if s.Grad()[0] != 0 {
		t.Error("ZeroGrad")
	}
}

// adamRef is PyTorch's Adam in float64.
func adamRef(p, g []float64, steps int, lr, b1, b2, eps, wd float64) []float64 {
	p = append([]float64(nil), p...)
	m := make([]float64, len(p))
	v := make([]float64, len(p))
	for t := 1; t <= steps; t++ {
		for i := range p {
			d := g[i] + wd*p[i]
			m[i] = b1*m[i] + (1-b1)*d
			v[i] = b2*v[i] + (1-b2)*d*d
			den := math.Sqrt(v[i])/math.Sqrt(1-math.Pow(b2, float64(t))) + eps
			p[i] -= lr / (1 - math.Pow(b1, float64(t))) * m[i] / den
		}
	}
	return p
}

func TestAdam(t *testing.T) {
	p0 := []float64{1, -2, 0.5, 3}
	g := []float64{0.3, -1, 2, 1e-3}
	for _, c := range []struct{ lr, b1, b2, eps, wd float64 }{
		{3e-4, 0.5, 0.999, 1e-8, 1e-3}, // DARTS' architecture optimizer
		{0.1, 0.9, 0.999, 1e-8, 0},
	} {
		p := param("a", float32(p0[0]), float32(p0[1]), float32(p0[2]), float32(p0[3]))
		o := NewAdam([]*Tensor{p}, c.lr, c.b1, c.b2, c.eps, c.wd)
		for s := 0; s < 5; s++ {
			setGrad(p, float32(g[0]), float32(g[1]), float32(g[2]), float32(g[3]))
			o.Step()
		}
		want := adamRef(p0, g, 5, c.lr, c.b1, c.b2, c.eps, c.wd)
		for i := range want {
			if !near(float64(p.Data()[i]), want[i], 2e-6) {
				t.Errorf("%+v: p[%d] = %v want %v", c, i, p.Data()[i], want[i])
			}
		}
		if o.StepCount(p) != 5 {
			t.Errorf("step count %d", o.StepCount(p))
		}
	}
	// First step moves every coordinate by lr (sign of the gradient).
	p := param("b", 0, 0)
	o := NewAdam([]*Tensor{p}, 0.01, 0.9, 0.999, 1e-8, 0)
	setGrad(p, 5, -0.001)
	o.Step()
	if !near(float64(p.Data()[0]), -0.01, 1e-5) || !near(float64(p.Data()[1]), 0.01, 1e-4) {
		t.Errorf("first Adam step %v", p.Data())
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	mk := func() (*Tensor, *Tensor) { return param("w", 1, 2, 3), param("", 0.5) }
	steps := func(o Optimizer, a, b *Tensor, n int) {
		for i := 0; i < n; i++ {
			setGrad(a, 0.1, -0.2, float32(i))
			setGrad(b, 1)
			o.Step()
		}
	}
	for _, kind := range []string{"sgd", "adam"} {
		newOpt := func(a, b *Tensor) Optimizer {
			if kind == "sgd" {
				return NewSGD([]*Tensor{a, b}, 0.1, 0.9, 1e-2)
			}
			return NewAdam([]*Tensor{a, b}, 0.1, 0.9, 0.999, 1e-8, 1e-2)
		}
		a1, b1 := mk()
		o1 := newOpt(a1, b1)
		steps(o1, a1, b1, 6)

		a2, b2 := mk()
		o2 := newOpt(a2, b2)
		steps(o2, a2, b2, 3)
		st := o2.State()
		if kind == "sgd" && len(st["w.momentum_buffer"]) != 3 {
			t.Errorf("sgd state keys %v", st)
		}
		if kind == "adam" && st["group0.param1.step"][0] != 3 {
			t.Errorf("adam state keys %v", st)
		}
		a3, b3 := a2.Clone(), b2.Clone()
		a3.RequiresGrad, b3.RequiresGrad = true, true
		o3 := newOpt(a3, b3)
		if err := o3.LoadState(st); err != nil {
			t.Fatal(err)
		}
		// Continue from step 3 with the same gradients as the reference.
		for i := 3; i < 6; i++ {
			setGrad(a3, 0.1, -0.2, float32(i))
			setGrad(b3, 1)
			o3.Step()
		}
		for i := range a1.Data() {
			if a1.Data()[i] != a3.Data()[i] {
				t.Errorf("%s: resumed run differs: %v vs %v", kind, a3.Data(), a1.Data())
				break
			}
		}
		st["bogus"] = []float32{1}
		if err := o3.LoadState(st); err == nil {
			t.Errorf("%s: unknown key accepted", kind)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	a, b := param("a", 0, 0), param("b", 0)
	setGrad(a, 3, 0)
	setGrad(b, 4)
	n := ClipGradNorm([]*Tensor{a, b}, 1)
	if !near(n, 5, 1e-7) {
		t.Errorf("norm %v", n)
	}
	if !near(float64(a.Grad()[0]), 0.6, 1e-6) || !near(float64(b.Grad()[0]), 0.8, 1e-6) {
		t.Errorf("clipped %v %v", a.Grad(), b.Grad())
	}
	n = ClipGradNorm([]*Tensor{a, b, param("nograd", 1)}, 10)
	if !near(n, 1, 1e-6) || !near(float64(a.Grad()[0]), 0.6, 1e-6) {
		t.Errorf("below the limit: norm %v grads %v", n, a.Grad())
	}
}

func TestCosineAnnealing(t *testing.T) {
	c := CosineAnnealing{BaseLR: 0.025, EtaMin: 0.001, TMax: 50}
	if c.LR(0) != 0.025 || !near(c.LR(50), 0.001, 1e-12) || !near(c.LR(25), 0.013, 1e-12) {
		t.Errorf("lr %v %v %v", c.LR(0), c.LR(25), c.LR(50))
	}
	if !near(c.LR(10), 0.001+0.024*(1+math.Cos(math.Pi/5))/2, 1e-15) {
		t.Error("lr(10)")
	}
}
