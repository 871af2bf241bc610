package cells

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// row builds a weight row from op name/value pairs, every other entry fill.
func weightRow(fill float32, kv ...any) []float32 {
	r := make([]float32, NumPrimitives)
	for i := range r {
		r[i] = fill
	}
	for i := 0; i < len(kv); i += 2 {
		k := PrimitiveIndex(kv[i].(string))
		if k < 0 {
			panic(kv[i])
		}
		r[k] = float32(kv[i+1].(float64))
	}
	return r
}

func TestNumEdgesAndLabels(t *testing.T) {
	if NumEdges(4) != 14 || NumEdges(1) != 2 || NumEdges(5) != 20 {
		t.Errorf("NumEdges: %d %d %d", NumEdges(4), NumEdges(1), NumEdges(5))
	}
	want := []string{"0->2", "1->2", "0->3", "1->3", "2->3", "0->4", "1->4", "2->4", "3->4", "0->5", "1->5", "2->5", "3->5", "4->5"}
	for r, w := range want {
		if got := EdgeLabel(r); got != w {
			t.Errorf("EdgeLabel(%d) = %s, want %s", r, got, w)
		}
	}
}

func TestDiscretizeHandBuilt(t *testing.T) {
	w := [][]float32{
		// node 2: "none" dominates edge 0->2 but is ignored; 1->2 is stronger
		// on real ops, so it comes first.
		weightRow(0.01, "none", 0.93, "avg_pool_3x3", 0.02),
		weightRow(0.05, "none", 0.30, "sep_conv_5x5", 0.40),
		// node 3: three equal strengths -> inputs 0 and 1 in index order; the
		// op tie on 0->3 (max_pool vs sep_conv_3x3) goes to the earlier op.
		weightRow(0.10, "max_pool_3x3", 0.25, "sep_conv_3x3", 0.25),
		weightRow(0.10, "dil_conv_5x5", 0.25),
		weightRow(0.10, "skip_connect", 0.25),
		// node 4: 2->4 and 3->4 tie above 0->4 and 1->4.
		weightRow(0.10, "none", 0.90, "sep_conv_3x3", 0.15),
		weightRow(0.10, "skip_connect", 0.12),
		weightRow(0.05, "dil_conv_3x3", 0.31),
		weightRow(0.05, "max_pool_3x3", 0.31),
		// node 5: strongest last input, then the first one.
		weightRow(0.05, "sep_conv_3x3", 0.20),
		weightRow(0.05, "sep_conv_3x3", 0.19),
		weightRow(0.05, "sep_conv_3x3", 0.18),
		weightRow(0.05, "sep_conv_3x3", 0.17),
		weightRow(0.01, "none", 0.5, "skip_connect", 0.45),
	}
	got := DiscretizeCell(w, 4)
	want := []Edge{
		{"sep_conv_5x5", 1}, {"avg_pool_3x3", 0},
		{"max_pool_3x3", 0}, {"dil_conv_5x5", 1},
		{"dil_conv_3x3", 2}, {"max_pool_3x3", 3},
		{"skip_connect", 4}, {"sep_conv_3x3", 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("DiscretizeCell =\n%v\nwant\n%v", got, want)
	}

	// All weights equal: inputs 0 and 1 everywhere, the first non-none op.
	uniform := make([][]float32, NumEdges(4))
	for r := range uniform {
		uniform[r] = weightRow(0.125)
	}
	g := Discretize(uniform, w, 4)
	for k, e := range g.Normal {
		if e != (Edge{"max_pool_3x3", k % 2}) {
			t.Errorf("uniform edge %d = %v", k, e)
		}
	}
	if !slices.Equal(g.Reduce, want) || !slices.Equal(g.NormalConcat, []int{2, 3, 4, 5}) || !slices.Equal(g.ReduceConcat, []int{2, 3, 4, 5}) {
		t.Errorf("Discretize = %v", g)
	}
	if err := g.Validate(); err != nil {
		t.Error(err)
	}
	g.NormalConcat[0] = 9
	if g.ReduceConcat[0] != 2 {
		t.Error("the two concat lists share storage")
	}
}

func TestDiscretizeNaN(t *testing.T) {
	nan := float32(math.NaN())
	allNaN := weightRow(0)
	for k := range allNaN {
		allNaN[k] = nan
	}
	nanOp := weightRow(0.1, "sep_conv_5x5", 0.3)
	nanOp[PrimitiveIndex("max_pool_3x3")] = nan
	w := [][]float32{
		allNaN,                              // 0->2: ranks last, keeps the first op
		weightRow(0.1, "skip_connect", 0.2), // 1->2
		weightRow(0.1),                      // 0->3
		weightRow(0.1),                      // 1->3
		nanOp,                               // 2->3: the NaN op is passed over
	}
	got := DiscretizeCell(w, 2)
	want := []Edge{{"skip_connect", 1}, {"max_pool_3x3", 0}, {"sep_conv_5x5", 2}, {"max_pool_3x3", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Reference: pick the strongest edge (lowest input on ties), then the
// strongest of the rest, as a check of the stable-sort formulation.
func referenceDiscretize(w [][]float32, steps int) []Edge {
	var gene []Edge
	start := 0
	for i := range steps {
		n := i + 2
		bestOp := func(r []float32) (int, float32) {
			b := 1
			for k := 2; k < len(r); k++ {
				if r[k] > r[b] {
					b = k
				}
			}
			return b, r[b]
		}
		used := -1
		for range 2 {
			pick, pickS := -1, float32(0)
			for j := range n {
				if j == used {
					continue
				}
				_, s := bestOp(w[start+j])
				if pick < 0 || s > pickS {
					pick, pickS = j, s
				}
			}
			k, _ := bestOp(w[start+pick])
			gene = append(gene, Edge{Primitives[k], pick})
			used = pick
		}
		start += n
	}
	return gene
}

func TestDiscretizeRandomAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		steps := 1 + trial%6
		w := make([][]float32, NumEdges(steps))
		for r := range w {
			w[r] = make([]float32, NumPrimitives)
			for k := range w[r] {
				w[r][k] = float32(rng.IntN(4)) / 4 // coarse values: many ties
			}
		}
		got, want := DiscretizeCell(w, steps), referenceDiscretize(w, steps)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (steps %d): got %v, want %v", trial, steps, got, want)
		}
		c := CellGenotype{Edges: got, Concat: []int{2}}
		if err := c.Validate(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
	}
}

// A weight table that favours a genotype's edges gives that genotype back.
func TestDiscretizeRecoversBuiltins(t *testing.T) {
	table := func(edges []Edge) [][]float32 {
		w := make([][]float32, NumEdges(4))
		for r := range w {
			w[r] = weightRow(0.04, "none", 0.7) // unchosen edges: strong none only
		}
		start := 0
		for i := range 4 {
			for k, e := range edges[2*i : 2*i+2] {
				w[start+e.Input] = weightRow(0.02, "none", 0.3, e.Op, 0.6-0.1*float64(k))
			}
			start += i + 2
		}
		return w
	}
	for _, n := range BuiltinNames() {
		g := mustBuiltin(t, n)
		if got := Discretize(table(g.Normal), table(g.Reduce), 4); !got.Equal(g) {
			t.Errorf("%s: got %v", n, got)
		}
	}
}

func TestDiscretizePanics(t *testing.T) {
	good := make([][]float32, NumEdges(4))
	for r := range good {
		good[r] = weightRow(0.125)
	}
	short := slices.Clone(good)
	short[3] = short[3][:7]
	cases := map[string]func(){
		"rows":           func() { DiscretizeCell(good[:13], 4) },
		"cols":           func() { DiscretizeCell(short, 4) },
		"steps":          func() { DiscretizeCell(nil, 0) },
		"steps mismatch": func() { Discretize(good, good, 3) },
	}
	for name, fn := range cases {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if !strings.Contains(r.(string), "cells: DiscretizeCell") {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			fn()
		}()
	}
}

func TestFormatWeights(t *testing.T) {
	w := [][]float32{
		weightRow(0.01, "none", 0.93, "avg_pool_3x3", 0.02),
		weightRow(0.05, "none", 0.30, "sep_conv_5x5", 0.40),
	}
	got := FormatWeights(w, 1)
	want := "" +
		"edge           none  max_pool_3x3  avg_pool_3x3  skip_connect  sep_conv_3x3  sep_conv_5x5  dil_conv_3x3  dil_conv_5x5 \n" +
		"0->2         0.9300        0.0100        0.0200*       0.0100        0.0100        0.0100        0.0100        0.0100 \n" +
		"1->2         0.3000        0.0500        0.0500        0.0500        0.0500        0.4000*       0.0500        0.0500 \n"
	if got != want {
		t.Errorf("FormatWeights =\n%s\nwant\n%s", got, want)
	}
	full := make([][]float32, NumEdges(4))
	for r := range full {
		full[r] = weightRow(0.125)
	}
	out := FormatWeights(full, 4)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 15 || strings.Count(out, "*") != 8 || !strings.HasPrefix(lines[14], "4->5 ") {
		t.Errorf("FormatWeights(4 steps) =\n%s", out)
	}
	for _, l := range lines {
		if len(l) != len(lines[0]) {
			t.Errorf("ragged line %q", l)
		}
	}
}
