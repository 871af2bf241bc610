package kernels

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(X) is X or Xᵀ as transA/transB ask. op(A) is m×k, op(B) is k×n and C is
// m×n; lda, ldb and ldc are the row strides of the stored (untransposed)
// arrays. As in BLAS, beta == 0 overwrites C without reading it (NaN or Inf
// already in C does not propagate), and alpha == 0 or k == 0 reads neither A
// nor B.
//
// The assembly path (amd64 with AVX2 and FMA) runs a 6×16 register-blocked
// micro-kernel (12 YMM accumulators) on packed operands with cache blocks
// sized from Detected: a Goto-style packed path for large m, a path for few
// rows and long n that packs all of op(A) once and streams B in strips
// (the 1×1 convolution Y = W·X and its input gradient), and a dot-product
// path for A·Bᵀ with long K and a small C (weight gradients). Work is split
// over Threads() goroutines with ParallelFor so that every element of C is
// produced by one chunk or, when K is split, the partial products are summed
// in chunk order: results are bit-identical from run to run at a fixed
// thread count. Elsewhere (and with -tags noasm or DARTS_NOASM) a pure-Go
// path computes the same; sgemmRef is the plain reference.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		sgemmScaleC(m, n, beta, c, ldc)
		return
	}
	if useAsm {
		sgemmAsm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmCheck panics on negative sizes, strides smaller than the row width or
// slices too short for the matrices they hold.
func sgemmCheck(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, s []float32, rows, cols, ld int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("kernels: Sgemm: ld%s=%d < %d", name, ld, max(1, cols)))
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernels: Sgemm: len(%s)=%d too short for %d×%d with ld %d",
				name, len(s), rows, cols, ld))
		}
	}
	check("a", a, ar, ac, lda)
	check("b", b, br, bc, ldb)
	check("c", c, m, n, ldc)
}

// sgemmScaleC sets C = beta·C (C = 0 without reading it when beta == 0).
func sgemmScaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// sgemmRef is the obviously correct reference: one float32 dot product per
// element of C, summed in order of p. It has Sgemm's exact semantics,
// including the BLAS rules for alpha == 0 and beta == 0.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	opA := func(i, p int) float32 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	opB := func(p, j int) float32 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			if alpha != 0 {
				for p := 0; p < k; p++ {
					s += opA(i, p) * opB(p, j)
				}
			}
			v := alpha * s
			if alpha == 0 {
				v = 0
			}
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
}

// sgemmGoCols is the width of the column strips of the pure-Go path: a strip
// of one C row stays in L1 while the rows of B stream through.
const sgemmGoCols = 1024

// sgemmGo is the pure-Go path used without assembly: row-times-matrix axpy
// updates over column strips for an untransposed B, dot products for a
// transposed B, split over Threads() by columns (or rows).
// Preconditions: arguments checked, m, n, k > 0, alpha != 0.
func sgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	work := m * n * k
	if !transB {
		// Split C by column strips; each strip is one chunk's.
		strips := (n + sgemmGoCols - 1) / sgemmGoCols
		body := func(lo, hi int) {
			arow := make([]float32, k)
			for s := lo; s < hi; s++ {
				j0 := s * sgemmGoCols
				j1 := min(n, j0+sgemmGoCols)
				for i := 0; i < m; i++ {
					sgemmGoRowA(transA, i, k, alpha, a, lda, arow)
					crow := c[i*ldc+j0 : i*ldc+j1]
					sgemmGoAxpyRow(arow, b[j0:], ldb, j1-j0, beta, crow)
				}
			}
		}
		if strips >= 2 && work >= 1<<18 {
			ParallelFor(strips, 1, body)
			return
		}
		if work >= 1<<18 && m >= 2 {
			// One strip: split rows instead.
			ParallelFor(m, 1, func(lo, hi int) {
				arow := make([]float32, k)
				for i := lo; i < hi; i++ {
					sgemmGoRowA(transA, i, k, alpha, a, lda, arow)
					sgemmGoAxpyRow(arow, b, ldb, n, beta, c[i*ldc:i*ldc+n])
				}
			})
			return
		}
		body(0, strips)
		return
	}
	// Transposed B: C[i][j] = alpha·dot(op(A) row i, B row j) + beta·C[i][j].
	rows := func(lo, hi int) {
		arow := make([]float32, k)
		for i := lo; i < hi; i++ {
			sgemmGoRowA(transA, i, k, 1, a, lda, arow)
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				v := alpha * sgemmGoDot(arow, b[j*ldb:j*ldb+k])
				if beta != 0 {
					v += beta * crow[j]
				}
				crow[j] = v
			}
		}
	}
	if work >= 1<<18 && m >= 2 {
		ParallelFor(m, 1, rows)
		return
	}
	rows(0, m)
}

// sgemmGoRowA writes alpha·op(A)[i, 0:k] into dst.
func sgemmGoRowA(transA bool, i, k int, alpha float32, a []float32, lda int, dst []float32) {
	if !transA {
		src := a[i*lda : i*lda+k]
		for p, v := range src {
			dst[p] = alpha * v
		}
		return
	}
	for p := 0; p < k; p++ {
		dst[p] = alpha * a[p*lda+i]
	}
}

// sgemmGoAxpyRow sets crow = Σ_p arow[p]·B[p, 0:w] + beta·crow, B at b with
// row stride ldb.
func sgemmGoAxpyRow(arow []float32, b []float32, ldb, w int, beta float32, crow []float32) {
	crow = crow[:w]
	start := 0
	if beta == 0 {
		// The first product overwrites C.
		av := arow[0]
		brow := b[:w]
		for j := range crow {
			crow[j] = av * brow[j]
		}
		start = 1
	} else if beta != 1 {
		for j := range crow {
			crow[j] *= beta
		}
	}
	for p := start; p < len(arow); p++ {
		av := arow[p]
		brow := b[p*ldb : p*ldb+w]
		j := 0
		for ; j+4 <= w; j += 4 {
			cc := crow[j : j+4 : j+4]
			bb := brow[j : j+4 : j+4]
			cc[0] += av * bb[0]
			cc[1] += av * bb[1]
			cc[2] += av * bb[2]
			cc[3] += av * bb[3]
		}
		for ; j < w; j++ {
			crow[j] += av * brow[j]
		}
	}
}

// sgemmGoDot is a float32 dot product with four partial sums.
func sgemmGoDot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xx := x[i : i+4 : i+4]
		yy := y[i : i+4 : i+4]
		s0 += xx[0] * yy[0]
		s1 += xx[1] * yy[1]
		s2 += xx[2] * yy[2]
		s3 += xx[3] * yy[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
