package darts

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

func smallSupernet() *Supernet {
	return NewSupernet(ag.NewCPU(), 4, 3, 4, 4, 3, 10, 3, 8, 1)
}

// TestCostTableMatchesCellOps checks the MFLOPs table against the ops of
// the cells themselves, each edge's op given the input it really reads: in
// a reduction cell the edges between intermediate nodes read the halved
// maps.
func TestCostTableMatchesCellOps(t *testing.T) {
	n := smallSupernet()
	np := cells.NumPrimitives
	normal := make([]float64, len(n.costNormal))
	reduce := make([]float64, len(n.costReduce))
	size := n.ImageSize
	for _, cell := range n.Cells {
		cost := normal
		if cell.Reduction {
			cost = reduce
		}
		for e, m := range cell.Edges {
			in := size
			if cell.Reduction && cell.EdgeStride(e) == 1 {
				in = size / 2
			}
			for k, op := range m.Ops {
				cost[e*np+k] += float64(op.FLOPs(in, in)) / 1e6
			}
		}
		if cell.Reduction {
			size /= 2
		}
	}
	for i := range normal {
		if math.Abs(normal[i]-n.costNormal[i]) > 1e-12 || math.Abs(reduce[i]-n.costReduce[i]) > 1e-12 {
			t.Fatalf("entry %d: table %v/%v, ops %v/%v", i, n.costNormal[i], n.costReduce[i], normal[i], reduce[i])
		}
	}
	if m, _ := n.CostMetric(); m != CostMFLOPs {
		t.Fatalf("default metric %q", m)
	}
}

// TestGenotypeCost checks the cost of discrete cells against the table.
func TestGenotypeCost(t *testing.T) {
	n := smallSupernet()
	np := cells.NumPrimitives
	none := cells.Genotype{NormalConcat: []int{2, 3, 4, 5}, ReduceConcat: []int{2, 3, 4, 5}}
	for i := 0; i < 4; i++ {
		for j := 0; j < 2; j++ {
			none.Normal = append(none.Normal, cells.Edge{Op: "none", Input: j})
			none.Reduce = append(none.Reduce, cells.Edge{Op: "none", Input: j})
		}
	}
	if c := n.GenotypeCost(none); c != 0 {
		t.Fatalf("all-'none' cells cost %v", c)
	}
	// One sep_conv_3x3 from node 2 into node 3: node 3's edges come after
	// node 2's two, so its input 2 is edge 4 (primitive index 4).
	g := none
	g.Normal = append([]cells.Edge(nil), none.Normal...)
	g.Normal[2] = cells.Edge{Op: "sep_conv_3x3", Input: 2}
	want := n.costNormal[(2+2)*np+4]
	if c := n.GenotypeCost(g); math.Abs(c-want) > 1e-12 || c == 0 {
		t.Fatalf("one sep_conv_3x3 costs %v, want %v", c, want)
	}
}

// TestCostGradient checks AddCostGradient against central differences of
// λ·E[cost] in α, for the parameter-count metric.
func TestCostGradient(t *testing.T) {
	n := smallSupernet()
	tab, err := n.CostTableFor(CostParams, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetCostTable(tab); err != nil {
		t.Fatal(err)
	}
	const lambda = 0.3
	for _, a := range n.Alphas() {
		d := a.Data()
		for i := range d {
			d[i] = float32(math.Sin(float64(3*i + 1))) // away from uniform
		}
	}
	ag.ZeroGradOf(n.Alphas())
	n.AddCostGradient(lambda)
	for _, a := range n.Alphas() {
		grad := append([]float32(nil), a.Grad()...)
		d := a.Data()
		for _, i := range []int{0, 5, 9, len(d) - 1} {
			const h = 1e-2
			orig := d[i]
			d[i] = orig + h
			up := n.ExpectedCost()
			d[i] = orig - h
			down := n.ExpectedCost()
			d[i] = orig
			want := lambda * (up - down) / (2 * h)
			if math.Abs(float64(grad[i])-want) > 1e-3*(1+math.Abs(want)) {
				t.Fatalf("%s[%d]: gradient %v, finite difference %v", a.Name, i, grad[i], want)
			}
		}
	}
}

// TestLatencyTable measures a latency table, writes and reads it back, and
// checks the errors of a table that does not fit.
func TestLatencyTable(t *testing.T) {
	n := smallSupernet()
	calls := 0
	tab, err := n.MeasureLatency(2, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	shapes := n.OpShapes()
	if len(tab.Entries) != len(shapes) || calls != len(shapes) {
		t.Fatalf("%d entries and %d progress calls for %d op shapes", len(tab.Entries), calls, len(shapes))
	}
	for _, e := range tab.Entries {
		if e.Value < 0 || math.IsNaN(e.Value) || math.IsInf(e.Value, 0) {
			t.Fatalf("%+v: bad latency", e)
		}
		if e.Primitive == "none" && e.Value != 0 {
			t.Fatalf("%+v: 'none' must cost 0", e)
		}
	}
	path := filepath.Join(t.TempDir(), "cost_table.json")
	if err := WriteCostTable(path, tab); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCostTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetCostTable(back); err != nil {
		t.Fatal(err)
	}
	if m, unit := n.CostMetric(); m != CostLatency || unit != "µs per image" {
		t.Fatalf("metric %q unit %q", m, unit)
	}

	// A table without one of the supernet's shapes is refused by name.
	short := *back
	short.Entries = back.Entries[1:]
	if err := n.SetCostTable(&short); err == nil || !strings.Contains(err.Error(), back.Entries[0].Primitive) {
		t.Fatalf("missing entry: error %v", err)
	}
	// A negative cost is refused when read.
	bad := strings.Replace(string(mustJSON(back)), `"value":0`, `"value":-1`, 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCostTable(path); err == nil || !strings.Contains(err.Error(), "≥ 0") {
		t.Fatalf("negative cost: error %v", err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCostTable(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: error %v", err)
	}
}
