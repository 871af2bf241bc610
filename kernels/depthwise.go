package kernels

// Depthwise convolution on channel-major activations: x is (C, N, H, W),
// the weights w are (C, 1, K, K) and y is (C, N, Ho, Wo). Plane (c, n) of y
// depends only on plane (c, n) of x and on the K×K filter of channel c, so
// the forward and backward-input kernels split the C·N planes over the
// threads. The weight gradient forms one K×K partial per plane (on amd64,
// per fixed group of a channel's planes for small maps: the partial of the
// group's first plane, the others zero) and adds the partials of a channel
// in batch order in float64, so it gives the same bits at every thread
// count.

// DWConv describes a depthwise convolution. Stride and Dilation of 0 are
// taken as 1.
type DWConv struct {
	C, N, H, W            int
	K                     int // filter size, odd (3 or 5 in DARTS)
	Stride, Pad, Dilation int
	ReLUIn                bool // ReLU applied to x as it is read; backward-input masks dx by x>0 or NaN (reluPasses)
}

func (s DWConv) norm() DWConv {
	if s.Stride <= 0 {
		s.Stride = 1
	}
	if s.Dilation <= 0 {
		s.Dilation = 1
	}
	return s
}

// OutH is the output height (H+2Pad-Dilation*(K-1)-1)/Stride+1.
func (s DWConv) OutH() int {
	s = s.norm()
	return (s.H+2*s.Pad-s.Dilation*(s.K-1)-1)/s.Stride + 1
}

// OutW is the output width (W+2Pad-Dilation*(K-1)-1)/Stride+1.
func (s DWConv) OutW() int {
	s = s.norm()
	return (s.W+2*s.Pad-s.Dilation*(s.K-1)-1)/s.Stride + 1
}

func (s DWConv) check(name string, ny, nx, nw int) {
	if s.K <= 0 || s.C < 0 || s.N < 0 || s.H <= 0 || s.W <= 0 || s.Pad < 0 || s.OutH() <= 0 || s.OutW() <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	if ny < s.C*s.N*s.OutH()*s.OutW() || nx < s.C*s.N*s.H*s.W || nw < s.C*s.K*s.K {
		panic("kernels: " + name + ": slice too short")
	}
}

func init() {
	registerKernel("DepthwiseConv", false)
	registerKernel("DepthwiseConvBackwardInput", false)
	registerKernel("DepthwiseConvBackwardWeight", false)
}

