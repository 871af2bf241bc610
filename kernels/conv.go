package kernels

// Dense convolution (the stem 3×3 and the auxiliary head's 2×2) through
// im2col and one matrix product over the whole batch: with channel-major x
// the column matrix is col[Cin·KH·KW, N·Ho·Wo] and the product
// W[Cout, Cin·KH·KW] · col is already the channel-major output.

// Conv describes a dense 2-D convolution; w is (Cout, Cin, KH, KW). Stride
// and Dilation of 0 are taken as 1.
type Conv struct{ Cin, Cout, N, H, W, KH, KW, Stride, Pad, Dilation int }

func (s Conv) norm() Conv {
	if s.Stride <= 0 {
		s.Stride = 1
	}
	if s.Dilation <= 0 {
		s.Dilation = 1
	}
	return s
}

// OutH is the output height (H+2Pad-Dilation*(KH-1)-1)/Stride+1.
func (s Conv) OutH() int {
	s = s.norm()
	return (s.H+2*s.Pad-s.Dilation*(s.KH-1)-1)/s.Stride + 1
}

// OutW is the output width (W+2Pad-Dilation*(KW-1)-1)/Stride+1.
func (s Conv) OutW() int {
	s = s.norm()
	return (s.W+2*s.Pad-s.Dilation*(s.KW-1)-1)/s.Stride + 1
}

func (s Conv) direct() bool {
	return s.KH == 1 && s.KW == 1 && s.Stride == 1 && s.Pad == 0
}

// WorkSize is the number of scratch floats the convolution kernels need:
// the column matrix Cin·KH·KW·N·Ho·Wo (0 for an unpadded 1×1 stride-1
// convolution, which multiplies x directly).
func (s Conv) WorkSize() int {
	s = s.norm()
	if s.direct() {
		return 0
	}
	return s.Cin * s.KH * s.KW * s.N * s.OutH() * s.OutW()
}

func (s Conv) check(name string, ny, nx, nw, nwork int) {
	if s.Cin <= 0 || s.Cout <= 0 || s.N < 0 || s.H <= 0 || s.W <= 0 || s.KH <= 0 || s.KW <= 0 ||
		s.Pad < 0 || s.OutH() <= 0 || s.OutW() <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	if ny < s.Cout*s.N*s.OutH()*s.OutW() || nx < s.Cin*s.N*s.H*s.W ||
		nw < s.Cout*s.Cin*s.KH*s.KW || nwork < s.WorkSize() {
		panic("kernels: " + name + ": slice too short")
	}
}

func init() {
	registerKernel("Conv2D", haveAsm)
	registerKernel("Conv2DBackwardInput", haveAsm)
	registerKernel("Conv2DBackwardWeight", haveAsm)
}

// colArgs are the arguments of the im2col / col2im jobs.
type colArgs struct {
	col, x []float32
	s      Conv
}

var (
	im2colJobs = newJobs(im2colBody)
	col2imJobs = newJobs(col2imBody)
)

// im2col writes col[(ci·KH+ki)·KW+kj][n·Ho·Wo + oh·Wo + ow].
func im2col(col, x []float32, s Conv) {
	ohw := s.OutH() * s.OutW()
	im2colJobs.do(s.Cin*s.KH*s.KW*s.N, max(1, ewGrain/max(ohw, 1)), colArgs{col: col, x: x, s: s})
}

func im2colBody(a *colArgs, lo, hi int) {
	col, x, s := a.col, a.x, a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	P := s.N * ohw
	khw := s.KH * s.KW
	for t := lo; t < hi; t++ {
		r, n := t/s.N, t%s.N
		ci, kk := r/khw, r%khw
		ki, kj := kk/s.KW, kk%s.KW
		xp := x[(ci*s.N+n)*hw : (ci*s.N+n+1)*hw]
		cp := col[r*P+n*ohw : r*P+(n+1)*ohw]
		off := kj*s.Dilation - s.Pad
		jlo, jhi := validRange(off, s.Stride, s.W, wo)
		for oh := 0; oh < ho; oh++ {
			cr := cp[oh*wo : (oh+1)*wo]
			ih := oh*s.Stride - s.Pad + ki*s.Dilation
			if ih < 0 || ih >= s.H {
				for j := range cr {
					cr[j] = 0
				}
				continue
			}
			xr := xp[ih*s.W : (ih+1)*s.W]
			for j := 0; j < jlo; j++ {
				cr[j] = 0
			}
			for j := jlo; j < jhi; j++ {
				cr[j] = xr[j*s.Stride+off]
			}
			for j := jhi; j < wo; j++ {
				cr[j] = 0
			}
		}
	}
}

