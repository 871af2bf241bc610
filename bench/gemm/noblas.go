//go:build !openblas || !cgo

package main

const haveBLAS = false

func blasInfo() string { return "" }

func blasSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
}

func blasSetThreads(n int) {}
