//go:build !linux

package kernels

// allocHuge is make where there is no madvise for huge pages.
func allocHuge(n int) []float32 { return make([]float32, n) }
