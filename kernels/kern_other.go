//go:build !amd64 || noasm

package kernels

import "unsafe"

// Stand-ins for the assembly kernels where they are not built. useAsm is
// always false in such builds, so these are never reached; they forward to
// the pure-Go references to stay total.

func addAsm(dst, x, y []float32)                         { addGo(dst, x, y) }
func axpyAsm(alpha float32, x, y []float32)              { axpyGo(alpha, x, y) }
func scaleAsm(dst []float32, alpha float32, x []float32) { scaleGo(dst, alpha, x) }
func dotAsm(x, y []float32) float64                      { return dotGo(x, y) }
func sumAsm(x []float32) float64                         { return sumGo(x) }
func reluAsm(dst, x []float32)                           { reluGo(dst, x) }
func reluBackAsm(dx, dy, x []float32)                    { reluBackGo(dx, dy, x) }
func rowMaxAsm(x []float32) float32                      { return rowMaxGo(x) }
func expShiftAsm(dst, x []float32, m float32) float64    { return expShiftGo(dst, x, m) }
func expSumAsm(x []float32, m float32) float64           { return expSumGo(x, m) }
func smBackAsm(dx, dy, y []float32, s float32)           { smBackGo(dx, dy, y, s) }
func fillAsm(dst []float32, v float32)                   { fillGo(dst, v) }
func addScalarAsm(dst []float32, v float32)              { addScalarGo(dst, v) }

// wsumAsm's stand-in runs wsumGo on the slices its pointers begin.
func wsumAsm(y *float32, xs **float32, s *float32, k, n int, add bool) {
	terms := make([][]float32, k)
	for t, p := range unsafe.Slice(xs, k) {
		terms[t] = unsafe.Slice(p, n)
	}
	wsumGo(unsafe.Slice(y, n), unsafe.Slice(s, k), terms, 0, add)
}

func dwAsmOK(s DWConv) bool                                       { return false }
func dwBwdInAsmOK(s DWConv) bool                                  { return false }
func dwForwardAsm(y, x, w []float32, s DWConv)                    { dwForwardGo(y, x, w, s) }
func dwBackwardInputAsm(dx, dy, w, x []float32, s DWConv)         { dwBackwardInputGo(dx, dy, w, x, s) }
func dwBackwardInputSetAsm(dx, dy, w, x []float32, s DWConv) bool { return false }
func dwBackwardWeightAsm(part, dy, x []float32, s DWConv) int {
	dwBackwardWeightGo(part, dy, x, s)
	return 1
}
func dwBackwardBothAsm(dx, part, dy, w, x []float32, s DWConv, set bool) int {
	panic("kernels: no assembly")
}

func bnApplyAsm(y, x []float32, m, a, b float32)              { bnApplyGo(y, x, m, a, b) }
func bnStatsAsm(x []float32, k float32) (float64, float64)    { return bnStatsGo(x, k) }
func bnSumsAsm(dy, x []float32, m float32) (float64, float64) { return bnSumsGo(dy, x, m) }
func bnBackApplyAsm(dx, dy, x []float32, m, a, b, k float32)  { bnBackApplyGo(dx, dy, x, m, a, b, k) }
func bnBackSetAsm(dx, dy, x []float32, m, a, b, k float32)    { bnBackSetGo(dx, dy, x, m, a, b, k) }

func maxPool3S1Asm(y *float32, arg *int32, x, t *float32, H, W int) { panic("kernels: no assembly") }
func maxPool3S2Asm(y *float32, arg *int32, x, t *float32, H, W int) { panic("kernels: no assembly") }
func avgPool3S1Asm(y, x, inv, t *float32, H, W int)                 { panic("kernels: no assembly") }
func avgPool3S2Asm(y, x, inv, t *float32, H, W int)                 { panic("kernels: no assembly") }
func maxPool3S1BackAsm(dx, dy *float32, arg, sa *int32, sd *float32, H, W int) {
	panic("kernels: no assembly")
}
func avgPool3S1BackAsm(dx, dy, inv, t *float32, H, W int) { panic("kernels: no assembly") }
func avgPool3S2BackAsm(dx, dy, inv, t *float32, H, W int) { panic("kernels: no assembly") }

func pwGatherS2Asm(dst, src *float32, w, h int, odd, relu bool)   { panic("kernels: no assembly") }
func pwScatterS2Asm(dx, gs, x *float32, w, h int, odd, relu bool) { panic("kernels: no assembly") }
