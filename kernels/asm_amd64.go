//go:build amd64 && !noasm

package kernels

// haveAsm is true when this build contains the AVX2/FMA assembly kernels.
const haveAsm = true
