package autograd

import (
	"math"
	"unsafe"

	"github.com/darts-go/darts/kernels"
)

// hostStorage is CPU storage: a plain Go slice.
type hostStorage struct{ d []float32 }

func (s *hostStorage) Len() int { return len(s.d) }

// CPU is the host Backend: storage is Go memory and the compute runs on the
// kernels package. Its compute methods keep one growable scratch buffer (the
// im2col / gather work space of the convolutions), so one CPU value must not
// run kernels for two graphs at the same time; NewCPU gives each graph its
// own. Storage made by any CPU value is usable by every other.
type CPU struct {
	work []float32
	wsW  []float32   // WeightedSum's weights, reused
	wsX  [][]float32 // and its terms
}

// NewCPU returns a CPU backend.
func NewCPU() *CPU { return &CPU{} }

// Name implements Backend.
func (*CPU) Name() string { return "cpu" }

// Alloc implements Backend.
func (*CPU) Alloc(n int) Storage { return &hostStorage{d: kernels.Alloc(n)} }

// Host implements Backend.
func (*CPU) Host(s Storage) []float32 { return h(s) }

// Upload implements Backend.
func (*CPU) Upload(dst Storage, off int, src []float32) { copy(h(dst)[off:off+len(src)], src) }

// Download implements Backend.
func (*CPU) Download(dst []float32, src Storage, off int) { copy(dst, h(src)[off:off+len(dst)]) }

// h returns the host slice of s; nil for nil.
func h(s Storage) []float32 {
	if s == nil {
		return nil
	}
	hs, ok := s.(*hostStorage)
	if !ok {
		panic("autograd: storage of another backend passed to the CPU backend")
	}
	return hs.d
}

// asInt32 views float32 storage as int32 (for arg-max indices).
func asInt32(f []float32) []int32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&f[0])), len(f))
}

func (c *CPU) scratch(n int) []float32 {
	if cap(c.work) < n {
		c.work = make([]float32, n)
	}
	return c.work[:n]
}

// Fill implements Kernels. Zeroing, by far the most common fill (fresh
// gradients), clears the memory in parallel blocks with the runtime's
// vectorised clear.
func (*CPU) Fill(dst Storage, v float32) {
	d := h(dst)
	if v != 0 {
		kernels.Fill(d, v)
		return
	}
	if len(d) < 1<<15 {
		clear(d)
		return
	}
	kernels.ParallelFor(len(d), 1<<15, func(lo, hi int) { clear(d[lo:hi]) })
}

// Copy implements Kernels.
func (*CPU) Copy(dst Storage, dstOff int, src Storage, srcOff, n int) {
	copy(h(dst)[dstOff:dstOff+n], h(src)[srcOff:srcOff+n])
}

// Accumulate implements Kernels.
func (*CPU) Accumulate(dst Storage, dstOff int, src Storage, srcOff, n int) {
	kernels.AddTo(h(dst)[dstOff:dstOff+n], h(src)[srcOff:srcOff+n])
}

// Add implements Kernels.
func (*CPU) Add(dst, x, y Storage) { kernels.Add(h(dst), h(x), h(y)) }

// Axpy implements Kernels.
func (*CPU) Axpy(alpha float32, x, y Storage) { kernels.Axpy(alpha, h(x), h(y)) }

// Mul implements Kernels.
func (*CPU) Mul(dst, x, y Storage) {
	d, a, b := h(dst), h(x), h(y)
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] * b[i]
	}
}

// MulAcc implements Kernels.
func (*CPU) MulAcc(dst, x, y Storage) {
	d, a, b := h(dst), h(x), h(y)
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] += a[i] * b[i]
	}
}

// ReLU implements Kernels.
func (*CPU) ReLU(y, x Storage) { kernels.ReLU(h(y), h(x)) }

// ReLUBackward implements Kernels.
func (*CPU) ReLUBackward(dx, dy, x Storage) { kernels.ReLUBackward(h(dx), h(dy), h(x)) }

// ScaleElem implements Kernels.
func (*CPU) ScaleElem(y, x, s Storage, k int) { kernels.Scale(h(y), h(s)[k], h(x)) }

