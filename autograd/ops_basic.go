package autograd

// Add returns the element-wise sum of one or more tensors of equal shape.
func (g *Graph) Add(xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		failf("Add: no inputs")
	}
	x0 := xs[0]
	rec := false
	for _, x := range xs {
		x.live()
		if !sameShape(x, x0) {
			failf("Add: shapes %v and %v differ", x0, x)
		}
		rec = rec || x.RequiresGrad
	}
	y := g.like(x0)
	if len(xs) == 1 {
		g.be.Copy(y.st, 0, x0.st, 0, y.n)
	} else {
		g.be.Add(y.st, x0.st, xs[1].st)
		for _, x := range xs[2:] {
			g.be.Accumulate(y.st, 0, x.st, 0, y.n)
		}
	}
	if rec && !g.noGrad {
		n := g.record(opAdd, y)
		n.ins = append(n.ins, xs...)
	}
	return y
}

func (g *Graph) addBackward(n *node) {
	y := n.out
	adopt := -1 // an input that takes over y's gradient storage
	for i, x := range n.ins {
		if adopt < 0 && x.g == g && x.gst == nil && x.lzSrc == nil && x.mark == g.gen && once(n.ins, i) {
			adopt = i
			continue
		}
		if dx, fresh := g.gradOut(x); fresh {
			g.be.Copy(dx, 0, y.gst, 0, x.n)
		} else if dx != nil {
			g.be.Accumulate(dx, 0, y.gst, 0, x.n)
		}
	}
	if adopt >= 0 {
		// Its gradient is dy itself, and nothing reads y's gradient after
		// this step: hand the storage over instead of copying it.
		x := n.ins[adopt]
		x.gst, x.gdata, x.gfresh = y.gst, y.gdata, false
		y.gst, y.gdata = nil, nil
	}
}

// once reports whether xs[i] appears only once in xs.
func once(xs []*Tensor, i int) bool {
	for j, x := range xs {
		if j != i && x == xs[i] {
			return false
		}
	}
	return true
}

// ScaleBy returns x·s[k], where s is a tensor (e.g. the softmax weights of
// a mixed op) and k indexes its storage; both x and s receive gradients.
func (g *Graph) ScaleBy(x, s *Tensor, k int) *Tensor {
	x.live()
	s.live()
	if k < 0 || k >= s.n {
		failf("ScaleBy: index %d out of range for %v", k, s)
	}
	y := g.like(x)
	g.be.ScaleElem(y.st, x.st, s.st, k)
	if g.wants(x, s, nil) {
		n := g.record(opScaleBy, y)
		n.ins = append(n.ins, x, s)
		n.i[0] = k
	}
	return y
}

func (g *Graph) scaleByBackward(n *node) {
	x, s, k := n.ins[0], n.ins[1], n.i[0]
	dy := n.out.gst
	if dx, fresh := g.gradOut(x); fresh {
		g.be.ScaleElem(dx, dy, s.st, k)
	} else if dx != nil {
		g.be.AxpyElem(s.st, k, dy, dx)
	}
	if ds := g.gradOf(s); ds != nil {
		g.be.DotAcc(ds, k, dy, x.st)
	}
}

// WeightedSum returns Σᵢ w[ks[i]]·xs[i] (the DARTS mixed op, fused): w is a
// weight tensor indexed in storage order, the xs have equal shapes. w and
// every x receive gradients.
func (g *Graph) WeightedSum(w *Tensor, ks []int, xs []*Tensor) *Tensor {
	w.live()
	if len(xs) == 0 || len(ks) != len(xs) {
		failf("WeightedSum: %d weights indices for %d inputs", len(ks), len(xs))
	}
	rec := w.RequiresGrad
	for i, x := range xs {
		x.live()
		if !sameShape(x, xs[0]) {
			failf("WeightedSum: shapes %v and %v differ", xs[0], x)
		}
		if ks[i] < 0 || ks[i] >= w.n {
			failf("WeightedSum: index %d out of range for %v", ks[i], w)
		}
		rec = rec || x.RequiresGrad
	}
	y := g.like(xs[0])
	sts := g.sts[:0]
	for _, x := range xs {
		sts = append(sts, x.st)
	}
	g.be.WeightedSum(y.st, w.st, ks, sts)
	clear(sts)
	g.sts = sts[:0]
	if rec && !g.noGrad {
		n := g.record(opWeightedSum, y)
		n.ins = append(n.ins, w)
		n.ins = append(n.ins, xs...)
		for _, k := range ks {
			n.ints = append(n.ints, int32(k))
		}
	}
	return y
}

