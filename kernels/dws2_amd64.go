//go:build amd64 && !noasm

package kernels

//go:generate go run gen_dws2.go

// dws2fFunc is a direct stride-2 forward kernel (gen_dws2.go): np planes
// of one channel, groups of dws2Rows(W) output rows, weights broadcast in
// wt.
type dws2fFunc func(y *float32, x *float32, wt *float32, groups int, np int)

// dws2Rows is the number of output rows the kernels for width W compute at
// a time (8 accumulators: 8 rows of one vector, or 4 rows of two).
func dws2Rows(W int) int { return 128 / W }

// dws2fTab: [K==5][D==2][W==32][relu].
var dws2fTab [2][2][2][2]dws2fFunc

// dwS2Shape reports what all the direct stride-2 kernels need of s: a
// 3×3 or 5×5 filter, stride 2, "same" padding and planes 16 or 32 floats
// wide, with the direct kernels on.
func dwS2Shape(s DWConv) bool {
	return dwDirectOn && (s.K == 3 || s.K == 5) && s.Stride == 2 && 2*s.Pad == s.Dilation*(s.K-1) && (s.W == 16 || s.W == 32)
}

// dwS2OK reports whether the direct stride-2 forward kernels take s: a
// height that is a whole number of groups of output rows.
func dwS2OK(s DWConv) bool {
	return dwS2Shape(s) && s.H > 0 && s.H%(2*dws2Rows(s.W)) == 0
}

var dwFwdS2Jobs = newJobs(dwForwardS2Body)

// dwForwardS2Body runs planes lo..hi, one kernel call per run of planes of
// one channel, with that channel's weights broadcast into a table.
func dwForwardS2Body(a *dwArgs, lo, hi int) {
	s := a.s
	hw, ohw := s.H*s.W, s.H*s.W/4
	ik, id, _ := dwIdx(s)
	fn := dws2fTab[ik][id][b2i(s.W == 32)][b2i(s.ReLUIn)]
	if lo >= hi {
		return
	}
	_ = a.x[hi*hw-1]
	_ = a.y[hi*ohw-1]
	dws2Runs(a, lo, hi, func(p, e int, wt *float32) {
		fn(&a.y[p*ohw], &a.x[p*hw], wt, s.H/(2*dws2Rows(s.W)), e-p)
	})
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
// a pass, the group staying in L2 between them.
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

// dws2wGroup is how many planes of a channel one dws2w call sums into a
// partial: the horizontal sums and the reduction's adds then come once a
// group; a group's x (64 KiB) stays in L2.
const dws2wGroup = 16

// dws2iFunc is a direct stride-2 input-gradient kernel (gen_dws2.go): np
// planes of one channel, pairs = H/2 pairs of dx rows each, weights
// broadcast in wt; x is read only when the ReLU is fused.
type dws2iFunc func(dx *float32, x *float32, wt *float32, pairs int, np int, dy *float32)

// dws2iTab: [K==5][D==2][W==32][relu][set].
var dws2iTab [2][2][2][2][2]dws2iFunc

// dwS2IOK reports whether the direct stride-2 input-gradient kernels that
// add to dx take s: 3×3, or 5×5 with dilation 1 (see gen_dws2.go's
// ikerns), "same" padding, planes 16 or 32 wide and an even height from
// 4 (the first and the last pair of dx rows, which reach past the plane's
// dy rows, apart).
func dwS2IOK(s DWConv) bool {
	return (s.K == 3 || s.K == 5 && s.Dilation == 1) && dwS2ISetOK(s)
}

// dwS2ISetOK reports whether the direct stride-2 kernels that set dx take
// s: 3×3 or 5×5 with the conditions of dwS2IOK, the height reaching at
// least 4 pairs of dx rows for 5×5 of dilation 2 (whose first and last two
// pairs reach past the dy rows). They write every element of dx,
// dilation 2 included (zeros where no tap reaches).
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
