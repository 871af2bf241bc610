package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestGradConv2D(t *testing.T) {
	type cs struct{ n, cin, cout, h, w, kh, kw, stride, pad, dil int }
	for _, c := range []cs{
		{2, 3, 4, 7, 6, 3, 3, 1, 1, 1},
		{2, 3, 4, 7, 7, 3, 3, 2, 1, 1},
		{1, 2, 3, 9, 8, 3, 3, 1, 2, 2},
		{2, 3, 2, 6, 5, 1, 1, 1, 0, 1},
		{2, 4, 3, 5, 5, 2, 2, 2, 0, 1},
		{1, 2, 2, 9, 7, 3, 2, 2, 0, 1},
		{2, 2, 3, 8, 8, 3, 3, 2, 2, 2},
	} {
		nm := name("conv", c)
		rng := newRNG(nm)
		gradcheck(t, gcCase{name: nm,
			inputs: []*Tensor{actLeaf(rng, c.n, c.cin, c.h, c.w), randLeaf(rng, 0.5, c.cout, c.cin, c.kh, c.kw)},
			fwd: func(g *Graph, in []*Tensor) *Tensor {
				return g.Conv2D(in[0], in[1], c.stride, c.pad, c.dil)
			}})
	}
}

func TestGradDepthwise(t *testing.T) {
	type cs struct {
		n, c, h, w, k, stride, pad, dil int
		relu                            bool
	}
	for _, c := range []cs{
		{2, 3, 7, 6, 3, 1, 1, 1, false},
		{2, 3, 7, 7, 3, 2, 1, 1, true},
		{1, 2, 9, 8, 5, 1, 2, 1, true},
		{2, 2, 8, 9, 3, 1, 2, 2, false},
		{2, 2, 9, 9, 5, 2, 4, 2, true},
		{1, 3, 5, 5, 3, 1, 1, 1, true},
	} {
		nm := name("dw", c)
		rng := newRNG(nm)
		gradcheck(t, gcCase{name: nm,
			inputs: []*Tensor{awayLeaf(rng, c.n, c.c, c.h, c.w), randLeaf(rng, 0.5, c.c, 1, c.k, c.k)},
			fwd: func(g *Graph, in []*Tensor) *Tensor {
				return g.DepthwiseConv2D(in[0], in[1], c.stride, c.pad, c.dil, c.relu)
			}})
	}
}

func TestGradPointwise(t *testing.T) {
	type cs struct {
		n, cin, cout, h, w, stride, off int
		relu                            bool
		w2d                             bool
	}
	for _, c := range []cs{
		{2, 3, 4, 5, 6, 1, 0, false, false},
		{2, 3, 4, 5, 6, 1, 0, true, true},
		{2, 3, 2, 8, 8, 2, 0, true, false},
		{2, 3, 2, 8, 8, 2, 1, true, false},
		{1, 2, 3, 7, 7, 2, 1, false, false},
		{1, 2, 3, 7, 5, 2, 0, false, true},
	} {
		nm := name("pw", c)
		rng := newRNG(nm)
		var w *Tensor
		if c.w2d {
			w = randLeaf(rng, 0.5, c.cout, c.cin)
		} else {
			w = randLeaf(rng, 0.5, c.cout, c.cin, 1, 1)
		}
		gradcheck(t, gcCase{name: nm,
			inputs: []*Tensor{awayLeaf(rng, c.n, c.cin, c.h, c.w), w},
			fwd: func(g *Graph, in []*Tensor) *Tensor {
				return g.PointwiseConv(in[0], in[1], c.stride, c.off, c.relu)
			}})
	}
}

func TestGradLinear(t *testing.T) {
	for _, bias := range []bool{true, false} {
		nm := name("linear", bias)
		rng := newRNG(nm)
		in := []*Tensor{randLeaf(rng, 1, 3, 5), randLeaf(rng, 0.5, 4, 5)}
		if bias {
			in = append(in, randLeaf(rng, 0.5, 4))
		}
		gradcheck(t, gcCase{name: nm, inputs: in, fwd: func(g *Graph, in []*Tensor) *Tensor {
			if len(in) > 2 {
				return g.Linear(in[0], in[1], in[2])
			}
			return g.Linear(in[0], in[1], nil)
		}})
	}
}

