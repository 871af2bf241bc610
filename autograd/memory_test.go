package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Gradients of graph-owned intermediates start "fresh" and the first
// contribution overwrites them. Each case feeds an op an intermediate
// (h = x·s[0]) once, or twice so that an overwrite is followed by
// accumulations, and checks the gradient reaching the leaves.
func TestGradFreshIntermediates(t *testing.T) {
	rng := newRNG("fresh")
	x := actLeaf(rng, 2, 4, 3, 3)
	s := randLeaf(rng, 1, 2, 4)
	m := randLeaf(rng, 1, 3, 6)
	pw := randLeaf(rng, 0.5, 4, 4, 1, 1)
	fc := randLeaf(rng, 0.5, 5, 6)
	mid := func(g *Graph, x, s *Tensor) *Tensor { return g.ScaleBy(x, s, 0) }
	cases := []struct {
		name string
		in   []*Tensor
		fwd  func(g *Graph, in []*Tensor) *Tensor
	}{
		{"add", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.Add(h, h, mid(g, h, in[1]))
		}},
		{"add-adopt", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			h, k := mid(g, in[0], in[1]), g.ScaleBy(in[0], in[1], 3)
			return g.ScaleBy(g.Add(k, h), in[1], 6)
		}},
		{"scaleby", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.Add(g.ScaleBy(h, in[1], 2), g.ScaleBy(h, in[1], 5))
		}},
		{"weightedsum", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.WeightedSum(in[1], []int{1, 2, 7}, []*Tensor{h, in[0], h})
		}},
		{"concat", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.Concat(h, in[0], h)
		}},
		{"reshape", []*Tensor{m, s}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.Reshape(h, 3, 2, 3, 1)
		}},
		{"reshape4", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			return g.Reshape(mid(g, in[0], in[1]), 2, 36)
		}},
		{"dropout", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			return g.Dropout(mid(g, in[0], in[1]), 0.4, rand.New(rand.NewPCG(1, 2)))
		}},
		{"droppath", []*Tensor{x, s}, func(g *Graph, in []*Tensor) *Tensor {
			return g.DropPath(mid(g, in[0], in[1]), 0.6, rand.New(rand.NewPCG(3, 4)))
		}},
		{"pointwise", []*Tensor{x, s, pw}, func(g *Graph, in []*Tensor) *Tensor {
			h := mid(g, in[0], in[1])
			return g.Add(g.PointwiseConv(h, in[2], 1, 0, false), g.PointwiseConv(h, in[2], 1, 0, false))
		}},
		{"pointwise-strided", []*Tensor{x, s, pw}, func(g *Graph, in []*Tensor) *Tensor {
			return g.PointwiseConv(mid(g, in[0], in[1]), in[2], 2, 1, false)
		}},
		{"linear", []*Tensor{m, s, fc}, func(g *Graph, in []*Tensor) *Tensor {
			return g.Linear(mid(g, in[0], in[1]), in[2], nil)
		}},
	}
	for _, c := range cases {
		gradcheck(t, gcCase{name: "fresh-" + c.name, inputs: c.in, fwd: c.fwd})
	}
}

// A weighted sum over the outputs of batch norms without affine transform
// hands them a pending scaled gradient, folded into the batch norm's
// backward step or made real when another consumer adds to it first.
func TestGradPendingScaledGradient(t *testing.T) {
	rng := newRNG("pending")
	be := NewCPU()
	bn1, bn2 := NewBatchNorm(be, "bn1", 3, false), NewBatchNorm(be, "bn2", 3, false)
	x := actLeaf(rng, 2, 3, 4, 4)
	pw := randLeaf(rng, 0.5, 3, 3, 1, 1)
	alpha := randLeaf(rng, 1, 2, 4)
	branches := func(g *Graph, x, pw *Tensor) (a, b *Tensor) {
		p := g.PointwiseConv(x, pw, 1, 0, true)
		a = g.BatchNorm(p, bn1, true)
		g.Drop(p)
		q := g.AvgPool(x, 3, 1, 1, false)
		b = g.BatchNorm(q, bn2, true)
		g.Drop(q)
		return a, b
	}
	cases := []struct {
		name string
		fwd  func(g *Graph, in []*Tensor) *Tensor
	}{
		{"folded", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			return g.WeightedSum(w, []int{1, 2, 3}, []*Tensor{a, b, in[0]})
		}},
		{"consumer-before", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			c := g.ScaleBy(a, w, 6)
			return g.Concat(g.WeightedSum(w, []int{1, 2}, []*Tensor{a, b}), c)
		}},
		{"consumer-after", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			m := g.WeightedSum(w, []int{1, 2}, []*Tensor{a, b})
			return g.Add(m, g.ScaleBy(a, w, 6))
		}},
		{"add-after-pending", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			s := g.Add(a, b)
			return g.Concat(s, g.WeightedSum(w, []int{1, 2}, []*Tensor{a, b}))
		}},
		{"twice", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			return g.WeightedSum(w, []int{1, 5, 2}, []*Tensor{a, a, b})
		}},
		{"late-weights", func(g *Graph, in []*Tensor) *Tensor {
			a, b := branches(g, in[0], in[1])
			w := g.Softmax(in[2])
			return g.WeightedSum(w, []int{1, 2}, []*Tensor{a, b})
		}},
		{"leaf-weights", func(g *Graph, in []*Tensor) *Tensor {
			a, b := branches(g, in[0], in[1])
			return g.WeightedSum(in[2], []int{1, 6}, []*Tensor{a, b})
		}},
		{"two-sums", func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[2])
			a, b := branches(g, in[0], in[1])
			return g.Concat(g.WeightedSum(w, []int{1, 2}, []*Tensor{a, b}), g.WeightedSum(w, []int{4, 5}, []*Tensor{b, a}))
		}},
	}
	for _, c := range cases {
		gradcheck(t, gcCase{name: "pending-" + c.name, inputs: []*Tensor{x, pw, alpha}, eps: 3e-3, rtol: 3e-2, fwd: c.fwd})
	}
}

