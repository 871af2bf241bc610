package kernels

import "math"

// Elementwise kernels and reductions on flat float32 slices.
//
// The streaming kernels split their range over Threads() with ParallelFor;
// every output element is written by one chunk. The reductions (Dot, Sum,
// SumSquares) cut the input into fixed blocks of redBlock elements whose
// partial sums are formed independently and then added in block order in
// float64, so the result depends on neither the thread count nor scheduling.

const (
	ewGrain  = 1 << 15 // elements per chunk at least, for streaming kernels
	redBlock = 1 << 12 // reduction block (elements)
)

func init() {
	registerKernel("Add", haveAsm)
	registerKernel("AddTo", haveAsm)
	registerKernel("Axpy", haveAsm)
	registerKernel("Scale", haveAsm)
	registerKernel("Fill", haveAsm)
	registerKernel("Dot", haveAsm)
	registerKernel("Sum", haveAsm)
	registerKernel("SumSquares", haveAsm)
	registerKernel("ReLU", haveAsm)
	registerKernel("ReLUBackward", haveAsm)
	registerKernel("ScaleSamples", haveAsm)
	registerKernel("ScaleSamplesBackward", haveAsm)
}

// ewArgs are the arguments of the elementwise jobs.
type ewArgs struct {
	d, x, y []float32
	a       float32
	N, HW   int
}

var (
	addJobs         = newJobs(addBody)
	axpyJobs        = newJobs(axpyBody)
	scaleJobs       = newJobs(scaleBody)
	fillJobs        = newJobs(fillBody)
	reluJobs        = newJobs(reluBody)
	reluBackJobs    = newJobs(reluBackBody)
	scaleSampJobs   = newJobs(scaleSamplesBody)
	scaleSampBJobs  = newJobs(scaleSamplesBackBody)
	reduceBlockJobs = newJobs(reduceBlocksBody)
)

func checkLen(name string, n int, ls ...int) {
	for _, l := range ls {
		if l < n {
			panic("kernels: " + name + ": slice too short")
		}
	}
}

// Add sets dst = x + y over len(dst) elements.
func Add(dst, x, y []float32) {
	n := len(dst)
	checkLen("Add", n, len(x), len(y))
	addJobs.do(n, ewGrain, ewArgs{d: dst, x: x, y: y})
}

func addBody(a *ewArgs, lo, hi int) {
	if useAsm {
		addAsm(a.d[lo:hi], a.x[lo:hi], a.y[lo:hi])
		return
	}
	addGo(a.d[lo:hi], a.x[lo:hi], a.y[lo:hi])
}

