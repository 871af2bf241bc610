//go:build amd64 && !noasm

package kernels

//go:generate go run gen_dws2.go

// dws2fFunc is a direct stride-2 forward kernel (gen_dws2.go): np planes
// of one channel, groups of dws2fRows output rows, weights broadcast in
// wt; buf (a plane's size) holds split rows that one group passes to the
// next (5×5 on 32-wide planes).
type dws2fFunc func(y *float32, x *float32, wt *float32, groups int, np int, buf *float32)

// dws2fTab: [K==5][D==2][W==32][relu].
var dws2fTab [2][2][2][2]dws2fFunc

// dws2fRowsTab: [K==5][D==2][W==32] the number of output rows a forward
// kernel computes at a time (a group) and the fewest groups a plane of
// more than one must have (those at its top and at its bottom that reach
// past it).
var dws2fRowsTab [2][2][2][2]int

// dws2fRows returns the rows of a group and the fewest groups of the
// forward kernel of s.
func dws2fRows(s DWConv) (rows, edge int) {
	ik, id, _ := dwIdx(s)
	r := dws2fRowsTab[ik][id][b2i(s.W == 32)]
	return r[0], r[1]
}

// dwS2Shape reports what all the direct stride-2 kernels need of s: a
// 3×3 or 5×5 filter, stride 2, "same" padding and planes 16 or 32 floats
// wide, with the direct kernels on.
func dwS2Shape(s DWConv) bool {
	return dwDirectOn && (s.K == 3 || s.K == 5) && s.Stride == 2 && 2*s.Pad == s.Dilation*(s.K-1) && (s.W == 16 || s.W == 32)
}

// dwS2OK reports whether the direct stride-2 forward kernels take s: a
// height that is a whole number of groups of output rows, one group or as
// many as the plane's edges take.
func dwS2OK(s DWConv) bool {
	if !dwS2Shape(s) || s.H <= 0 {
		return false
	}
	rows, edge := dws2fRows(s)
	groups := s.H / (2 * rows)
	return s.H%(2*rows) == 0 && (groups == 1 || groups >= edge)
}

var dwFwdS2Jobs = newJobs(dwForwardS2Body)

// dwForwardS2Body runs planes lo..hi, one kernel call per run of planes of
// one channel, with that channel's weights broadcast into a table.
func dwForwardS2Body(a *dwArgs, lo, hi int) {
	s := a.s
	hw, ohw := s.H*s.W, s.H*s.W/4
	ik, id, _ := dwIdx(s)
	fn := dws2fTab[ik][id][b2i(s.W == 32)][b2i(s.ReLUIn)]
	rows, _ := dws2fRows(s)
	if lo >= hi {
		return
	}
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	bp := getScratch(hw + 8)
	defer putScratch(bp)
	buf := aligned32(*bp)
	dws2Runs(a, lo, hi, func(p, e int, wt *float32) {
		fn(&a.y[p*ohw], &a.x[p*hw], wt, s.H/(2*rows), e-p, &buf[0])
	})
}

// dws2eFunc stores the even columns of every other row of src (rows
// rows), rectified or not (gen_dws2.go's eemit).
type dws2eFunc func(dst *float32, src *float32, rows int)

// dws2eTab: [W==32][relu].
var dws2eTab [2][2]dws2eFunc

// dwS2EE is the pass that a forward s of dilation 2 and stride 2 with
// "same" padding is on the even rows and columns of its planes (the only
// ones its taps meet): output o reads input 2o+2k-2P' = 2(o+k-P'), so it
// is the stride-1, dilation-1 forward with padding P' = (K-1)/2 over the
// plane of those rows and columns, which is the output plane's size.
func dwS2EE(s DWConv) DWConv {
	return DWConv{C: s.C, N: s.N, H: s.H / 2, W: s.W / 2, K: s.K, Stride: 1, Pad: (s.K - 1) / 2, Dilation: 1}
}

// dwS2EEOK reports whether the forward of s runs as dwS2EE: 5×5 of
// dilation 2, planes 16 or 32 wide of an even height, and the table-free
// stride-1 kernels taking the smaller plane (its height a multiple of 8).
// Against the stride-2 kernels (batch 64, one thread, alternating calls
// in one process): 5×5 1.47-1.48 on 32×32 planes (C16), 1.15-1.18 on
// 16×16 (C32); 3×3, whose taps do less with each row gathered, 0.97-1.06
// and 0.89-0.92, so it stays with them.
func dwS2EEOK(s DWConv) bool {
	if !dwS2Shape(s) || s.K != 5 || s.Dilation != 2 || s.H%2 != 0 {
		return false
	}
	e := dwS2EE(s)
	return dwDirectOK(e) && dwRowsOK(e)
}

