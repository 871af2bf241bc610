package cells

import (
	"fmt"

	ag "github.com/darts-go/darts/autograd"
)

// MixedOp is the continuous relaxation of one edge: the sum of every
// candidate op weighted by softmax(α) of that edge. 'none' adds zero, so it
// is skipped (its α still receives the gradient of the softmax).
type MixedOp struct {
	Ops    []Op // one per primitive, in Primitives order
	ks     []int
	outs   []*ag.Tensor
	stride int
}

// NewMixedOp builds the 8 candidate ops of an edge, named
// prefix._ops.{k}.* as the original's MixedOp.
func NewMixedOp(b *Builder, prefix string, c, stride int) *MixedOp {
	m := &MixedOp{stride: stride}
	for k, name := range Primitives {
		op, err := NewOp(b, fmt.Sprintf("%s._ops.%d", prefix, k), name, c, stride, false, true)
		if err != nil {
			panic(err)
		}
		m.Ops = append(m.Ops, op)
	}
	return m
}

// Forward returns Σ_k w[row·8+k]·op_k(x), w being the cell's softmax(α)
// (edges × primitives) tensor.
func (m *MixedOp) Forward(g *ag.Graph, x, w *ag.Tensor, row int, training bool) *ag.Tensor {
	m.ks, m.outs = m.terms(g, x, row, training, m.ks[:0], m.outs[:0])
	return g.WeightedSum(w, m.ks, m.outs)
}

// terms appends the weight indices row·8+k and the outputs op_k(x) of the
// edge's ops ('none' left out) to ks and outs.
func (m *MixedOp) terms(g *ag.Graph, x *ag.Tensor, row int, training bool, ks []int, outs []*ag.Tensor) ([]int, []*ag.Tensor) {
	for k, op := range m.Ops {
		if _, isZero := op.(zeroOp); isZero {
			continue
		}
		ks = append(ks, row*len(m.Ops)+k)
		outs = append(outs, op.Forward(g, x, training))
	}
	return ks, outs
}

// SearchCell is the DARTS search cell: two preprocessed inputs, Steps
// intermediate nodes each summing mixed ops over all earlier nodes, and the
// channel concatenation of the last Multiplier nodes.
type SearchCell struct {
	Reduction  bool
	Steps      int
	Multiplier int
	Pre0, Pre1 Op
	Edges      []*MixedOp
	states     []*ag.Tensor
	ks         []int
	outs       []*ag.Tensor
}

// EdgeStride returns the stride of edge e's ops (2 on the edges from the
// cell's inputs in a reduction cell, else 1).
func (c *SearchCell) EdgeStride(e int) int { return c.Edges[e].stride }

// NewSearchCell builds cell prefix (e.g. "cells.3") with c channels per node;
// cpp and cp are the widths of the two inputs.
func NewSearchCell(b *Builder, prefix string, steps, multiplier, cpp, cp, c int, reduction, reductionPrev bool) *SearchCell {
	cell := &SearchCell{Reduction: reduction, Steps: steps, Multiplier: multiplier}
	if reductionPrev {
		cell.Pre0 = NewFactorizedReduce(b, prefix+".preprocess0", cpp, c, false)
	} else {
		cell.Pre0 = NewReLUConvBN(b, prefix+".preprocess0", cpp, c, false)
	}
	cell.Pre1 = NewReLUConvBN(b, prefix+".preprocess1", cp, c, false)
	e := 0
	for i := 0; i < steps; i++ {
		for j := 0; j < 2+i; j++ {
			stride := 1
			if reduction && j < 2 {
				stride = 2
			}
			cell.Edges = append(cell.Edges, NewMixedOp(b, fmt.Sprintf("%s._ops.%d", prefix, e), c, stride))
			e++
		}
	}
	return cell
}

// Forward computes the cell on inputs s0, s1 with edge weights w (edges × 8).
func (c *SearchCell) Forward(g *ag.Graph, s0, s1, w *ag.Tensor, training bool) *ag.Tensor {
	c.states = append(c.states[:0], c.Pre0.Forward(g, s0, training), c.Pre1.Forward(g, s1, training))
	e := 0
	for i := 0; i < c.Steps; i++ {
		// Node i is Σ_j MixedOp_j(states[j]): one weighted sum over the
		// ops of all its incoming edges, so that neither the edge sums
		// nor their total are stored separately.
		c.ks, c.outs = c.ks[:0], c.outs[:0]
		for j := range c.states {
			c.ks, c.outs = c.Edges[e].terms(g, c.states[j], e, training, c.ks, c.outs)
			e++
		}
		c.states = append(c.states, g.WeightedSum(w, c.ks, c.outs))
	}
	return g.Concat(c.states[len(c.states)-c.Multiplier:]...)
}
