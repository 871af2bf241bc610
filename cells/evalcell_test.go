package cells

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
)

// countingRNG counts the draws of drop-path masks (every draw keeps).
type countingRNG struct{ n int }

func (c *countingRNG) Float64() float64 { c.n++; return 0 }

func randomActivation(be ag.Backend, rng *rand.Rand, n, c, h, w int) *ag.Tensor {
	v := make([]float32, n*c*h*w)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return ag.FromNCHW(be, v, n, c, h, w)
}

func TestEvalCellStructure(t *testing.T) {
	gt := mustBuiltin(t, "DARTS_V2")
	be := ag.NewCPU()
	b := NewBuilder(be, 1)
	// A reduction cell after a normal one, and a normal cell after it.
	red, err := NewEvalCell(b, "cells.1", gt.ReduceCell(), 12, 16, 8, true, false)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := NewEvalCell(b, "cells.2", gt.NormalCell(), 16, 32, 8, false, true)
	if err != nil {
		t.Fatal(err)
	}
	if red.OutChannels() != 32 || norm.Multiplier() != 4 {
		t.Fatalf("out channels %d, multiplier %d", red.OutChannels(), norm.Multiplier())
	}
	if _, ok := norm.Pre0.(*FactorizedReduce); !ok {
		t.Errorf("preprocess0 after a reduction cell is %T, want FactorizedReduce", norm.Pre0)
	}
	if _, ok := red.Pre0.(*ReLUConvBN); !ok {
		t.Errorf("preprocess0 after a normal cell is %T, want ReLUConvBN", red.Pre0)
	}
	// Identity: the stride-1 skip_connects only (3 in DARTS_V2's reduction
	// cell, 2 in its normal cell).
	for _, c := range []*EvalCell{red, norm} {
		ids := 0
		for k, op := range c.Ops {
			if op.Identity() {
				ids++
				if gtEdges := map[bool][]Edge{true: gt.Reduce, false: gt.Normal}[c.Reduction]; gtEdges[k].Op != "skip_connect" {
					t.Errorf("op %d (%s) reports Identity", k, gtEdges[k].Op)
				}
			}
		}
		if want := map[bool]int{true: 3, false: 2}[c.Reduction]; ids != want {
			t.Errorf("reduction=%v: %d identity ops, want %d", c.Reduction, ids, want)
		}
	}
	var names []string
	for _, p := range b.Params {
		names = append(names, p.Name)
	}
	for _, want := range []string{
		"cells.1.preprocess0.op.1.weight", "cells.1.preprocess0.op.2.weight", "cells.1.preprocess1.op.2.bias",
		"cells.2.preprocess0.conv_1.weight", "cells.2.preprocess0.conv_2.weight", "cells.2.preprocess0.bn.weight",
		"cells.2._ops.0.op.1.weight", "cells.2._ops.0.op.7.bias", "cells.2._ops.7.op.2.weight",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("no parameter %s", want)
		}
	}
	for _, n := range names {
		// pools have no batch norm in the evaluation network
		if strings.HasPrefix(n, "cells.1._ops.0.") {
			t.Errorf("max-pool edge has parameter %s", n)
		}
	}

	rng := rand.New(rand.NewPCG(3, 4))
	g := ag.NewGraph(be)
	s0 := randomActivation(be, rng, 2, 12, 8, 8)
	s1 := randomActivation(be, rng, 2, 16, 8, 8)
	cr := &countingRNG{}
	y := red.Forward(g, s0, s1, true, 0.3, cr)
	if got := y.Shape(); !slices.Equal(got, []int{2, 32, 4, 4}) {
		t.Fatalf("reduction cell output %v", got)
	}
	// 5 non-identity ops, one draw per sample each.
	if cr.n != 5*2 {
		t.Errorf("%d drop-path draws, want 10", cr.n)
	}
	z := norm.Forward(g, s1, y, true, 0.3, cr)
	if got := z.Shape(); !slices.Equal(got, []int{2, 32, 4, 4}) {
		t.Fatalf("normal cell output %v", got)
	}
	if cr.n != 10+6*2 { // 6 non-identity ops in the normal cell
		t.Errorf("%d drop-path draws after both cells, want 22", cr.n)
	}
	g.Release()
	// No drop-path in inference mode or with probability 0.
	cr.n = 0
	red.Forward(g, s0, s1, false, 0.3, cr)
	red.Forward(g, s0, s1, true, 0, cr)
	if cr.n != 0 {
		t.Errorf("%d draws without drop-path", cr.n)
	}
	g.Release()
	if red.FLOPs(8, 8, 8, 8) <= 0 || norm.FLOPs(8, 8, 4, 4) <= 0 {
		t.Error("FLOPs not positive")
	}
}

func TestEvalCellErrors(t *testing.T) {
	b := NewBuilder(ag.NewCPU(), 1)
	bad := CellGenotype{Edges: []Edge{{"sep_conv_3x3", 0}, {"conv_9x9", 1}}, Concat: []int{2}}
	if _, err := NewEvalCell(b, "cells.0", bad, 8, 8, 8, false, false); err == nil {
		t.Error("unknown op accepted")
	}
}
