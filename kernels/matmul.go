package kernels

// mm is the matrix product the convolution kernels use: row-major
// C = alpha·op(A)·op(B) + beta·C with the same contract as Sgemm.
func mm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// mmRef is a plain reference product (for the tests).
func mmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ParallelFor(m, 1, func(lo, hi int) {
		row := make([]float32, n)
		for i := lo; i < hi; i++ {
			for j := range row {
				row[j] = 0
			}
			for p := 0; p < k; p++ {
				var av float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if av == 0 {
					continue
				}
				if transB {
					for j := range row {
						row[j] += av * b[j*ldb+p]
					}
				} else {
					br := b[p*ldb : p*ldb+n]
					for j, bv := range br {
						row[j] += av * bv
					}
				}
			}
			cr := c[i*ldc : i*ldc+n]
			for j := range cr {
				if beta == 0 {
					cr[j] = alpha * row[j]
				} else {
					cr[j] = alpha*row[j] + beta*cr[j]
				}
			}
		}
	})
}
