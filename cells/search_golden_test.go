package cells

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/internal/goldencmp"
)

// TestSearchCellMatchesPyTorch loads the search cells dumped by
// bench/torch/golden.py (C = 8, batch 4, normal, reduction, and normal after
// a reduction) and checks the output, the BN running statistics and every
// gradient of L = Σ y·r against PyTorch's.
func TestSearchCellMatchesPyTorch(t *testing.T) {
	files, _ := filepath.Glob("../testdata/golden/cell_*.safetensors")
	if len(files) == 0 {
		t.Skip("no testdata/golden/cell_*.safetensors: regenerate with /usr/bin/python3 bench/torch/golden.py --out testdata/golden")
	}
	const tol = 1e-4
	worst := 0.0
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := ag.LoadSafetensors(path)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				C, CPrev, CPrevPrev, Steps, Multiplier int
				Reduction, ReductionPrev               bool
			}
			var raw map[string]any
			if err := json.Unmarshal([]byte(f.Metadata["params"]), &raw); err != nil {
				t.Fatal(err)
			}
			p.C, p.CPrev, p.CPrevPrev = int(raw["C"].(float64)), int(raw["C_prev"].(float64)), int(raw["C_prev_prev"].(float64))
			p.Steps, p.Multiplier = int(raw["steps"].(float64)), int(raw["multiplier"].(float64))
			p.Reduction, p.ReductionPrev = raw["reduction"].(bool), raw["reduction_prev"].(bool)

			be := ag.NewCPU()
			b := NewBuilder(be, 1)
			cell := NewSearchCell(b, "cell", p.Steps, p.Multiplier, p.CPrevPrev, p.CPrev, p.C, p.Reduction, p.ReductionPrev)
			name := func(t *ag.Tensor) string { return strings.TrimPrefix(t.Name, "cell.") }
			load := func(dst *ag.Tensor, key string) {
				v, _, err := f.Float32(key)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if len(v) != dst.Len() {
					t.Fatalf("%s: %d values, the Go cell has %v", key, len(v), dst.Shape())
				}
				copy(dst.Data(), v)
			}
			for _, w := range b.Params {
				load(w, name(w))
			}
			act := func(key string) *ag.Tensor {
				x, err := ag.ActivationFromSafe(be, f.Tensors[key])
				if err != nil {
					t.Fatal(err)
				}
				x.RequiresGrad = true
				return x
			}
			s0, s1 := act("s0"), act("s1")
			alpha := ag.NewParam(be, "alpha", 14, 8)
			load(alpha, "alpha")

			g := ag.NewGraph(be)
			w := g.Softmax(alpha)
			y := cell.Forward(g, s0, s1, w, true)
			g.Keep(y)
			wantY, _, _ := f.Float32("y")
			if e := goldencmp.RelErr(y.NCHW(), wantY); e > tol {
				t.Errorf("output: relative error %.2e", e)
			} else {
				worst = math.Max(worst, e)
			}
			r := act("r")
			wrt := append([]*ag.Tensor{s0, s1, alpha}, b.Params...)
			g.BackwardWith(y, r.Data(), wrt...)
			g.Release()

			check := func(label string, got []float32, key string) {
				want, _, err := f.Float32(key)
				if err != nil {
					t.Errorf("%s: %v", key, err)
					return
				}
				e := goldencmp.RelErr(got, want)
				worst = math.Max(worst, e)
				if e > tol {
					t.Errorf("%s: relative error %.2e", label, e)
				}
			}
			for _, s := range []*ag.Tensor{s0, s1} {
				nchw := make([]float32, s.Len())
				ag.CNHWToNCHW(nchw, s.Grad(), s.Dim(0), s.Dim(1), s.Dim(2)*s.Dim(3))
				key := map[*ag.Tensor]string{s0: "grad.s0", s1: "grad.s1"}[s]
				check(key, nchw, key)
			}
			check("grad.alpha", alpha.Grad(), "grad.alpha")
			for _, w := range b.Params {
				check("grad of "+name(w), w.Grad(), "grad."+name(w))
			}
			for _, buf := range b.Buffers {
				check(name(buf), buf.Data(), "out."+name(buf))
			}
		})
	}
	t.Logf("largest relative error against PyTorch: %.2e", worst)
}