// Drop releases a tensor's values at once when no backward step reads them
// and does not change any gradient; other values are released during
// Backward as soon as no remaining step reads them.
func TestDrop(t *testing.T) {
	rng := newRNG("drop-values")
	be := NewCPU()
	x := actLeaf(rng, 2, 3, 4, 4)
	pw := randLeaf(rng, 0.5, 3, 3, 1, 1)
	alpha := randLeaf(rng, 1, 2, 4)
	r := make([]float32, x.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	run := func(drop bool) (grads [][]float32, live []int64) {
		bn := NewBatchNorm(be, "bn", 3, false)
		g := NewGraph(be)
		for _, p := range []*Tensor{x, pw, alpha} {
			p.ClearGrad()
		}
		w := g.Softmax(alpha)
		p := g.PointwiseConv(x, pw, 1, 0, true)
		a := g.BatchNorm(p, bn, true)
		live = append(live, g.MemStats().LiveFloats)
		if drop {
			g.Drop(p)
			g.Drop(p) // a second Drop is harmless
			if p.Storage() != nil {
				t.Errorf("Drop kept the values of a tensor no backward step reads")
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Data on a dropped tensor did not panic")
					}
				}()
				p.Data()
			}()
			g.Drop(a) // read by its own batch norm's backward step: kept
			if a.Storage() == nil {
				t.Errorf("Drop released values a backward step reads")
			}
			g.Drop(x) // user-owned: ignored
		}
		live = append(live, g.MemStats().LiveFloats)
		y := g.WeightedSum(w, []int{0, 1}, []*Tensor{a, x})
		g.BackwardWith(y, r, x, pw, alpha)
		if g.MemStats().LiveFloats != 0 {
			t.Errorf("live floats after Backward: %d", g.MemStats().LiveFloats)
		}
		for _, p := range []*Tensor{x, pw, alpha} {
			grads = append(grads, append([]float32(nil), p.Grad()...))
		}
		return grads, live
	}
	g0, l0 := run(false)
	g1, l1 := run(true)
	if l0[0] != l0[1] || l1[1] != l1[0]-int64(x.Len()) {
		t.Errorf("live floats before/after Drop: %v without, %v with", l0, l1)
	}
	for i := range g0 {
		for j := range g0[i] {
			if math.Float32bits(g0[i][j]) != math.Float32bits(g1[i][j]) {
				t.Fatalf("gradient %d[%d] differs with Drop: %v vs %v", i, j, g0[i][j], g1[i][j])
			}
		}
	}
}

// The peak of live graph memory of a DARTS-like step does not grow in the
// backward pass beyond the end of the forward pass by more than a few
// tensors: values are released as soon as no backward step reads them and
// a weighted sum does not materialise one gradient per input.
func TestBackwardPeak(t *testing.T) {
	rng := newRNG("peak")
	be := NewCPU()
	const ops = 6
	x := actLeaf(rng, 2, 4, 8, 8)
	alpha := randLeaf(rng, 1, 1, ops)
	var pws []*Tensor
	var bns []*BatchNorm
	for i := 0; i < ops; i++ {
		pws = append(pws, randLeaf(rng, 0.5, 4, 4, 1, 1))
		bns = append(bns, NewBatchNorm(be, "bn", 4, false))
	}
	g := NewGraph(be)
	w := g.Softmax(alpha)
	h := g.ScaleBy(x, w, 0)
	ks := make([]int, ops)
	outs := make([]*Tensor, ops)
	for i := range outs {
		p := g.PointwiseConv(h, pws[i], 1, 0, true)
		outs[i] = g.BatchNorm(p, bns[i], true)
		g.Drop(p)
		ks[i] = i
	}
	y := g.WeightedSum(w, ks, outs)
	fwd := g.MemStats().LiveFloats
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = 1
	}
	g.BackwardWith(y, r, alpha)
	if peak := g.MemStats().PeakFloats; peak > fwd+int64(3*x.Len()) {
		t.Errorf("peak %d floats, %d live at the end of the forward pass", peak, fwd)
	}
}