func (g *Graph) weightedSumBackward(n *node) {
	w, dy := n.ins[0], n.out.gst
	dw := g.gradOf(w)
	for i, x := range n.ins[1:] {
		k := int(n.ints[i])
		if x.g == g && x.node > 0 && x.mark == g.gen && x.gst == nil && x.lzSrc == nil && g.tape[x.node-1].takesScaledGrad() {
			// x's producer takes dx = w[k]·dy as is, and can form
			// <dy, x> on the way if w's gradient outlives its step.
			dot := dw != nil && (w.g != g || w.node < x.node)
			if dw != nil && !dot {
				g.be.DotAcc(dw, k, dy, x.st)
			}
			g.deferGrad(x, n.out, w, k, dot)
			continue
		}
		if dw != nil {
			g.be.DotAcc(dw, k, dy, x.st)
		}
		if dx, fresh := g.gradOut(x); fresh {
			g.be.ScaleElem(dx, dy, w.st, k)
		} else if dx != nil {
			g.be.AxpyElem(w.st, k, dy, dx)
		}
	}
}

// Softmax is the softmax over the last dimension of a tensor of rank 1 to 3
// (rows are the leading dimensions), e.g. over the operations of each edge
// of an architecture-parameter matrix (edges, ops).
func (g *Graph) Softmax(x *Tensor) *Tensor {
	x.live()
	if x.ndim < 1 || x.ndim > 3 {
		failf("Softmax: rank of %v must be 1 to 3", x)
	}
	cols := x.shape[x.ndim-1]
	rows := x.n / max(cols, 1)
	y := g.like(x)
	g.be.Softmax(y.st, x.st, rows, cols)
	if g.wants(x, nil, nil) {
		n := g.record(opSoftmax, y)
		n.ins = append(n.ins, x)
		n.i[0], n.i[1] = rows, cols
	}
	return y
}

func (g *Graph) softmaxBackward(n *node) {
	if dx := g.gradOf(n.ins[0]); dx != nil {
		g.be.SoftmaxBackward(dx, n.out.gst, n.out.st, n.i[0], n.i[1])
	}
}

// Concat concatenates 4-D tensors along the channels. With channel-major
// storage this is one block copy per input.
func (g *Graph) Concat(xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		failf("Concat: no inputs")
	}
	x0 := xs[0]
	check4("Concat", x0)
	C := 0
	rec := false
	for _, x := range xs {
		check4("Concat", x)
		if x.shape[0] != x0.shape[0] || x.shape[2] != x0.shape[2] || x.shape[3] != x0.shape[3] {
			failf("Concat: %v and %v differ outside the channels", x0, x)
		}
		C += x.shape[1]
		rec = rec || x.RequiresGrad
	}
	y := g.newT(4, x0.shape[0], C, x0.shape[2], x0.shape[3])
	off := 0
	for _, x := range xs {
		g.be.Copy(y.st, off, x.st, 0, x.n)
		off += x.n
	}
	if rec && !g.noGrad {
		n := g.record(opConcat, y)
		n.ins = append(n.ins, xs...)
	}
	return y
}

func (g *Graph) concatBackward(n *node) {
	off := 0
	for _, x := range n.ins {
		if dx, fresh := g.gradOut(x); fresh {
			g.be.Copy(dx, 0, n.out.gst, off, x.n)
		} else if dx != nil {
			g.be.Accumulate(dx, 0, n.out.gst, off, x.n)
		}
		off += x.n
	}
}

