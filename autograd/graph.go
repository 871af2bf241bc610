package autograd

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/darts-go/darts/kernels"
)

// Graph records operations on a tape (define-by-run) and runs reverse-mode
// differentiation over it. It also owns the memory of every tensor its ops
// produce: a pool of storages keyed by length, recycled from one iteration
// to the next, so that a steady-state training step allocates almost
// nothing on the Go heap.
//
// Life cycle of a training step:
//
//	y := model(g, x)              // ops record on the tape
//	loss := g.CrossEntropy(y, labels)
//	g.Keep(y)                     // optional: keep y readable after Backward
//	g.Backward(loss, params...)   // grads into params; frees the tape
//	... read y ...
//	g.Release()                   // frees kept tensors too
//
// Backward frees every graph-owned tensor (except kept ones) when it
// returns, and frees each activation's values and gradient during the
// backward pass as soon as no remaining backward step needs them; Drop
// frees values no backward step reads already during the forward pass.
// Release frees everything, including tensors made in no-grad mode; call
// it after an inference forward pass.
// A released tensor must not be used again (its *Tensor value is recycled
// for later results).
//
// A Graph is not safe for concurrent use, and two graphs must not run
// Backward at the same time over shared leaves (marks and gradients live
// on the leaves). Reuse one Graph across iterations: its pool is what makes
// the steady state allocation-free.
type Graph struct {
	be     Backend
	noGrad bool

	tape   []node
	ntape  int
	sealed int // tape[:sealed] have been counted in their inputs' saved

	owned []*Tensor // graph-owned tensors not yet recycled (kept ones included)
	spare []*Tensor // recycled Tensor values
	pool  *storagePool
	host  []float32 // host scratch (masks)
	sts   []Storage // scratch list of storages

	zeros, ones Storage // constant vectors for BatchNormBackward from the output

	gen     uint64
	ran     int   // backward steps run by the last Backward (tests)
	allocs  int   // storages allocated from the backend
	held    int64 // floats allocated from the backend: in the pool or live
	maxLive int64
	live    int64
}

// generation gives every Backward a number unique across graphs, so that
// marks left on shared leaves by another graph never match.
var generation atomic.Uint64

// NewGraph returns an empty graph on be, recording gradients.
func NewGraph(be Backend) *Graph {
	return &Graph{be: be, pool: &storagePool{free: make(map[int][]Storage)}}
}

// NewGraphSharing returns an empty graph on be that draws its storage from
// the pool of other and returns it there, so that two graphs that run at
// the same time (on two goroutines, each with its own backend value) hold
// the storage of their joint peak rather than the sum of their own: a
// graph whose pool already holds a larger pass's storage lends the rest
// to the other. be must be able to use other's storage (any two CPU
// values can). Memory statistics stay per graph.
func NewGraphSharing(be Backend, other *Graph) *Graph {
	return &Graph{be: be, pool: other.pool}
}

// A storagePool keeps released storage by length for reuse; graphs that
// share one run on different goroutines, hence the lock.
type storagePool struct {
	mu   sync.Mutex
	free map[int][]Storage
}

// Backend is the graph's backend.
func (g *Graph) Backend() Backend { return g.be }

// SetGradEnabled turns recording on or off and returns the previous
// setting. With recording off (inference, no_grad) ops record nothing and
// their outputs do not require gradients.
func (g *Graph) SetGradEnabled(on bool) (prev bool) {
	prev = !g.noGrad
	g.noGrad = !on
	return prev
}

// GradEnabled reports whether ops are recorded.
func (g *Graph) GradEnabled() bool { return !g.noGrad }

// Keep marks a graph-owned tensor to survive Backward; it stays valid until
// Release. It returns t. User-owned tensors are left alone.
func (g *Graph) Keep(t *Tensor) *Tensor {
	if t.g == g {
		t.live()
		t.kept = true
	}
	return t
}

