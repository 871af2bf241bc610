package autograd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Golden tests against PyTorch. bench/torch/golden.py writes one
// safetensors file per case to testdata/golden: inputs "x" (or "x0", "x1",
// ...), "labels", "alpha" / "weights", parameters under their PyTorch names
// ("weight", "bias", or module state_dict names such as
// "_ops.4.op.1.weight"), the output "y", a random tensor "r" and
// "grad.<name>", the gradients of L = Σ y·r; "out.<buffer>" holds BN running
// statistics after one training-mode forward; metadata "op" and "params"
// (JSON of the op's arguments). Tensors are in PyTorch's layout (NCHW,
// weights as PyTorch stores them). Each op case (single ops, the DARTS
// FactorizedReduce and MixedOp modules, SGD / Adam steps, gradient clipping)
// is rebuilt with this package and compared; the search-cell cases belong to
// the cells package and are skipped here, as is anything unknown (logged).

// goldenDir is where the cases live; DARTS_GOLDEN_DIR overrides it.
func goldenDir() string {
	if d := os.Getenv("DARTS_GOLDEN_DIR"); d != "" {
		return d
	}
	return "../testdata/golden"
}

// goldenTol is the largest accepted relative error, measured per tensor as
// max|got-want| / max(max|want|, 1e-3).
const goldenTol = 1e-4

type goldenCase struct {
	name   string
	file   *SafeFile
	op     string
	params map[string]any
	be     Backend
	leaves map[string]*Tensor    // tensors built from the file, by name
	bns    map[string]*BatchNorm // batch norms by module prefix ("" for the bare op)
	// leafWeights makes a mixed op take "weights" as a leaf instead of
	// softmax(alpha), to check the gradient of that intermediate.
	leafWeights bool
}

func (c *goldenCase) has(name string) bool { _, ok := c.file.Tensors[name]; return ok }

// tensor loads a file tensor as a leaf requiring a gradient when the file
// holds its gradient.
func (c *goldenCase) tensor(name string) *Tensor {
	if t, ok := c.leaves[name]; ok {
		return t
	}
	st, ok := c.file.Tensors[name]
	if !ok {
		panic(fmt.Sprintf("golden %s: no tensor %q", c.name, name))
	}
	load := TensorFromSafe // parameters: PyTorch's layout
	if name == "x" || name == "s0" || name == "s1" || strings.HasPrefix(name, "x") && len(name) > 1 && (name[1] == '.' || name[1] >= '0' && name[1] <= '9') {
		load = ActivationFromSafe
	}
	t, err := load(c.be, st)
	if err != nil {
		panic(err)
	}
	t.Name = name
	t.RequiresGrad = c.has("grad." + name)
	c.leaves[name] = t
	return t
}

func (c *goldenCase) int(def int, keys ...string) int {
	for _, k := range keys {
		switch v := c.params[k].(type) {
		case float64:
			return int(v)
		case []any: // (a, a) pairs
			if len(v) > 0 {
				a, _ := v[0].(float64)
				for _, e := range v[1:] {
					if b, _ := e.(float64); b != a {
						panic(fmt.Sprintf("golden %s: asymmetric %s %v", c.name, k, v))
					}
				}
				return int(a)
			}
		case bool:
			if v {
				return 1
			}
			return 0
		}
	}
	return def
}

func (c *goldenCase) bool(def bool, keys ...string) bool {
	for _, k := range keys {
		if v, ok := c.params[k].(bool); ok {
			return v
		}
	}
	return def
}

func (c *goldenCase) float(def float64, keys ...string) float64 {
	for _, k := range keys {
		if v, ok := c.params[k].(float64); ok {
			return v
		}
	}
	return def
}

func (c *goldenCase) inputs() []*Tensor {
	if c.has("x") {
		return []*Tensor{c.tensor("x")}
	}
	var xs []*Tensor
	for i := 0; ; i++ {
		switch {
		case c.has(fmt.Sprintf("x%d", i)):
			xs = append(xs, c.tensor(fmt.Sprintf("x%d", i)))
		case c.has(fmt.Sprintf("x.%d", i)):
			xs = append(xs, c.tensor(fmt.Sprintf("x.%d", i)))
		default:
			return xs
		}
	}
}

func (c *goldenCase) labels() []int32 {
	for _, k := range []string{"target", "labels", "label", "targets"} {
		if st, ok := c.file.Tensors[k]; ok {
			v, err := st.Int64()
			if err != nil {
				panic(err)
			}
			out := make([]int32, len(v))
			for i, l := range v {
				out[i] = int32(l)
			}
			return out
		}
	}
	panic("golden " + c.name + ": no labels")
}

