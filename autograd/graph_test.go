package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/darts-go/darts/kernels"
)

func mustPanic(t *testing.T, what, contains string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		if s, _ := r.(string); !strings.Contains(s, contains) {
			t.Errorf("%s: panic %v, want it to mention %q", what, r, contains)
		}
	}()
	f()
}

// Backward fills only the leaves asked for and runs only the ops leading
// to them.
func TestSelectiveBackward(t *testing.T) {
	rng := newRNG("selective")
	x := constLeaf(actLeaf(rng, 2, 3, 4, 4))
	w := randLeaf(rng, 0.5, 3, 1, 3, 3)
	pw := randLeaf(rng, 0.5, 3, 3, 1, 1)
	alpha := randLeaf(rng, 1, 4)
	fc := randLeaf(rng, 0.5, 2, 3)
	labels := []int32{0, 1}
	g := NewGraph(NewCPU())
	forward := func() *Tensor {
		a := g.PointwiseConv(g.DepthwiseConv2D(x, w, 1, 1, 1, true), pw, 1, 0, false) // 2 ops
		s := g.Softmax(alpha)                                                         // 1
		m := g.WeightedSum(s, []int{0, 1}, []*Tensor{a, x})                           // 1
		return g.CrossEntropy(g.Linear(g.GlobalAvgPool(m), fc, nil), labels)          // 3
	}
	loss := forward()
	if g.TapeLen() != 7 {
		t.Fatalf("tape %d ops, want 7", g.TapeLen())
	}
	g.Backward(loss, alpha)
	if alpha.Grad() == nil {
		t.Fatal("alpha has no gradient")
	}
	for _, p := range []*Tensor{w, pw, fc} {
		if p.Grad() != nil {
			t.Errorf("%v got a gradient it was not asked for", p)
		}
	}
	if x.Grad() != nil {
		t.Error("constant input got a gradient")
	}
	// ∂L/∂α runs CE, Linear, GAP, WeightedSum, Softmax: not the convolutions.
	if g.ran != 5 {
		t.Errorf("ran %d backward steps, want 5", g.ran)
	}
	da := append([]float32(nil), alpha.Grad()...)

	loss = forward()
	g.Backward(loss, w, fc)
	if w.Grad() == nil || fc.Grad() == nil || pw.Grad() != nil {
		t.Error("weights: wrong set of gradients")
	}
	for i, v := range alpha.Grad() {
		if v != da[i] {
			t.Fatal("alpha gradient changed by a weight-only Backward")
		}
	}
	// Accumulation: a second Backward adds the same amount.
	dw := append([]float32(nil), w.Grad()...)
	g.Backward(forward(), w)
	for i, v := range w.Grad() {
		if math.Abs(float64(v-2*dw[i])) > 1e-5*math.Abs(float64(dw[i]))+1e-7 {
			t.Fatalf("accumulated gradient %v, want %v", v, 2*dw[i])
		}
	}

	mustPanic(t, "non-leaf wrt", "not a leaf", func() {
		y := g.ReLU(alpha)
		g.Backward(g.CrossEntropy(g.Reshape(y, 1, 4), []int32{0}), y)
	})
	g.Release()
	mustPanic(t, "wrt without RequiresGrad", "does not require", func() {
		g.Backward(forward(), x)
	})
	g.Release()
	mustPanic(t, "non-scalar loss", "BackwardWith", func() {
		g.Backward(g.ReLU(alpha), alpha)
	})
	g.Release()
}