// Crop returns x[:, :, top:top+height, left:left+width] of a 4-D tensor.
func (g *Graph) Crop(x *Tensor, top, left, height, width int) *Tensor {
	check4("Crop", x)
	H, W := x.shape[2], x.shape[3]
	if top < 0 || left < 0 || height <= 0 || width <= 0 || top+height > H || left+width > W {
		failf("Crop: window (%d, %d, %d, %d) outside %v", top, left, height, width, x)
	}
	y := g.newT(4, x.shape[0], x.shape[1], height, width)
	P := x.shape[0] * x.shape[1]
	g.be.Crop(y.st, x.st, P, H, W, top, left, height, width)
	if g.wants(x, nil, nil) {
		n := g.record(opCrop, y)
		n.ins = append(n.ins, x)
		n.i = [6]int{P, H, W, top, left}
	}
	return y
}

// Shift returns x[:, :, dh:, dw:].
func (g *Graph) Shift(x *Tensor, dh, dw int) *Tensor {
	check4("Shift", x)
	return g.Crop(x, dh, dw, x.shape[2]-dh, x.shape[3]-dw)
}

func (g *Graph) cropBackward(n *node) {
	if dx := g.gradOf(n.ins[0]); dx != nil {
		y := n.out
		g.be.CropBackward(dx, y.gst, n.i[0], n.i[1], n.i[2], n.i[3], n.i[4], y.shape[2], y.shape[3])
	}
}

// Zero is DARTS' 'none' operation: zeros shaped like x[:, :, ::stride,
// ::stride]. It records nothing (its gradient is zero).
func (g *Graph) Zero(x *Tensor, stride int) *Tensor {
	check4("Zero", x)
	if stride < 1 {
		failf("Zero: stride %d", stride)
	}
	y := g.newT(4, x.shape[0], x.shape[1], (x.shape[2]-1)/stride+1, (x.shape[3]-1)/stride+1)
	g.be.Fill(y.st, 0)
	return y
}

// Reshape returns x with a new logical shape of the same size (one
// dimension may be -1), keeping the logical (row-major NCHW) element order
// as PyTorch's reshape does. A 4-D tensor's storage is channel-major, so a
// reshape to or from rank 4 transposes, e.g. the auxiliary head's
// (N, 768, 1, 1) → (N, 768).
func (g *Graph) Reshape(x *Tensor, shape ...int) *Tensor {
	x.live()
	if len(shape) > MaxDims {
		failf("Reshape: rank %d > %d", len(shape), MaxDims)
	}
	var dims [MaxDims]int
	known, free := 1, -1
	for i, d := range shape {
		dims[i] = d
		if d == -1 && free < 0 {
			free = i
			continue
		}
		if d < 0 {
			failf("Reshape: bad dimension %d", d)
		}
		known *= d
	}
	if free >= 0 && known > 0 {
		dims[free] = x.n / known
		known *= dims[free]
	}
	if known != x.n {
		failf("Reshape: %v has %d elements, not %d", x, x.n, known)
	}
	y := g.newT(len(shape), dims[0], dims[1], dims[2], dims[3])
	g.relayout(y.st, y, x.st, x, false)
	if g.wants(x, nil, nil) {
		n := g.record(opReshape, y)
		n.ins = append(n.ins, x)
	}
	return y
}

// Flatten reshapes x to (N, rest).
func (g *Graph) Flatten(x *Tensor) *Tensor {
	x.live()
	if x.ndim < 1 {
		failf("Flatten: scalar input")
	}
	return g.Reshape(x, x.shape[0], -1)
}

func (g *Graph) reshapeBackward(n *node) {
	x := n.ins[0]
	if dx, fresh := g.gradOut(x); dx != nil {
		g.relayout(dx, x, n.out.gst, n.out, !fresh)
	}
}

