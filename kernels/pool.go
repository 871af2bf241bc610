package kernels

import (
	"math"
	"unsafe"
)

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
	registerKernel("MaxPool", haveAsm)
	registerKernel("MaxPoolBackward", haveAsm)
	registerKernel("AvgPool", haveAsm)
	registerKernel("AvgPoolBackward", haveAsm)
	registerKernel("GlobalAvgPool", haveAsm)
	registerKernel("GlobalAvgPoolBackward", haveAsm)
}

func poolGrain(ohw int) int { return max(1, ewGrain/8/max(ohw, 1)) }

// poolAsmOK reports whether the assembly kernels of pool_amd64.s handle s:
// the 3×3, padding-1 window of DARTS at stride 1 with W a multiple of 8 or
// stride 2 with W a multiple of 16.
func poolAsmOK(s Pool) bool {
	return useAsm && s.K == 3 && s.Pad == 1 &&
		(s.Stride == 1 && s.W%8 == 0 || s.Stride == 2 && s.W%16 == 0)
}

// poolArgs are the arguments of the pooling jobs.
type poolArgs struct {
	y, x, inv []float32
	arg       []int32
	s         Pool
	include   bool
}

var (
	maxPoolGoJobs      = newJobs(maxPoolGo)
	maxPoolAsmJobs     = newJobs(maxPoolAsm)
	maxPoolBackJobs    = newJobs(maxPoolBack)
	maxPoolBackAsmJobs = newJobs(maxPoolBackAsm)
	avgPoolGoJobs      = newJobs(avgPoolGo)
	avgPoolAsmJobs     = newJobs(avgPoolAsm)
	avgPoolBackGoJobs  = newJobs(avgPoolBackGo)
	avgPoolBackAsmJobs = newJobs(avgPoolBackAsm)
	gapJobs            = newJobs(globalAvgPool)
	gapBackJobs        = newJobs(globalAvgPoolBack)
)

// MaxPool writes the window maxima to y and, to arg, the index within the
// input plane (ih·W+iw) of each maximum (the first one on ties; a NaN wins).
// A window lying wholly in the padding gives 0 with arg -1.
func MaxPool(y []float32, arg []int32, x []float32, s Pool) {
	s = s.norm()
	s.check("MaxPool", len(y), len(x))
	ohw := s.OutH() * s.OutW()
	if len(arg) < s.C*s.N*ohw {
		panic("kernels: MaxPool: arg too short")
	}
	a := poolArgs{y: y, x: x, arg: arg, s: s}
	if poolAsmOK(s) {
		maxPoolAsmJobs.do(s.C*s.N, poolGrain(ohw), a)
		return
	}
	maxPoolGoJobs.do(s.C*s.N, poolGrain(ohw), a)
}

