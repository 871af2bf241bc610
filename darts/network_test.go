package darts

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

func builtinGenotype(t *testing.T, name string) cells.Genotype {
	t.Helper()
	g, ok := cells.Builtin(name)
	if !ok {
		t.Fatalf("no builtin genotype %s", name)
	}
	return g
}

// The paper's CIFAR-10 model: DARTS (second order), C=36, 20 cells, 3.3M
// parameters; the original's count_parameters_in_MB excludes the auxiliary
// head and gives 3.349342.
func TestNetworkParamCountDARTSV2(t *testing.T) {
	spec := NetworkSpec{Genotype: builtinGenotype(t, "DARTS_V2"), C: 36, Layers: 20, Classes: 10, InChannels: 3, Auxiliary: true}
	net, err := NewNetwork(ag.NewCPU(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.NumParams(); got != 3349342 {
		t.Errorf("DARTS_V2 C=36 L=20: %d parameters without the auxiliary head, want 3349342", got)
	}
	// Auxiliary head on 4·4C = 576 channels: conv 576·128, BN 2·128,
	// conv 128·768·2·2, BN 2·768, linear 768·10+10.
	wantAux := 576*128 + 2*128 + 128*768*4 + 2*768 + 768*10 + 10
	if got := net.NumAuxParams(); got != wantAux {
		t.Errorf("auxiliary head: %d parameters, want %d", got, wantAux)
	}
	if got := cells.CountParams(net.Params); got != 3349342+wantAux {
		t.Errorf("all parameters: %d", got)
	}
	// Without the head the count is the same and there is no aux tensor.
	spec.Auxiliary = false
	net2, err := NewNetwork(ag.NewCPU(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if net2.NumParams() != 3349342 || net2.NumAuxParams() != 0 || net2.Aux != nil {
		t.Errorf("without auxiliary head: %d + %d parameters", net2.NumParams(), net2.NumAuxParams())
	}
	if ma := net.MultAdds(32, 32); ma < 400e6 || ma > 700e6 {
		t.Errorf("multiply-adds %d, expected roughly 0.5 G", ma)
	}
}

// State-dict names as the original's NetworkCIFAR.
func TestNetworkNames(t *testing.T) {
	spec := NetworkSpec{Genotype: builtinGenotype(t, "DARTS_V2"), C: 8, Layers: 6, Classes: 10, InChannels: 3, Auxiliary: true}
	net, err := NewNetwork(ag.NewCPU(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{}
	for _, ts := range net.StateTensors() {
		if _, dup := shapes[ts.Name]; dup {
			t.Errorf("duplicate tensor name %s", ts.Name)
		}
		shapes[ts.Name] = ts.Shape()
	}
	for name, shape := range map[string][]int{
		"stem.0.weight":                                   {24, 3, 3, 3},
		"stem.1.weight":                                   {24},
		"stem.1.running_var":                              {24},
		"cells.0.preprocess0.op.1.weight":                 {8, 24, 1, 1},
		"cells.0._ops.0.op.1.weight":                      {8, 1, 3, 3},
		"cells.0._ops.0.op.2.weight":                      {8, 8, 1, 1},
		"cells.0._ops.7.op.1.weight":                      {8, 1, 3, 3}, // dil_conv_3x3
		"cells.2.preprocess1.op.1.weight":                 {16, 32, 1, 1},
		"cells.3.preprocess0.conv_1.weight":               {8, 32, 1, 1}, // FactorizedReduce 32 → 16
		"auxiliary_head.features.2.weight":                {128, 128, 1, 1},
		"auxiliary_head.features.3.running_mean":          {128},
		"auxiliary_head.features.5.weight":                {768, 128, 2, 2},
		"auxiliary_head.features.6.bias":                  {768},
		"auxiliary_head.classifier.weight":                {10, 768},
		"classifier.weight":                               {10, 128},
		"classifier.bias":                                 {10},
		"cells.5._ops.7.op.3.running_mean":                {32},
		"cells.5._ops.4.op.7.weight":                      {32},
		"cells.4._ops.0.op.1.weight" /* max pool */ :      nil,
		"cells.4._ops.2.op.1.weight" /* identity */ :      nil,
		"cells.0._ops.5.op.1.weight" /* identity */ :      nil,
		"cells.2._ops.0.op.1.weight" /* max pool */ :      nil,
		"cells.2._ops.2.conv_1.weight" /* identity */ :    nil,
		"cells.2.preprocess0.conv_1.weight" /* normal */ : nil,
	} {
		got, ok := shapes[name]
		if shape == nil {
			if ok {
				t.Errorf("unexpected tensor %s %v", name, got)
			}
			continue
		}
		if !ok {
			t.Errorf("missing tensor %s", name)
		} else if !slices.Equal(got, shape) {
			t.Errorf("%s has shape %v, want %v", name, got, shape)
		}
	}
	// Reduction cells of DARTS_V2 at 2 and 4, C doubling: 8 → 16 → 32.
	if !net.Cells[2].Reduction || !net.Cells[4].Reduction || net.Cells[3].Reduction || net.AuxAt != 4 {
		t.Error("reduction cells are not at L/3 and 2L/3")
	}
	for _, p := range net.BNPrefixes() {
		if !strings.HasSuffix(p, "stem.1") && !strings.Contains(p, ".op.") && !strings.Contains(p, ".bn") &&
			!strings.HasPrefix(p, "auxiliary_head.features.") {
			t.Errorf("odd batch-norm prefix %s", p)
		}
	}
}

func randomBatch(be ag.Backend, rng *rand.Rand, n, c, h, w, classes int) (*ag.Tensor, []int32) {
	v := make([]float32, n*c*h*w)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	return ag.FromNCHW(be, v, n, c, h, w), y
}

// A tiny network: output shapes, the auxiliary head in training only,
// gradients for every parameter, and a directional finite-difference check
// of the gradient.
func TestNetworkSmokeAndGradient(t *testing.T) {
	be := ag.NewCPU()
	for _, name := range []string{"DARTS_V2", "PC_DARTS"} {
		spec := NetworkSpec{Genotype: builtinGenotype(t, name), C: 4, Layers: 3, Classes: 5, InChannels: 3, Auxiliary: true}
		net, err := NewNetwork(be, spec, 7)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := randomBatch(be, rng, 4, 3, 32, 32, 5)
		g := ag.NewGraph(be)

		logits, aux := net.Forward(g, x, true, 0.2, rand.New(rand.NewPCG(5, 5)))
		if !slices.Equal(logits.Shape(), []int{4, 5}) || aux == nil || !slices.Equal(aux.Shape(), []int{4, 5}) {
			t.Fatalf("%s: logits %v, aux %v", name, logits, aux)
		}
		loss := g.Add(g.CrossEntropy(logits, y), g.CrossEntropy(aux, y))
		g.Backward(loss, net.Params...)
		for _, p := range net.Params {
			gr := p.Grad()
			nonzero := false
			for _, v := range gr {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: gradient of %s not finite", name, p.Name)
				}
				nonzero = nonzero || v != 0
			}
			if !nonzero {
				t.Errorf("%s: no gradient reaches %s", name, p.Name)
			}
		}
		ag.ZeroGradOf(net.Params)

		// Inference: no auxiliary logits, deterministic (no drop-path).
		l1, aux1 := net.Forward(g, x, false, 0.2, nil)
		if aux1 != nil {
			t.Errorf("%s: auxiliary logits in inference mode", name)
		}
		v1 := append([]float32(nil), l1.Data()...)
		g.Release()
		l2, _ := net.Forward(g, x, false, 0.2, nil)
		if !slices.Equal(v1, l2.Data()) {
			t.Errorf("%s: inference is not deterministic", name)
		}
		g.Release()

		// Directional derivative in inference mode (running statistics,
		// so the function is smooth in the weights).
		lossAt := func() float64 {
			prev := g.SetGradEnabled(false)
			defer g.SetGradEnabled(prev)
			l, _ := net.Forward(g, x, false, 0, nil)
			v := float64(g.CrossEntropy(l, y).Item())
			g.Release()
			return v
		}
		l, _ := net.Forward(g, x, false, 0, nil)
		g.Backward(g.CrossEntropy(l, y), net.Params...)
		var norm2 float64
		for _, p := range net.Params {
			for _, v := range p.Grad() {
				norm2 += float64(v) * float64(v)
			}
		}
		norm := math.Sqrt(norm2)
		const eps = 1e-2
		step := func(s float64) {
			for _, p := range net.Params {
				d, gr := p.Data(), p.Grad()
				for i := range d {
					d[i] += float32(s * float64(gr[i]) / norm)
				}
			}
		}
		step(eps)
		up := lossAt()
		step(-2 * eps)
		down := lossAt()
		step(eps)
		fd := (up - down) / (2 * eps)
		rel := math.Abs(fd-norm) / norm
		t.Logf("%s: directional derivative %.5g (finite differences) vs %.5g (backprop), rel. error %.2g", name, fd, norm, rel)
		if rel > 0.01 {
			t.Errorf("%s: directional derivative %.5g by finite differences, %.5g by backprop (rel. error %.3f)", name, fd, norm, rel)
		}
		ag.ZeroGradOf(net.Params)
	}
}

func TestNetworkErrors(t *testing.T) {
	be := ag.NewCPU()
	gt := builtinGenotype(t, "DARTS_V2")
	for _, spec := range []NetworkSpec{
		{Genotype: gt, C: 4, Layers: 2, Classes: 10, InChannels: 3},
		{Genotype: gt, C: 0, Layers: 5, Classes: 10, InChannels: 3},
		{Genotype: gt, C: 4, Layers: 5, Classes: 0, InChannels: 3},
		{Genotype: gt, C: 4, Layers: 5, Classes: 10, InChannels: 1, ImageSize: 28, Auxiliary: true}, // 7×7 at the head
		{Genotype: cells.Genotype{}, C: 4, Layers: 5, Classes: 10, InChannels: 3},
	} {
		if _, err := NewNetwork(be, spec, 0); err == nil {
			t.Errorf("spec %+v accepted", spec)
		}
	}
	// 28×28 without the head is fine.
	if _, err := NewNetwork(be, NetworkSpec{Genotype: gt, C: 4, Layers: 5, Classes: 10, InChannels: 1, ImageSize: 28}, 0); err != nil {
		t.Error(err)
	}
}