// relayout moves values from src (shaped like a) to dst (shaped like b)
// keeping the logical order; with acc it adds into dst.
func (g *Graph) relayout(dst Storage, b *Tensor, src Storage, a *Tensor, acc bool) {
	n := a.n
	cur := src
	var tmp1, tmp2 Storage
	if a.cm { // (C, N, HW) -> logical (N, C, HW)
		tmp1 = g.get(n)
		g.be.SwapAxes(tmp1, cur, a.shape[1], a.shape[0], a.shape[2]*a.shape[3])
		cur = tmp1
	}
	if b.cm { // logical (N, C, HW) -> (C, N, HW)
		if acc {
			tmp2 = g.get(n)
			g.be.SwapAxes(tmp2, cur, b.shape[0], b.shape[1], b.shape[2]*b.shape[3])
			cur = tmp2
		} else {
			g.be.SwapAxes(dst, cur, b.shape[0], b.shape[1], b.shape[2]*b.shape[3])
			cur = nil
		}
	}
	if cur != nil {
		if acc {
			g.be.Accumulate(dst, 0, cur, 0, n)
		} else {
			g.be.Copy(dst, 0, cur, 0, n)
		}
	}
	if tmp1 != nil {
		g.put(tmp1)
	}
	if tmp2 != nil {
		g.put(tmp2)
	}
}

// RNG is the random source of Dropout and DropPath (e.g. *math/rand/v2.Rand
// seeded explicitly); draws are made in a fixed order, so a seeded source
// gives the same masks on every run.
type RNG interface {
	Float64() float64
}

// Dropout zeroes each element with probability p and scales the others by
// 1/(1-p) (PyTorch's training-mode dropout). p = 0 returns x itself.
func (g *Graph) Dropout(x *Tensor, p float64, rng RNG) *Tensor {
	x.live()
	if p < 0 || p > 1 {
		failf("Dropout: probability %v", p)
	}
	if p == 0 {
		return x
	}
	keep := 1 - p
	scale := float32(0)
	if keep > 0 {
		scale = float32(1 / keep)
	}
	mask := g.like(x)
	hm := g.hostScratch(x.n)
	for i := range hm {
		if rng.Float64() < keep {
			hm[i] = scale
		} else {
			hm[i] = 0
		}
	}
	g.be.Upload(mask.st, 0, hm)
	y := g.like(x)
	g.be.Mul(y.st, x.st, mask.st)
	if !g.wants(x, nil, nil) {
		g.free(mask)
		return y
	}
	n := g.record(opDropout, y)
	n.ins = append(n.ins, x)
	n.aux[0] = mask
	return y
}

func (g *Graph) dropoutBackward(n *node) {
	if dx, fresh := g.gradOut(n.ins[0]); fresh {
		g.be.Mul(dx, n.out.gst, n.aux[0].st)
	} else if dx != nil {
		g.be.MulAcc(dx, n.out.gst, n.aux[0].st)
	}
}

// DropPath drops whole samples of a 4-D x: each sample is kept with
// probability keep and then scaled by 1/keep, else zeroed (one Bernoulli
// draw per sample, in sample order). keep = 1 returns x itself.
func (g *Graph) DropPath(x *Tensor, keep float64, rng RNG) *Tensor {
	check4("DropPath", x)
	if keep <= 0 || keep > 1 {
		failf("DropPath: keep probability %v", keep)
	}
	if keep == 1 {
		return x
	}
	N, C, HW := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	rec := g.wants(x, nil, nil)
	y := g.like(x)
	var scale []float32
	var n *node
	if rec {
		n = g.record(opDropPath, y)
		n.ins = append(n.ins, x)
		for i := 0; i < N; i++ {
			n.fl = append(n.fl, 0)
		}
		scale = n.fl
	} else {
		scale = g.hostScratch(N)
	}
	inv := float32(1 / keep)
	for i := range scale {
		if rng.Float64() < keep {
			scale[i] = inv
		} else {
			scale[i] = 0
		}
	}
	g.be.ScaleSamples(y.st, x.st, scale, C, N, HW)
	return y
}

func (g *Graph) dropPathBackward(n *node) {
	x := n.ins[0]
	C, N, HW := x.shape[1], x.shape[0], x.shape[2]*x.shape[3]
	if dx, fresh := g.gradOut(x); fresh {
		g.be.ScaleSamples(dx, n.out.gst, n.fl, C, N, HW)
	} else if dx != nil {
		g.be.ScaleSamplesBackward(dx, n.out.gst, n.fl, C, N, HW)
	}
}
