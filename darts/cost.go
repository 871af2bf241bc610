package darts

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
	"github.com/darts-go/darts/kernels"
)

// Hardware-cost metrics of a cost-aware search (--cost-metric): the
// architecture loss gains λ·E[cost], E over softmax(α) of every edge, the
// cost of an op being one of these, summed over the cells it occurs in.
const (
	CostMFLOPs  = "mflops"  // multiply-adds of one image, millions
	CostParams  = "params"  // weights, thousands (model size)
	CostLatency = "latency" // measured time of one image's forward pass, µs (see MeasureLatency)
)

// costUnit names the unit of a metric for logs and files.
func costUnit(metric string) string {
	switch metric {
	case CostParams:
		return "thousand weights"
	case CostLatency:
		return "µs per image"
	}
	return "MFLOPs per image"
}

// OpShape identifies one candidate op of the supernet for a cost table: the
// primitive, its channels, the side of its (square) input and its stride.
type OpShape struct {
	Primitive string `json:"primitive"`
	C         int    `json:"c"`
	Size      int    `json:"size"`
	Stride    int    `json:"stride"`
}

// CostEntry is one measured or counted op cost.
type CostEntry struct {
	OpShape
	Value float64 `json:"value"`
}

// CostTable holds the cost of every op shape of a supernet. A latency
// table is measured on the machine that runs the search and saved with the
// run (cost_table.json), so that a resumed or repeated search uses the same
// numbers; --cost-table can supply one measured elsewhere.
type CostTable struct {
	Metric  string      `json:"metric"`
	Unit    string      `json:"unit"`
	Machine string      `json:"machine,omitempty"`
	Threads int         `json:"threads,omitempty"`
	Date    string      `json:"date,omitempty"`
	Entries []CostEntry `json:"entries"`
}

func (t *CostTable) lookup() map[OpShape]float64 {
	m := make(map[OpShape]float64, len(t.Entries))
	for _, e := range t.Entries {
		m[e.OpShape] = e.Value
	}
	return m
}

// OpShapes lists the distinct op shapes of the supernet, in a fixed order.
func (n *Supernet) OpShapes() []OpShape {
	seen := map[OpShape]bool{}
	var out []OpShape
	for _, cs := range n.cellShapes {
		for _, es := range cs.edges {
			for _, prim := range cells.Primitives {
				sh := OpShape{Primitive: prim, C: cs.c, Size: es.size, Stride: es.stride}
				if !seen[sh] {
					seen[sh] = true
					out = append(out, sh)
				}
			}
		}
	}
	return out
}

// countCosts returns the table of a counted metric (MFLOPs or parameters).
func (n *Supernet) countCosts(metric string) (*CostTable, error) {
	t := &CostTable{Metric: metric, Unit: costUnit(metric)}
	for _, sh := range n.OpShapes() {
		b := cells.NewBuilder(ag.NewCPU(), 1)
		op, err := cells.NewOp(b, "op", sh.Primitive, sh.C, sh.Stride, false, true)
		if err != nil {
			return nil, err
		}
		v := float64(op.FLOPs(sh.Size, sh.Size)) / 1e6
		if metric == CostParams {
			v = float64(cells.CountParams(b.Params)) / 1e3
		}
		t.Entries = append(t.Entries, CostEntry{OpShape: sh, Value: v})
	}
	return t, nil
}

// MeasureLatency times the forward pass of every op shape of the supernet
// on one image, as the searched network would run it for inference (batch
// 1, evaluation mode, no gradient), with the current kernel threads: the
// median of reps runs after warm-up, in µs. Ops that do no work ('none')
// cost 0. progress, if not nil, is called after each shape.
func (n *Supernet) MeasureLatency(reps int, progress func(done, total int)) (*CostTable, error) {
	if reps < 1 {
		reps = 1
	}
	shapes := n.OpShapes()
	be := ag.NewCPU()
	g := ag.NewGraph(be)
	g.SetGradEnabled(false)
	rng := rand.New(rand.NewPCG(5, 5))
	t := &CostTable{Metric: CostLatency, Unit: costUnit(CostLatency), Machine: kernels.Detected.Brand,
		Threads: kernels.Threads(), Date: time.Now().UTC().Format(time.RFC3339)}
	times := make([]float64, reps)
	for i, sh := range shapes {
		b := cells.NewBuilder(be, 1)
		op, err := cells.NewOp(b, "op", sh.Primitive, sh.C, sh.Stride, false, true)
		if err != nil {
			return nil, err
		}
		v := 0.0
		if sh.Primitive != "none" {
			x := ag.NewActivation(be, 1, sh.C, sh.Size, sh.Size)
			for j, d := 0, x.Data(); j < len(d); j++ {
				d[j] = float32(rng.NormFloat64())
			}
			run := func() {
				op.Forward(g, x, false)
				g.Release()
			}
			for w := 0; w < 3; w++ {
				run()
			}
			for r := range times {
				t0 := time.Now()
				run()
				times[r] = float64(time.Since(t0).Nanoseconds()) / 1e3
			}
			sort.Float64s(times)
			v = times[len(times)/2]
		}
		t.Entries = append(t.Entries, CostEntry{OpShape: sh, Value: v})
		if progress != nil {
			progress(i+1, len(shapes))
		}
	}
	return t, nil
}