// Drop declares that the caller will not use the graph-owned tensor t again
// (as an op input or otherwise) before Backward or Release; gradients
// still flow through it. If no recorded backward step reads its values,
// they are released at once instead of being held to the end of the
// forward pass; else Backward releases them, as every tensor's, right
// after the last step that reads them. Typical use: the output of a
// convolution that only feeds a batch norm without affine transform, whose
// backward step reads its own output rather than its input. Drop on a
// user-owned, kept or already released tensor does nothing. Using t after
// Drop panics as for a released tensor.
func (g *Graph) Drop(t *Tensor) {
	if t == nil || t.g != g || t.kept || t.st == nil {
		return
	}
	g.seal()
	if t.saved == 0 {
		g.freeValue(t)
	}
}

// seal counts the nodes recorded since the last call in the saved count
// of each graph-owned tensor whose values their backward steps read.
func (g *Graph) seal() {
	for ; g.sealed < g.ntape; g.sealed++ {
		n := &g.tape[g.sealed]
		if n.saves(-1) {
			n.out.saved++
		}
		for _, a := range n.aux {
			if a != nil {
				a.saved++ // scratch: freed with the node
			}
		}
		for i, in := range n.ins {
			if in.g == g && n.saves(i) {
				in.saved++
			}
		}
	}
}

// saves reports whether node n's backward step reads the values of its
// input i, or of its output for i = -1.
func (n *node) saves(i int) bool {
	switch n.op {
	case opConv, opDWConv, opPWConv, opLinear:
		// The weight for the input gradient; x for the weight gradient,
		// so only while the weight takes one (a weight that did not
		// require a gradient when the forward pass ran cannot be asked for
		// one), and for the mask of a fused input ReLU.
		reluIn := n.op == opDWConv && n.dw.ReLUIn || n.op == opPWConv && n.pw.ReLUIn
		return i == 1 || i == 0 && (n.ins[1].RequiresGrad || reluIn)
	case opBatchNormInfer:
		return i == 0 || i == 1 // x and γ
	case opBatchNorm:
		if n.flag { // from the output: x̂ = y
			return i == -1
		}
		return i == 0 || i == 1
	case opReLU:
		return i == 0
	case opScaleBy, opWeightedSum:
		return i >= 0
	case opSoftmax:
		return i == -1
	}
	return false
}

// Release clears the tape and returns the storage of every graph-owned
// tensor, kept ones included, to the pool.
func (g *Graph) Release() { g.releaseAll(true) }

// TapeLen is the number of ops recorded since the last Backward or Release.
func (g *Graph) TapeLen() int { return g.ntape }

// MemStats describes the graph's memory pool.
type MemStats struct {
	Allocs     int   // storages ever allocated from the backend
	LiveFloats int64 // floats in graph-owned tensors now
	PeakFloats int64 // high-water mark of LiveFloats
	HeldFloats int64 // floats allocated from the backend, live or idle in the pool
}

// MemStats reports the pool counters.
func (g *Graph) MemStats() MemStats {
	return MemStats{Allocs: g.allocs, LiveFloats: g.live, PeakFloats: g.maxLive, HeldFloats: g.held}
}

// ---- storage pool ----

func (g *Graph) get(n int) Storage {
	g.live += int64(n)
	if g.live > g.maxLive {
		g.maxLive = g.live
	}
	p := g.pool
	p.mu.Lock()
	if l := p.free[n]; len(l) > 0 {
		s := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[n] = l[:len(l)-1]
		p.mu.Unlock()
		return s
	}
	p.mu.Unlock()
	g.allocs++
	g.held += int64(n)
	return g.be.Alloc(n)
}

func (g *Graph) put(s Storage) {
	n := s.Len()
	g.live -= int64(n)
	p := g.pool
	p.mu.Lock()
	p.free[n] = append(p.free[n], s)
	p.mu.Unlock()
}

// newT returns a graph-owned tensor of the given rank and dimensions with
// uninitialised values.
func (g *Graph) newT(ndim, d0, d1, d2, d3 int) *Tensor {
	var t *Tensor
	if k := len(g.spare); k > 0 {
		t = g.spare[k-1]
		g.spare = g.spare[:k-1]
	} else {
		t = new(Tensor)
	}
	dims := [MaxDims]int{d0, d1, d2, d3}
	n := 1
	for i := 0; i < ndim; i++ {
		n *= dims[i]
	}
	for i := ndim; i < MaxDims; i++ {
		dims[i] = 0
	}
	*t = Tensor{shape: dims, ndim: ndim, n: n, be: g.be, g: g, cm: ndim == 4}
	t.st = g.get(n)
	t.data = g.be.Host(t.st)
	g.owned = append(g.owned, t)
	return t
}