func normOp(op string) string {
	op = strings.ToLower(op)
	for _, p := range []string{"torch.nn.functional.", "nn.functional.", "torch.", "nn.", "f."} {
		op = strings.TrimPrefix(op, p)
	}
	op = strings.NewReplacer("_", "", "2d", "", "1d", "").Replace(op)
	return op
}

// build runs the case's op in g and returns its output, or nil when the op
// is unknown to this test.
func (c *goldenCase) build(g *Graph) *Tensor {
	switch normOp(c.op) {
	case "conv", "depthwiseconv", "dwconv", "pointwiseconv", "pwconv":
		x, w := c.tensor("x"), c.tensor("weight")
		if c.has("bias") {
			return nil
		}
		stride := c.int(1, "stride")
		pad := c.int(0, "padding", "pad")
		dil := c.int(1, "dilation")
		groups := c.int(1, "groups")
		relu := c.bool(false, "relu_in", "relu")
		cin := x.Dim(1)
		switch {
		case groups == cin && groups > 1 && w.Dim(1) == 1 && w.Dim(0) == cin:
			return g.DepthwiseConv2D(x, w, stride, pad, dil, relu)
		case groups == 1 && w.Dim(2) == 1 && w.Dim(3) == 1 && pad == 0:
			return g.PointwiseConv(x, w, stride, c.int(0, "offset"), relu)
		case groups == 1:
			if relu {
				x = g.ReLU(x)
			}
			return g.Conv2D(x, w, stride, pad, dil)
		}
		return nil
	case "linear":
		var b *Tensor
		if c.has("bias") {
			b = c.tensor("bias")
		}
		return g.Linear(c.tensor("x"), c.tensor("weight"), b)
	case "batchnorm":
		x := c.tensor("x")
		return g.BatchNorm(x, c.bn("", x.Dim(1)), c.bool(true, "training", "train"))
	case "relu":
		return g.ReLU(c.tensor("x"))
	case "maxpool":
		k := c.int(0, "kernel_size", "k")
		return g.MaxPool(c.tensor("x"), k, c.int(k, "stride"), c.int(0, "padding", "pad"))
	case "avgpool":
		k := c.int(0, "kernel_size", "k")
		return g.AvgPool(c.tensor("x"), k, c.int(k, "stride"), c.int(0, "padding", "pad"),
			c.bool(true, "count_include_pad"))
	case "adaptiveavgpool", "globalavgpool", "gap":
		x := c.tensor("x")
		y := g.GlobalAvgPool(x)
		if c.has("y") && len(c.file.Tensors["y"].Shape) == 4 { // (N, C, 1, 1)
			return g.Reshape(y, x.Dim(0), x.Dim(1), 1, 1)
		}
		return y
	case "softmax":
		return g.Softmax(c.tensor("x"))
	case "scalebysoftmax":
		return g.ScaleBy(c.tensor("x"), g.Softmax(c.tensor("alpha")), c.int(0, "k"))
	case "slice":
		if c.params["y"] != "x[:, :, 1:, 1:]" {
			return nil
		}
		return g.Shift(c.tensor("x"), 1, 1)
	case "factorizedreduce":
		return c.factorizedReduce(g, c.tensor("x"), "")
	case "mixedop":
		x := c.tensor("x")
		var w *Tensor
		if c.leafWeights {
			w = c.tensor("weights")
		} else {
			w = g.Softmax(c.tensor("alpha"))
		}
		return c.mixedOp(g, x, w)
	case "crossentropy":
		return g.CrossEntropy(c.tensor("x"), c.labels())
	case "cat", "concat":
		return g.Concat(c.inputs()...)
	case "add", "sum":
		return g.Add(c.inputs()...)
	case "flatten":
		return g.Flatten(c.tensor("x"))
	case "zero", "none":
		return g.Zero(c.tensor("x"), c.int(1, "stride"))
	}
	return nil
}