var dwFwdS2EEJobs = newJobs(dwForwardS2EEBody)

// dwS2EEChunk is the size in floats of the buffer of gathered planes that
// dwForwardS2EEBody fills and convolves at a time: 16 KiB, in L1.
const dwS2EEChunk = 4096

// dwForwardS2EEBody runs planes lo..hi of a forward of dilation 2 and
// stride 2 (dwS2EEOK): a chunk of planes at a time, it gathers their even
// rows and columns into a buffer (rectified when the ReLU is fused) and
// runs the table-free stride-1 kernel over it into y. The stride-2
// kernels (gen_dws2.go) shift taps or sums into place; after the gather
// the stride-1 kernels take the taps with no shuffle.
func dwForwardS2EEBody(a *dwArgs, lo, hi int) {
	s := a.s
	e := dwS2EE(s)
	hw, ohw, kk := s.H*s.W, e.H*e.W, s.K*s.K
	if lo >= hi {
		return
	}
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	ik, _, _ := dwIdx(s)
	gather := dws2eTab[b2i(s.W == 32)][b2i(s.ReLUIn)]
	fn := dwdpPick(dwStreamOut(a.y, 4*(len(a.x)+len(a.y)), e), ik, 0, dwVarM0)
	t := getDWTabs(e)
	defer putDWTabs(t)
	dwS2EERuns(s, lo, hi, func(buf []float32, p, n, c int) {
		gather(&buf[0], &a.x[p*hw], n*e.H)
		dwDirectRun(fn, a.y[p*ohw:], buf, nil, &a.w[c*kk], t, e, 0, n)
	})
}

// dwS2EERuns calls run for the planes lo..hi of s in runs [p, p+n) of one
// channel c that fill at most dwS2EEChunk floats of gathered planes, with
// a 32-byte aligned buffer of that size.
func dwS2EERuns(s DWConv, lo, hi int, run func(buf []float32, p, n, c int)) {
	bp := getScratch(dwS2EEChunk + 8)
	defer putScratch(bp)
	buf := aligned32(*bp)
	per := max(1, dwS2EEChunk/(s.H*s.W/4))
	for p := lo; p < hi; {
		c := p / s.N
		n := min(hi, (c+1)*s.N, p+per) - p
		run(buf, p, n, c)
		p += n
	}
}

// dws2Runs calls run for each run [p, e) of planes lo..hi of one channel,
// with that channel's K·K weights broadcast to 8 floats each in wt.
func dws2Runs(a *dwArgs, lo, hi int, run func(p, e int, wt *float32)) {
	s := a.s
	kk := s.K * s.K
	wb := getScratch(kk * 8) // a table of the package's pool: a local array would escape through the kernel's func value
	defer putScratch(wb)
	wt := *wb
	for p := lo; p < hi; {
		c := p / s.N
		e := min(hi, (c+1)*s.N)
		for i, v := range a.w[c*kk : (c+1)*kk] {
			for l := 0; l < 8; l++ {
				wt[8*i+l] = v
			}
		}
		run(p, e, &wt[0])
		p = e
	}
}

// dws2wFunc is a direct stride-2 weight-gradient kernel (gen_dws2.go): the
// tap sums of its pass over np planes (4·pairs rows each) into out.
type dws2wFunc func(dy *float32, x *float32, out *float32, pairs int, np int)

// dws2wTab: [D==2][W==32][relu].
var dws2wTab [2][2][2]dws2wFunc

// dws2w5Tab: [D==2][W==32][relu][pass] for 5×5 filters, whose 25 tap sums
// take three passes over a group of planes (filter columns 0–1, 2–3 and
// 4; see wpasses in gen_dws2.go).
var dws2w5Tab [2][2][2][3]dws2wFunc

// dwS2WOK reports whether the direct stride-2 weight-gradient kernels take
// s: a height that is a multiple of 4 from 8 up (whole pairs of output
// rows, the first and the last apart).
func dwS2WOK(s DWConv) bool {
	return dwS2Shape(s) && s.H%4 == 0 && s.H >= 8
}

var dwBWS2Jobs = newJobs(dwBackwardWeightS2Body)

