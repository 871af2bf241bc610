package kernels

// Pointwise (1×1) convolution on channel-major activations. With x stored
// (Cin, N, H, W) the whole batch is one matrix X[Cin, N·H·W], so the
// convolution is the single product Y[Cout, P] = W[Cout, Cin] · X[Cin, P],
// P = N·Ho·Wo, and Y comes out channel-major. A strided or offset 1×1
// convolution (FactorizedReduce) or one with a ReLU on its input first
// gathers the sampled, rectified input into a work buffer.

// PWConv describes a pointwise convolution. Stride 0 is taken as 1.
type PWConv struct {
	Cin, Cout, N, H, W int
	Stride             int // 1 or 2
	Offset             int // samples x at (Offset+Stride*i, Offset+Stride*j)
	ReLUIn             bool
}

func (s PWConv) norm() PWConv {
	if s.Stride <= 0 {
		s.Stride = 1
	}
	return s
}

// OutH is the output height (H-Offset-1)/Stride+1.
func (s PWConv) OutH() int { s = s.norm(); return (s.H-s.Offset-1)/s.Stride + 1 }

// OutW is the output width (W-Offset-1)/Stride+1.
func (s PWConv) OutW() int { s = s.norm(); return (s.W-s.Offset-1)/s.Stride + 1 }

func (s PWConv) gathers() bool { return s.Stride != 1 || s.Offset != 0 || s.ReLUIn }

// WorkSize is the number of scratch floats the pointwise kernels need: the
// gathered input Cin·N·Ho·Wo when the input is strided, offset or
// rectified, else 0.
func (s PWConv) WorkSize() int {
	s = s.norm()
	if !s.gathers() {
		return 0
	}
	return s.Cin * s.N * s.OutH() * s.OutW()
}

func (s PWConv) check(name string, ny, nx, nw, nwork int) {
	if s.Cin <= 0 || s.Cout <= 0 || s.N < 0 || s.H <= 0 || s.W <= 0 || s.Offset < 0 ||
		s.OutH() <= 0 || s.OutW() <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	if ny < s.Cout*s.N*s.OutH()*s.OutW() || nx < s.Cin*s.N*s.H*s.W || nw < s.Cout*s.Cin ||
		nwork < s.WorkSize() {
		panic("kernels: " + name + ": slice too short")
	}
}

func init() {
	registerKernel("PointwiseConv", haveAsm)
	registerKernel("PointwiseConvBackwardInput", haveAsm)
	registerKernel("PointwiseConvBackwardWeight", haveAsm)
}

// pwArgs are the arguments of the gather / scatter jobs.
type pwArgs struct {
	g, x, dx []float32
	s        PWConv
}

var (
	pwGatherJobs  = newJobs(pwGatherBody)
	pwScatterJobs = newJobs(pwScatterBody)
)

// pwS2Asm reports whether the stride-2 assembly gather/scatter handle s.
func pwS2Asm(s PWConv) bool {
	return useAsm && s.Stride == 2 && s.Offset <= 1 && s.W%16 == 0
}

// pwGather writes the sampled (and rectified when s.ReLUIn) input
// (Cin, N, Ho, Wo) into g.
func pwGather(g, x []float32, s PWConv) {
	if s.Stride == 1 && s.Offset == 0 { // ReLU only: one contiguous pass
		n := s.Cin * s.N * s.H * s.W
		reluJobs.do(n, ewGrain, ewArgs{d: g[:n], x: x[:n]})
		return
	}
	ohw := s.OutH() * s.OutW()
	pwGatherJobs.do(s.Cin*s.N, max(1, ewGrain/max(ohw, 1)), pwArgs{g: g, x: x, s: s})
}

// pwGatherBody gathers planes [lo, hi).
func pwGatherBody(a *pwArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	for p := lo; p < hi; p++ {
		xp := a.x[p*hw : (p+1)*hw]
		gp := a.g[p*ohw : (p+1)*ohw]
		if pwS2Asm(s) {
			_ = xp[s.Offset*s.W+(2*ho-2)*s.W+s.W-1]
			pwGatherS2Asm(&gp[0], &xp[s.Offset*s.W], s.W, ho, s.Offset == 1, s.ReLUIn)
			continue
		}
		for i := 0; i < ho; i++ {
			xr := xp[(s.Offset+s.Stride*i)*s.W:]
			gr := gp[i*wo : (i+1)*wo]
			for j := range gr {
				v := xr[s.Offset+s.Stride*j]
				if s.ReLUIn {
					v = relu1(v)
				}
				gr[j] = v
			}
		}
	}
}

