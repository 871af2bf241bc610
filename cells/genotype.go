package cells

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Edge is one kept connection of a discrete cell: the operation Op applied to
// state Input. States 0 and 1 are the cell inputs c_{k-2} and c_{k-1};
// state i+2 is intermediate node i.
type Edge struct {
	Op    string
	Input int
}

// Genotype is a discrete DARTS architecture: one normal and one reduction
// cell. Edges 2i and 2i+1 of a cell feed its node i+2; Concat lists the
// states concatenated (along channels) into the cell output.
//
// JSON form (see MarshalJSON and FormatJSON):
//
//	{"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5],
//	 "reduce": [["max_pool_3x3", 0], ...], "reduce_concat": [2, 3, 4, 5]}
//
// Python form (see ParseGenotype and String), as the original prints it:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
//	         reduce=[('max_pool_3x3', 0), ...], reduce_concat=[2, 3, 4, 5])
type Genotype struct {
	Normal       []Edge
	NormalConcat []int
	Reduce       []Edge
	ReduceConcat []int
}

// CellGenotype is one cell of a Genotype.
type CellGenotype struct {
	Edges  []Edge
	Concat []int
}

// NormalCell returns the normal cell (sharing g's slices).
func (g Genotype) NormalCell() CellGenotype {
	return CellGenotype{Edges: g.Normal, Concat: g.NormalConcat}
}

// ReduceCell returns the reduction cell (sharing g's slices).
func (g Genotype) ReduceCell() CellGenotype {
	return CellGenotype{Edges: g.Reduce, Concat: g.ReduceConcat}
}

// Steps returns the number of intermediate nodes, len(Edges)/2.
func (c CellGenotype) Steps() int { return len(c.Edges) / 2 }

// Validate reports the first problem of the cell, or nil: an odd or zero
// number of edges, an unknown operation, the operation "none", an input index
// that is negative or not below the index of the node it feeds, an empty
// concat list, or a concat entry outside the intermediate nodes
// [2, 2+steps) or repeated.
func (c CellGenotype) Validate() error {
	if len(c.Edges) == 0 {
		return fmt.Errorf("no edges")
	}
	if len(c.Edges)%2 != 0 {
		return fmt.Errorf("odd number of edges (%d): every node takes exactly 2", len(c.Edges))
	}
	for k, e := range c.Edges {
		node := k/2 + 2
		switch {
		case e.Op == OpNone:
			return fmt.Errorf("edge %d (into node %d): operation %q is not allowed in a genotype", k, node, OpNone)
		case PrimitiveIndex(e.Op) < 0:
			return fmt.Errorf("edge %d (into node %d): unknown operation %q (known: %s)", k, node, e.Op, strings.Join(Primitives[1:], ", "))
		case e.Input < 0 || e.Input >= node:
			return fmt.Errorf("edge %d (%s into node %d): input index %d must be in [0, %d)", k, e.Op, node, e.Input, node)
		}
	}
	if len(c.Concat) == 0 {
		return fmt.Errorf("empty concat list")
	}
	hi := 2 + c.Steps()
	for i, s := range c.Concat {
		if s < 2 || s >= hi {
			return fmt.Errorf("concat entry %d out of range: intermediate nodes are [2, %d)", s, hi)
		}
		if slices.Contains(c.Concat[:i], s) {
			return fmt.Errorf("concat entry %d repeated", s)
		}
	}
	return nil
}

// Validate checks both cells (see CellGenotype.Validate).
func (g Genotype) Validate() error {
	if err := g.NormalCell().Validate(); err != nil {
		return fmt.Errorf("genotype: normal cell: %w", err)
	}
	if err := g.ReduceCell().Validate(); err != nil {
		return fmt.Errorf("genotype: reduce cell: %w", err)
	}
	return nil
}

// Equal reports whether g and h describe the same architecture (same edges
// in the same order, same concat lists).
func (g Genotype) Equal(h Genotype) bool {
	return slices.Equal(g.Normal, h.Normal) && slices.Equal(g.NormalConcat, h.NormalConcat) &&
		slices.Equal(g.Reduce, h.Reduce) && slices.Equal(g.ReduceConcat, h.ReduceConcat)
}

// Clone returns a deep copy of g.
func (g Genotype) Clone() Genotype {
	return Genotype{
		Normal:       slices.Clone(g.Normal),
		NormalConcat: slices.Clone(g.NormalConcat),
		Reduce:       slices.Clone(g.Reduce),
		ReduceConcat: slices.Clone(g.ReduceConcat),
	}
}

// String returns g in the notation of the original Python code, e.g.
// Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
// reduce=[...], reduce_concat=[2, 3, 4, 5]). ParseGenotype reads it back.
func (g Genotype) String() string {
	var b strings.Builder
	b.WriteString("Genotype(normal=")
	writePyEdges(&b, g.Normal)
	b.WriteString(", normal_concat=")
	writePyInts(&b, g.NormalConcat)
	b.WriteString(", reduce=")
	writePyEdges(&b, g.Reduce)
	b.WriteString(", reduce_concat=")
	writePyInts(&b, g.ReduceConcat)
	b.WriteString(")")
	return b.String()
}

func writePyEdges(b *strings.Builder, edges []Edge) {
	b.WriteByte('[')
	for i, e := range edges {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("('")
		b.WriteString(e.Op)
		b.WriteString("', ")
		b.WriteString(strconv.Itoa(e.Input))
		b.WriteByte(')')
	}
	b.WriteByte(']')
}

func writePyInts(b *strings.Builder, xs []int) {
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// String returns the edge as the Python pair ('op', input).
func (e Edge) String() string {
	return "('" + e.Op + "', " + strconv.Itoa(e.Input) + ")"
}