// AxpyElem implements Kernels.
func (*CPU) AxpyElem(s Storage, k int, x, y Storage) { kernels.Axpy(h(s)[k], h(x), h(y)) }

// DotAcc implements Kernels.
func (*CPU) DotAcc(ds Storage, k int, x, y Storage) { h(ds)[k] += kernels.Dot(h(x), h(y)) }

// WeightedSum implements Kernels: kernels.WeightedSum over the weights
// s[kᵢ], y = s[k₀]·x₀ + s[k₁]·x₁ + … in one pass (y written once, each term
// read once), with the arithmetic of ScaleElem then AxpyElem.
func (c *CPU) WeightedSum(y, s Storage, ks []int, xs []Storage) {
	yd, sd := h(y), h(s)
	if len(xs) == 0 || len(ks) != len(xs) {
		panic("autograd: CPU.WeightedSum: no terms or mismatched indices")
	}
	c.wsW, c.wsX = c.wsW[:0], c.wsX[:0]
	for i, x := range xs {
		c.wsW = append(c.wsW, sd[ks[i]])
		c.wsX = append(c.wsX, h(x))
	}
	kernels.WeightedSum(yd, c.wsW, c.wsX)
	clear(c.wsX) // hold no tensor's data past the call
}

// ScaleSamples implements Kernels.
func (*CPU) ScaleSamples(y, x Storage, scale []float32, C, N, HW int) {
	kernels.ScaleSamples(h(y), h(x), scale, C, N, HW)
}

// ScaleSamplesBackward implements Kernels.
func (*CPU) ScaleSamplesBackward(dx, dy Storage, scale []float32, C, N, HW int) {
	kernels.ScaleSamplesBackward(h(dx), h(dy), scale, C, N, HW)
}

// SwapAxes implements Kernels.
func (*CPU) SwapAxes(dst, src Storage, A, B, inner int) {
	d, s := h(dst), h(src)
	for a := 0; a < A; a++ {
		for b := 0; b < B; b++ {
			copy(d[(b*A+a)*inner:(b*A+a+1)*inner], s[(a*B+b)*inner:(a*B+b+1)*inner])
		}
	}
}

// Crop implements Kernels.
func (*CPU) Crop(y, x Storage, P, H, W, h0, w0, Ho, Wo int) {
	yd, xd := h(y), h(x)
	for p := 0; p < P; p++ {
		for i := 0; i < Ho; i++ {
			src := xd[p*H*W+(h0+i)*W+w0:]
			copy(yd[(p*Ho+i)*Wo:(p*Ho+i+1)*Wo], src[:Wo])
		}
	}
}

// CropBackward implements Kernels.
func (*CPU) CropBackward(dx, dy Storage, P, H, W, h0, w0, Ho, Wo int) {
	dxd, dyd := h(dx), h(dy)
	for p := 0; p < P; p++ {
		for i := 0; i < Ho; i++ {
			dst := dxd[p*H*W+(h0+i)*W+w0:]
			src := dyd[(p*Ho+i)*Wo : (p*Ho+i+1)*Wo]
			for j, v := range src {
				dst[j] += v
			}
		}
	}
}

// Conv2D implements Kernels.
func (c *CPU) Conv2D(y, x, w Storage, s kernels.Conv) {
	kernels.Conv2D(h(y), h(x), h(w), s, c.scratch(s.WorkSize()))
}

// Conv2DBackward implements Kernels.
func (c *CPU) Conv2DBackward(dx, dw, dy, x, w Storage, s kernels.Conv) {
	work := c.scratch(s.WorkSize())
	if dw != nil {
		kernels.Conv2DBackwardWeight(h(dw), h(dy), h(x), s, work)
	}
	if dx != nil {
		kernels.Conv2DBackwardInput(h(dx), h(dy), h(w), s, work)
	}
}

// DepthwiseConv implements Kernels.
func (*CPU) DepthwiseConv(y, x, w Storage, s kernels.DWConv) {
	kernels.DepthwiseConv(h(y), h(x), h(w), s)
}