// pwScatterBody adds the gathered-layout gradient planes [lo, hi) of a.g
// into dx at the sampled positions (masked by x > 0 or NaN when s.ReLUIn).
func pwScatterBody(a *pwArgs, lo, hi int) {
	s := a.s
	ho, wo := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, ho*wo
	for p := lo; p < hi; p++ {
		dxp := a.dx[p*hw : (p+1)*hw]
		gp := a.g[p*ohw : (p+1)*ohw]
		var xp []float32
		if s.ReLUIn {
			xp = a.x[p*hw : (p+1)*hw]
		}
		if pwS2Asm(s) {
			o := s.Offset * s.W
			_ = dxp[o+(2*ho-2)*s.W+s.W-1]
			var xr *float32
			if s.ReLUIn {
				xr = &xp[o]
			}
			pwScatterS2Asm(&dxp[o], &gp[0], xr, s.W, ho, s.Offset == 1, s.ReLUIn)
			continue
		}
		for i := 0; i < ho; i++ {
			o := (s.Offset+s.Stride*i)*s.W + s.Offset
			gr := gp[i*wo : (i+1)*wo]
			if s.ReLUIn {
				xr := xp[o:]
				for j, v := range gr {
					if reluPasses(xr[s.Stride*j]) {
						dxp[o+s.Stride*j] += v
					}
				}
			} else {
				for j, v := range gr {
					dxp[o+s.Stride*j] += v
				}
			}
		}
	}
}

// PointwiseConv computes y[Cout, N·Ho·Wo] = w[Cout, Cin] · relu?(x sampled),
// overwriting y. work must hold s.WorkSize() floats.
func PointwiseConv(y, x, w []float32, s PWConv, work []float32) {
	s = s.norm()
	s.check("PointwiseConv", len(y), len(x), len(w), len(work))
	P := s.N * s.OutH() * s.OutW()
	xin := x
	if s.gathers() {
		pwGather(work, x, s)
		xin = work
	}
	mm(false, false, s.Cout, P, s.Cin, 1, w, s.Cin, xin, P, 0, y, P)
}

// PointwiseConvBackwardInput accumulates dx += wᵀ·dy at the sampled
// positions, masked by x > 0 or NaN when s.ReLUIn (x is read only then).
func PointwiseConvBackwardInput(dx, dy, w, x []float32, s PWConv, work []float32) {
	s = s.norm()
	s.check("PointwiseConvBackwardInput", len(dy), len(dx), len(w), len(work))
	if s.ReLUIn && len(x) < s.Cin*s.N*s.H*s.W {
		panic("kernels: PointwiseConvBackwardInput: x too short")
	}
	ho, wo := s.OutH(), s.OutW()
	P := s.N * ho * wo
	if !s.gathers() {
		mm(true, false, s.Cin, P, s.Cout, 1, w, s.Cin, dy, P, 1, dx, P)
		return
	}
	g := work[:s.Cin*P]
	mm(true, false, s.Cin, P, s.Cout, 1, w, s.Cin, dy, P, 0, g, P)
	if s.Stride == 1 && s.Offset == 0 { // here s.ReLUIn holds: one contiguous pass
		n := s.Cin * s.N * s.H * s.W
		reluBackJobs.do(n, ewGrain, ewArgs{d: dx[:n], x: g[:n], y: x[:n]})
		return
	}
	pwScatterJobs.do(s.Cin*s.N, max(1, ewGrain/max(ho*wo, 1)), pwArgs{g: g, x: x, dx: dx, s: s})
}

// PointwiseConvBackwardWeight accumulates dw[Cout, Cin] += dy · relu?(x
// sampled)ᵀ.
func PointwiseConvBackwardWeight(dw, dy, x []float32, s PWConv, work []float32) {
	s = s.norm()
	s.check("PointwiseConvBackwardWeight", len(dy), len(x), len(dw), len(work))
	P := s.N * s.OutH() * s.OutW()
	xin := x
	if s.gathers() {
		pwGather(work, x, s)
		xin = work
	}
	mm(false, true, s.Cout, s.Cin, P, 1, dy, P, xin, P, 1, dw, s.Cin)
}
