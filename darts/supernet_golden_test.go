package darts

import (
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/internal/goldencmp"
)

// TestSupernetMatchesPyTorch checks the whole search network and both
// architecture gradients against bench/torch/golden_supernet.py: logits and
// first-order ∂L_val/∂α, the weight gradients of the training loss, and the
// second-order (unrolled) α gradient with its finite-difference
// Hessian-vector product.
func TestSupernetMatchesPyTorch(t *testing.T) {
	const path = "../testdata/golden/supernet_step.safetensors"
	f, err := ag.LoadSafetensors(path)
	if err != nil {
		t.Skipf("skipping: %v (regenerate with /usr/bin/python3 bench/torch/golden_supernet.py --out testdata/golden)", err)
	}
	be := ag.NewCPU()
	net := NewSupernet(be, 4, 3, 4, 4, 3, 10, 3, 8, 1)
	reset := func() {
		if err := loadTensors(f, path, net.Weights); err != nil {
			t.Fatal(err)
		}
		if err := loadTensors(f, path, net.Buffers); err != nil {
			t.Fatal(err)
		}
		if err := loadTensors(f, path, net.Alphas()); err != nil {
			t.Fatal(err)
		}
	}
	batch := func(x, y string) (*ag.Tensor, []int32) {
		xt, err := ag.ActivationFromSafe(be, f.Tensors[x])
		if err != nil {
			t.Fatal(err)
		}
		l, err := f.Tensors[y].Int64()
		if err != nil {
			t.Fatal(err)
		}
		labels := make([]int32, len(l))
		for i, v := range l {
			labels[i] = int32(v)
		}
		return xt, labels
	}
	xt, yt := batch("x_train", "y_train")
	xv, yv := batch("x_val", "y_val")
	want := func(name string) []float32 {
		v, _, err := f.Float32(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	check := func(what string, got []float32, name string, tol float64) {
		if e := goldencmp.RelErr(got, want(name)); e > tol {
			t.Errorf("%s: relative error %.2e > %.0e", what, e, tol)
		} else {
			t.Logf("%s: relative error %.2e", what, e)
		}
	}
	g := ag.NewGraph(be)

	reset()
	ag.ZeroGradOf(net.Alphas())
	logits := g.Keep(net.Forward(g, xv, true))
	g.Backward(g.CrossEntropy(logits, yv), net.Alphas()...)
	check("logits", logits.Data(), "logits", 1e-4)
	g.Release()
	check("first-order ∂L/∂α normal", net.AlphaNormal.Grad(), "grad.alphas_normal", 1e-4)
	check("first-order ∂L/∂α reduce", net.AlphaReduce.Grad(), "grad.alphas_reduce", 1e-4)

	reset()
	ag.ZeroGradOf(net.Weights)
	g.Backward(g.CrossEntropy(net.Forward(g, xt, true), yt), net.Weights...)
	worst, worstName := 0.0, ""
	for _, w := range net.Weights {
		if e := goldencmp.RelErr(w.Grad(), want("grad_w."+w.Name)); e > worst {
			worst, worstName = e, w.Name
		}
	}
	if worst > 1e-4 {
		t.Errorf("weight gradients: relative error %.2e on %s", worst, worstName)
	} else {
		t.Logf("weight gradients: largest relative error %.2e (%s)", worst, worstName)
	}

	reset()
	arch := NewArchitect(net, g, 3e-4, 0)
	arch.WeightDecay = 3e-4
	ag.ZeroGradOf(net.Alphas())
	arch.unrolledGrad(xt, yt, xv, yv, 0.1)
	check("second-order ∇α normal", net.AlphaNormal.Grad(), "unrolled.alphas_normal", 1e-3)
	check("second-order ∇α reduce", net.AlphaReduce.Grad(), "unrolled.alphas_reduce", 1e-3)
}