func TestNoGradAndRelease(t *testing.T) {
	rng := newRNG("nograd")
	x := actLeaf(rng, 2, 3, 4, 4)
	g := NewGraph(NewCPU())
	prev := g.SetGradEnabled(false)
	if !prev || g.GradEnabled() {
		t.Fatal("SetGradEnabled")
	}
	y := g.ReLU(g.MaxPool(x, 3, 1, 1))
	if g.TapeLen() != 0 || y.RequiresGrad {
		t.Errorf("no-grad mode recorded %d ops", g.TapeLen())
	}
	g.SetGradEnabled(true)
	g.Release()
	mustPanic(t, "use after Release", "released", func() { y.Data() })
	if g.MemStats().LiveFloats != 0 {
		t.Errorf("live floats after Release: %d", g.MemStats().LiveFloats)
	}

	// Keep survives Backward, not Release.
	a := g.ReLU(x)
	b := g.Softmax(g.Flatten(a))
	k := g.Keep(g.GlobalAvgPool(a))
	want := append([]float32(nil), k.Data()...)
	g.BackwardWith(b, make([]float32, b.Len()), x)
	mustPanic(t, "use after Backward", "released", func() { a.Data() })
	for i, v := range k.Data() {
		if v != want[i] {
			t.Fatal("kept tensor changed")
		}
	}
	if g.MemStats().LiveFloats != int64(k.Len()) {
		t.Errorf("live floats %d, want the kept %d", g.MemStats().LiveFloats, k.Len())
	}
	// A kept tensor can feed the next forward pass.
	z := g.Add(k, k)
	if z.Data()[0] != 2*want[0] {
		t.Error("kept tensor as input")
	}
	g.Release()
	mustPanic(t, "kept after Release", "released", func() { k.Data() })

	// Layouts are checked: a row-major 4-D tensor is not an activation.
	mustPanic(t, "row-major input", "channel-major", func() { g.ReLU(g.MaxPool(New(g.be, 1, 2, 3, 3), 3, 1, 1)) })
	mustPanic(t, "channel-major weight", "does not match", func() { g.Conv2D(x, NewActivation(g.be, 3, 3, 3, 3), 1, 1, 1) })
	g.Release()

	// Zero: right shape, zero, unrecorded.
	zz := g.Zero(x, 2)
	if s := zz.Shape(); s[2] != 2 || s[3] != 2 || zz.RequiresGrad || g.TapeLen() != 0 {
		t.Errorf("Zero: shape %v recorded %v", s, g.TapeLen())
	}
	x5 := actLeaf(rng, 1, 2, 5, 5)
	if s := g.Zero(x5, 2).Shape(); s[2] != 3 || s[3] != 3 {
		t.Errorf("Zero stride 2 on 5x5: %v", s)
	}
	g.Release()
}

// tinyNet is a small conv net: stem conv, BN, a separable block, pooling and
// a classifier.
type tinyNet struct {
	stem, dw, pw, dw2, pw2, fc, fcb *Tensor
	bn0, bn1, bn2                   *BatchNorm
}

func newTinyNet(be Backend, seed uint64, c, classes int) *tinyNet {
	rng := rand.New(rand.NewPCG(seed, 1))
	init := func(name string, scale float64, shape ...int) *Tensor {
		t := NewParam(be, name, shape...)
		for i := range t.Data() {
			t.Data()[i] = float32(rng.NormFloat64() * scale)
		}
		return t
	}
	return &tinyNet{
		stem: init("stem", 0.3, c, 3, 3, 3),
		dw:   init("dw", 0.3, c, 1, 3, 3),
		pw:   init("pw", 0.3, c, c, 1, 1),
		dw2:  init("dw2", 0.3, c, 1, 5, 5),
		pw2:  init("pw2", 0.3, 2*c, c, 1, 1),
		fc:   init("fc", 0.1, classes, 2*c),
		fcb:  init("fcb", 0.1, classes),
		bn0:  NewBatchNorm(be, "bn0", c, true),
		bn1:  NewBatchNorm(be, "bn1", c, true),
		bn2:  NewBatchNorm(be, "bn2", 2*c, false),
	}
}

func (m *tinyNet) params() []*Tensor {
	ps := []*Tensor{m.stem, m.dw, m.pw, m.dw2, m.pw2, m.fc, m.fcb}
	ps = append(ps, m.bn0.Params()...)
	return append(ps, m.bn1.Params()...)
}

func (m *tinyNet) forward(g *Graph, x *Tensor, training bool, rng RNG) *Tensor {
	h := g.BatchNorm(g.Conv2D(x, m.stem, 1, 1, 1), m.bn0, training)
	s := g.BatchNorm(g.PointwiseConv(g.DepthwiseConv2D(h, m.dw, 1, 1, 1, true), m.pw, 1, 0, false), m.bn1, training)
	if rng != nil {
		s = g.DropPath(s, 0.7, rng)
	}
	h = g.Add(h, s)
	h = g.MaxPool(h, 3, 2, 1)
	h = g.BatchNorm(g.PointwiseConv(g.DepthwiseConv2D(h, m.dw2, 1, 4, 2, true), m.pw2, 1, 0, false), m.bn2, training)
	return g.Linear(g.GlobalAvgPool(g.ReLU(h)), m.fc, m.fcb)
}