// validRange returns the half-open range [lo, hi) of output indices o in
// [0, no) whose input index o*stride+off lies in [0, n).
func validRange(off, stride, n, no int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if n-1-off < 0 {
		return lo, lo
	}
	hi = (n-1-off)/stride + 1
	if hi > no {
		hi = no
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// DepthwiseConv computes y = depthwise_conv(relu?(x), w), overwriting y.
func DepthwiseConv(y, x, w []float32, s DWConv) {
	s = s.norm()
	s.check("DepthwiseConv", len(y), len(x), len(w))
	if useAsm && dwAsmOK(s) {
		dwForwardAsm(y, x, w, s)
		return
	}
	dwForwardGo(y, x, w, s)
}

// dwGoArgs are the arguments of the pure-Go depthwise jobs.
type dwGoArgs struct {
	y, x, w, dx, dy, part, dw []float32
	s                         DWConv
	g                         int // dwWeightReduceBody: the partials' stride in planes
}

var (
	dwFwdGoJobs = newJobs(dwForwardGoBody)
	dwBInGoJobs = newJobs(dwBackwardInputGoBody)
	dwBWGoJobs  = newJobs(dwBackwardWeightGoBody)
	dwBWRedJobs = newJobs(dwWeightReduceBody)
)

func dwForwardGo(y, x, w []float32, s DWConv) {
	dwFwdGoJobs.do(s.C*s.N, 1, dwGoArgs{y: y, x: x, w: w, s: s})
}

func dwForwardGoBody(a *dwGoArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	kk := s.K * s.K
	var bp *[]float32
	if s.ReLUIn {
		bp = getScratch(hw)
		defer putScratch(bp)
	}
	for p := lo; p < hi; p++ {
		c := p / s.N
		xp := a.x[p*hw : (p+1)*hw]
		if s.ReLUIn {
			reluGo(*bp, xp)
			xp = *bp
		}
		dwPlaneGo(a.y[p*ohw:(p+1)*ohw], xp, a.w[c*kk:(c+1)*kk], s, ho, wo)
	}
}

// dwPlaneGo computes one output plane (overwriting it) from one input plane.
func dwPlaneGo(y, x, w []float32, s DWConv, ho, wo int) {
	K, S, D, P, W := s.K, s.Stride, s.Dilation, s.Pad, s.W
	for oh := 0; oh < ho; oh++ {
		yr := y[oh*wo : (oh+1)*wo]
		for i := range yr {
			yr[i] = 0
		}
		for ki := 0; ki < K; ki++ {
			ih := oh*S - P + ki*D
			if ih < 0 || ih >= s.H {
				continue
			}
			xr := x[ih*W : (ih+1)*W]
			for kj := 0; kj < K; kj++ {
				wv := w[ki*K+kj]
				off := kj*D - P
				lo, hi := validRange(off, S, W, wo)
				if lo >= hi {
					continue // this tap never lands inside the row
				}
				if S == 1 {
					xs := xr[lo+off : hi+off]
					ys := yr[lo:hi]
					for j, v := range xs {
						ys[j] += wv * v
					}
				} else {
					for ow := lo; ow < hi; ow++ {
						yr[ow] += wv * xr[ow*S+off]
					}
				}
			}
		}
	}
}

// backInCheck normalises s and checks the arguments of an input-gradient
// pass (x is read only through a fused ReLU).
func (s DWConv) backInCheck(name string, dx, dy, w, x []float32) DWConv {
	s = s.norm()
	s.check(name, len(dy), len(dx), len(w))
	if s.ReLUIn && len(x) < s.C*s.N*s.H*s.W {
		panic("kernels: " + name + ": x too short")
	}
	return s
}

// DepthwiseConvBackwardInput accumulates dx += ∂y/∂x ᵀ dy. When s.ReLUIn the
// contribution is masked by x > 0 or NaN (x is read only then; it may be nil
// otherwise).
func DepthwiseConvBackwardInput(dx, dy, w, x []float32, s DWConv) {
	s = s.backInCheck("DepthwiseConvBackwardInput", dx, dy, w, x)
	if useAsm && dwAsmOK(s) && dwBwdInAsmOK(s) {
		dwBackwardInputAsm(dx, dy, w, x, s)
		return
	}
	dwBackwardInputGo(dx, dy, w, x, s)
}

// DepthwiseConvBackwardInputSet is DepthwiseConvBackwardInput writing dx
// instead of adding to it (what dx held is ignored): for an input gradient
// that holds nothing yet. Where a kernel writes every element itself (the
// stride-2 passes of dilation 1) it saves clearing dx and reading it back;
// elsewhere dx is cleared and the gradient added.
func DepthwiseConvBackwardInputSet(dx, dy, w, x []float32, s DWConv) {
	s = s.backInCheck("DepthwiseConvBackwardInputSet", dx, dy, w, x)
	if useAsm && dwAsmOK(s) && dwBwdInAsmOK(s) && dwBackwardInputSetAsm(dx, dy, w, x, s) {
		return
	}
	Fill(dx[:s.C*s.N*s.H*s.W], 0)
	DepthwiseConvBackwardInput(dx, dy, w, x, s)
}

func dwBackwardInputGo(dx, dy, w, x []float32, s DWConv) {
	dwBInGoJobs.do(s.C*s.N, 1, dwGoArgs{dx: dx, dy: dy, w: w, x: x, s: s})
}

func dwBackwardInputGoBody(a *dwGoArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	kk := s.K * s.K
	var bp *[]float32
	if s.ReLUIn {
		bp = getScratch(hw)
		defer putScratch(bp)
	}
	for p := lo; p < hi; p++ {
		c := p / s.N
		dxp := a.dx[p*hw : (p+1)*hw]
		if s.ReLUIn {
			buf := *bp
			clear(buf)
			dwPlaneBackInGo(buf, a.dy[p*ohw:(p+1)*ohw], a.w[c*kk:(c+1)*kk], s, ho, wo)
			reluBackGo(dxp, buf, a.x[p*hw:(p+1)*hw])
		} else {
			dwPlaneBackInGo(dxp, a.dy[p*ohw:(p+1)*ohw], a.w[c*kk:(c+1)*kk], s, ho, wo)
		}
	}
}

// dwPlaneBackInGo scatters one output-gradient plane into dx (accumulating).
func dwPlaneBackInGo(dx, dy, w []float32, s DWConv, ho, wo int) {
	K, S, D, P, W := s.K, s.Stride, s.Dilation, s.Pad, s.W
	for oh := 0; oh < ho; oh++ {
		dyr := dy[oh*wo : (oh+1)*wo]
		for ki := 0; ki < K; ki++ {
			ih := oh*S - P + ki*D
			if ih < 0 || ih >= s.H {
				continue
			}
			dxr := dx[ih*W : (ih+1)*W]
			for kj := 0; kj < K; kj++ {
				wv := w[ki*K+kj]
				off := kj*D - P
				lo, hi := validRange(off, S, W, wo)
				if lo >= hi {
					continue
				}
				if S == 1 {
					ds := dxr[lo+off : hi+off]
					gs := dyr[lo:hi]
					for j, g := range gs {
						ds[j] += wv * g
					}
				} else {
					for ow := lo; ow < hi; ow++ {
						dxr[ow*S+off] += wv * dyr[ow]
					}
				}
			}
		}
	}
}

// DepthwiseConvBackward computes both gradients of a depthwise convolution:
// dw += ∂y/∂w ᵀ dy and the input gradient, added to dx or, with setDx,
// written into it. The results are the bits of DepthwiseConvBackwardWeight
// followed by DepthwiseConvBackwardInput (or ...InputSet); on the assembly
// path the two run over the same blocks of planes one after the other, so
// that the second finds dy and x in cache instead of reading them from
// memory again.
func DepthwiseConvBackward(dx, dw, dy, w, x []float32, s DWConv, setDx bool) {
	s = s.backInCheck("DepthwiseConvBackward", dx, dy, w, x)
	s.check("DepthwiseConvBackward", len(dy), len(x), len(dw))
	if !(useAsm && dwAsmOK(s) && dwBwdInAsmOK(s)) {
		DepthwiseConvBackwardWeight(dw, dy, x, s)
		if setDx {
			DepthwiseConvBackwardInputSet(dx, dy, w, x, s)
		} else {
			DepthwiseConvBackwardInput(dx, dy, w, x, s)
		}
		return
	}
	dwWeightParts(dw, s, func(part []float32) int { return dwBackwardBothAsm(dx, part, dy, w, x, s, setDx) })
}

// DepthwiseConvBackwardWeight accumulates dw += ∂y/∂w ᵀ dy.
func DepthwiseConvBackwardWeight(dw, dy, x []float32, s DWConv) {
	s = s.norm()
	s.check("DepthwiseConvBackwardWeight", len(dy), len(x), len(dw))
	dwWeightParts(dw, s, func(part []float32) int {
		if useAsm && dwAsmOK(s) {
			return dwBackwardWeightAsm(part, dy, x, s)
		}
		dwBackwardWeightGo(part, dy, x, s)
		return 1
	})
}

// dwWeightParts lets fill write the per-plane partials of the weight
// gradient (K² taps for planes c·N + n, n a multiple of the stride g that
// fill returns, of the C·N planes) into scratch, then adds them to dw
// channel by channel (dwWeightReduceBody).
func dwWeightParts(dw []float32, s DWConv, fill func(part []float32) int) {
	pp := getScratch(s.C * s.N * s.K * s.K)
	defer putScratch(pp)
	g := fill(*pp)
	dwBWRedJobs.do(s.C, 4, dwGoArgs{dw: dw, part: *pp, s: s, g: g})
}

// dwWeightReduceBody adds the partials of channels [lo, hi) in batch
// order, in float64, to dw: those of planes n = 0, g, 2g, … of each
// channel.
func dwWeightReduceBody(a *dwGoArgs, lo, hi int) {
	s := a.s
	kk := s.K * s.K
	var accBuf [25]float64
	acc := accBuf[:0]
	if kk <= len(accBuf) {
		acc = accBuf[:kk]
	} else {
		acc = make([]float64, kk)
	}
	for c := lo; c < hi; c++ {
		clear(acc)
		for n := 0; n < s.N; n += a.g {
			pp := a.part[(c*s.N+n)*kk : (c*s.N+n+1)*kk]
			for t, v := range pp {
				acc[t] += float64(v)
			}
		}
		d := a.dw[c*kk : (c+1)*kk]
		for t := range d {
			d[t] += float32(acc[t])
		}
	}
}

// dwBackwardWeightGo writes the K×K weight-gradient partial of every plane
// p = c*N+n into part[p*K*K:].
func dwBackwardWeightGo(part, dy, x []float32, s DWConv) {
	dwBWGoJobs.do(s.C*s.N, 1, dwGoArgs{part: part, dy: dy, x: x, s: s})
}

func dwBackwardWeightGoBody(a *dwGoArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	kk := s.K * s.K
	var bp *[]float32
	if s.ReLUIn {
		bp = getScratch(hw)
		defer putScratch(bp)
	}
	for p := lo; p < hi; p++ {
		xp := a.x[p*hw : (p+1)*hw]
		if s.ReLUIn {
			reluGo(*bp, xp)
			xp = *bp
		}
		dwPlaneWeightGo(a.part[p*kk:(p+1)*kk], a.dy[p*ohw:(p+1)*ohw], xp, s, ho, wo)
	}
}

// dwPlaneWeightGo overwrites dw (K×K) with the gradient from one plane.
func dwPlaneWeightGo(dw, dy, x []float32, s DWConv, ho, wo int) {
	K, S, D, P, W := s.K, s.Stride, s.Dilation, s.Pad, s.W
	for ki := 0; ki < K; ki++ {
		for kj := 0; kj < K; kj++ {
			off := kj*D - P
			lo, hi := validRange(off, S, W, wo)
			var acc float32
			for oh := 0; oh < ho && lo < hi; oh++ {
				ih := oh*S - P + ki*D
				if ih < 0 || ih >= s.H {
					continue
				}
				xr := x[ih*W : (ih+1)*W]
				dyr := dy[oh*wo : (oh+1)*wo]
				if S == 1 {
					xs := xr[lo+off : hi+off]
					gs := dyr[lo:hi]
					for j, g := range gs {
						acc += g * xs[j]
					}
				} else {
					for ow := lo; ow < hi; ow++ {
						acc += dyr[ow] * xr[ow*S+off]
					}
				}
			}
			dw[ki*K+kj] = acc
		}
	}
}