// col2im accumulates the column matrix back into dx.
func col2im(dx, col []float32, s Conv) {
	khw, ohw := s.KH*s.KW, s.OutH()*s.OutW()
	col2imJobs.do(s.Cin*s.N, max(1, ewGrain/max(khw*ohw, 1)), colArgs{col: col, x: dx, s: s})
}

// col2imBody: dx in a.x.
func col2imBody(a *colArgs, lo, hi int) {
	dx, col, s := a.x, a.col, a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	P := s.N * ohw
	khw := s.KH * s.KW
	for p := lo; p < hi; p++ {
		ci, n := p/s.N, p%s.N
		dxp := dx[p*hw : (p+1)*hw]
		for kk := 0; kk < khw; kk++ {
			ki, kj := kk/s.KW, kk%s.KW
			r := ci*khw + kk
			cp := col[r*P+n*ohw : r*P+(n+1)*ohw]
			off := kj*s.Dilation - s.Pad
			jlo, jhi := validRange(off, s.Stride, s.W, wo)
			for oh := 0; oh < ho; oh++ {
				ih := oh*s.Stride - s.Pad + ki*s.Dilation
				if ih < 0 || ih >= s.H {
					continue
				}
				dr := dxp[ih*s.W : (ih+1)*s.W]
				cr := cp[oh*wo : (oh+1)*wo]
				for j := jlo; j < jhi; j++ {
					dr[j*s.Stride+off] += cr[j]
				}
			}
		}
	}
}

// Conv2D computes y = conv(x, w), overwriting y. work must hold
// s.WorkSize() floats.
func Conv2D(y, x, w []float32, s Conv, work []float32) {
	s = s.norm()
	s.check("Conv2D", len(y), len(x), len(w), len(work))
	P := s.N * s.OutH() * s.OutW()
	ck := s.Cin * s.KH * s.KW
	col := x
	if !s.direct() {
		col = work[:ck*P]
		im2col(col, x, s)
	}
	mm(false, false, s.Cout, P, ck, 1, w, ck, col, P, 0, y, P)
}

// Conv2DBackwardInput accumulates dx += convᵀ(dy, w).
func Conv2DBackwardInput(dx, dy, w []float32, s Conv, work []float32) {
	s = s.norm()
	s.check("Conv2DBackwardInput", len(dy), len(dx), len(w), len(work))
	P := s.N * s.OutH() * s.OutW()
	ck := s.Cin * s.KH * s.KW
	if s.direct() {
		mm(true, false, ck, P, s.Cout, 1, w, ck, dy, P, 1, dx, P)
		return
	}
	col := work[:ck*P]
	mm(true, false, ck, P, s.Cout, 1, w, ck, dy, P, 0, col, P)
	col2im(dx, col, s)
}

// Conv2DBackwardWeight accumulates dw += dy · im2col(x)ᵀ.
func Conv2DBackwardWeight(dw, dy, x []float32, s Conv, work []float32) {
	s = s.norm()
	s.check("Conv2DBackwardWeight", len(dy), len(x), len(dw), len(work))
	P := s.N * s.OutH() * s.OutW()
	ck := s.Cin * s.KH * s.KW
	col := x
	if !s.direct() {
		col = work[:ck*P]
		im2col(col, x, s)
	}
	mm(false, true, s.Cout, ck, P, 1, dy, P, col, P, 1, dw, ck)
}