func tinyBatch(be Backend, n, hw int) (*Tensor, []int32) {
	rng := rand.New(rand.NewPCG(42, 42))
	x := NewActivation(be, n, 3, hw, hw)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
	}
	return x, labels
}

// trainStep is one SGD step of the tiny net.
func trainStep(g *Graph, m *tinyNet, opt *SGD, x *Tensor, labels []int32, params []*Tensor, rng RNG) float32 {
	opt.ZeroGrad()
	logits := m.forward(g, x, true, rng)
	loss := g.CrossEntropy(logits, labels)
	v := g.Backward(loss, params...)
	ClipGradNorm(params, 5)
	opt.Step()
	return v
}

func TestTrainingStepMemory(t *testing.T) {
	be := NewCPU()
	m := newTinyNet(be, 1, 8, 10)
	params := m.params()
	opt := NewSGD(params, 0.05, 0.9, 3e-4)
	g := NewGraph(be)
	x, labels := tinyBatch(be, 4, 12)
	first := trainStep(g, m, opt, x, labels, params, nil)
	allocs := g.MemStats().Allocs
	var last float32
	for i := 0; i < 20; i++ {
		last = trainStep(g, m, opt, x, labels, params, nil)
	}
	if !(last < first) {
		t.Errorf("loss did not decrease: %v -> %v", first, last)
	}
	if g.MemStats().Allocs != allocs {
		t.Errorf("pool allocated %d storages after the first step", g.MemStats().Allocs-allocs)
	}
	if g.MemStats().LiveFloats != 0 {
		t.Errorf("live floats after the step: %d", g.MemStats().LiveFloats)
	}
	// Activations are freed during backward: the peak stays well under
	// forward activations plus all their gradients.
	g2 := NewGraph(be)
	logits := m.forward(g2, x, true, nil)
	loss := g2.CrossEntropy(logits, labels)
	fwd := g2.MemStats().LiveFloats
	g2.Backward(loss, params...)
	if peak := g2.MemStats().PeakFloats; float64(peak) > 1.6*float64(fwd) {
		t.Errorf("peak %d floats for %d forward floats: activations not freed early", peak, fwd)
	}
	if testing.Short() {
		return
	}
	n := testing.AllocsPerRun(5, func() { trainStep(g, m, opt, x, labels, params, nil) })
	t.Logf("Go heap allocations per training step: %v", n)
}

// Same seed and thread count: identical bits.
func TestDeterminism(t *testing.T) {
	prev := kernels.Threads()
	defer kernels.SetThreads(prev)
	kernels.SetThreads(2)
	run := func() []float32 {
		be := NewCPU()
		m := newTinyNet(be, 3, 8, 10)
		params := m.params()
		opt := NewSGD(params, 0.05, 0.9, 3e-4)
		g := NewGraph(be)
		x, labels := tinyBatch(be, 4, 12)
		rng := rand.New(rand.NewPCG(5, 9))
		for i := 0; i < 3; i++ {
			trainStep(g, m, opt, x, labels, params, rng)
		}
		var out []float32
		for _, p := range params {
			out = append(out, p.Data()...)
			out = append(out, p.Grad()...)
		}
		return append(out, m.bn2.RunningVar.Data()...)
	}
	a, b := run(), run()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("runs differ at %d: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	be := NewCPU()
	bn := NewBatchNorm(be, "bn", 2, true)
	// (N=2, C=2, H=1, W=2): channel 0 holds 1,2,3,4 and channel 1 holds 0,0,0,8.
	x := NewActivation(be, 2, 2, 1, 2)
	x.SetData([]float32{1, 2, 3, 4, 0, 0, 0, 8}) // storage order (C, N, H, W)
	g := NewGraph(be)
	y := g.BatchNorm(x, bn, true)
	mean := []float64{2.5, 2}
	unb := []float64{5.0 / 3, 16}
	for c := 0; c < 2; c++ {
		if got, want := bn.RunningMean.Data()[c], float32(0.1*mean[c]); math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("running mean %d: %v want %v", c, got, want)
		}
		if got, want := bn.RunningVar.Data()[c], float32(0.9+0.1*unb[c]); math.Abs(float64(got-want)) > 1e-5 {
			t.Errorf("running var %d: %v want %v", c, got, want)
		}
	}
	if math.Abs(float64(y.Data()[0])+1.3416355) > 1e-4 {
		t.Errorf("normalised value %v", y.Data()[0])
	}
	g.Release()
	// Inference uses the running statistics.
	y = g.BatchNorm(x, bn, false)
	want := (1 - bn.RunningMean.Data()[0]) / float32(math.Sqrt(float64(bn.RunningVar.Data()[0])+1e-5))
	if math.Abs(float64(y.Data()[0]-want)) > 1e-6 {
		t.Errorf("inference %v want %v", y.Data()[0], want)
	}
	g.Release()
}