// maxPoolGo is the reference: planes [lo, hi), window by window.
func maxPoolGo(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	for p := lo; p < hi; p++ {
		xp := a.x[p*hw : (p+1)*hw]
		yp := a.y[p*ohw : (p+1)*ohw]
		ap := a.arg[p*ohw : (p+1)*ohw]
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
}

// maxPoolAsm runs the separable assembly kernel on planes [lo, hi).
func maxPoolAsm(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	tp := getScratch(2 * s.H * wo)
	t := *tp
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	_ = a.arg[hi*ohw-1]
	for p := lo; p < hi; p++ {
		if s.Stride == 1 {
			maxPool3S1Asm(&a.y[p*ohw], &a.arg[p*ohw], &a.x[p*hw], &t[0], s.H, s.W)
		} else {
			maxPool3S2Asm(&a.y[p*ohw], &a.arg[p*ohw], &a.x[p*hw], &t[0], s.H, s.W)
		}
	}
	putScratch(tp)
}

// MaxPoolBackward accumulates dx[plane][arg] += dy. Stride 1 runs the
// assembly gather (each input sums the dy of the up to nine outputs whose
// maximum it is). Stride 2 keeps the scalar scatter: there are a quarter as
// many outputs as inputs, each adds to one input, and it already moves its
// data at 25–35 GB/s (BenchmarkPool), faster than any of the vector pooling
// passes; a gather would have to split dx into its four parity classes.
func MaxPoolBackward(dx, dy []float32, arg []int32, s Pool) {
	s = s.norm()
	s.check("MaxPoolBackward", len(dy), len(dx))
	ohw := s.OutH() * s.OutW()
	if len(arg) < s.C*s.N*ohw {
		panic("kernels: MaxPoolBackward: arg too short")
	}
	a := poolArgs{y: dy, x: dx, arg: arg, s: s}
	if poolAsmOK(s) && s.Stride == 1 {
		maxPoolBackAsmJobs.do(s.C*s.N, poolGrain(ohw), a)
		return
	}
	maxPoolBackJobs.do(s.C*s.N, poolGrain(ohw), a)
}

// maxPoolBack scatters the dy planes [lo, hi) (in a.y) into dx (a.x).
func maxPoolBack(a *poolArgs, lo, hi int) {
	s := a.s
	hw, ohw := s.H*s.W, s.OutH()*s.OutW()
	for p := lo; p < hi; p++ {
		dxp := a.x[p*hw : (p+1)*hw]
		dyp := a.y[p*ohw : (p+1)*ohw]
		ap := a.arg[p*ohw : p*ohw+len(dyp)]
		for i, j := range ap {
			if j >= 0 {
				dxp[j] += dyp[i]
			}
		}
	}
}

// maxPoolBackAsm gathers, for every input element of planes [lo, hi), the
// dy of the outputs whose maximum it is (stride 1, see gen_pool.go).
func maxPoolBackAsm(a *poolArgs, lo, hi int) {
	s := a.s
	hw := s.H * s.W
	tp, t := getScratchInset(2 * (s.W + 8)) // sentinel rows: indices -1, dy 0
	sa := unsafe.Slice((*int32)(unsafe.Pointer(&t[0])), s.W+8)
	for i := range sa {
		sa[i] = -1
	}
	_ = a.x[hi*hw-1]
	_ = a.y[hi*hw-1]
	_ = a.arg[hi*hw-1]
	for p := lo; p < hi; p++ {
		maxPool3S1BackAsm(&a.x[p*hw], &a.y[p*hw], &a.arg[p*hw], &sa[0], &t[s.W+8], s.H, s.W)
	}
	putScratch(tp)
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

// avgInv fills inv (ho·wo) with 1/count of every output of one plane.
func avgInv(inv []float32, s Pool, include bool) {
	ho, wo := s.OutH(), s.OutW()
	for oh := 0; oh < ho; oh++ {
		_, _, hc := avgRange(oh, s.Stride, s.Pad, s.K, s.H, include)
		for ow := 0; ow < wo; ow++ {
			_, _, wc := avgRange(ow, s.Stride, s.Pad, s.K, s.W, include)
			inv[oh*wo+ow] = 1 / float32(hc*wc)
		}
	}
}

// AvgPool writes window means to y. With countIncludePad=false (DARTS) the
// mean is over the window's positions inside the input plane.
func AvgPool(y, x []float32, s Pool, countIncludePad bool) {
	s = s.norm()
	s.check("AvgPool", len(y), len(x))
	avgPoolRun(poolArgs{y: y, x: x, s: s, include: countIncludePad}, avgPoolAsmJobs, avgPoolGoJobs)
}

// avgPoolRun runs an average-pool pass over the planes of a.s: on the
// assembly jobs, with a table of 1/count per output, when the shape allows,
// else on the Go ones.
func avgPoolRun(a poolArgs, asmJobs, goJobs *jobs[poolArgs]) {
	s := a.s
	ohw := s.OutH() * s.OutW()
	if poolAsmOK(s) {
		ip := getScratch(ohw)
		a.inv = *ip
		avgInv(a.inv, s, a.include)
		asmJobs.do(s.C*s.N, poolGrain(ohw), a)
		putScratch(ip)
		return
	}
	goJobs.do(s.C*s.N, poolGrain(ohw), a)
}

// avgPoolGo is the reference: planes [lo, hi), window by window.
func avgPoolGo(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	for p := lo; p < hi; p++ {
		xp := a.x[p*hw : (p+1)*hw]
		yp := a.y[p*ohw : (p+1)*ohw]
		for oh := 0; oh < ho; oh++ {
			h0, h1, hc := avgRange(oh, s.Stride, s.Pad, s.K, s.H, a.include)
			for ow := 0; ow < wo; ow++ {
				w0, w1, wc := avgRange(ow, s.Stride, s.Pad, s.K, s.W, a.include)
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
}

func avgPoolAsm(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	tp := getScratch(s.H*wo + wo) // horizontal sums, then a zero row
	t := *tp
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	_ = a.inv[ohw-1]
	for p := lo; p < hi; p++ {
		if s.Stride == 1 {
			avgPool3S1Asm(&a.y[p*ohw], &a.x[p*hw], &a.inv[0], &t[0], s.H, s.W)
		} else {
			avgPool3S2Asm(&a.y[p*ohw], &a.x[p*hw], &a.inv[0], &t[0], s.H, s.W)
		}
	}
	putScratch(tp)
}

// AvgPoolBackward accumulates dx += AvgPoolᵀ dy.
func AvgPoolBackward(dx, dy []float32, s Pool, countIncludePad bool) {
	s = s.norm()
	s.check("AvgPoolBackward", len(dy), len(dx))
	avgPoolRun(poolArgs{y: dy, x: dx, s: s, include: countIncludePad}, avgPoolBackAsmJobs, avgPoolBackGoJobs)
}

// avgPoolBackGo is the reference: dy planes [lo, hi) in a.y, dx in a.x.
func avgPoolBackGo(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	for p := lo; p < hi; p++ {
		dxp := a.x[p*hw : (p+1)*hw]
		dyp := a.y[p*ohw : (p+1)*ohw]
		for oh := 0; oh < ho; oh++ {
			h0, h1, hc := avgRange(oh, s.Stride, s.Pad, s.K, s.H, a.include)
			for ow := 0; ow < wo; ow++ {
				w0, w1, wc := avgRange(ow, s.Stride, s.Pad, s.K, s.W, a.include)
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
}

func avgPoolBackAsm(a *poolArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	tp := getScratch(ho*s.W + s.W) // spread rows, then a zero row
	t := *tp
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	_ = a.inv[ohw-1]
	for p := lo; p < hi; p++ {
		if s.Stride == 1 {
			avgPool3S1BackAsm(&a.x[p*hw], &a.y[p*ohw], &a.inv[0], &t[0], s.H, s.W)
		} else {
			avgPool3S2BackAsm(&a.x[p*hw], &a.y[p*ohw], &a.inv[0], &t[0], s.H, s.W)
		}
	}
	putScratch(tp)
}

// gapArgs are the arguments of the global average pool jobs.
type gapArgs struct {
	y, x     []float32
	C, N, HW int
}

// GlobalAvgPool averages each (c, n) plane of x (C, N, HW) into y (N, C),
// row-major.
func GlobalAvgPool(y, x []float32, C, N, HW int) {
	checkLen("GlobalAvgPool", C*N*HW, len(x))
	checkLen("GlobalAvgPool", C*N, len(y))
	gapJobs.do(C*N, poolGrain(HW), gapArgs{y: y, x: x, C: C, N: N, HW: HW})
}

func globalAvgPool(a *gapArgs, lo, hi int) {
	inv := 1 / float64(a.HW)
	for p := lo; p < hi; p++ {
		c, n := p/a.N, p%a.N
		var s float64
		if useAsm {
			s = sumAsm(a.x[p*a.HW : (p+1)*a.HW])
		} else {
			s = sumGo(a.x[p*a.HW : (p+1)*a.HW])
		}
		a.y[n*a.C+c] = float32(s * inv)
	}
}

// GlobalAvgPoolBackward accumulates dx[c][n][:] += dy[n][c] / HW.
func GlobalAvgPoolBackward(dx, dy []float32, C, N, HW int) {
	checkLen("GlobalAvgPoolBackward", C*N*HW, len(dx))
	checkLen("GlobalAvgPoolBackward", C*N, len(dy))
	gapBackJobs.do(C*N, poolGrain(HW), gapArgs{y: dy, x: dx, C: C, N: N, HW: HW})
}

// globalAvgPoolBack: dy in a.y, dx in a.x.
func globalAvgPoolBack(a *gapArgs, lo, hi int) {
	inv := 1 / float32(a.HW)
	for p := lo; p < hi; p++ {
		c, n := p/a.N, p%a.N
		g := a.y[n*a.C+c] * inv
		d := a.x[p*a.HW : (p+1)*a.HW]
		if useAsm {
			addScalarAsm(d, g)
			continue
		}
		addScalarGo(d, g)
	}
}
