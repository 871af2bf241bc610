package kernels

import "math"

// Pooling on channel-major (C, N, H, W) activations; every plane is pooled
// independently, so the work is split over the C·N planes.

// Pool describes a K×K pooling window with stride and zero-size padding
// (padded positions never win a max and, for AvgPool with
// countIncludePad=false, are not counted). Stride 0 is taken as 1.
type Pool struct{ C, N, H, W, K, Stride, Pad int }

func (s Pool) norm() Pool {
	if s.Stride <= 0 {
		s.Stride = 1
	}
	return s
}

// OutH is the output height (H+2Pad-K)/Stride+1.
func (s Pool) OutH() int { s = s.norm(); return (s.H+2*s.Pad-s.K)/s.Stride + 1 }

// OutW is the output width (W+2Pad-K)/Stride+1.
func (s Pool) OutW() int { s = s.norm(); return (s.W+2*s.Pad-s.K)/s.Stride + 1 }

func (s Pool) check(name string, ny, nx int) {
	if s.K <= 0 || s.C < 0 || s.N < 0 || s.H <= 0 || s.W <= 0 || s.Pad < 0 || s.OutH() <= 0 || s.OutW() <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	if ny < s.C*s.N*s.OutH()*s.OutW() || nx < s.C*s.N*s.H*s.W {
		panic("kernels: " + name + ": slice too short")
	}
}

func init() {
	registerKernel("MaxPool", false)
	registerKernel("MaxPoolBackward", false)
	registerKernel("AvgPool", false)
	registerKernel("AvgPoolBackward", false)
	registerKernel("GlobalAvgPool", haveAsm)
	registerKernel("GlobalAvgPoolBackward", false)
}

func poolGrain(ohw int) int { return max(1, ewGrain/8/max(ohw, 1)) }

// MaxPool writes the window maxima to y and, to arg, the index within the
// input plane (ih·W+iw) of each maximum (the first one on ties; a NaN wins).
// A window lying wholly in the padding gives 0 with arg -1.
func MaxPool(y []float32, arg []int32, x []float32, s Pool) {
	s = s.norm()
	s.check("MaxPool", len(y), len(x))
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	if len(arg) < s.C*s.N*ohw {
		panic("kernels: MaxPool: arg too short")
	}
	ParallelFor(s.C*s.N, poolGrain(ohw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xp := x[p*hw : (p+1)*hw]
			yp := y[p*ohw : (p+1)*ohw]
			ap := arg[p*ohw : (p+1)*ohw]
			for oh := 0; oh < ho; oh++ {
				h0 := max(oh*s.Stride-s.Pad, 0)
				h1 := min(oh*s.Stride-s.Pad+s.K, s.H)
				for ow := 0; ow < wo; ow++ {
					w0 := max(ow*s.Stride-s.Pad, 0)
					w1 := min(ow*s.Stride-s.Pad+s.K, s.W)
					best := float32(math.Inf(-1))
					bi := int32(-1)
					for ih := h0; ih < h1; ih++ {
						xr := xp[ih*s.W:]
						for iw := w0; iw < w1; iw++ {
							v := xr[iw]
							if bi < 0 || v > best || (v != v && best == best) {
								best, bi = v, int32(ih*s.W+iw)
							}
						}
					}
					if bi < 0 {
						best = 0
					}
					yp[oh*wo+ow] = best
					ap[oh*wo+ow] = bi
				}
			}
		}
	})
}

// MaxPoolBackward accumulates dx[plane][arg] += dy.
func MaxPoolBackward(dx, dy []float32, arg []int32, s Pool) {
	s = s.norm()
	s.check("MaxPoolBackward", len(dy), len(dx))
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	if len(arg) < s.C*s.N*ohw {
		panic("kernels: MaxPoolBackward: arg too short")
	}
	ParallelFor(s.C*s.N, poolGrain(ohw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			dxp := dx[p*hw : (p+1)*hw]
			dyp := dy[p*ohw : (p+1)*ohw]
			ap := arg[p*ohw : (p+1)*ohw]
			for i, a := range ap {
				if a >= 0 {
					dxp[a] += dyp[i]
				}
			}
		}
	})
}

