package cells

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// NumEdges returns the number of candidate edges of a search cell with the
// given number of intermediate nodes: node i (state i+2) has an edge from
// each of the i+2 earlier states, 2+3+...+(steps+1) = steps(steps+3)/2 in
// all (14 for 4 steps). Edge rows are ordered by target node, then by input
// state: 0->2, 1->2, 0->3, 1->3, 2->3, 0->4, ...
func NumEdges(steps int) int { return steps * (steps + 3) / 2 }

// EdgeLabel returns "j->i" for row r of a steps-node weight table, where j is
// the input state and i the state the edge feeds.
func EdgeLabel(r int) string {
	node := 2
	for r >= node {
		r -= node
		node++
	}
	return fmt.Sprintf("%d->%d", r, node)
}

// Discretize derives the genotype from the architecture weights of a search
// network as DARTS does (model_search.py, Network.genotype): normalW and
// reduceW are the softmax(α) tables, NumEdges(steps) rows by NumPrimitives
// columns (see NumEdges for the row order). See DiscretizeCell for the rule.
// Both concat lists are [2, 2+steps).
//
// Discretize panics if a table has the wrong shape.
func Discretize(normalW, reduceW [][]float32, steps int) Genotype {
	concat := make([]int, steps)
	for i := range concat {
		concat[i] = 2 + i
	}
	return Genotype{
		Normal:       DiscretizeCell(normalW, steps),
		NormalConcat: concat,
		Reduce:       DiscretizeCell(reduceW, steps),
		ReduceConcat: append([]int(nil), concat...),
	}
}

// DiscretizeCell applies the DARTS rule to one weight table: every
// intermediate node keeps its two strongest incoming edges, the strength of
// an edge being its largest weight over the operations other than "none",
// and every kept edge gets that strongest non-"none" operation. As in the
// original, the kept edges of a node are listed strongest first; ties
// between edges keep the lower input index first (Python's sorted() is
// stable) and ties between operations pick the one earlier in Primitives.
// A NaN weight counts as smaller than any number.
//
// DiscretizeCell panics if w is not NumEdges(steps) × NumPrimitives or
// steps < 1.
func DiscretizeCell(w [][]float32, steps int) []Edge {
	if steps < 1 {
		panic(fmt.Sprintf("cells: DiscretizeCell: steps = %d, want >= 1", steps))
	}
	if len(w) != NumEdges(steps) {
		panic(fmt.Sprintf("cells: DiscretizeCell: %d weight rows, want %d for %d steps", len(w), NumEdges(steps), steps))
	}
	for r, row := range w {
		if len(row) != NumPrimitives {
			panic(fmt.Sprintf("cells: DiscretizeCell: row %d (%s) has %d weights, want %d", r, EdgeLabel(r), len(row), NumPrimitives))
		}
	}
	none := PrimitiveIndex(OpNone)
	type cand struct {
		input, op int
		strength  float32
	}
	gene := make([]Edge, 0, 2*steps)
	start := 0
	for i := range steps {
		n := i + 2
		cands := make([]cand, n)
		for j := range n {
			row := w[start+j]
			best := -1
			for k, v := range row {
				if k == none {
					continue
				}
				if best < 0 || weightGreater(v, row[best]) {
					best = k
				}
			}
			cands[j] = cand{input: j, op: best, strength: row[best]}
		}
		sort.SliceStable(cands, func(a, b int) bool { return weightGreater(cands[a].strength, cands[b].strength) })
		for _, c := range cands[:2] {
			gene = append(gene, Edge{Op: Primitives[c.op], Input: c.input})
		}
		start += n
	}
	return gene
}

// greater orders float32 values with NaN below everything, so the order is
// total and the result deterministic.
func weightGreater(a, b float32) bool {
	an, bn := math.IsNaN(float64(a)), math.IsNaN(float64(b))
	switch {
	case an:
		return false
	case bn:
		return true
	}
	return a > b
}

// FormatWeights renders an architecture weight table (normally softmax(α),
// NumEdges(steps) × NumPrimitives) for humans: a header of operation names,
// one row per edge labelled "j->i", fixed-width columns with four decimals.
// The entries Discretize keeps are marked with '*'. It panics on a table of
// the wrong shape, like DiscretizeCell.
func FormatWeights(w [][]float32, steps int) string {
	kept := make(map[[2]int]bool) // (row, op)
	start := 0
	gene := DiscretizeCell(w, steps)
	for i := range steps {
		for _, e := range gene[2*i : 2*i+2] {
			kept[[2]int{start + e.Input, PrimitiveIndex(e.Op)}] = true
		}
		start += i + 2
	}
	const labelW, colW = 6, 14
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", labelW, "edge")
	for _, p := range Primitives {
		fmt.Fprintf(&b, "%*s ", colW-1, p)
	}
	b.WriteByte('\n')
	for r, row := range w {
		fmt.Fprintf(&b, "%-*s", labelW, EdgeLabel(r))
		for k, v := range row {
			mark := " "
			if kept[[2]int{r, k}] {
				mark = "*"
			}
			fmt.Fprintf(&b, "%*.4f%s", colW-1, v, mark)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