// dwBackwardWeightS2Body forms the partials of planes [lo, hi), unit
// bounds: one kernel call a dwUnit (dws2wGroup planes of a channel), whose
// K·K sums go to the partial of its first plane; for 5×5 three calls, one
// a pass, the group staying in L2 (or L3: 256 KiB of x for 64 planes of
// 32×32) between them.
func dwBackwardWeightS2Body(a *dwArgs, lo, hi int) {
	s := a.s
	hw, ohw, kk := s.H*s.W, s.H*s.W/4, s.K*s.K
	_, id, _ := dwIdx(s)
	if lo >= hi {
		return
	}
	_ = a.x[hi*hw-1]
	_ = a.dy[hi*ohw-1]
	_ = a.part[hi*kk-1]
	fns := []dws2wFunc{dws2wTab[id][b2i(s.W == 32)][b2i(s.ReLUIn)]}
	if s.K == 5 {
		fns = dws2w5Tab[id][b2i(s.W == 32)][b2i(s.ReLUIn)][:]
	}
	u := dwUnitsOf(s)
	for p := lo; p < hi; {
		e := min(hi, u.end(p))
		for _, fn := range fns {
			fn(&a.dy[p*ohw], &a.x[p*hw], &a.part[p*kk], s.H/4, e-p)
		}
		p = e
	}
}

// dwS2WEEOK reports whether the stride-2 weight gradient of s runs as
// dwS2EE: 5×5 of dilation 2 (whose taps meet the even rows and columns
// alone) on 32-wide planes, a shape the stride-2 kernels take (their
// groups of planes are the units) and the table-free stride-1
// weight-gradient kernels taking the gathered plane. Against the stride-2
// kernels (alternating calls in one process, C16 batch 64, five runs):
// 1.05-1.25 at one thread, 1.02-1.19 at two; batch 4 and 8 1.01-1.16.
// On 16-wide planes (C32) it ran 0.96-1.11 and 0.92-1.13, and 3×3, whose
// 9 taps do less with each gathered plane, 0.75-0.80: those stay with the
// stride-2 kernels.
func dwS2WEEOK(s DWConv) bool {
	return dwS2WOK(s) && s.K == 5 && s.Dilation == 2 && s.W == 32 && dwwpOK(dwS2EE(s))
}

var dwBWS2EEJobs = newJobs(dwBackwardWeightS2EEBody)

// dwBackwardWeightS2EEBody forms the partials of planes [lo, hi) (unit
// bounds, as dwBackwardWeightS2Body) of a weight gradient of dilation 2:
// a unit at a time, it gathers the even rows and columns of its planes
// into a buffer (rectified when the ReLU is fused; 64 KiB for 64 planes
// of 32×32) and runs the stride-1 table-free kernels (dwwp*) over it and
// dy, whose sums go to the partial of the unit's first plane.
func dwBackwardWeightS2EEBody(a *dwArgs, lo, hi int) {
	s := a.s
	e := dwS2EE(s)
	hw, ohw, kk := s.H*s.W, e.H*e.W, s.K*s.K
	if lo >= hi {
		return
	}
	_ = a.x[hi*hw-1]
	_ = a.dy[hi*ohw-1]
	_ = a.part[hi*kk-1]
	gather := dws2eTab[b2i(s.W == 32)][b2i(s.ReLUIn)]
	ik := s.K / 5
	passes, nbmid := dwwpWalks(e)
	t := getDWTabs(e)
	defer putDWTabs(t)
	u := dwUnitsOf(s)
	bp := getScratch(u.g*ohw + 8)
	defer putScratch(bp)
	buf := aligned32(*bp)
	for p := lo; p < hi; {
		end := min(hi, u.end(p))
		gather(&buf[0], &a.x[p*hw], (end-p)*e.H)
		for ip := range passes {
			dwwpTab[ik][0][ip][0](&buf[0], &a.dy[p*ohw], &t.mf[0], &t.ml[0], 4*e.W, e.W/8, nbmid[ip], end-p, &a.part[p*kk], 0)
		}
		p = end
	}
}

// dwS2IEEOK reports whether the stride-2 input gradient of s that adds to
// dx runs as dwS2EE (dwBackwardInputS2EEBody): 5×5 of dilation 2 on
// 16-wide planes of an even height, in runs of at least 16 planes (a
// channel's batch). Against the path by output parity that those take
// otherwise (one thread, alternating calls in one process, 16×16 planes):
// 1.23–1.47 at C16–C64 and batch 16–64 (1.18–1.45 at two threads); at
// batch 4, where each run of planes is a call of its own, 0.89. On
// 32-wide planes the direct stride-2 kernels stay: the gathered pass ran
// 0.89 of them, and 3×3 0.60 (32-wide) and 1.00 (16-wide).
func dwS2IEEOK(s DWConv) bool {
	if !dwS2Shape(s) || s.K != 5 || s.Dilation != 2 || s.W != 16 || s.H%2 != 0 || s.N < 16 {
		return false
	}
	return dwDirectOK(dwS2EE(s))
}

var dwBInS2EEJobs = newJobs(dwBackwardInputS2EEBody)