// A convolution keeps its input only for its weight gradient (and the mask
// of a fused input ReLU): when the weight did not require a gradient in the
// forward pass, Drop releases the input at once, and the input gradient is
// the same bits as with the weight taking one.
func TestFrozenWeightReleasesConvInput(t *testing.T) {
	rng := newRNG("frozen")
	be := NewCPU()
	x := actLeaf(rng, 2, 3, 5, 5)
	dw := randLeaf(rng, 0.5, 3, 1, 3, 3)
	pw := randLeaf(rng, 0.5, 4, 3, 1, 1)
	pw2 := randLeaf(rng, 0.5, 4, 4, 1, 1)
	fc := randLeaf(rng, 0.5, 2, 4*5*5)
	r := make([]float32, 2*2)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	run := func(frozen bool) []float32 {
		for _, w := range []*Tensor{dw, pw, pw2, fc} {
			w.RequiresGrad = !frozen
		}
		defer func() {
			for _, w := range []*Tensor{dw, pw, pw2, fc} {
				w.RequiresGrad = true
			}
		}()
		x.ClearGrad()
		g := NewGraph(be)
		d := g.DepthwiseConv2D(x, dw, 1, 1, 1, true) // fused ReLU: keeps x either way
		p := g.PointwiseConv(d, pw, 1, 0, false)
		g.Drop(d)
		if frozen != (d.Storage() == nil) {
			t.Errorf("frozen %v: depthwise output released %v", frozen, d.Storage() == nil)
		}
		q := g.PointwiseConv(p, pw2, 1, 0, true) // fused ReLU: keeps p either way
		g.Drop(p)
		if p.Storage() == nil {
			t.Errorf("frozen %v: released the input a fused ReLU's mask reads", frozen)
		}
		l := g.Linear(g.Reshape(q, 2, 4*5*5), fc, nil)
		g.BackwardWith(l, r, x)
		return append([]float32(nil), x.Grad()...)
	}
	want, got := run(false), run(true)
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			t.Fatalf("dx[%d] = %v with frozen weights, %v without", i, got[i], want[i])
		}
	}
}

// Graphs made with NewGraphSharing draw on one pool: a graph whose pass
// follows another's allocates nothing, and two running at once on their
// own goroutines and backends (under -race in make test) give the same
// gradients as one alone.
func TestGraphSharingPool(t *testing.T) {
	rng := newRNG("sharing")
	x := actLeaf(rng, 2, 4, 6, 6)
	pw := randLeaf(rng, 0.5, 4, 4, 1, 1)
	dw := randLeaf(rng, 0.5, 4, 1, 3, 3)
	alpha := randLeaf(rng, 1, 1, 2)
	pass := func(g *Graph, x, alpha *Tensor) []float32 {
		bn := NewBatchNorm(g.Backend(), "bn", 4, false)
		w := g.Softmax(alpha)
		a := g.BatchNorm(g.PointwiseConv(g.DepthwiseConv2D(x, dw, 1, 1, 1, true), pw, 1, 0, false), bn, true)
		y := g.WeightedSum(w, []int{0, 1}, []*Tensor{a, g.MaxPool(x, 3, 1, 1)})
		r := make([]float32, y.Len())
		for i := range r {
			r[i] = float32(i%7) - 3
		}
		alpha.ClearGrad()
		g.BackwardWith(y, r, alpha)
		return append([]float32(nil), alpha.Grad()...)
	}
	a := NewGraph(NewCPU())
	want := pass(a, x, alpha)
	b := NewGraphSharing(NewCPU(), a)
	if got := pass(b, x, alpha); got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("shared-pool graph: ∂/∂α %v, want %v", got, want)
	}
	if n := b.MemStats().Allocs; n != 0 {
		t.Fatalf("a graph sharing a warm pool allocated %d storages", n)
	}
	x2, alpha2 := x.Clone(), alpha.Clone()
	alpha2.RequiresGrad = true
	var ga, gb []float32
	done := make(chan bool)
	go func() { gb = pass(b, x2, alpha2); done <- true }()
	ga = pass(a, x, alpha)
	<-done
	for i := range want {
		if ga[i] != want[i] || gb[i] != want[i] {
			t.Fatalf("concurrent passes: ∂/∂α[%d] %v and %v, want %v", i, ga[i], gb[i], want[i])
		}
	}
}
