//go:build amd64 && !noasm

package kernels

// Declarations of the AVX2/FMA streaming kernels in ew_amd64.s (generated
// by gen_ew.go). Each processes len(first slice) elements; the other slices
// must be at least as long (the Go callers slice them so).

//go:generate go run gen_ew.go

//go:noescape
func addAsm(dst, x, y []float32)

//go:noescape
func axpyAsm(alpha float32, x, y []float32)

//go:noescape
func scaleAsm(dst []float32, alpha float32, x []float32)

// wsumAsm sets y[i] = Σ s[t]·xs[t][i] over k >= 1 terms and n elements (y
// plus it when add); xs holds k pointers.
//
//go:noescape
func wsumAsm(y *float32, xs **float32, s *float32, k, n int, add bool)

//go:noescape
func dotAsm(x, y []float32) float64

//go:noescape
func sumAsm(x []float32) float64

//go:noescape
func reluAsm(dst, x []float32)

//go:noescape
func reluBackAsm(dx, dy, x []float32)

//go:noescape
func bnStatsAsm(x []float32, k float32) (float64, float64)

//go:noescape
func bnApplyAsm(y, x []float32, m, a, b float32)

//go:noescape
func bnSumsAsm(dy, x []float32, m float32) (float64, float64)

//go:noescape
func bnBackApplyAsm(dx, dy, x []float32, m, a, b, k float32)

//go:noescape
func bnBackSetAsm(dx, dy, x []float32, m, a, b, k float32)

//go:noescape
func fmaPeakAsm(n int)

//go:noescape
func dwSplitAsm(a, b, src []float32, relu bool)

//go:noescape
func dwPadAsm(dst *float32, ldd int, src *float32, w, h int, relu bool)

//go:noescape
func prefetchAsm(p *float32, n int)

//go:noescape
func dwSplitPlaneAsm(ev, od *float32, ld int, src *float32, w, h int, relu bool)

//go:noescape
func dwExpandAsm(dst *float32, ld int, src *float32, w, h int)

//go:noescape
func prefetchWAsm(p *float32, n int)

//go:noescape
func pwGatherS2Asm(dst, src *float32, w, h int, odd, relu bool)

//go:noescape
func pwScatterS2Asm(dx, gs, x *float32, w, h int, odd, relu bool)

//go:noescape
func dwInterleaveAddAsm(dx, t0, t1, x *float32, w, h int, relu bool)

//go:noescape
func dwInterleaveSetAsm(dx, t0, t1, x *float32, w, h int, relu bool)

//go:noescape
func rowMaxAsm(x []float32) float32

//go:noescape
func expShiftAsm(dst, x []float32, m float32) float64

//go:noescape
func expSumAsm(x []float32, m float32) float64

//go:noescape
func smBackAsm(dx, dy, y []float32, s float32)

//go:noescape
func fillAsm(dst []float32, v float32)

//go:noescape
func addScalarAsm(dst []float32, v float32)