func TestGradBatchNorm(t *testing.T) {
	type cs struct {
		n, c, h, w       int
		affine, training bool
	}
	for _, c := range []cs{
		{2, 3, 4, 5, true, true},
		{3, 2, 3, 3, false, true},
		{2, 3, 3, 4, true, false},
		{2, 2, 3, 3, false, false},
		{4, 2, 1, 1, true, true},
	} {
		nm := name("bn", c)
		rng := newRNG(nm)
		be := NewCPU()
		bn := NewBatchNorm(be, "bn", c.c, c.affine)
		in := []*Tensor{actLeaf(rng, c.n, c.c, c.h, c.w)}
		if c.affine {
			for i := range bn.Weight.Data() {
				bn.Weight.Data()[i] = float32(0.5 + rng.Float64())
				bn.Bias.Data()[i] = float32(rng.NormFloat64())
			}
			in = append(in, bn.Weight, bn.Bias)
		}
		for i := range bn.RunningMean.Data() {
			bn.RunningMean.Data()[i] = float32(rng.NormFloat64() * 0.3)
			bn.RunningVar.Data()[i] = float32(0.5 + rng.Float64())
		}
		gradcheck(t, gcCase{name: nm, inputs: in, eps: 3e-3, fwd: func(g *Graph, in []*Tensor) *Tensor {
			return g.BatchNorm(in[0], bn, c.training)
		}})
	}
}

func TestGradReLU(t *testing.T) {
	rng := newRNG("relu")
	gradcheck(t, gcCase{name: "relu", inputs: []*Tensor{awayLeaf(rng, 2, 3, 4, 5)},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.ReLU(in[0]) }})
}

func TestGradPooling(t *testing.T) {
	type cs struct{ n, c, h, w, k, stride, pad int }
	for _, c := range []cs{
		{2, 3, 7, 6, 3, 1, 1},
		{2, 2, 7, 7, 3, 2, 1},
		{1, 2, 8, 8, 2, 2, 0},
		{2, 2, 9, 5, 3, 2, 0},
		{1, 1, 5, 5, 5, 3, 2},
	} {
		nm := name("maxpool", c)
		rng := newRNG(nm)
		gradcheck(t, gcCase{name: nm, inputs: []*Tensor{distinctLeaf(rng, c.n, c.c, c.h, c.w)},
			fwd: func(g *Graph, in []*Tensor) *Tensor { return g.MaxPool(in[0], c.k, c.stride, c.pad) }})
		for _, inc := range []bool{false, true} {
			nm := name("avgpool", c, inc)
			rng := newRNG(nm)
			gradcheck(t, gcCase{name: nm, inputs: []*Tensor{actLeaf(rng, c.n, c.c, c.h, c.w)},
				fwd: func(g *Graph, in []*Tensor) *Tensor { return g.AvgPool(in[0], c.k, c.stride, c.pad, inc) }})
		}
	}
	rng := newRNG("gap")
	gradcheck(t, gcCase{name: "gap", inputs: []*Tensor{actLeaf(rng, 3, 4, 3, 5)},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.GlobalAvgPool(in[0]) }})
}

func TestGradAddScaleWeighted(t *testing.T) {
	rng := newRNG("add")
	a, b, c := actLeaf(rng, 2, 3, 4, 3), actLeaf(rng, 2, 3, 4, 3), actLeaf(rng, 2, 3, 4, 3)
	gradcheck(t, gcCase{name: "add3", inputs: []*Tensor{a, b, c},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0], in[1], in[2], in[0]) }})
	gradcheck(t, gcCase{name: "add1", inputs: []*Tensor{a},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Add(in[0]) }})
	s := randLeaf(rng, 1, 2, 4)
	gradcheck(t, gcCase{name: "scaleby", inputs: []*Tensor{a, s},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.ScaleBy(in[0], in[1], 5) }})
	gradcheck(t, gcCase{name: "weightedsum", inputs: []*Tensor{s, a, b, c},
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			return g.WeightedSum(in[0], []int{4, 1, 7}, in[1:])
		}})
	// Softmax weights feeding a weighted sum: the mixed-op pattern.
	gradcheck(t, gcCase{name: "mixed", inputs: []*Tensor{s, a, b},
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			w := g.Softmax(in[0])
			return g.Add(g.ScaleBy(in[1], w, 2), g.ScaleBy(in[2], w, 3), g.WeightedSum(w, []int{6, 7}, in[1:]))
		}})
}

func TestGradSoftmax(t *testing.T) {
	rng := newRNG("softmax")
	gradcheck(t, gcCase{name: "softmax-rows", inputs: []*Tensor{randLeaf(rng, 1, 3, 5)},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Softmax(in[0]) }})
	gradcheck(t, gcCase{name: "softmax-vec", inputs: []*Tensor{randLeaf(rng, 1, 8)},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Softmax(in[0]) }})
}

