//go:build openblas && cgo

package main

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

const haveBLAS = true

func init() { C.openblas_set_num_threads(1) }

// blasSetThreads sets OpenBLAS's thread count.
func blasSetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

func blasInfo() string {
	return "openblas: " + C.GoString(C.openblas_get_config()) + "; core " + C.GoString(C.openblas_get_corename())
}

// blasSgemm calls cblas_sgemm (row-major) with Sgemm's arguments.
func blasSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := C.CblasNoTrans, C.CblasNoTrans
	if tA {
		ta = C.CblasTrans
	}
	if tB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, uint32(ta), uint32(tb), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
