package autograd

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
)

// gradcheck harness: compares the gradients Backward computes with central
// finite differences of L = Σ y·r for a fixed random r, accumulated in
// float64.

type gcCase struct {
	name   string
	inputs []*Tensor // user-owned leaves; only those with RequiresGrad are checked
	fwd    func(g *Graph, in []*Tensor) *Tensor
	eps    float64 // finite-difference step (default 1e-2)
	rtol   float64 // default 2e-2
	atol   float64 // relative to the largest gradient magnitude; default 2e-3
	maxEl  int     // elements checked per input (default 64, sampled)
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// lossOf runs fwd without recording and returns Σ y·r in float64.
func lossOf(g *Graph, c *gcCase, r []float32) float64 {
	prev := g.SetGradEnabled(false)
	defer g.SetGradEnabled(prev)
	y := c.fwd(g, c.inputs)
	d := y.Data()
	s := 0.0
	for i, v := range d {
		s += float64(v) * float64(r[i])
	}
	g.Release()
	return s
}

func gradcheck(t *testing.T, c gcCase) {
	t.Helper()
	if c.eps == 0 {
		c.eps = 1e-2
	}
	if c.rtol == 0 {
		c.rtol = 2e-2
	}
	if c.atol == 0 {
		c.atol = 2e-3
	}
	if c.maxEl == 0 {
		c.maxEl = 64
	}
	rng := rand.New(rand.NewPCG(seedOf(c.name), 1))
	g := NewGraph(NewCPU())
	for _, x := range c.inputs {
		x.ClearGrad()
	}
	var wrt []*Tensor
	for _, x := range c.inputs {
		if x.RequiresGrad {
			wrt = append(wrt, x)
		}
	}
	y := c.fwd(g, c.inputs)
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	g.BackwardWith(y, r, wrt...)
	if g.TapeLen() != 0 || g.MemStats().LiveFloats != 0 {
		t.Fatalf("%s: graph not released after Backward: tape %d, live %d", c.name, g.TapeLen(), g.MemStats().LiveFloats)
	}
	for wi, x := range wrt {
		ana := x.Grad()
		if ana == nil {
			t.Fatalf("%s: input %d got no gradient", c.name, wi)
		}
		ana = append([]float32(nil), ana...)
		scale := 0.0
		for _, v := range ana {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		idx := make([]int, 0, c.maxEl)
		if x.Len() <= c.maxEl {
			for i := 0; i < x.Len(); i++ {
				idx = append(idx, i)
			}
		} else {
			for _, i := range rng.Perm(x.Len())[:c.maxEl] {
				idx = append(idx, i)
			}
		}
		data := x.Data()
		bad := 0
		for _, i := range idx {
			orig := data[i]
			data[i] = orig + float32(c.eps)
			lp := lossOf(g, &c, r)
			data[i] = orig - float32(c.eps)
			lm := lossOf(g, &c, r)
			data[i] = orig
			step := float64(orig+float32(c.eps)) - float64(orig-float32(c.eps))
			num := (lp - lm) / step
			a := float64(ana[i])
			if d := math.Abs(a - num); d > c.atol*math.Max(scale, 1e-3)+c.rtol*math.Max(math.Abs(a), math.Abs(num)) {
				if bad < 5 {
					t.Errorf("%s: input %d (%v) element %d: analytic %.6g numeric %.6g", c.name, wi, x, i, a, num)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: input %d: %d of %d elements off", c.name, wi, bad, len(idx))
		}
	}
}

// ---- input makers ----

func newRNG(name string) *rand.Rand { return rand.New(rand.NewPCG(seedOf(name), 7)) }

// randLeaf is a leaf with N(0, scale²) values.
func randLeaf(rng *rand.Rand, scale float64, shape ...int) *Tensor {
	t := NewParam(NewCPU(), "", shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(rng.NormFloat64() * scale)
	}
	return t
}

// actLeaf is a channel-major activation leaf with N(0, 1) values.
func actLeaf(rng *rand.Rand, shape ...int) *Tensor {
	t := randLeaf(rng, 1, shape...)
	t.cm = len(shape) == 4
	return t
}

// awayLeaf has values of magnitude at least 0.1 (no ReLU kink within a
// finite-difference step).
func awayLeaf(rng *rand.Rand, shape ...int) *Tensor {
	t := NewParam(NewCPU(), "", shape...)
	for i := range t.Data() {
		v := 0.1 + math.Abs(rng.NormFloat64())
		if rng.IntN(2) == 0 {
			v = -v
		}
		t.Data()[i] = float32(v)
	}
	t.cm = len(shape) == 4
	return t
}

// distinctLeaf holds a random permutation of well separated values (no tie
// changes within a finite-difference step: max pooling).
func distinctLeaf(rng *rand.Rand, shape ...int) *Tensor {
	t := NewParam(NewCPU(), "", shape...)
	d := t.Data()
	for i, p := range rng.Perm(len(d)) {
		d[i] = float32(p-len(d)/2) * 0.05
	}
	t.cm = len(shape) == 4
	return t
}

func constLeaf(t *Tensor) *Tensor { t.RequiresGrad = false; return t }

func name(parts ...any) string { return fmt.Sprint(parts...) }