func key(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// bn makes the batch norm of a module prefix: affine when the file holds
// its weight, running statistics from the file when present (else 0 / 1).
func (c *goldenCase) bn(prefix string, C int) *BatchNorm {
	affine := c.has(key(prefix, "weight"))
	if a, ok := c.params["affine"].(bool); ok && prefix == "" {
		affine = a
	}
	bn := NewBatchNorm(c.be, prefix, C, affine)
	if affine {
		bn.Weight, bn.Bias = c.tensor(key(prefix, "weight")), c.tensor(key(prefix, "bias"))
	}
	if c.has(key(prefix, "running_mean")) {
		bn.RunningMean, bn.RunningVar = c.tensor(key(prefix, "running_mean")), c.tensor(key(prefix, "running_var"))
		bn.RunningMean.RequiresGrad, bn.RunningVar.RequiresGrad = false, false
	}
	bn.Momentum = float32(c.float(0.1, "momentum", "bn_momentum"))
	bn.Eps = float32(c.float(1e-5, "eps", "bn_eps"))
	c.bns[prefix] = bn
	return bn
}

func (c *goldenCase) training() bool { return c.bool(true, "training") }

// factorizedReduce is DARTS' FactorizedReduce: ReLU, two 1×1 stride-2
// convolutions (the second on x[:, :, 1:, 1:]), concat, BN.
func (c *goldenCase) factorizedReduce(g *Graph, x *Tensor, prefix string) *Tensor {
	w1, w2 := c.tensor(prefix+"conv_1.weight"), c.tensor(prefix+"conv_2.weight")
	y := g.Concat(g.PointwiseConv(x, w1, 2, 0, true), g.PointwiseConv(x, w2, 2, 1, true))
	return g.BatchNorm(y, c.bn(prefix+"bn", y.Dim(1)), c.training())
}

// sepConv is DARTS' SepConv: two (ReLU, depthwise, pointwise, BN) blocks.
func (c *goldenCase) sepConv(g *Graph, x *Tensor, prefix string, stride, pad int) *Tensor {
	h := g.DepthwiseConv2D(x, c.tensor(prefix+"op.1.weight"), stride, pad, 1, true)
	h = g.PointwiseConv(h, c.tensor(prefix+"op.2.weight"), 1, 0, false)
	h = g.BatchNorm(h, c.bn(prefix+"op.3", h.Dim(1)), c.training())
	h = g.DepthwiseConv2D(h, c.tensor(prefix+"op.5.weight"), 1, pad, 1, true)
	h = g.PointwiseConv(h, c.tensor(prefix+"op.6.weight"), 1, 0, false)
	return g.BatchNorm(h, c.bn(prefix+"op.7", h.Dim(1)), c.training())
}

// dilConv is DARTS' DilConv: ReLU, dilated depthwise, pointwise, BN.
func (c *goldenCase) dilConv(g *Graph, x *Tensor, prefix string, stride, pad, dil int) *Tensor {
	h := g.DepthwiseConv2D(x, c.tensor(prefix+"op.1.weight"), stride, pad, dil, true)
	h = g.PointwiseConv(h, c.tensor(prefix+"op.2.weight"), 1, 0, false)
	return g.BatchNorm(h, c.bn(prefix+"op.3", h.Dim(1)), c.training())
}

// mixedOp is the search network's MixedOp over DARTS' eight primitives.
func (c *goldenCase) mixedOp(g *Graph, x, w *Tensor) *Tensor {
	stride, C := c.int(1, "stride"), x.Dim(1)
	ys := make([]*Tensor, 8)
	ys[0] = g.Zero(x, stride)
	ys[1] = g.BatchNorm(g.MaxPool(x, 3, stride, 1), c.bn("_ops.1.1", C), c.training())
	ys[2] = g.BatchNorm(g.AvgPool(x, 3, stride, 1, false), c.bn("_ops.2.1", C), c.training())
	if stride == 1 {
		ys[3] = x
	} else {
		ys[3] = c.factorizedReduce(g, x, "_ops.3.")
	}
	ys[4] = c.sepConv(g, x, "_ops.4.", stride, 1)
	ys[5] = c.sepConv(g, x, "_ops.5.", stride, 2)
	ys[6] = c.dilConv(g, x, "_ops.6.", stride, 2, 2)
	ys[7] = c.dilConv(g, x, "_ops.7.", stride, 4, 2)
	return g.WeightedSum(w, []int{0, 1, 2, 3, 4, 5, 6, 7}, ys)
}

// relErr is max|got-want| / max(max|want|, 1e-3).
func relErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / math.Max(m, 1e-3)
}

// runGolden checks one file. It reports whether the case was known and the
// largest relative error over the output and the gradients.
func runGolden(t *testing.T, path string) (known bool, worst float64) {
	t.Helper()
	f, err := LoadSafetensors(path)
	if err != nil {
		t.Errorf("%v", err)
		return true, 0
	}
	var params map[string]any
	if p := f.Metadata["params"]; p != "" {
		if err := json.Unmarshal([]byte(p), &params); err != nil {
			t.Errorf("%s: params: %v", filepath.Base(path), err)
			return true, 0
		}
	}
	newCase := func() *goldenCase {
		return &goldenCase{name: filepath.Base(path), file: f, op: f.Metadata["op"], params: params,
			be: NewCPU(), leaves: map[string]*Tensor{}, bns: map[string]*BatchNorm{}}
	}
	switch normOp(f.Metadata["op"]) {
	case "sgd", "adam":
		return true, goldenOptim(t, newCase())
	case "clipgradnorm":
		return true, goldenClip(t, newCase())
	case "searchcell": // checked by the cells package
		return false, 0
	}
	if !f.hasTensor("y") {
		return false, 0
	}
	worst = goldenForward(t, newCase())
	if c := newCase(); normOp(c.op) == "mixedop" && c.has("grad.weights") {
		c.leafWeights = true
		worst = math.Max(worst, goldenForward(t, c))
	}
	return true, worst
}