func TestGradConcatCropReshape(t *testing.T) {
	rng := newRNG("concat")
	a, b, c := actLeaf(rng, 2, 3, 4, 5), actLeaf(rng, 2, 1, 4, 5), actLeaf(rng, 2, 2, 4, 5)
	gradcheck(t, gcCase{name: "concat", inputs: []*Tensor{a, b, c},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Concat(in[0], in[1], in[2]) }})
	gradcheck(t, gcCase{name: "shift", inputs: []*Tensor{a},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Shift(in[0], 1, 1) }})
	gradcheck(t, gcCase{name: "crop", inputs: []*Tensor{a},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Crop(in[0], 1, 2, 2, 3) }})
	gradcheck(t, gcCase{name: "flatten", inputs: []*Tensor{a},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Flatten(in[0]) }})
	gradcheck(t, gcCase{name: "reshape44", inputs: []*Tensor{a},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Reshape(in[0], 2, 12, 5, 1) }})
	m := randLeaf(rng, 1, 6, 10)
	gradcheck(t, gcCase{name: "reshape24", inputs: []*Tensor{m},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Reshape(in[0], 3, -1, 2, 5) }})
	gradcheck(t, gcCase{name: "reshape22", inputs: []*Tensor{m},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.Reshape(in[0], 4, 15) }})
}

func TestGradCrossEntropy(t *testing.T) {
	rng := newRNG("ce")
	labels := []int32{2, 0, 4, 4}
	gradcheck(t, gcCase{name: "ce", inputs: []*Tensor{randLeaf(rng, 2, 4, 5)},
		fwd: func(g *Graph, in []*Tensor) *Tensor { return g.CrossEntropy(in[0], labels) }})
	// Through linear and global pooling: a classifier head.
	x, w, b := actLeaf(rng, 4, 3, 2, 2), randLeaf(rng, 0.5, 5, 3), randLeaf(rng, 0.5, 5)
	gradcheck(t, gcCase{name: "head", inputs: []*Tensor{x, w, b},
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			return g.CrossEntropy(g.Linear(g.GlobalAvgPool(in[0]), in[1], in[2]), labels)
		}})
}

func TestGradDropout(t *testing.T) {
	rng := newRNG("drop")
	x := actLeaf(rng, 4, 3, 3, 2)
	gradcheck(t, gcCase{name: "dropout", inputs: []*Tensor{x},
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			return g.Dropout(in[0], 0.3, rand.New(rand.NewPCG(1, 2)))
		}})
	gradcheck(t, gcCase{name: "droppath", inputs: []*Tensor{x},
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			return g.DropPath(in[0], 0.6, rand.New(rand.NewPCG(3, 4)))
		}})
}

// A small DARTS-like block: shared input, several consumers, fused ReLUs,
// BN, mixed-op weights, concat and a classifier.
func TestGradComposite(t *testing.T) {
	rng := newRNG("composite")
	be := NewCPU()
	bn := NewBatchNorm(be, "bn", 3, false)
	x := actLeaf(rng, 2, 3, 6, 6)
	dw := randLeaf(rng, 0.5, 3, 1, 3, 3)
	pw := randLeaf(rng, 0.5, 3, 3, 1, 1)
	alpha := randLeaf(rng, 1, 2, 4)
	fc := randLeaf(rng, 0.5, 4, 6)
	labels := []int32{1, 3}
	gradcheck(t, gcCase{name: "composite", inputs: []*Tensor{x, dw, pw, alpha, fc}, eps: 3e-3, rtol: 3e-2,
		fwd: func(g *Graph, in []*Tensor) *Tensor {
			x, dw, pw, alpha, fc := in[0], in[1], in[2], in[3], in[4]
			w := g.Softmax(alpha)
			a := g.BatchNorm(g.PointwiseConv(g.DepthwiseConv2D(x, dw, 1, 1, 1, true), pw, 1, 0, false), bn, true)
			b := g.AvgPool(x, 3, 1, 1, false)
			m := g.WeightedSum(w, []int{0, 1, 2}, []*Tensor{a, b, x})
			h := g.Concat(m, g.ScaleBy(x, w, 5))
			return g.CrossEntropy(g.Linear(g.GlobalAvgPool(h), fc, nil), labels)
		}})
}