// like returns a graph-owned tensor with x's shape and layout.
func (g *Graph) like(x *Tensor) *Tensor {
	t := g.newT(x.ndim, x.shape[0], x.shape[1], x.shape[2], x.shape[3])
	t.cm = x.cm
	return t
}

// free returns a graph-owned tensor's value and gradient storage to the
// pool; the Tensor value itself is recycled at the next release.
func (g *Graph) free(t *Tensor) {
	if t.st != nil {
		g.put(t.st)
		t.st, t.data = nil, nil
	}
	g.freeGrad(t)
}

// freeValue returns a graph-owned tensor's value storage to the pool; its
// gradient, if any, stays.
func (g *Graph) freeValue(t *Tensor) {
	if t.st != nil {
		g.put(t.st)
		t.st, t.data = nil, nil
	}
}

func (g *Graph) freeGrad(t *Tensor) {
	if t.gst != nil {
		g.put(t.gst)
		t.gst, t.gdata = nil, nil
	}
	t.gfresh = false
	if t.lzSrc != nil {
		g.resolved(t)
	}
}

// ---- pending (scaled) gradients ----

// deferGrad makes x's gradient, which must have none yet, the pending
// s[k]·(src's gradient), and with dot the contribution <x, src's gradient>
// to s[k]'s gradient, which must then stay alive until x's producer has
// run backward. src's gradient storage and s's values stay alive until it
// is resolved.
func (g *Graph) deferGrad(x, src, s *Tensor, k int, dot bool) {
	x.lzSrc, x.lzS, x.lzK, x.lzDot = src, s, k, dot
	src.gpins++
	if s.g == g {
		s.saved++
	}
}

// resolved drops x's pending gradient once it has been used (or made
// real), releasing what it held.
func (g *Graph) resolved(x *Tensor) {
	src, s := x.lzSrc, x.lzS
	x.lzSrc, x.lzS = nil, nil
	src.gpins--
	if src.gpins == 0 && src.gdead {
		g.freeGrad(src)
	}
	if s.g == g {
		s.saved--
		if s.saved == 0 && !s.kept && g.gen != 0 {
			g.freeValue(s)
		}
	}
}

// materialize turns x's pending gradient into a real one.
func (g *Graph) materialize(x *Tensor) {
	s := g.get(x.n)
	if x.lzDot {
		g.be.DotAcc(g.gradOf(x.lzS), x.lzK, x.lzSrc.gst, x.st)
	}
	g.be.ScaleElem(s, x.lzSrc.gst, x.lzS.st, x.lzK)
	x.gst, x.gdata, x.gfresh = s, x.be.Host(s), false
	g.resolved(x)
}

func (g *Graph) releaseAll(includeKept bool) {
	for i := 0; i < g.ntape; i++ {
		g.tape[i].clear()
	}
	g.ntape, g.sealed = 0, 0
	j := 0
	for _, t := range g.owned {
		if t.kept && !includeKept {
			t.node = 0
			t.RequiresGrad = false // a constant from now on
			t.saved, t.gpins, t.gdead = 0, 0, false
			g.freeGrad(t)
			g.owned[j] = t
			j++
			continue
		}
		g.free(t)
		t.kept = false
		g.spare = append(g.spare, t)
	}
	clear(g.owned[j:])
	g.owned = g.owned[:j]
}

// hostScratch returns a host slice of n floats valid until the next call.
func (g *Graph) hostScratch(n int) []float32 {
	if cap(g.host) < n {
		g.host = make([]float32, n)
	}
	return g.host[:n]
}

// ---- the tape ----

type opKind uint8

const (
	opNone opKind = iota
	opConv
	opDWConv
	opPWConv
	opLinear
	opBatchNorm
	opBatchNormInfer
	opReLU
	opMaxPool
	opAvgPool
	opGlobalAvgPool
	opAdd
	opScaleBy
	opWeightedSum
	opSoftmax
	opConcat
	opCrop
	opCrossEntropy
	opDropout
	opDropPath
	opReshape
)