// SetCostTable makes the table's metric the one the cost term and
// ExpectedCost use. Every op shape of the supernet must be in the table.
func (n *Supernet) SetCostTable(t *CostTable) error {
	normal, reduce, err := n.edgeCosts(t)
	if err != nil {
		return err
	}
	n.costNormal, n.costReduce = normal, reduce
	n.costMetric, n.costUnit = t.Metric, t.Unit
	return nil
}

// edgeCosts sums the table's op costs per (edge, primitive) of the normal
// and of the reduction cells.
func (n *Supernet) edgeCosts(t *CostTable) (normal, reduce []float64, err error) {
	m := t.lookup()
	np := cells.NumPrimitives
	normal = make([]float64, cells.NumEdges(n.Steps)*np)
	reduce = make([]float64, len(normal))
	for _, cs := range n.cellShapes {
		cost := normal
		if cs.reduction {
			cost = reduce
		}
		for e, es := range cs.edges {
			for k, prim := range cells.Primitives {
				sh := OpShape{Primitive: prim, C: cs.c, Size: es.size, Stride: es.stride}
				v, ok := m[sh]
				if !ok {
					return nil, nil, fmt.Errorf("cost table (%s) has no entry for %s on %d channels, %d×%d input, stride %d",
						t.Metric, prim, sh.C, sh.Size, sh.Size, sh.Stride)
				}
				cost[e*np+k] += v
			}
		}
	}
	return normal, reduce, nil
}

// CostTableFor returns the table of metric for the supernet: read from
// path when it is not empty (it must hold that metric), else counted for
// mflops and params, or measured here for latency (progress as in
// MeasureLatency).
func (n *Supernet) CostTableFor(metric, path string, progress func(done, total int)) (*CostTable, error) {
	if path != "" {
		t, err := ReadCostTable(path)
		if err != nil {
			return nil, fmt.Errorf("--cost-table: %w", err)
		}
		if t.Metric != metric {
			return nil, fmt.Errorf("--cost-table %s holds %s costs, but --cost-metric is %s", path, t.Metric, metric)
		}
		return t, nil
	}
	switch metric {
	case CostMFLOPs, CostParams:
		return n.countCosts(metric)
	case CostLatency:
		return n.MeasureLatency(101, progress)
	}
	return nil, fmt.Errorf("--cost-metric must be mflops, params or latency, got %q", metric)
}

// ReadCostTable reads a cost table written by WriteCostTable.
func ReadCostTable(path string) (*CostTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t CostTable
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: not a cost table: %v", path, err)
	}
	if t.Metric == "" || len(t.Entries) == 0 {
		return nil, fmt.Errorf("%s: not a cost table: no metric or no entries", path)
	}
	for _, e := range t.Entries {
		if e.Value < 0 || e.Value != e.Value {
			return nil, fmt.Errorf("%s: cost of %s (C=%d, %d×%d, stride %d) is %v; costs must be ≥ 0",
				path, e.Primitive, e.C, e.Size, e.Size, e.Stride, e.Value)
		}
	}
	return &t, nil
}

// WriteCostTable writes t as indented JSON, atomically.
func WriteCostTable(path string, t *CostTable) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// ExpectedCost is E[cost] of the relaxed network in the current metric
// (mflops unless SetCostTable chose another): every edge's op costs
// weighted by softmax(α), summed over all cells.
func (n *Supernet) ExpectedCost() float64 { return n.expected(n.costNormal, n.costReduce) }

// ExpectedMFLOPs is E[cost] in multiply-adds (millions, per image), whatever
// the metric of the cost term.
func (n *Supernet) ExpectedMFLOPs() float64 { return n.expected(n.mflopsNormal, n.mflopsReduce) }

// expected weights per-(edge, primitive) costs of the normal and reduction
// cells by softmax(α) and sums them.
func (n *Supernet) expected(normal, reduce []float64) float64 {
	wn, wr := n.ArchWeights()
	total := 0.0
	np := cells.NumPrimitives
	for e := range wn {
		for k := 0; k < np; k++ {
			total += float64(wn[e][k])*normal[e*np+k] + float64(wr[e][k])*reduce[e*np+k]
		}
	}
	return total
}

// CostMetric returns the metric and unit of the cost term.
func (n *Supernet) CostMetric() (metric, unit string) { return n.costMetric, n.costUnit }

// GenotypeCost is the cost of the discrete cells of gt placed in the
// supernet (each chosen op at its edge's shape, summed over the cells of
// its type), in the current metric: what the cost term rewards.
func (n *Supernet) GenotypeCost(gt cells.Genotype) float64 {
	np := cells.NumPrimitives
	prim := map[string]int{}
	for k, p := range cells.Primitives {
		prim[p] = k
	}
	total := 0.0
	for _, part := range []struct {
		edges []cells.Edge
		cost  []float64
	}{{gt.Normal, n.costNormal}, {gt.Reduce, n.costReduce}} {
		start := 0 // first edge of intermediate node i: inputs 0..i+1
		for i := 0; 2*i+1 < len(part.edges); i++ {
			for _, e := range part.edges[2*i : 2*i+2] {
				if k, ok := prim[e.Op]; ok && start+e.Input < len(part.cost)/np {
					total += part.cost[(start+e.Input)*np+k]
				}
			}
			start += i + 2
		}
	}
	return total
}