func addGo(dst, x, y []float32) {
	x = x[:len(dst)]
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// AddTo sets dst += x over len(dst) elements.
func AddTo(dst, x []float32) {
	n := len(dst)
	checkLen("AddTo", n, len(x))
	addJobs.do(n, ewGrain, ewArgs{d: dst, x: dst, y: x})
}

// Axpy sets y += alpha*x over len(y) elements.
func Axpy(alpha float32, x, y []float32) {
	n := len(y)
	checkLen("Axpy", n, len(x))
	axpyJobs.do(n, ewGrain, ewArgs{d: y, x: x, a: alpha})
}

func axpyBody(a *ewArgs, lo, hi int) {
	if useAsm {
		axpyAsm(a.a, a.x[lo:hi], a.d[lo:hi])
		return
	}
	axpyGo(a.a, a.x[lo:hi], a.d[lo:hi])
}

func axpyGo(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// WeightedSum sets y = Σₜ s[t]·xs[t] over len(y) elements (len(s) ==
// len(xs) >= 1, each xs[t] at least as long as y; y must not overlap a
// term), term by term from the first: y = s[0]·xs[0], then y += s[t]·xs[t]
// for t = 1, 2, …, the arithmetic of Scale followed by Axpy (one fused
// multiply-add a term on the assembly path), in one pass that reads each
// term once and writes y once: the forward of a DARTS mixed op. Against
// Scale and Axpy over blocks of 4096 floats that stay in L1 (the
// autograd's mixed-op sum before), 7 terms of 256K to 1M floats, in one
// process (BenchmarkWeightedSum): 1.64–2.08 at one thread, 1.56–1.74 at
// two.
func WeightedSum(y, s []float32, xs [][]float32) {
	if len(xs) == 0 || len(s) != len(xs) {
		panic("kernels: WeightedSum: no terms, or not one weight a term")
	}
	n := len(y)
	for _, x := range xs {
		checkLen("WeightedSum", n, len(x))
	}
	wsumJobs.do(n, ewGrain, wsumArgs{y: y, s: s, xs: xs})
}

type wsumArgs struct {
	y, s []float32
	xs   [][]float32
}

var wsumJobs = newJobs(wsumBody)

// wsumTerms is how many terms one wsumAsm call sums; further terms go in
// further calls that add to y (the same arithmetic: the sum is a float32
// register either way).
const wsumTerms = 8

func wsumBody(a *wsumArgs, lo, hi int) {
	if !useAsm {
		wsumGo(a.y[lo:hi], a.s, a.xs, lo, false)
		return
	}
	var p [wsumTerms]*float32
	for t0 := 0; t0 < len(a.xs); t0 += wsumTerms {
		t1 := min(len(a.xs), t0+wsumTerms)
		for t := t0; t < t1; t++ {
			p[t-t0] = &a.xs[t][lo]
		}
		wsumAsm(&a.y[lo], &p[0], &a.s[t0], t1-t0, hi-lo, t0 > 0)
	}
}

// wsumGo is WeightedSum's pure-Go reference for the elements of y, which
// start at element off of the terms; with add the sum starts from y (as
// wsumAsm's).
func wsumGo(y, s []float32, xs [][]float32, off int, add bool) {
	for t, x := range xs {
		x = x[off : off+len(y)]
		if t == 0 && !add {
			scaleGo(y, s[0], x)
			continue
		}
		axpyGo(s[t], x, y)
	}
}

// Scale sets dst = alpha*x over len(dst) elements; dst may alias x.
func Scale(dst []float32, alpha float32, x []float32) {
	n := len(dst)
	checkLen("Scale", n, len(x))
	scaleJobs.do(n, ewGrain, ewArgs{d: dst, x: x, a: alpha})
}

func scaleBody(a *ewArgs, lo, hi int) {
	if useAsm {
		scaleAsm(a.d[lo:hi], a.a, a.x[lo:hi])
		return
	}
	scaleGo(a.d[lo:hi], a.a, a.x[lo:hi])
}

func scaleGo(dst []float32, alpha float32, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = alpha * x[i]
	}
}

// Fill sets every element of dst to v.
func Fill(dst []float32, v float32) {
	fillJobs.do(len(dst), ewGrain, ewArgs{d: dst, a: v})
}

func fillBody(a *ewArgs, lo, hi int) {
	d := a.d[lo:hi]
	switch {
	case math.Float32bits(a.a) == 0: // +0: the runtime's memclr
		clear(d)
	case useAsm:
		fillAsm(d, a.a)
	default:
		fillGo(d, a.a)
	}
}

func fillGo(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

// addScalarGo sets dst += v.
func addScalarGo(dst []float32, v float32) {
	for i := range dst {
		dst[i] += v
	}
}

// Reductions computed by reduceBlocks.
const (
	redDot = iota
	redSum
	redSumSq
)

// redArgs are the arguments of a block reduction: parts[b] receives the
// partial of block b.
type redArgs struct {
	x, y  []float32
	n     int
	kind  int
	parts []float64
}

// redBlock returns the partial of the elements [lo, hi).
func (a *redArgs) block(lo, hi int) float64 {
	switch a.kind {
	case redDot:
		if useAsm {
			return dotAsm(a.x[lo:hi], a.y[lo:hi])
		}
		return dotGo(a.x[lo:hi], a.y[lo:hi])
	case redSum:
		if useAsm {
			return sumAsm(a.x[lo:hi])
		}
		return sumGo(a.x[lo:hi])
	default:
		if useAsm {
			return dotAsm(a.x[lo:hi], a.x[lo:hi])
		}
		return dotGo(a.x[lo:hi], a.x[lo:hi])
	}
}

func reduceBlocksBody(a *redArgs, lo, hi int) {
	for b := lo; b < hi; b++ {
		a.parts[b] = a.block(b*redBlock, min((b+1)*redBlock, a.n))
	}
}

// reduceBlocks evaluates the reduction kind over each redBlock-sized block
// of the first n elements of x (and y) and returns the float64 sum of the
// block results taken in block order.
func reduceBlocks(kind, n int, x, y []float32) float64 {
	a := redArgs{x: x, y: y, n: n, kind: kind}
	if n <= redBlock {
		return a.block(0, n)
	}
	nb := (n + redBlock - 1) / redBlock
	pp := getScratch64(nb)
	a.parts = *pp
	reduceBlockJobs.do(nb, 8, a)
	s := 0.0
	for _, p := range a.parts {
		s += p
	}
	putScratch64(pp)
	return s
}

// Dot returns the sum of x[i]*y[i] over len(x) elements, in a fixed
// summation order.
func Dot(x, y []float32) float32 {
	n := len(x)
	checkLen("Dot", n, len(y))
	return float32(reduceBlocks(redDot, n, x, y))
}

func dotGo(x, y []float32) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i]) * float64(y[i])
		s1 += float64(x[i+1]) * float64(y[i+1])
		s2 += float64(x[i+2]) * float64(y[i+2])
		s3 += float64(x[i+3]) * float64(y[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(y[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Sum returns the sum of the elements of x, in a fixed summation order.
func Sum(x []float32) float32 {
	return float32(reduceBlocks(redSum, len(x), x, nil))
}

func sumGo(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// SumSquares returns the sum of x[i]² in float64, in a fixed order.
func SumSquares(x []float32) float64 {
	return reduceBlocks(redSumSq, len(x), x, nil)
}

// ReLU sets dst = max(x, 0) over len(dst) elements; dst may alias x.
// Only negative inputs become 0: NaN stays NaN and -0 stays -0, as in
// PyTorch's relu (see relu1).
func ReLU(dst, x []float32) {
	n := len(dst)
	checkLen("ReLU", n, len(x))
	reluJobs.do(n, ewGrain, ewArgs{d: dst, x: x})
}

func reluBody(a *ewArgs, lo, hi int) {
	if useAsm {
		reluAsm(a.d[lo:hi], a.x[lo:hi])
		return
	}
	reluGo(a.d[lo:hi], a.x[lo:hi])
}

func reluGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = relu1(v)
	}
}

// relu1 is the package's ReLU of one value: 0 for v < 0, v otherwise, so
// that a NaN passes on (PyTorch's relu does the same, and a NaN that a
// ReLU hid would make a diverging search harder to see) and -0 stays -0.
// The assembly computes it as VMAXPS with the zero as the first source
// and x as the second, which returns x whenever the compare 0 > x fails;
// x can then also be the instruction's memory operand, the load fused
// into the max.
func relu1(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}

// reluPasses reports whether the ReLU's gradient passes at x: unless
// x <= 0, so at NaN too, as in PyTorch's relu (whose backward masks by
// x <= 0). The assembly compares !(0 >= x) (VCMPPS predicate 0x19,
// NGE_UQ), true for x > 0 and for NaN.
func reluPasses(x float32) bool { return !(x <= 0) }

// ReLUBackward sets dx += dy where x > 0 or x is NaN (reluPasses), over
// len(dx) elements.
func ReLUBackward(dx, dy, x []float32) {
	n := len(dx)
	checkLen("ReLUBackward", n, len(dy), len(x))
	reluBackJobs.do(n, ewGrain, ewArgs{d: dx, x: dy, y: x})
}

func reluBackBody(a *ewArgs, lo, hi int) {
	if useAsm {
		reluBackAsm(a.d[lo:hi], a.x[lo:hi], a.y[lo:hi])
		return
	}
	reluBackGo(a.d[lo:hi], a.x[lo:hi], a.y[lo:hi])
}

func reluBackGo(dx, dy, x []float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		if reluPasses(x[i]) {
			dx[i] += dy[i]
		}
	}
}

// ScaleSamples implements drop-path on a channel-major (C, N, HW) tensor:
// dst[c][n][:] = x[c][n][:] * scale[n]. dst may alias x.
func ScaleSamples(dst, x, scale []float32, C, N, HW int) {
	n := C * N * HW
	checkLen("ScaleSamples", n, len(dst), len(x))
	checkLen("ScaleSamples", N, len(scale))
	scaleSampJobs.do(C*N, max(1, ewGrain/max(HW, 1)), ewArgs{d: dst, x: x, y: scale, N: N, HW: HW})
}

func scaleSamplesBody(a *ewArgs, lo, hi int) {
	HW := a.HW
	for p := lo; p < hi; p++ {
		o := p * HW
		s := a.y[p%a.N]
		if useAsm {
			scaleAsm(a.d[o:o+HW], s, a.x[o:o+HW])
		} else {
			scaleGo(a.d[o:o+HW], s, a.x[o:o+HW])
		}
	}
}

// ScaleSamplesBackward sets dx[c][n][:] += dy[c][n][:] * scale[n].
func ScaleSamplesBackward(dx, dy, scale []float32, C, N, HW int) {
	n := C * N * HW
	checkLen("ScaleSamplesBackward", n, len(dx), len(dy))
	checkLen("ScaleSamplesBackward", N, len(scale))
	scaleSampBJobs.do(C*N, max(1, ewGrain/max(HW, 1)), ewArgs{d: dx, x: dy, y: scale, N: N, HW: HW})
}

func scaleSamplesBackBody(a *ewArgs, lo, hi int) {
	HW := a.HW
	for p := lo; p < hi; p++ {
		o := p * HW
		s := a.y[p%a.N]
		if useAsm {
			axpyAsm(s, a.x[o:o+HW], a.d[o:o+HW])
		} else {
			axpyGo(s, a.x[o:o+HW], a.d[o:o+HW])
		}
	}
}