// node is one recorded op. Nodes live in the graph's tape slice and are
// reused, slices included, from one iteration to the next.
type node struct {
	op   opKind
	out  *Tensor
	ins  []*Tensor
	aux  [2]*Tensor // graph-owned scratch the backward needs (freed with the node)
	conv kernels.Conv
	dw   kernels.DWConv
	pw   kernels.PWConv
	pool kernels.Pool
	i    [6]int
	flag bool // AvgPool: countIncludePad; BatchNorm: backward from the output
	ints []int32
	fl   []float32
	bn   *BatchNorm
}

func (n *node) clear() {
	ins, ints, fl := n.ins, n.ints[:0], n.fl[:0]
	clear(ins)
	*n = node{ins: ins[:0], ints: ints, fl: fl}
}

// wants reports whether an op on these inputs must be recorded.
func (g *Graph) wants(a, b, c *Tensor) bool {
	if g.noGrad {
		return false
	}
	return (a != nil && a.RequiresGrad) || (b != nil && b.RequiresGrad) || (c != nil && c.RequiresGrad)
}

// record appends a node producing out; the inputs are appended by the
// caller. The returned pointer is valid until the next record.
func (g *Graph) record(op opKind, out *Tensor) *node {
	if g.ntape == len(g.tape) {
		g.tape = append(g.tape, node{})
	}
	n := &g.tape[g.ntape]
	g.ntape++
	n.op = op
	n.out = out
	out.node = g.ntape
	out.RequiresGrad = true
	return n
}

// ---- backward ----

// Backward differentiates the scalar loss and accumulates ∂loss/∂w into the
// gradient of each tensor w in wrt (allocating it, zeroed, when absent). Only
// the ops on a path from a wanted leaf to loss are run backward; no other
// tensor receives a gradient. The leaves must be user-owned tensors with
// RequiresGrad set when the forward pass ran. Backward then releases the
// graph (see Graph) and returns the loss value.
func (g *Graph) Backward(loss *Tensor, wrt ...*Tensor) float32 {
	if loss.n != 1 {
		panic(fmt.Sprintf("autograd: Backward: loss has %d elements; use BackwardWith", loss.n))
	}
	v := loss.Item()
	g.backward(loss, nil, wrt)
	return v
}

// BackwardWith is Backward from a tensor of any shape with the given output
// gradient dy (storage order, len y.Len()): it accumulates the
// vector-Jacobian product dyᵀ·∂y/∂w into each w in wrt, then releases the
// graph.
func (g *Graph) BackwardWith(y *Tensor, dy []float32, wrt ...*Tensor) {
	if len(dy) != y.n {
		panic(fmt.Sprintf("autograd: BackwardWith: %d gradient values for %d outputs", len(dy), y.n))
	}
	g.backward(y, dy, wrt)
}

func (g *Graph) backward(y *Tensor, dy []float32, wrt []*Tensor) {
	y.live()
	gen := generation.Add(1)
	g.gen = gen
	g.ran = 0
	for _, w := range wrt {
		if w.g != nil {
			panic(fmt.Sprintf("autograd: Backward: %v is a graph result, not a leaf", w))
		}
		if !w.RequiresGrad {
			panic(fmt.Sprintf("autograd: Backward: %v does not require a gradient", w))
		}
		w.mark = gen
	}
	// Forward sweep: mark the outputs that depend on a wanted leaf.
	for i := 0; i < g.ntape; i++ {
		n := &g.tape[i]
		for _, in := range n.ins {
			if in.mark == gen {
				n.out.mark = gen
				break
			}
		}
	}
	if y.mark == gen {
		if y.g != g && y.g != nil {
			panic("autograd: Backward: output of another graph")
		}
		if dy == nil {
			one := g.hostScratch(1)
			one[0] = 1
			dy = one
		}
		if gs, fresh := g.gradOut(y); fresh {
			g.be.Upload(gs, 0, dy)
		} else {
			g.be.Accumulate(gs, 0, g.upload(dy), 0, y.n)
		}
		// From here on only backward steps read values: release those
		// that none of them reads.
		g.seal()
		for _, t := range g.owned {
			if t.saved == 0 && !t.kept {
				g.freeValue(t)
			}
		}
		// Reverse sweep.
		for i := g.ntape - 1; i >= 0; i-- {
			n := &g.tape[i]
			if n.out.mark == gen && (n.out.gst != nil || n.out.lzSrc != nil) {
				g.runBackward(n)
			}
			g.retire(n)
		}
	}
	for _, w := range wrt {
		w.mark = 0
	}
	g.gen = 0
	g.releaseAll(false)
}

