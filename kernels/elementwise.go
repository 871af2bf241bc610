package kernels

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
	registerKernel("Fill", false)
	registerKernel("Dot", haveAsm)
	registerKernel("Sum", haveAsm)
	registerKernel("SumSquares", haveAsm)
	registerKernel("ReLU", haveAsm)
	registerKernel("ReLUBackward", haveAsm)
	registerKernel("ScaleSamples", haveAsm)
	registerKernel("ScaleSamplesBackward", haveAsm)
}

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
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			addAsm(dst[lo:hi], x[lo:hi], y[lo:hi])
			return
		}
		addGo(dst[lo:hi], x[lo:hi], y[lo:hi])
	})
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
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			addAsm(dst[lo:hi], dst[lo:hi], x[lo:hi])
			return
		}
		addGo(dst[lo:hi], dst[lo:hi], x[lo:hi])
	})
}

// Axpy sets y += alpha*x over len(y) elements.
func Axpy(alpha float32, x, y []float32) {
	n := len(y)
	checkLen("Axpy", n, len(x))
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			axpyAsm(alpha, x[lo:hi], y[lo:hi])
			return
		}
		axpyGo(alpha, x[lo:hi], y[lo:hi])
	})
}

func axpyGo(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// Scale sets dst = alpha*x over len(dst) elements; dst may alias x.
func Scale(dst []float32, alpha float32, x []float32) {
	n := len(dst)
	checkLen("Scale", n, len(x))
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			scaleAsm(dst[lo:hi], alpha, x[lo:hi])
			return
		}
		scaleGo(dst[lo:hi], alpha, x[lo:hi])
	})
}

func scaleGo(dst []float32, alpha float32, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = alpha * x[i]
	}
}

// Fill sets every element of dst to v.
func Fill(dst []float32, v float32) {
	ParallelFor(len(dst), ewGrain, func(lo, hi int) {
		d := dst[lo:hi]
		for i := range d {
			d[i] = v
		}
	})
}

// reduceBlocks evaluates f on each redBlock-sized block of [0, n) and returns
// the float64 sum of the block results taken in block order.
func reduceBlocks(n int, f func(lo, hi int) float64) float64 {
	if n <= redBlock {
		return f(0, n)
	}
	nb := (n + redBlock - 1) / redBlock
	var stack [64]float64
	parts := stack[:0]
	if nb <= len(stack) {
		parts = stack[:nb]
	} else {
		parts = make([]float64, nb)
	}
	ParallelFor(nb, 8, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			e := (b + 1) * redBlock
			if e > n {
				e = n
			}
			parts[b] = f(b*redBlock, e)
		}
	})
	s := 0.0
	for _, p := range parts {
		s += p
	}
	return s
}

// Dot returns the sum of x[i]*y[i] over len(x) elements, in a fixed
// summation order.
func Dot(x, y []float32) float32 {
	n := len(x)
	checkLen("Dot", n, len(y))
	return float32(reduceBlocks(n, func(lo, hi int) float64 {
		if useAsm {
			return dotAsm(x[lo:hi], y[lo:hi])
		}
		return dotGo(x[lo:hi], y[lo:hi])
	}))
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
	return float32(reduceBlocks(len(x), func(lo, hi int) float64 {
		if useAsm {
			return sumAsm(x[lo:hi])
		}
		return sumGo(x[lo:hi])
	}))
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
	return reduceBlocks(len(x), func(lo, hi int) float64 {
		if useAsm {
			return dotAsm(x[lo:hi], x[lo:hi])
		}
		return dotGo(x[lo:hi], x[lo:hi])
	})
}

// ReLU sets dst = max(x, 0) over len(dst) elements; dst may alias x.
// NaN inputs give 0.
func ReLU(dst, x []float32) {
	n := len(dst)
	checkLen("ReLU", n, len(x))
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			reluAsm(dst[lo:hi], x[lo:hi])
			return
		}
		reluGo(dst[lo:hi], x[lo:hi])
	})
}

func reluGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

// ReLUBackward sets dx += dy where x > 0, over len(dx) elements.
func ReLUBackward(dx, dy, x []float32) {
	n := len(dx)
	checkLen("ReLUBackward", n, len(dy), len(x))
	ParallelFor(n, ewGrain, func(lo, hi int) {
		if useAsm {
			reluBackAsm(dx[lo:hi], dy[lo:hi], x[lo:hi])
			return
		}
		reluBackGo(dx[lo:hi], dy[lo:hi], x[lo:hi])
	})
}

func reluBackGo(dx, dy, x []float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		if x[i] > 0 {
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
	ParallelFor(C*N, max(1, ewGrain/max(HW, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			o := p * HW
			a := scale[p%N]
			if useAsm {
				scaleAsm(dst[o:o+HW], a, x[o:o+HW])
			} else {
				scaleGo(dst[o:o+HW], a, x[o:o+HW])
			}
		}
	})
}

// ScaleSamplesBackward sets dx[c][n][:] += dy[c][n][:] * scale[n].
func ScaleSamplesBackward(dx, dy, scale []float32, C, N, HW int) {
	n := C * N * HW
	checkLen("ScaleSamplesBackward", n, len(dx), len(dy))
	checkLen("ScaleSamplesBackward", N, len(scale))
	ParallelFor(C*N, max(1, ewGrain/max(HW, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			o := p * HW
			a := scale[p%N]
			if useAsm {
				axpyAsm(a, dy[o:o+HW], dx[o:o+HW])
			} else {
				axpyGo(a, dy[o:o+HW], dx[o:o+HW])
			}
		}
	})
}
