package darts

import (
	"fmt"
	"math"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

// Supernet is the DARTS search network (the original's model_search.Network):
// a 3×3 stem convolution with batch norm, Layers search cells with reduction
// cells at Layers/3 and 2·Layers/3 (where the width doubles), global average
// pooling and a linear classifier. Every cell of a kind shares one α matrix
// (edges × primitives).
type Supernet struct {
	C, Layers, Steps, Multiplier, Classes int
	InChannels, ImageSize                 int

	StemW  *ag.Tensor
	StemBN *ag.BatchNorm
	Cells  []*cells.SearchCell
	FCW    *ag.Tensor
	FCB    *ag.Tensor

	AlphaNormal, AlphaReduce *ag.Tensor

	Weights []*ag.Tensor // learnable network weights (α excluded)
	Buffers []*ag.Tensor // batch-norm running statistics
	BNs     []*ag.BatchNorm

	costNormal, costReduce     []float64 // per (edge, primitive): cost per image, summed over cells
	costMetric, costUnit       string    // what the costs measure (cost.go)
	mflopsNormal, mflopsReduce []float64 // the same in MFLOPs, whatever the cost metric
	cellShapes                 []cellShape
}

// cellShape records what the cost tables need of a cell: its width and,
// per edge, the stride and the side of the edge's input (in a reduction
// cell the edges from the two inputs have stride 2 and read the cell's
// input; the others read the halved nodes).
type cellShape struct {
	reduction bool
	c         int
	edges     []edgeShape
}

type edgeShape struct{ stride, size int }

// NewSupernet builds the search network with PyTorch's default
// initialisation drawn from seed; α starts at 1e-3·N(0, 1).
func NewSupernet(be ag.Backend, c, layers, steps, multiplier, stemMultiplier, classes, inChannels, imageSize int, seed uint64) *Supernet {
	b := cells.NewBuilder(be, seed)
	n := &Supernet{C: c, Layers: layers, Steps: steps, Multiplier: multiplier, Classes: classes,
		InChannels: inChannels, ImageSize: imageSize}
	cCurr := stemMultiplier * c
	n.StemW = b.Conv("stem.0.weight", cCurr, inChannels, 3, 3)
	n.StemBN = b.BN("stem.1", cCurr, true)
	cpp, cp, cCurr := cCurr, cCurr, c
	reductionPrev := false
	edges := cells.NumEdges(steps)
	np := cells.NumPrimitives
	size := imageSize
	for i := 0; i < layers; i++ {
		reduction := i == layers/3 || i == 2*layers/3
		if reduction {
			cCurr *= 2
		}
		cell := cells.NewSearchCell(b, fmt.Sprintf("cells.%d", i), steps, multiplier, cpp, cp, cCurr, reduction, reductionPrev)
		cs := cellShape{reduction: reduction, c: cCurr}
		for e := range cell.Edges {
			st := cell.EdgeStride(e)
			es := edgeShape{stride: st, size: size}
			if reduction && st == 1 {
				es.size = size / 2
			}
			cs.edges = append(cs.edges, es)
		}
		n.cellShapes = append(n.cellShapes, cs)
		if reduction {
			size /= 2
		}
		n.Cells = append(n.Cells, cell)
		reductionPrev = reduction
		cpp, cp = cp, multiplier*cCurr
	}
	n.FCW, n.FCB = b.Linear("classifier", classes, cp)
	n.Weights, n.Buffers, n.BNs = b.Params, b.Buffers, b.BNs
	t, err := n.countCosts(CostMFLOPs)
	if err == nil {
		err = n.SetCostTable(t)
	}
	if err != nil {
		panic(err) // the supernet's own primitives: a bug if this fails
	}
	n.mflopsNormal, n.mflopsReduce = n.costNormal, n.costReduce

	n.AlphaNormal = ag.NewParam(be, "alphas_normal", edges, np)
	n.AlphaReduce = ag.NewParam(be, "alphas_reduce", edges, np)
	for _, a := range []*ag.Tensor{n.AlphaNormal, n.AlphaReduce} {
		d := a.Data()
		for i := range d {
			d[i] = float32(1e-3 * b.Rng.NormFloat64())
		}
	}
	return n
}

// Alphas returns the architecture parameters.
func (n *Supernet) Alphas() []*ag.Tensor { return []*ag.Tensor{n.AlphaNormal, n.AlphaReduce} }

// Forward returns the logits (N, classes) of the batch x (N, C, H, W).
func (n *Supernet) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	s := g.BatchNorm(g.Conv2D(x, n.StemW, 1, 1, 1), n.StemBN, training)
	wn := g.Softmax(n.AlphaNormal)
	wr := g.Softmax(n.AlphaReduce)
	s0, s1 := s, s
	for _, cell := range n.Cells {
		w := wn
		if cell.Reduction {
			w = wr
		}
		s0, s1 = s1, cell.Forward(g, s0, s1, w, training)
	}
	return g.Linear(g.GlobalAvgPool(s1), n.FCW, n.FCB)
}

// softmaxRows returns softmax over each row of a (rows × cols) tensor.
func softmaxRows(a *ag.Tensor) [][]float32 {
	rows, cols := a.Dim(0), a.Dim(1)
	d := a.Data()
	out := make([][]float32, rows)
	for r := 0; r < rows; r++ {
		row := d[r*cols : (r+1)*cols]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		o := make([]float32, cols)
		for k, v := range row {
			e := math.Exp(float64(v - m))
			o[k] = float32(e)
			sum += e
		}
		for k := range o {
			o[k] = float32(float64(o[k]) / sum)
		}
		out[r] = o
	}
	return out
}

// ArchWeights returns softmax(α) of the normal and reduction cells.
func (n *Supernet) ArchWeights() (normal, reduce [][]float32) {
	return softmaxRows(n.AlphaNormal), softmaxRows(n.AlphaReduce)
}

// Genotype discretizes the current α.
func (n *Supernet) Genotype() cells.Genotype {
	wn, wr := n.ArchWeights()
	return cells.Discretize(wn, wr, n.Steps)
}

// AddCostGradient adds λ·∂E[cost]/∂α to the α gradients:
// ∂/∂α_ej Σ_k w_ek c_ek = w_ej (c_ej − Σ_k w_ek c_ek).
func (n *Supernet) AddCostGradient(lambda float64) {
	if lambda == 0 {
		return
	}
	np := cells.NumPrimitives
	for _, p := range []struct {
		a    *ag.Tensor
		cost []float64
	}{{n.AlphaNormal, n.costNormal}, {n.AlphaReduce, n.costReduce}} {
		w := softmaxRows(p.a)
		grad := p.a.EnsureGrad()
		for e := range w {
			mean := 0.0
			for k := 0; k < np; k++ {
				mean += float64(w[e][k]) * p.cost[e*np+k]
			}
			for k := 0; k < np; k++ {
				grad[e*np+k] += float32(lambda * float64(w[e][k]) * (p.cost[e*np+k] - mean))
			}
		}
	}
}