// DepthwiseConvBackward implements Kernels.
func (*CPU) DepthwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.DWConv, setDx bool) {
	if dw != nil && dx != nil {
		kernels.DepthwiseConvBackward(h(dx), h(dw), h(dy), h(w), h(x), s, setDx)
		return
	}
	if dw != nil {
		kernels.DepthwiseConvBackwardWeight(h(dw), h(dy), h(x), s)
	}
	switch {
	case dx != nil && setDx:
		kernels.DepthwiseConvBackwardInputSet(h(dx), h(dy), h(w), h(x), s)
	case dx != nil:
		kernels.DepthwiseConvBackwardInput(h(dx), h(dy), h(w), h(x), s)
	}
}

// PointwiseConv implements Kernels.
func (c *CPU) PointwiseConv(y, x, w Storage, s kernels.PWConv) {
	kernels.PointwiseConv(h(y), h(x), h(w), s, c.scratch(s.WorkSize()))
}

// PointwiseConvBackward implements Kernels.
func (c *CPU) PointwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.PWConv, setDx bool) {
	work := c.scratch(s.WorkSize())
	if dw != nil {
		kernels.PointwiseConvBackwardWeight(h(dw), h(dy), h(x), s, work)
	}
	if dx == nil {
		return
	}
	if setDx && s.Stride <= 1 && s.Offset == 0 && !s.ReLUIn {
		// dx[Cin, P] = wᵀ·dy[Cout, P], written rather than added.
		P := s.N * s.H * s.W
		kernels.Sgemm(true, false, s.Cin, P, s.Cout, 1, h(w), s.Cin, h(dy), P, 0, h(dx), P)
		return
	}
	if setDx {
		c.Fill(dx, 0)
	}
	kernels.PointwiseConvBackwardInput(h(dx), h(dy), h(w), h(x), s, work)
}

// Linear implements Kernels: y (n, out) = x (n, in) · wᵀ + b.
func (*CPU) Linear(y, x, w, b Storage, n, in, out int) {
	yd := h(y)
	kernels.Sgemm(false, true, n, out, in, 1, h(x), in, h(w), in, 0, yd, out)
	if b != nil {
		bd := h(b)[:out]
		for i := 0; i < n; i++ {
			row := yd[i*out : (i+1)*out]
			for j, v := range bd {
				row[j] += v
			}
		}
	}
}

// LinearBackward implements Kernels.
func (*CPU) LinearBackward(dx, dw, db, dy, x, w Storage, n, in, out int, setDx bool) {
	dyd := h(dy)
	if dx != nil {
		beta := float32(1)
		if setDx {
			beta = 0
		}
		kernels.Sgemm(false, false, n, in, out, 1, dyd, out, h(w), in, beta, h(dx), in)
	}
	if dw != nil {
		kernels.Sgemm(true, false, out, in, n, 1, dyd, out, h(x), in, 1, h(dw), in)
	}
	if db != nil {
		dbd := h(db)[:out]
		for j := range dbd {
			var s float64
			for i := 0; i < n; i++ {
				s += float64(dyd[i*out+j])
			}
			dbd[j] += float32(s)
		}
	}
}

// MaxPool implements Kernels.
func (*CPU) MaxPool(y, arg, x Storage, s kernels.Pool) {
	kernels.MaxPool(h(y), asInt32(h(arg)), h(x), s)
}

// MaxPoolBackward implements Kernels.
func (*CPU) MaxPoolBackward(dx, dy, arg Storage, s kernels.Pool) {
	kernels.MaxPoolBackward(h(dx), h(dy), asInt32(h(arg)), s)
}

// AvgPool implements Kernels.
func (*CPU) AvgPool(y, x Storage, s kernels.Pool, countIncludePad bool) {
	kernels.AvgPool(h(y), h(x), s, countIncludePad)
}

// AvgPoolBackward implements Kernels.
func (*CPU) AvgPoolBackward(dx, dy Storage, s kernels.Pool, countIncludePad bool) {
	kernels.AvgPoolBackward(h(dx), h(dy), s, countIncludePad)
}