// dwBackwardInputS2EEBody adds to dx the input gradient of planes lo..hi
// of a pass of dilation 2 and stride 2 (dwS2EE): dx receives taps at its
// even rows and columns only, there the stride-1 input gradient of dy over
// the gathered plane, so a chunk of planes at a time it runs the stride-1
// kernels (setting a buffer, no ReLU) and adds the buffer to the even
// columns of dx's even rows, masked by x > 0 or NaN when the ReLU is fused
// (pwScatterS2Asm).
func dwBackwardInputS2EEBody(a *dwArgs, lo, hi int) {
	s := a.s
	e := dwS2EE(s)
	hw, ohw, kk := s.H*s.W, e.H*e.W, s.K*s.K
	if lo >= hi {
		return
	}
	_ = a.dx[hi*hw-1]
	_ = a.dy[hi*ohw-1]
	if s.ReLUIn {
		_ = a.x[hi*hw-1]
	}
	dwS2EERuns(s, lo, hi, func(buf []float32, p, n, c int) {
		// The run's planes as one channel of n, without the ReLU (dwS2EE
		// leaves it out): the buffer is set, the mask comes with the
		// scatter.
		run := e
		run.C, run.N = 1, n
		sub := dwArgs{dx: buf[:n*ohw], dy: a.dy[p*ohw : (p+n)*ohw], w: a.w[c*kk : (c+1)*kk], set: true, s: run}
		dwBackwardInputDirectBody(&sub, 0, n)
		var xr *float32
		if s.ReLUIn {
			xr = &a.x[p*hw]
		}
		pwScatterS2Asm(&a.dx[p*hw], &buf[0], xr, s.W, n*e.H, false, s.ReLUIn)
	})
}

// dws2wGroup is how many planes of a channel one dws2w call sums into a
// partial: the horizontal sums and the reduction's adds then come once a
// group, and the kernel's loop runs on without a call between planes.
// Against groups of 16 (alternating calls in one process, one thread,
// batch 64, 3×3 and 5×5, both dilations, two runs): 16×16 planes (C32)
// 1.02–1.08, 32×32 (C16) 0.99–1.05; groups of 32 gained about half as
// much, and groups of 2–8 lost (0.59–0.99), 5×5 too, whose three passes
// then find the group in L1.
const dws2wGroup = 64

// dws2iFunc is a direct stride-2 input-gradient kernel (gen_dws2.go): np
// planes of one channel, pairs = H/2 pairs of dx rows each, weights
// broadcast in wt; x is read only when the ReLU is fused.
type dws2iFunc func(dx *float32, x *float32, wt *float32, pairs int, np int, dy *float32)

// dws2iTab: [K==5][D==2][W==32][relu][set].
var dws2iTab [2][2][2][2][2]dws2iFunc

// dwS2IOK reports whether the direct stride-2 input-gradient kernels that
// add to dx take s: the shapes of dwS2ISetOK for which gen_dws2.go
// generates the adding form (see its iforms: all but 5×5 of dilation 2 on
// 16-wide planes).
func dwS2IOK(s DWConv) bool {
	if !dwS2ISetOK(s) {
		return false
	}
	ik, id, _ := dwIdx(s)
	return dws2iTab[ik][id][b2i(s.W == 32)][b2i(s.ReLUIn)][0] != nil
}

// dwS2ISetOK reports whether the direct stride-2 kernels that set dx take
// s: 3×3 or 5×5, "same" padding, planes 16 or 32 wide and an even height
// from 4 (the first and the last pair of dx rows, which reach past the
// plane's dy rows, apart), at least 4 pairs of dx rows for 5×5 of
// dilation 2 (whose first and last two pairs reach past the dy rows). They
// write every element of dx, dilation 2 included (zeros where no tap
// reaches).
func dwS2ISetOK(s DWConv) bool {
	return dwS2Shape(s) && s.H%2 == 0 && s.H >= 4*((s.Pad+1)/2)
}

var dwBInS2Jobs = newJobs(dwBackwardInputS2Body)

// dwBackwardInputS2Body runs planes lo..hi, one kernel call per run of
// planes of one channel (as dwForwardS2Body).
func dwBackwardInputS2Body(a *dwArgs, lo, hi int) {
	s := a.s
	hw, ohw := s.H*s.W, s.H*s.W/4
	ik, id, _ := dwIdx(s)
	fn := dws2iTab[ik][id][b2i(s.W == 32)][b2i(s.ReLUIn)][b2i(a.set)]
	if lo >= hi {
		return
	}
	_ = a.dx[hi*hw-1]
	_ = a.dy[hi*ohw-1]
	xs := a.dx // not read without the ReLU
	if s.ReLUIn {
		_ = a.x[hi*hw-1]
		xs = a.x
	}
	dws2Runs(a, lo, hi, func(p, e int, wt *float32) {
		fn(&a.dx[p*hw], &xs[p*hw], wt, s.H/2, e-p, &a.dy[p*ohw])
	})
}