// upload stages host values in a graph-owned tensor.
func (g *Graph) upload(v []float32) Storage {
	t := g.newT(1, len(v), 0, 0, 0)
	g.be.Upload(t.st, 0, v)
	return t.st
}

// retire frees what node n held once its backward step is done: its output
// (every consumer of which came later on the tape and has run), its
// scratch, and the values of inputs no remaining backward step reads.
func (g *Graph) retire(n *node) {
	y := n.out
	if n.saves(-1) {
		y.saved--
	}
	if y.saved == 0 && !y.kept { // else a pending gradient still reads it
		g.freeValue(y)
	}
	if y.gpins > 0 { // pending gradients still read its gradient
		y.gdead = true
	} else {
		g.freeGrad(y)
	}
	for i, in := range n.ins {
		if in.g == g && n.saves(i) {
			in.saved--
			if in.saved == 0 && !in.kept {
				g.freeValue(in)
			}
		}
	}
	for i, a := range n.aux {
		if a != nil {
			g.free(a)
			n.aux[i] = nil
		}
	}
}

// gradOf returns the gradient storage of t for a backward step to add its
// contribution to, made (zeroed) on first use, or nil when t is not on a
// path to a wanted leaf.
func (g *Graph) gradOf(t *Tensor) Storage {
	s, fresh := g.gradOut(t)
	if fresh {
		g.be.Fill(s, 0)
	}
	return s
}

// gradOut is gradOf for a backward step that can either add its
// contribution or overwrite the whole gradient with it: fresh reports that
// the storage holds no contribution yet (its contents are undefined), and
// the caller must then write every element. Gradients of graph-owned
// tensors start fresh; those of leaves accumulate across Backward calls.
func (g *Graph) gradOut(t *Tensor) (s Storage, fresh bool) {
	if t == nil || t.mark != g.gen || g.gen == 0 {
		return nil, false
	}
	if t.lzSrc != nil {
		g.materialize(t)
	}
	if t.gst == nil {
		if t.g == nil {
			t.gst = t.be.Alloc(t.n)
		} else {
			t.gst = g.get(t.n)
			t.gfresh = true
		}
		t.gdata = t.be.Host(t.gst)
	}
	fresh, t.gfresh = t.gfresh, false
	return t.gst, fresh
}

func (g *Graph) runBackward(n *node) {
	g.ran++
	if n.out.lzSrc != nil && !(n.op == opBatchNorm && n.flag) {
		g.materialize(n.out)
	}
	switch n.op {
	case opConv:
		g.convBackward(n)
	case opDWConv:
		g.dwBackward(n)
	case opPWConv:
		g.pwBackward(n)
	case opLinear:
		g.linearBackward(n)
	case opBatchNorm, opBatchNormInfer:
		g.bnBackward(n)
	case opReLU:
		g.reluBackward(n)
	case opMaxPool:
		g.maxPoolBackward(n)
	case opAvgPool:
		g.avgPoolBackward(n)
	case opGlobalAvgPool:
		g.gapBackward(n)
	case opAdd:
		g.addBackward(n)
	case opScaleBy:
		g.scaleByBackward(n)
	case opWeightedSum:
		g.weightedSumBackward(n)
	case opSoftmax:
		g.softmaxBackward(n)
	case opConcat:
		g.concatBackward(n)
	case opCrop:
		g.cropBackward(n)
	case opCrossEntropy:
		g.crossEntropyBackward(n)
	case opDropout:
		g.dropoutBackward(n)
	case opDropPath:
		g.dropPathBackward(n)
	case opReshape:
		g.reshapeBackward(n)
	default:
		panic(fmt.Sprintf("autograd: no backward for op %d", n.op))
	}
}