// GlobalAvgPool implements Kernels.
func (*CPU) GlobalAvgPool(y, x Storage, C, N, HW int) { kernels.GlobalAvgPool(h(y), h(x), C, N, HW) }

// GlobalAvgPoolBackward implements Kernels.
func (*CPU) GlobalAvgPoolBackward(dx, dy Storage, C, N, HW int) {
	kernels.GlobalAvgPoolBackward(h(dx), h(dy), C, N, HW)
}

// BatchNormTrain implements Kernels.
func (*CPU) BatchNormTrain(y, x, gamma, beta, mean, invStd Storage, C, M int, eps float32) {
	kernels.BatchNormTrain(h(y), h(x), h(gamma), h(beta), h(mean), h(invStd), C, M, eps)
}

// BatchNormUpdateRunning implements Kernels.
func (*CPU) BatchNormUpdateRunning(runMean, runVar, mean, invStd Storage, M int, momentum, eps float32) {
	kernels.BatchNormUpdateRunning(h(runMean), h(runVar), h(mean), h(invStd), M, momentum, eps)
}

// BatchNormInfer implements Kernels.
func (*CPU) BatchNormInfer(y, x, gamma, beta, runMean, runVar Storage, C, M int, eps float32) {
	kernels.BatchNormInfer(h(y), h(x), h(gamma), h(beta), h(runMean), h(runVar), C, M, eps)
}

// BatchNormBackwardSet implements Kernels.
func (*CPU) BatchNormBackwardSet(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int) {
	kernels.BatchNormBackwardSet(h(dx), h(dgamma), h(dbeta), h(dy), h(x), h(gamma), h(mean), h(invStd), C, M)
}

// BatchNormBackward implements Kernels.
func (*CPU) BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int) {
	kernels.BatchNormBackward(h(dx), h(dgamma), h(dbeta), h(dy), h(x), h(gamma), h(mean), h(invStd), C, M)
}

// BatchNormInferBackward implements Kernels: the gradient of
// y = (x-μ)/√(σ²+ε)·γ + β with the running statistics held fixed.
func (*CPU) BatchNormInferBackward(dx, dgamma, dbeta, dy, x, gamma, runMean, runVar Storage, C, M int, eps float32) {
	dxd, dgd, dbd, dyd, xd, gd := h(dx), h(dgamma), h(dbeta), h(dy), h(x), h(gamma)
	rm, rv := h(runMean), h(runVar)
	kernels.ParallelFor(C, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			inv := float32(1 / math.Sqrt(float64(rv[c])+float64(eps)))
			dyc := dyd[c*M : (c+1)*M]
			if dgd != nil || dbd != nil {
				var sg, sb float64
				xc := xd[c*M : (c+1)*M]
				for i, d := range dyc {
					sb += float64(d)
					sg += float64(d) * float64((xc[i]-rm[c])*inv)
				}
				if dgd != nil {
					dgd[c] += float32(sg)
				}
				if dbd != nil {
					dbd[c] += float32(sb)
				}
			}
			if dxd != nil {
				a := inv
				if gd != nil {
					a *= gd[c]
				}
				dxc := dxd[c*M : (c+1)*M]
				for i, d := range dyc {
					dxc[i] += a * d
				}
			}
		}
	})
}

// Softmax implements Kernels.
func (*CPU) Softmax(y, x Storage, rows, cols int) { kernels.Softmax(h(y), h(x), rows, cols) }

// SoftmaxBackward implements Kernels.
func (*CPU) SoftmaxBackward(dx, dy, y Storage, rows, cols int) {
	kernels.SoftmaxBackward(h(dx), h(dy), h(y), rows, cols)
}

// CrossEntropy implements Kernels.
func (*CPU) CrossEntropy(logits Storage, labels []int32, probs Storage, rows, cols int) float32 {
	return kernels.CrossEntropy(h(logits), labels, h(probs), rows, cols)
}

// CrossEntropyBackward implements Kernels.
func (*CPU) CrossEntropyBackward(dlogits, probs Storage, labels []int32, rows, cols int, scale float32) {
	kernels.CrossEntropyBackward(h(dlogits), h(probs), labels, rows, cols, scale)
}