func (f *SafeFile) hasTensor(name string) bool { _, ok := f.Tensors[name]; return ok }

// goldenForward builds the case, checks y, the updated running statistics
// and the gradients of L = Σ y·r.
func goldenForward(t *testing.T, c *goldenCase) (worst float64) {
	f := c.file
	check := func(what string, got, want []float32) {
		e := relErr(got, want)
		if e > goldenTol {
			t.Errorf("%s: %s relative error %.3g", c.name, what, e)
		}
		worst = math.Max(worst, e)
	}
	g := NewGraph(c.be)
	y := c.build(g)
	if y == nil {
		g.Release()
		t.Errorf("%s: op %q with params %v not understood", c.name, c.op, c.params)
		return 0
	}
	want, wshape, _ := f.Float32("y")
	if len(wshape) != y.NDim() || y.Len() != len(want) {
		t.Errorf("%s: output shape %v, PyTorch %v", c.name, y.Shape(), wshape)
		g.Release()
		return 0
	}
	check("output", y.NCHW(), want)
	for prefix, bn := range c.bns {
		for _, b := range []*Tensor{bn.RunningMean, bn.RunningVar} {
			k := "out." + key(prefix, b.Name[strings.LastIndex(b.Name, ".")+1:])
			if c.has(k) {
				want, _, _ := f.Float32(k)
				check(k, b.Data(), want)
			} else if c.training() {
				t.Errorf("%s: no %s in the file", c.name, k)
			}
		}
	}
	var wrt []*Tensor
	var names []string
	for name, leaf := range c.leaves {
		if leaf.RequiresGrad && (!c.leafWeights || name == "weights") {
			wrt = append(wrt, leaf)
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(wrt) > 0 {
		r := make([]float32, y.Len())
		if c.has("r") {
			rv, _, _ := f.Float32("r")
			if y.ChannelMajor() {
				NCHWToCNHW(r, rv, y.Dim(0), y.Dim(1), y.Dim(2)*y.Dim(3))
			} else {
				copy(r, rv)
			}
		} else {
			for i := range r {
				r[i] = 1
			}
		}
		if !y.RequiresGrad {
			t.Errorf("%s: output does not require a gradient", c.name)
		} else {
			g.BackwardWith(y, r, wrt...)
		}
		for _, name := range names {
			leaf := c.leaves[name]
			gw, _, _ := f.Float32("grad." + name)
			got := make([]float32, leaf.Len())
			if leaf.Grad() != nil {
				copy(got, leaf.Grad())
			}
			if leaf.ChannelMajor() {
				tmp := make([]float32, len(got))
				CNHWToNCHW(tmp, got, leaf.Dim(0), leaf.Dim(1), leaf.Dim(2)*leaf.Dim(3))
				got = tmp
			}
			check("grad."+name, got, gw)
		}
	}
	g.Release()
	return worst
}

// goldenOptim replays three optimizer steps and compares parameters and
// state after each.
func goldenOptim(t *testing.T, c *goldenCase) (worst float64) {
	check := func(what string, got []float32, name string) {
		want, _, err := c.file.Float32(name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			return
		}
		e := relErr(got, want)
		if e > goldenTol {
			t.Errorf("%s: %s relative error %.3g", c.name, what, e)
		}
		worst = math.Max(worst, e)
	}
	p := c.tensor("p0")
	p.RequiresGrad = true
	var opt Optimizer
	var sgd *SGD
	var adam *Adam
	if normOp(c.op) == "sgd" {
		sgd = &SGD{}
		sgd.AddGroup(&ParamGroup{Params: []*Tensor{p}, LR: c.float(0, "lr"), Momentum: c.float(0, "momentum"),
			Dampening: c.float(0, "dampening"), WeightDecay: c.float(0, "weight_decay"), Nesterov: c.bool(false, "nesterov")})
		opt = sgd
	} else {
		betas, _ := c.params["betas"].([]any)
		if len(betas) != 2 {
			t.Fatalf("%s: betas %v", c.name, c.params["betas"])
		}
		adam = NewAdam([]*Tensor{p}, c.float(0, "lr"), betas[0].(float64), betas[1].(float64), c.float(1e-8, "eps"), c.float(0, "weight_decay"))
		opt = adam
	}
	for step := 1; step <= c.int(3, "steps"); step++ {
		gv, _, err := c.file.Float32(fmt.Sprintf("g%d", step))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		copy(p.EnsureGrad(), gv)
		opt.Step()
		check(fmt.Sprintf("param after step %d", step), p.Data(), fmt.Sprintf("p%d", step))
		if sgd != nil {
			check(fmt.Sprintf("momentum buffer %d", step), sgd.MomentumBuffer(p), fmt.Sprintf("momentum_buffer%d", step))
		} else {
			st := adam.State()
			check(fmt.Sprintf("exp_avg %d", step), st["p0.exp_avg"], fmt.Sprintf("exp_avg%d", step))
			check(fmt.Sprintf("exp_avg_sq %d", step), st["p0.exp_avg_sq"], fmt.Sprintf("exp_avg_sq%d", step))
		}
	}
	return worst
}

// goldenClip checks ClipGradNorm on several gradients.
func goldenClip(t *testing.T, c *goldenCase) (worst float64) {
	var ps []*Tensor
	for i := 0; c.has(fmt.Sprintf("g%d", i)); i++ {
		gv, shape, _ := c.file.Float32(fmt.Sprintf("g%d", i))
		p := NewParam(c.be, "", shape...)
		copy(p.EnsureGrad(), gv)
		ps = append(ps, p)
	}
	total := ClipGradNorm(ps, c.float(0, "max_norm"))
	want, _, _ := c.file.Float32("total_norm")
	worst = relErr([]float32{float32(total)}, want)
	for i, p := range ps {
		wv, _, _ := c.file.Float32(fmt.Sprintf("clipped%d", i))
		worst = math.Max(worst, relErr(p.Grad(), wv))
	}
	if worst > goldenTol {
		t.Errorf("%s: relative error %.3g", c.name, worst)
	}
	return worst
}

func TestGolden(t *testing.T) {
	dir := goldenDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no golden files (%s absent; run bench/torch/golden.py)", dir)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(files) == 0 {
		t.Skipf("no golden files in %s", dir)
	}
	worst, worstName, ran := 0.0, "", 0
	var unknown []string
	for _, p := range files {
		known, e := runGolden(t, p)
		if !known {
			unknown = append(unknown, filepath.Base(p))
			continue
		}
		ran++
		if e > worst {
			worst, worstName = e, filepath.Base(p)
		}
	}
	t.Logf("golden: %d cases checked, largest relative error %.3g (%s); %d skipped", ran, worst, worstName, len(unknown))
	if len(unknown) > 0 {
		t.Logf("skipped (not op cases this test knows): %s", strings.Join(unknown, ", "))
	}
}

// TestGoldenHarness checks the loader on a synthetic file written in the
// golden format from this package's own results.
func TestGoldenHarness(t *testing.T) {
	be := NewCPU()
	rng := newRNG("harness")
	x := actLeaf(rng, 2, 3, 5, 5)
	w := randLeaf(rng, 0.5, 4, 3, 3, 3)
	g := NewGraph(be)
	y := g.Conv2D(x, w, 2, 1, 1)
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	yv := y.NCHW()
	shape := y.Shape()
	rT := NewActivation(be, shape[0], shape[1], shape[2], shape[3])
	rT.SetData(r)
	g.BackwardWith(y, r, x, w)
	gx := &Tensor{}
	*gx = *x
	gx.st, gx.data = gx.gst, gx.gdata
	gw := &Tensor{}
	*gw = *w
	gw.st, gw.data = gw.gst, gw.gdata
	tensors := map[string]SafeTensor{
		"x": SafeFromTensor(x), "weight": SafeFromTensor(w),
		"y": F32Tensor(yv, shape...), "r": SafeFromTensor(rT),
		"grad.x": SafeFromTensor(gx), "grad.weight": SafeFromTensor(gw),
	}
	path := filepath.Join(t.TempDir(), "conv.safetensors")
	if err := SaveSafetensors(path, tensors, map[string]string{"op": "conv2d", "params": `{"stride": 2, "padding": [1, 1], "dilation": 1, "groups": 1}`}); err != nil {
		t.Fatal(err)
	}
	known, e := runGolden(t, path)
	if !known || e > 1e-6 {
		t.Errorf("harness: known %v error %v", known, e)
	}
}
