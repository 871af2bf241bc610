package cells

import (
	"fmt"

	ag "github.com/darts-go/darts/autograd"
)

// EvalCell is a discrete cell of the evaluation network, built from one cell
// of a genotype (the original's model.Cell): two preprocessed inputs, one op
// per genotype edge (affine batch norms, no batch norm after pools), each
// intermediate node the sum of its two ops, and the channel concatenation of
// the genotype's concat nodes as output.
type EvalCell struct {
	Reduction, ReductionPrev bool
	// Pre0 preprocesses c_{k-2}: a FactorizedReduce when the previous cell
	// was a reduction (c_{k-2} then has twice the resolution), else a 1×1
	// ReLUConvBN. Pre1 preprocesses c_{k-1}.
	Pre0, Pre1 Op
	// Ops[k] is edge k of the genotype, applied to state Inputs[k]; ops on
	// the cell inputs of a reduction cell have stride 2.
	Ops    []Op
	Inputs []int
	Concat []int
	// C is the width of every node; the output has len(Concat)·C channels.
	C int

	states []*ag.Tensor
	cat    []*ag.Tensor
}

// NewEvalCell builds cell prefix (e.g. "cells.3") of the evaluation network
// from gt with c channels per node; cpp and cp are the widths of the inputs
// c_{k-2} and c_{k-1}. Tensors are named as the original's state_dict:
// prefix.preprocess0.*, prefix.preprocess1.*, prefix._ops.{k}.*.
func NewEvalCell(b *Builder, prefix string, gt CellGenotype, cpp, cp, c int, reduction, reductionPrev bool) (*EvalCell, error) {
	if err := gt.Validate(); err != nil {
		return nil, err
	}
	cell := &EvalCell{Reduction: reduction, ReductionPrev: reductionPrev, C: c,
		Concat: append([]int(nil), gt.Concat...)}
	if reductionPrev {
		cell.Pre0 = NewFactorizedReduce(b, prefix+".preprocess0", cpp, c, true)
	} else {
		cell.Pre0 = NewReLUConvBN(b, prefix+".preprocess0", cpp, c, true)
	}
	cell.Pre1 = NewReLUConvBN(b, prefix+".preprocess1", cp, c, true)
	for k, e := range gt.Edges {
		stride := 1
		if reduction && e.Input < 2 {
			stride = 2
		}
		op, err := NewOp(b, fmt.Sprintf("%s._ops.%d", prefix, k), e.Op, c, stride, true, false)
		if err != nil {
			return nil, err
		}
		cell.Ops = append(cell.Ops, op)
		cell.Inputs = append(cell.Inputs, e.Input)
	}
	return cell, nil
}

// Multiplier is the number of nodes concatenated into the output.
func (c *EvalCell) Multiplier() int { return len(c.Concat) }

// OutChannels is the width of the cell output.
func (c *EvalCell) OutChannels() int { return len(c.Concat) * c.C }

// Forward computes the cell on inputs s0 = c_{k-2} and s1 = c_{k-1}. In
// training mode with dropProb > 0, the output of every op that is not the
// identity goes through drop-path (each sample zeroed with probability
// dropProb, the others scaled by 1/(1-dropProb)), the masks drawn from rng in
// edge order, as the original does.
func (c *EvalCell) Forward(g *ag.Graph, s0, s1 *ag.Tensor, training bool, dropProb float64, rng ag.RNG) *ag.Tensor {
	c.states = append(c.states[:0], c.Pre0.Forward(g, s0, training), c.Pre1.Forward(g, s1, training))
	drop := training && dropProb > 0
	for i := 0; i+1 < len(c.Ops); i += 2 {
		h1 := c.Ops[i].Forward(g, c.states[c.Inputs[i]], training)
		h2 := c.Ops[i+1].Forward(g, c.states[c.Inputs[i+1]], training)
		if drop {
			if !c.Ops[i].Identity() {
				h1 = g.DropPath(h1, 1-dropProb, rng)
			}
			if !c.Ops[i+1].Identity() {
				h2 = g.DropPath(h2, 1-dropProb, rng)
			}
		}
		c.states = append(c.states, g.Add(h1, h2))
	}
	if len(c.Concat) == 1 {
		return c.states[c.Concat[0]]
	}
	c.cat = c.cat[:0]
	for _, s := range c.Concat {
		c.cat = append(c.cat, c.states[s])
	}
	return g.Concat(c.cat...)
}

// FLOPs is the number of multiply-adds of the cell for one image whose
// input c_{k-1} is h×w and c_{k-2} is h0×w0 (twice as large after a
// reduction cell).
func (c *EvalCell) FLOPs(h0, w0, h, w int) int {
	n := c.Pre0.FLOPs(h0, w0) + c.Pre1.FLOPs(h, w)
	for k, op := range c.Ops {
		if c.Reduction && c.Inputs[k] >= 2 {
			// intermediate nodes of a reduction cell are already reduced
			n += op.FLOPs((h+1)/2, (w+1)/2)
		} else {
			n += op.FLOPs(h, w)
		}
	}
	return n
}