func TestAccuracy(t *testing.T) {
	be := NewCPU()
	logits := FromSlice(be, []float32{
		0.1, 0.9, 0.3, 0.2,
		0.5, 0.1, 0.2, 0.4,
		0.1, 0.2, 0.3, 0.4,
	}, 3, 4)
	labels := []int32{1, 3, 0}
	if n := CorrectTopK(logits, labels, 1); n != 1 {
		t.Errorf("top-1 %d", n)
	}
	if n := CorrectTopK(logits, labels, 2); n != 2 {
		t.Errorf("top-2 %d", n)
	}
	if a := Accuracy(logits, labels, 4); a != 1 {
		t.Errorf("top-4 %v", a)
	}
}

func TestLayoutHelpers(t *testing.T) {
	be := NewCPU()
	v := make([]float32, 2*3*4)
	for i := range v {
		v[i] = float32(i)
	}
	x := FromNCHW(be, v, 2, 3, 2, 2)
	back := x.NCHW()
	for i := range v {
		if back[i] != v[i] {
			t.Fatal("NCHW round trip")
		}
	}
	g := NewGraph(be)
	f := g.Flatten(x)
	for i, u := range f.Data() {
		if u != v[i] {
			t.Fatalf("Flatten must keep PyTorch's element order: %v", f.Data())
		}
	}
	r := g.Reshape(f, 2, 3, 2, 2)
	for i, u := range r.Data() {
		if u != x.Data()[i] {
			t.Fatal("Reshape back to 4-D")
		}
	}
	c := g.Concat(x, x)
	if c.Dim(1) != 6 || c.NCHW()[12] != v[0] {
		t.Errorf("Concat layout: %v", c.NCHW())
	}
	s := g.Shift(x, 1, 1)
	if s.Dim(2) != 1 || s.NCHW()[0] != v[3] {
		t.Errorf("Shift: %v", s.NCHW())
	}
	g.Release()
}

func BenchmarkTrainStep(b *testing.B) {
	be := NewCPU()
	m := newTinyNet(be, 1, 16, 10)
	params := m.params()
	opt := NewSGD(params, 0.05, 0.9, 3e-4)
	g := NewGraph(be)
	x, labels := tinyBatch(be, 8, 16)
	trainStep(g, m, opt, x, labels, params, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		trainStep(g, m, opt, x, labels, params, nil)
	}
}

// The graph itself (tape, pool, tensors) allocates nothing in steady
// state: measured with kernels that do nothing.
func TestGraphSteadyStateAllocs(t *testing.T) {
	be := &nopCPU{}
	m := newTinyNet(be, 1, 8, 10)
	params := m.params()
	g := NewGraph(be)
	x, labels := tinyBatch(be, 4, 12)
	rng := rand.New(rand.NewPCG(1, 1))
	step := func() {
		logits := m.forward(g, x, true, rng)
		g.Keep(logits)
		g.Backward(g.CrossEntropy(logits, labels), params...)
		g.Release()
		g.SetGradEnabled(false)
		m.forward(g, x, false, nil)
		g.SetGradEnabled(true)
		g.Release()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per step in the graph", n)
	}
}
