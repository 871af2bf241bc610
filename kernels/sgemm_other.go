//go:build !amd64 || noasm

package kernels

func init() { registerKernel("sgemm", false) }

// sgemmAsm stands in for the assembly driver where it is not built; useAsm is
// always false in such builds, so it is never reached.
func sgemmAsm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSetBlocking overrides the cache blocks (tests) and returns a function
// restoring them.
func sgemmSetBlocking(kc, mc, nc int) (restore func()) { return func() {} }