// avgRange returns, along one axis, output o's window clipped to the plane
// [lo, hi) and its count for the divisor: hi-lo, or with includePad the
// window clipped to the padded extent (PyTorch's rule).
func avgRange(o, stride, pad, k, n int, includePad bool) (lo, hi, cnt int) {
	start := o*stride - pad
	end := min(start+k, n+pad)
	lo, hi = max(start, 0), min(end, n)
	if includePad {
		cnt = end - start
	} else {
		cnt = hi - lo
	}
	return lo, hi, cnt
}

// AvgPool writes window means to y. With countIncludePad=false (DARTS) the
// mean is over the window's positions inside the input plane.
func AvgPool(y, x []float32, s Pool, countIncludePad bool) {
	s = s.norm()
	s.check("AvgPool", len(y), len(x))
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	ParallelFor(s.C*s.N, poolGrain(ohw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xp := x[p*hw : (p+1)*hw]
			yp := y[p*ohw : (p+1)*ohw]
			for oh := 0; oh < ho; oh++ {
				h0, h1, hc := avgRange(oh, s.Stride, s.Pad, s.K, s.H, countIncludePad)
				for ow := 0; ow < wo; ow++ {
					w0, w1, wc := avgRange(ow, s.Stride, s.Pad, s.K, s.W, countIncludePad)
					var sum float32
					for ih := h0; ih < h1; ih++ {
						xr := xp[ih*s.W:]
						for iw := w0; iw < w1; iw++ {
							sum += xr[iw]
						}
					}
					if cnt := hc * wc; cnt > 0 {
						sum /= float32(cnt)
					}
					yp[oh*wo+ow] = sum
				}
			}
		}
	})
}

// AvgPoolBackward accumulates dx += AvgPoolᵀ dy.
func AvgPoolBackward(dx, dy []float32, s Pool, countIncludePad bool) {
	s = s.norm()
	s.check("AvgPoolBackward", len(dy), len(dx))
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	ParallelFor(s.C*s.N, poolGrain(ohw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			dxp := dx[p*hw : (p+1)*hw]
			dyp := dy[p*ohw : (p+1)*ohw]
			for oh := 0; oh < ho; oh++ {
				h0, h1, hc := avgRange(oh, s.Stride, s.Pad, s.K, s.H, countIncludePad)
				for ow := 0; ow < wo; ow++ {
					w0, w1, wc := avgRange(ow, s.Stride, s.Pad, s.K, s.W, countIncludePad)
					cnt := hc * wc
					if cnt <= 0 {
						continue
					}
					g := dyp[oh*wo+ow] / float32(cnt)
					for ih := h0; ih < h1; ih++ {
						dr := dxp[ih*s.W:]
						for iw := w0; iw < w1; iw++ {
							dr[iw] += g
						}
					}
				}
			}
		}
	})
}

// GlobalAvgPool averages each (c, n) plane of x (C, N, HW) into y (N, C),
// row-major.
func GlobalAvgPool(y, x []float32, C, N, HW int) {
	checkLen("GlobalAvgPool", C*N*HW, len(x))
	checkLen("GlobalAvgPool", C*N, len(y))
	inv := 1 / float64(HW)
	ParallelFor(C*N, poolGrain(HW), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			c, n := p/N, p%N
			var s float64
			if useAsm {
				s = sumAsm(x[p*HW : (p+1)*HW])
			} else {
				s = sumGo(x[p*HW : (p+1)*HW])
			}
			y[n*C+c] = float32(s * inv)
		}
	})
}

// GlobalAvgPoolBackward accumulates dx[c][n][:] += dy[n][c] / HW.
func GlobalAvgPoolBackward(dx, dy []float32, C, N, HW int) {
	checkLen("GlobalAvgPoolBackward", C*N*HW, len(dx))
	checkLen("GlobalAvgPoolBackward", C*N, len(dy))
	inv := 1 / float32(HW)
	ParallelFor(C*N, poolGrain(HW), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			c, n := p/N, p%N
			g := dy[n*C+c] * inv
			d := dx[p*HW : (p+1)*HW]
			for i := range d {
				d[i] += g
			}
		}
	})
}
