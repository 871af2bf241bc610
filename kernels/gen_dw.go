//go:build ignore

// gen_dw writes dw_amd64.s, the AVX2/FMA depthwise-convolution block
// kernels, fully unrolled over the filter taps and output rows:
//
//	go run gen_dw.go
//
// Forward kernel dwf<K>D<D>S<S>R<R>M<mode> computes R output rows × 8·nv
// columns from a padded input buffer (rows ldx bytes apart; the column of
// tap kj given in bytes by coff[kj]; stride-2 buffers hold each row's even
// and odd columns in two halves, so every load is contiguous). For each tap
// column kj the K weights w[·][kj] are broadcast into registers, and each
// input row vector is loaded once and multiplied into every output row it
// feeds (up to K of them). Modes: 0 stores the result, 1 adds it to the
// output, 2 adds it where the mask plane m is > 0 (backward input through a
// ReLU).
//
// Weight-gradient kernels dww* (padded buffer, any stride), dwwd* and
// dwwp* (direct, stride 1, K = 3) sum dy·x for each tap over blocks of R
// output rows × 8·nv columns of a plane, keeping the sums of K·nk taps in
// registers over the whole plane, and store them to out.
//
// The direct kernels (dwdf*, dwdp*, dwwd*, dwwp*, dwdr*) read unpadded
// planes in place; see the comments at dfwd, dint, dbwdw and dbwdwp.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
)

var b bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

func label(s string) { fmt.Fprintf(&b, "%s:\n", s) }

// header starts the text of func name(args), whose arguments take frame
// bytes.
func header(name, args string, frame int) { headerLocals(name, args, 0, frame) }

// headerLocals is header for a function with locals bytes of locals on
// its stack frame (no NOSPLIT then: the stack check makes room for them).
func headerLocals(name, args string, locals, frame int) {
	fmt.Fprintf(&b, "// func %s(%s)\n", name, args)
	if locals == 0 {
		fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
		return
	}
	fmt.Fprintf(&b, "TEXT ·%s(SB), $%d-%d\n", name, locals, frame)
}

type user struct{ oh, ki int }

// tapFMA emits one input vector's contribution to the accumulators: the
// load of the vector at src (masked through the register mask when mask is
// not empty, rectified against Y13 when relu) and, for each use x, an FMA
// of it with mul(x) into acc(x). The vector goes through Y15 unless one
// use of a plain load can read it as the FMA's memory operand.
func tapFMA(src, mask string, relu bool, us []user, mul, acc func(user) string) {
	reg := tapLoad(src, mask, relu, len(us))
	for _, x := range us {
		p("VFMADD231PS %s, %s, %s", reg, mul(x), acc(x))
	}
}

// tapLoad emits the load of tapFMA and tapInit for n uses and returns the
// operand that holds the vector: Y15, or src itself for one use of a plain
// load. The ReLU (zero in Y13) takes x as VMAXPS's second source (relu1 in
// elementwise.go), which for a plain load is the memory operand: one
// instruction instead of a load and a max (3×3 forward, batch 64, one
// thread, alternating calls in one process: 1.04–1.16 where the planes are
// not at the memory's speed).
func tapLoad(src, mask string, relu bool, n int) string {
	reg := "Y15"
	switch {
	case mask != "":
		p("VMASKMOVPS %s, %s, Y15", src, mask)
		if relu {
			p("VMAXPS Y15, Y13, Y15")
		}
	case relu:
		p("VMAXPS %s, Y13, Y15", src)
	case n > 1:
		p("VMOVUPS %s, Y15", src)
	default:
		reg = src
	}
	return reg
}

// tapInit is tapFMA for kernels whose accumulators are output rows that
// starts each row's sum with a VMULPS instead of clearing it first: inited
// tells which rows hold a sum.
func tapInit(src, mask string, relu bool, us []user, mul, acc func(user) string, inited []bool) {
	reg := tapLoad(src, mask, relu, len(us))
	for _, x := range us {
		if inited[x.oh] {
			p("VFMADD231PS %s, %s, %s", reg, mul(x), acc(x))
			continue
		}
		p("VMULPS %s, %s, %s", reg, mul(x), acc(x))
		inited[x.oh] = true
	}
}

// rowWalk steps a pointer register down rows of pitch R9 two at a time.
type rowWalk struct {
	reg string
	at  int // the row reg points at
}

// row emits the LEAQs that bring the register within one row of row i (at
// or after the current one) and returns the operand of row i at byte
// offset off: the register's row, or the next through (reg)(R9*1).
func (w *rowWalk) row(i, off int) string {
	for ; i-w.at >= 2; w.at += 2 {
		p("LEAQ (%s)(R9*2), %s", w.reg, w.reg)
	}
	if i > w.at {
		return fmt.Sprintf("%d(%s)(R9*1)", off, w.reg)
	}
	return fmt.Sprintf("%d(%s)", off, w.reg)
}

// The kernels that correlate dR output rows at once (dfwd, dint, drect)
// keep output row oh in Y(oh) and tap row ki's broadcast weight in
// Y(dR+ki); wTap and outAcc name those for tapFMA.
func accReg(oh int) string { return fmt.Sprintf("Y%d", oh) }
func wReg(ki int) string   { return fmt.Sprintf("Y%d", dR+ki) }
func wTap(x user) string   { return wReg(x.ki) }
func outAcc(x user) string { return accReg(x.oh) }

// startColumn emits what dfwd, dint and drect do before tap column kj of
// a rows×cols filter (row-major at DX): the accumulators cleared for the
// first column, then the column's weights broadcast.
func startColumn(kj, rows, cols int) {
	if kj == 0 {
		for oh := 0; oh < dR; oh++ {
			p("VXORPS %s, %s, %s", accReg(oh), accReg(oh), accReg(oh))
		}
	}
	for ki := 0; ki < rows; ki++ {
		p("VBROADCASTSS %d(DX), %s", 4*(ki*cols+kj), wReg(ki))
	}
}

// users lists, for each input row offset i of a block, the (output row, tap
// row) pairs it feeds.
func users(K, D, S, R int) [][]user {
	n := (R-1)*S + (K-1)*D + 1
	u := make([][]user, n)
	for oh := 0; oh < R; oh++ {
		for ki := 0; ki < K; ki++ {
			i := oh*S + ki*D
			u[i] = append(u[i], user{oh, ki})
		}
	}
	return u
}

func fwd(K, D, S, R, mode int) {
	name := fmt.Sprintf("dwfK%dD%dS%dR%dM%d", K, D, S, R, mode)
	header(name, "y *float32, ldy int, x *float32, ldx int, w *float32, coff *int, nv int, m *float32, ldm int", 72)
	p("MOVQ y+0(FP), DI")
	p("MOVQ ldy+8(FP), R8")
	p("MOVQ x+16(FP), SI")
	p("MOVQ ldx+24(FP), R9")
	p("MOVQ w+32(FP), DX")
	p("MOVQ coff+40(FP), R10")
	p("MOVQ nv+48(FP), CX")
	if mode == 2 {
		p("MOVQ m+56(FP), R11")
		p("MOVQ ldm+64(FP), R12")
	}
	acc := func(oh int) string { return fmt.Sprintf("Y%d", oh) }
	wr := func(ki int) string { return fmt.Sprintf("Y%d", R+ki) }
	u := users(K, D, S, R)
	l := name + "_loop"
	label(l)
	// Each output row's first product is a VMULPS; AX walks the input
	// rows two at a time.
	inited := make([]bool, R)
	for kj := 0; kj < K; kj++ {
		p("MOVQ SI, AX")
		p("ADDQ %d(R10), AX", 8*kj)
		for ki := 0; ki < K; ki++ {
			p("VBROADCASTSS %d(DX), %s", 4*(ki*K+kj), wr(ki))
		}
		xw := rowWalk{reg: "AX"}
		for i, us := range u {
			if len(us) > 0 {
				tapInit(xw.row(i, 0), "", false, us, func(x user) string { return wr(x.ki) }, func(x user) string { return acc(x.oh) }, inited)
			}
		}
	}
	for oh := 0; oh < R; oh++ {
		if !inited[oh] {
			p("VXORPS %s, %s, %s", acc(oh), acc(oh), acc(oh))
		}
	}
	p("MOVQ DI, BX")
	if mode == 2 {
		p("MOVQ R11, R13")
		p("VXORPS Y14, Y14, Y14")
	}
	for oh := 0; oh < R; oh++ {
		switch mode {
		case 1:
			p("VADDPS (BX), %s, %s", acc(oh), acc(oh))
		case 2:
			p("VCMPPS $0x19, (R13), Y14, Y13") // Y13 = !(0 >= m): m > 0 or NaN (reluPasses)
			p("VANDPS Y13, %s, %s", acc(oh), acc(oh))
			p("VADDPS (BX), %s, %s", acc(oh), acc(oh))
		}
		p("VMOVUPS %s, (BX)", acc(oh))
		if oh < R-1 {
			p("ADDQ R8, BX")
			if mode == 2 {
				p("ADDQ R12, R13")
			}
		}
	}
	p("ADDQ $32, SI")
	p("ADDQ $32, DI")
	if mode == 2 {
		p("ADDQ $32, R11")
	}
	p("DECQ CX")
	p("JNZ %s", l)
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// dbwdw emits dwwdK<K>D<D>R<R>[X](x *float32, intab *int, dy *float32,
// lddy int, mf, ml *int32, nv, nb int, out *float32), the direct stride-1
// "same" weight gradient for K = 3: nb blocks of R dy rows × nv vectors,
// the nine tap sums in registers over the whole call, stored to out. The
// input rows are read in place through the row table intab (as dwdf; rows
// outside the plane point at a zero row) and the taps of the first and last
// vector that reach past the row ends are masked loads; X (relu)
// rectifies every input vector as it is loaded. No plane is copied.
func dbwdw(K, D, R int, relu bool) {
	P := D * (K - 1) / 2
	name := fmt.Sprintf("dwwdK%dD%dR%d", K, D, R)
	if relu {
		name += "X"
	}
	nacc := K * K
	if nacc+R+3 > 16 {
		panic("dbwdw: too many registers")
	}
	header(name, "x *float32, intab *int, dy *float32, lddy int, mf, ml *int32, nv, nb int, out *float32", 72)
	acc := func(ki, kj int) string { return fmt.Sprintf("Y%d", ki*K+kj) }
	dyr := func(oh int) string { return fmt.Sprintf("Y%d", nacc+oh) }
	for ki := 0; ki < K; ki++ {
		for kj := 0; kj < K; kj++ {
			p("VXORPS %s, %s, %s", acc(ki, kj), acc(ki, kj), acc(ki, kj))
		}
	}
	if relu {
		p("VXORPS Y13, Y13, Y13")
	}
	p("MOVQ intab+8(FP), SI")
	p("MOVQ dy+16(FP), DI")
	p("MOVQ lddy+24(FP), R9")
	p("MOVQ nb+56(FP), R10")
	u := users(K, D, 1, R)
	body := func(edge bool) {
		p("MOVQ R11, BX")
		for oh := 0; oh < R; oh++ {
			p("VMOVUPS (BX), %s", dyr(oh))
			if oh < R-1 {
				p("ADDQ R9, BX")
			}
		}
		for i, us := range u {
			if len(us) == 0 {
				continue
			}
			p("MOVQ %d(SI), AX", 8*i)
			for kj := 0; kj < K; kj++ {
				off := 4 * (kj*D - P)
				mask := ""
				if edge && off != 0 {
					p("VMOVDQU %d(R12), Y14", 32*kj)
					mask = "Y14"
				}
				tapFMA(fmt.Sprintf("%d(R8)(AX*1)", off), mask, relu, us,
					func(x user) string { return dyr(x.oh) }, func(x user) string { return acc(x.ki, kj) })
			}
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R11")
	}
	label(name + "_block")
	p("MOVQ x+0(FP), R8")
	p("MOVQ DI, R11")
	p("MOVQ nv+48(FP), CX")
	p("MOVQ mf+32(FP), R12")
	label(name + "_edge")
	body(true)
	p("DECQ CX")
	p("JZ %s_bdone", name)
	p("CMPQ CX, $1")
	p("JEQ %s_last", name)
	label(name + "_mid")
	body(false)
	p("DECQ CX")
	p("CMPQ CX, $1")
	p("JNE %s_mid", name)
	label(name + "_last")
	p("MOVQ ml+40(FP), R12")
	p("JMP %s_edge", name)
	label(name + "_bdone")
	p("ADDQ $%d, SI", 8*R)
	p("IMUL3Q $%d, R9, BX", R)
	p("ADDQ BX, DI")
	p("DECQ R10")
	p("JNZ %s_block", name)
	p("MOVQ out+64(FP), DX")
	for ki := 0; ki < K; ki++ {
		for kj := 0; kj < K; kj++ {
			a := acc(ki, kj)
			x := "X" + a[1:]
			p("VEXTRACTF128 $1, %s, X15", a)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVHLPS %s, %s, X15", x, x)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVSHDUP %s, X15", x)
			p("VADDSS X15, %s, %s", x, x)
			p("VMOVSS %s, %d(DX)", x, 4*(ki*K+kj))
		}
	}
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// Vector kinds of the table-free direct kernels: which taps reach past the
// row ends and load masked.
const (
	edgeNone  = iota // a vector inside the row
	edgeFirst        // the first vector of a row of several: taps left of it
	edgeLast         // the last vector: taps right of it
	edgeBoth         // the only vector: both
)

// edgeMasked reports whether a tap at byte offset off loads masked in a
// vector of kind edge.
func edgeMasked(edge, off int) bool {
	switch edge {
	case edgeFirst:
		return off < 0
	case edgeLast:
		return off > 0
	case edgeBoth:
		return off != 0
	}
	return false
}

// pfStep emits one step of a prefetch stream: unless the argument pfd is
// 0 (then it jumps over), it prefetches lines cache lines at R14 and as
// many at R14 plus each offset that a set emits into a register (returned),
// then moves R14 on by as many lines.
func pfStep(name, pfd string, lines int, sets ...func() string) {
	pfSteps++
	skip := fmt.Sprintf("%s_nopf%d", name, pfSteps)
	p("CMPQ %s, $0", pfd)
	p("JEQ %s", skip)
	at := func(idx string) {
		for l := 0; l < lines; l++ {
			if idx == "" {
				p("PREFETCHT0 %d(R14)", 64*l)
			} else {
				p("PREFETCHT0 %d(R14)(%s*1)", 64*l, idx)
			}
		}
	}
	at("")
	for _, set := range sets {
		at(set())
	}
	p("ADDQ $%d, R14", 64*lines)
	label(skip)
}

// pfSteps numbers the labels of pfStep.
var pfSteps int

// halfPitch emits reg = R9/2: with dilation 2 the dwwp and dwdp kernels
// keep the pitch of one parity's rows (two plane rows) in R9, and step
// between the parities by one plane row.
func halfPitch(reg string) {
	p("MOVQ R9, %s", reg)
	p("SHRQ $1, %s", reg)
}

// argInAX returns a pfStep offset: the argument arg, loaded into AX.
func argInAX(arg string) func() string {
	return func() string { p("MOVQ %s, AX", arg); return "AX" }
}

// vecLoop emits the loop over the nv vectors of a row block: body(pos,
// kind) for the first vector (with the mask table mf in R12), the vectors
// inside, and the last (ml), or, if one, the only one (mf, which then
// covers both ends; without one nv must be at least 2); start sets up the
// column pointers. Counts in CX.
func vecLoop(l string, pos int, body func(pos, edge int), nv, mf, ml string, one bool, start func()) {
	start()
	p("MOVQ %s, CX", nv)
	if one {
		p("CMPQ CX, $1")
		p("JEQ %s_one", l)
	}
	p("MOVQ %s, R12", mf)
	body(pos, edgeFirst)
	p("DECQ CX")
	p("CMPQ CX, $1")
	p("JEQ %s_last", l)
	label(l + "_mid")
	body(pos, edgeNone)
	p("DECQ CX")
	p("CMPQ CX, $1")
	p("JNE %s_mid", l)
	label(l + "_last")
	p("MOVQ %s, R12", ml)
	body(pos, edgeLast)
	if one {
		p("JMP %s_done", l)
		label(l + "_one")
		p("MOVQ %s, R12", mf)
		body(pos, edgeBoth)
		label(l + "_done")
	}
}

// dbwdwp emits dwwpK<K>D<D>R<R>J<kj0><nk>[X] (dwws… with sdy)(x *float32, dy *float32,
// mf, ml *int32, ld, nv, nbmid, np int, out *float32, pfd int), the direct "same"
// stride-1 weight gradient of the taps (ki, kj), kj0 <= kj < kj0+nk, over
// np consecutive planes of H×W (row pitch ld bytes), summed over them, without
// row tables.
//
// Rows: a tap row ki·D apart from a dy row is an input row of the same
// parity when D = 2, so with dilation 2 the kernel walks each plane twice,
// over its even rows and then its odd rows, each a half-plane of H/2 rows
// (pitch 2·ld) that it correlates with row dilation 1: the blocks of R dy
// rows then share their input rows as with dilation 1 (R+K-1 input rows a
// block instead of R+(K-1)·2), and every accumulator takes the FMAs of both
// halves. In the columns the dilation stays D.
//
// A walk (the plane, or a half) is nt = ⌈P/R⌉ blocks of R dy rows at the
// top, nbmid blocks inside and nt at the bottom (rows = R·(nbmid+2·nt)), or
// with nt = 1 and nbmid = -1 a single block (rows = R), P = (K-1)/2 (row
// dilation 1); the input rows outside the plane are skipped at generation
// time (the block pointers may point outside the plane, at input row
// oh0-P; no such row is read). The K·nk tap sums stay in registers over
// all np planes (a group of one channel's planes) and are stored once, to
// out[ki·K+kj]. X rectifies the input as it is loaded.
//
// Columns: tap (ki, kj) sums dy(oh, c)·x(oh+ki·D-P, c+off), off = kj·D-P.
// Without sdy the kernel holds R dy vectors and loads each input row once
// per tap column, shifted by off (nk loads, each rectified); the first and
// last vectors of a row load the taps that reach past the row ends masked
// (a single masked tap column keeps its mask in Y14). With sdy (the dwws
// kernels, taken for K = 5) it shifts dy instead, summing dy(oh, c-off)·
// x(oh+ki·D-P, c): it holds the R·nk shifted dy vectors of a block (masked
// at the row ends, with the masks of tap column K-1-kj) and loads each
// input row once, aligned, unmasked and rectified once, for all nk tap
// columns. For K = 5 (nk = 2, R = 2) that is 16 loads and rectifications a
// block of 20 FMAs instead of 26; in one process, alternating calls, one
// thread, batch 64, the weight gradient ran 1.03–1.12× as fast on every
// 8×8, 16×16 and 32×32 shape, either dilation.
func dbwdwp(K, D, R, kj0, nk int, relu, sdy bool) {
	P := D * (K - 1) / 2 // column padding
	Pr := (K - 1) / 2    // row padding of a walk (row dilation 1)
	nt := (Pr + R - 1) / R
	name := fmt.Sprintf("dwwpK%dD%dR%dJ%d%d", K, D, R, kj0, nk)
	if sdy {
		name = "dwws" + name[4:]
	}
	if relu {
		name += "X"
	}
	nacc := K * nk
	if !sdy && nacc+R+3 > 16 || sdy && nacc+R*nk+2 > 16 {
		panic("dbwdwp: too many registers")
	}
	header(name, "x *float32, dy *float32, mf, ml *int32, ld, nv, nbmid, np int, out *float32, pfd int", 80)
	acc := func(ki, j int) string { return fmt.Sprintf("Y%d", ki*nk+j) }
	dyr := func(oh int) string { return fmt.Sprintf("Y%d", nacc+oh) }
	p("MOVQ x+0(FP), SI")
	p("MOVQ dy+8(FP), DI")
	p("MOVQ ld+32(FP), R9")
	if D == 2 {
		p("SHLQ $1, R9") // a half-plane's row pitch
	}
	p("MOVQ out+64(FP), DX")
	// The prefetch stream (as dint's, R·32 bytes of x and dy a vector
	// step, over the plane in one walk or two): R14 runs pfd bytes ahead
	// of x, dy is R15 bytes from x; none when pfd is 0.
	p("MOVQ pfd+72(FP), R14")
	p("ADDQ SI, R14")
	p("MOVQ DI, R15")
	p("SUBQ SI, R15")
	// SI: input row -Pr of the walk.
	p("IMUL3Q $%d, R9, AX", Pr)
	p("SUBQ AX, SI")
	// With sdy the shifted dy vectors of the block take Y(nacc+oh·nk+j),
	// the input row Y(nacc+R·nk), the masks Y15 and the ReLU's zero the
	// register after the input row, or Y15 again, cleared once the dy
	// vectors are in.
	sx := nacc + R*nk
	zero := "Y13"
	if sdy {
		zero = fmt.Sprintf("Y%d", min(15, sx+1))
	}
	if relu && zero != "Y15" {
		p("VXORPS %s, %s, %s", zero, zero, zero)
	}
	u := users(K, 1, 1, R)
	// masked lists the tap columns of the pass that load masked in a
	// vector of kind edge.
	masked := func(edge int) []int {
		var m []int
		for j := 0; j < nk; j++ {
			if edgeMasked(edge, 4*((kj0+j)*D-P)) {
				m = append(m, j)
			}
		}
		return m
	}
	// body: block rows whose index i is outside [lo, hi) are not in the
	// plane.
	// maskReg holds the mask of tap column j for the vector being done:
	// with one masked column it stays in Y14; with two, and a register to
	// spare (Y12 when nacc+R+3 < 16), both stay loaded, else each masked
	// load reloads Y14.
	hoist2 := nacc+R+3 < 16
	// dyWalk walks the dy rows of a block from R11: in place for one or
	// two rows, else through BX.
	dyWalk := func() *rowWalk {
		if R <= 2 {
			return &rowWalk{reg: "R11"}
		}
		p("MOVQ R11, BX")
		return &rowWalk{reg: "BX"}
	}
	// sbody is body with the shift on dy: dy row oh's vector at column
	// c-off (off = kj·D-P, masked as the input taps of column K-1-kj are)
	// times the input row's aligned vector at c adds to tap (ki, kj) what
	// dy at c times input at c+off does.
	sbody := func(lo, hi, edge int) {
		pfStep(name, "pfd+72(FP)", R/2, func() string { return "R15" })
		for j := 0; j < nk; j++ {
			kj := kj0 + j
			off := 4 * (kj*D - P)
			masked := edgeMasked(edge, -off)
			if masked {
				p("VMOVDQU %d(R12), Y15", 32*(K-1-kj))
			}
			dw := dyWalk()
			for oh := 0; oh < R; oh++ {
				dst := fmt.Sprintf("Y%d", nacc+oh*nk+j)
				if masked {
					p("VMASKMOVPS %s, Y15, %s", dw.row(oh, -off), dst)
				} else {
					p("VMOVUPS %s, %s", dw.row(oh, -off), dst)
				}
			}
		}
		if relu && zero == "Y15" {
			p("VXORPS Y15, Y15, Y15")
		}
		xr := fmt.Sprintf("Y%d", sx)
		p("MOVQ R8, AX")
		xw := rowWalk{reg: "AX"}
		for i, us := range u {
			if len(us) == 0 || i < lo || i >= hi {
				continue
			}
			src := xw.row(i, 0)
			switch {
			case relu:
				// x second, the memory operand: see tapLoad.
				p("VMAXPS %s, %s, %s", src, zero, xr)
				src = xr
			case len(us)*nk > 1:
				p("VMOVUPS %s, %s", src, xr)
				src = xr
			}
			for _, x := range us {
				for j := 0; j < nk; j++ {
					p("VFMADD231PS %s, Y%d, %s", src, nacc+x.oh*nk+j, acc(x.ki, j))
				}
			}
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R11")
	}
	body := func(lo, hi, edge int) {
		if sdy {
			sbody(lo, hi, edge)
			return
		}
		mk := masked(edge)
		maskReg := map[int]string{}
		switch {
		case len(mk) == 1:
			p("VMOVDQU %d(R12), Y14", 32*(kj0+mk[0]))
			maskReg[mk[0]] = "Y14"
		case len(mk) == 2 && hoist2:
			p("VMOVDQU %d(R12), Y14", 32*(kj0+mk[0]))
			p("VMOVDQU %d(R12), Y12", 32*(kj0+mk[1]))
			maskReg[mk[0]], maskReg[mk[1]] = "Y14", "Y12"
		}
		pfStep(name, "pfd+72(FP)", R/2, func() string { return "R15" })
		dw := dyWalk()
		for oh := 0; oh < R; oh++ {
			p("VMOVUPS %s, %s", dw.row(oh, 0), dyr(oh))
		}
		p("MOVQ R8, AX")
		xw := rowWalk{reg: "AX"}
		for i, us := range u {
			if len(us) == 0 || i < lo || i >= hi {
				continue
			}
			for j := 0; j < nk; j++ {
				kj := kj0 + j
				off := 4 * (kj*D - P)
				mask := ""
				if edgeMasked(edge, off) {
					m, ok := maskReg[j]
					if !ok {
						m = "Y14"
						p("VMOVDQU %d(R12), Y14", 32*kj)
					}
					mask = m
				}
				tapFMA(xw.row(i, off), mask, relu, us,
					func(x user) string { return dyr(x.oh) }, func(x user) string { return acc(x.ki, j) })
			}
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R11")
	}
	// block emits one block of R rows at SI, DI (rows i outside [lo, hi)
	// skipped) and moves SI, DI R rows down.
	block := func(l string, lo, hi int) {
		vecLoop(l, 0, func(_, edge int) { body(lo, hi, edge) }, "nv+40(FP)", "mf+16(FP)", "ml+24(FP)", true, func() {
			p("MOVQ SI, R8")
			p("MOVQ DI, R11")
		})
		p("IMUL3Q $%d, R9, AX", R)
		p("ADDQ AX, DI")
		p("ADDQ AX, SI")
	}
	nrows := R + K - 1
	// walk emits the blocks of one walk; l tells its labels apart.
	walk := func(l string) {
		if nt == 1 {
			// A walk of one block (rows = R; nbmid = -1).
			p("CMPQ nbmid+48(FP), $0")
			p("JLT %s_single", l)
		}
		for bt := 0; bt < nt; bt++ {
			// Block rows oh0 = bt·R: input row oh0-Pr+i exists iff i >= Pr-oh0.
			block(fmt.Sprintf("%s_t%d", l, bt), max(0, Pr-bt*R), nrows)
		}
		p("MOVQ nbmid+48(FP), R10")
		p("TESTQ R10, R10")
		p("JZ %s_bottom", l)
		label(l + "_inside")
		block(l+"_in", 0, nrows)
		p("DECQ R10")
		p("JNZ %s_inside", l)
		label(l + "_bottom")
		for bb := 0; bb < nt; bb++ {
			// oh0 = rows-(nt-bb)·R: input row oh0-Pr+i exists iff i < (nt-bb)·R+Pr.
			block(fmt.Sprintf("%s_b%d", l, bb), 0, min(nrows, (nt-bb)*R+Pr))
		}
		if nt == 1 {
			p("JMP %s_walked", l)
			label(l + "_single")
			block(l+"_one", Pr, min(nrows, R+Pr))
			label(l + "_walked")
		}
	}
	for ki := 0; ki < K; ki++ {
		for j := 0; j < nk; j++ {
			p("VXORPS %s, %s, %s", acc(ki, j), acc(ki, j), acc(ki, j))
		}
	}
	label(name + "_plane")
	p("MOVQ SI, R13")
	walk(name + "_w0")
	if D == 2 {
		// The odd rows: SI and DI one row (half a pitch) below where the
		// even walk started; after them, back up half a pitch again.
		halfPitch("BX")
		p("SUBQ R13, SI")
		p("SUBQ SI, DI")
		p("LEAQ (R13)(BX*1), SI")
		p("ADDQ BX, DI")
		walk(name + "_w1")
		halfPitch("BX") // BX was clobbered by the walk
		p("SUBQ BX, SI")
		p("SUBQ BX, DI")
	}
	// Next plane: x right after this one (dy already is): SI has moved
	// H rows from R13.
	p("DECQ np+56(FP)")
	p("JNZ %s_plane", name)
	for ki := 0; ki < K; ki++ {
		for j := 0; j < nk; j++ {
			a := acc(ki, j)
			x := "X" + a[1:]
			p("VEXTRACTF128 $1, %s, X15", a)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVHLPS %s, %s, X15", x, x)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVSHDUP %s, X15", x)
			p("VADDSS X15, %s, %s", x, x)
			p("VMOVSS %s, %d(DX)", x, 4*(ki*K+kj0+j))
		}
	}
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// dwwpPasses lists, by K and D index, the (kj0, nk, R) passes of the
// dwwp kernels. Both dilations walk rows alike; the last K = 5 pass of
// dilation 2 takes blocks of 4 rows so that 8×8 maps (walks of 4 rows)
// fit.
var dwwpPasses = [2][2][][3]int{
	{{{0, 3, 4}}, {{0, 3, 4}}},
	{{{0, 2, 2}, {2, 2, 2}, {4, 1, 8}}, {{0, 2, 2}, {2, 2, 2}, {4, 1, 4}}},
}

// bwdw2 emits dww<K>D<D>S<S>R<R>J<kj0><nk>, the weight-gradient kernel
// over a padded buffer (stride 2: split into even and odd columns, as dwf) that keeps the sums of the K·nk taps (ki, kj), kj0 <= kj <
// kj0+nk, in registers over the whole plane (K = 3: all nine, one pass).
// Per block of R rows × 8 columns the R dy vectors are loaded once, and
// every input vector once per tap column, feeding the taps of every dy row
// it meets. Same arguments as dwb; stores the K·nk sums to out[ki*K+kj].
func bwdw2(K, D, S, R, kj0, nk int) {
	name := fmt.Sprintf("dwwK%dD%dS%dR%dJ%d%d", K, D, S, R, kj0, nk)
	nacc := K * nk
	if nacc+R+1 > 16 || nk > 3 {
		panic("bwdw2: too many registers")
	}
	header(name, "dy *float32, lddy int, x *float32, ldx int, coff *int, nv int, nb int, out *float32", 64)
	coffReg := []string{"R10", "R12", "R13"}
	p("MOVQ dy+0(FP), DI")
	p("MOVQ lddy+8(FP), R8")
	p("MOVQ x+16(FP), SI")
	p("MOVQ ldx+24(FP), R9")
	p("MOVQ coff+32(FP), DX")
	for j := 0; j < nk; j++ {
		p("MOVQ %d(DX), %s", 8*(kj0+j), coffReg[j])
	}
	p("MOVQ nb+48(FP), BX")
	acc := func(ki, j int) string { return fmt.Sprintf("Y%d", ki*nk+j) }
	dyr := func(oh int) string { return fmt.Sprintf("Y%d", nacc+oh) }
	for ki := 0; ki < K; ki++ {
		for j := 0; j < nk; j++ {
			p("VXORPS %s, %s, %s", acc(ki, j), acc(ki, j), acc(ki, j))
		}
	}
	u := users(K, D, S, R)
	lb, lv := name+"_blk", name+"_vec"
	label(lb)
	p("MOVQ nv+40(FP), CX")
	p("MOVQ DI, R11")
	p("MOVQ SI, AX")
	label(lv)
	p("MOVQ R11, DX")
	for oh := 0; oh < R; oh++ {
		p("VMOVUPS (DX), %s", dyr(oh))
		if oh < R-1 {
			p("ADDQ R8, DX")
		}
	}
	p("MOVQ AX, DX")
	for i, us := range u {
		for j := 0; j < nk; j++ {
			tapFMA(fmt.Sprintf("(DX)(%s*1)", coffReg[j]), "", false, us,
				func(x user) string { return dyr(x.oh) }, func(x user) string { return acc(x.ki, j) })
		}
		if i < len(u)-1 {
			p("ADDQ R9, DX")
		}
	}
	p("ADDQ $32, R11")
	p("ADDQ $32, AX")
	p("DECQ CX")
	p("JNZ %s", lv)
	p("IMUL3Q $%d, R8, DX", R)
	p("ADDQ DX, DI")
	p("IMUL3Q $%d, R9, DX", R*S)
	p("ADDQ DX, SI")
	p("DECQ BX")
	p("JNZ %s", lb)
	p("MOVQ out+56(FP), DX")
	for ki := 0; ki < K; ki++ {
		for j := 0; j < nk; j++ {
			a := acc(ki, j)
			x := "X" + a[1:]
			p("VEXTRACTF128 $1, %s, X15", a)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVHLPS %s, %s, X15", x, x)
			p("VADDPS X15, %s, %s", x, x)
			p("VMOVSHDUP %s, X15", x)
			p("VADDSS X15, %s, %s", x, x)
			p("VMOVSS %s, %d(DX)", x, 4*(ki*K+kj0+j))
		}
	}
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// bwdw2Passes lists, by K index, the (kj0, nk) column groups of the dww
// kernels, and bwdw2Rows their block heights (main, tail).
var (
	bwdw2Passes = [2][][2]int{{{0, 3}}, {{0, 2}, {2, 2}, {4, 1}}}
	bwdw2Rows   = [2][2]int{{4, 1}, {4, 1}}
)

// Direct stride-1 kernels (dwdf*): no padded copy. Rows are
// addressed through tables of byte offsets from a plane base (one entry per
// row of the R = 8 row blocks; rows outside the plane point at a zero row,
// output rows past the end at a sink row), and the column taps of the
// first and last 8-column vector of a row, which may reach past the row
// ends, use masked loads with per-tap masks (VMASKMOVPS does not fault on
// masked lanes). W must be a multiple of 8 and the padding "same".

const dR = 8

// dfwd emits dwdfK<K>D<D>M<mode>[R](in *float32, intab *int, out *float32,
// outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb,
// pfd, pfy, pfm int):
// nb blocks of 8 output rows × nv vectors; mode 0 stores, 1 adds, 2 adds
// where the mask plane m > 0, 3 stores where m > 0 and zero elsewhere (a
// fresh input gradient after a ReLU: the output is not read); relu
// rectifies the input as it is loaded.
func dfwd(K, D, mode int, relu bool) {
	P := D * (K - 1) / 2
	name := fmt.Sprintf("dwdfK%dD%dM%d", K, D, mode)
	if relu {
		name += "R"
	}
	header(name, "in *float32, intab *int, out *float32, outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb, pfd, pfy, pfm int", 112)
	p("MOVQ intab+8(FP), SI")
	p("MOVQ outtab+24(FP), DI")
	p("MOVQ mtab+40(FP), R11")
	p("MOVQ w+48(FP), DX")
	p("MOVQ nb+80(FP), R10")
	p("MOVQ in+0(FP), R14")
	p("ADDQ pfd+88(FP), R14")
	if relu {
		p("VXORPS Y13, Y13, Y13")
	}
	u := users(K, D, 1, dR)
	// The prefetch stream of dint: 256 bytes of in, out (pfy bytes from
	// in) and, in modes 2 and 3, m (pfm) a step.
	streams := []func() string{argInAX("pfy+96(FP)")}
	if mode >= 2 {
		streams = append(streams, argInAX("pfm+104(FP)"))
	}
	body := func(edge bool) {
		pfStep(name, "pfd+88(FP)", 4, streams...)
		for kj := 0; kj < K; kj++ {
			startColumn(kj, K, K)
			off := 4 * (kj*D - P)
			mask := ""
			if edge && off != 0 {
				p("VMOVDQU %d(R12), Y14", 32*kj)
				mask = "Y14"
			}
			for i, us := range u {
				if len(us) == 0 {
					continue
				}
				p("MOVQ %d(SI), AX", 8*i)
				tapFMA(fmt.Sprintf("%d(R8)(AX*1)", off), mask, relu, us, wTap, outAcc)
			}
		}
		if mode >= 2 {
			p("VXORPS Y15, Y15, Y15")
		}
		for oh := 0; oh < dR; oh++ {
			p("MOVQ %d(DI), AX", 8*oh)
			switch mode {
			case 1:
				p("VADDPS (R13)(AX*1), %s, %s", accReg(oh), accReg(oh))
			case 2, 3:
				p("MOVQ %d(R11), BX", 8*oh)
				p("VCMPPS $0x19, (CX)(BX*1), Y15, Y14") // !(0 >= m)
				p("VANDPS Y14, %s, %s", accReg(oh), accReg(oh))
				if mode == 2 {
					p("VADDPS (R13)(AX*1), %s, %s", accReg(oh), accReg(oh))
				}
			}
			p("VMOVUPS %s, (R13)(AX*1)", accReg(oh))
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R13")
		p("ADDQ $32, CX")
	}
	label(name + "_block")
	p("MOVQ in+0(FP), R8")
	p("MOVQ out+16(FP), R13")
	p("MOVQ m+32(FP), CX")
	p("MOVQ nv+72(FP), R9")
	p("MOVQ mf+56(FP), R12")
	label(name + "_edge")
	body(true)
	p("DECQ R9")
	p("JZ %s_bdone", name)
	p("CMPQ R9, $1")
	p("JEQ %s_last", name)
	label(name + "_mid")
	body(false)
	p("DECQ R9")
	p("CMPQ R9, $1")
	p("JNE %s_mid", name)
	label(name + "_last")
	p("MOVQ ml+64(FP), R12")
	p("JMP %s_edge", name)
	label(name + "_bdone")
	p("ADDQ $%d, SI", 8*dR)
	p("ADDQ $%d, DI", 8*dR)
	p("ADDQ $%d, R11", 8*dR)
	p("DECQ R10")
	p("JNZ %s_block", name)
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// dint emits dwdpK<K>D<D>M<mode>[R](y *float32, x *float32, w *float32,
// mf, ml *int32, ld, nv, nbmid, np, dm, pfd, pfy int), the direct stride-1 "same"
// kernel without row tables: np consecutive planes of H×W (row pitch ld
// bytes, the same filter), rows addressed by pointer arithmetic: a first
// block of 8 output rows, nbmid blocks inside and a last block (or, for
// nbmid = -1, a single block of 8 rows); the input rows above (below) the
// plane, which only the first (last) block reads, are skipped at
// generation time. With dilation 1 a block is 8 consecutive rows (H =
// 8·(nbmid+2)). With dilation 2 the taps of an output row reach input rows
// of its own parity only: a block is the 8 even rows of a band of 16
// followed by its 8 odd rows, each a correlation with row dilation 1 over
// rows of pitch 2·ld (H = 16·(nbmid+2)), so that a block reads 8+K-1 input
// rows instead of 8+2(K-1). The first and last vector of a row (nv >= 2, or
// 1 for single blocks: then both ends) load the taps that reach past the
// row ends masked, as dfwd. Modes as dfwd; modes 2 and 3 read the mask
// plane at byte offset dm from the output.
//
// Every vector step covers 8×8 outputs, 256 bytes of y (and, on average,
// of x): it prefetches the next 256 bytes of a stream that runs pfd bytes
// ahead of x, and the same offsets of y (pfy bytes from x) and in modes 2
// and 3 of the mask. The stream keeps pace with the computation and is spread
// evenly over it, so the next planes arrive while this one is computed.
// On 32×32 planes out of cache it measured up to twice as fast as
// prefetching each next plane whole before computing it (bench/README.md).
// Prefetches past the end of the tensors are harmless (they do not fault).
// With pfd = 0 there is no stream.
//
// With nt (dwdp…N, see dintNT) each block is computed into a buffer on
// the stack and then copied to y with non-temporal stores (dintFlush), and
// the stream leaves y alone: for tensors that do not stay in the cache.
func dint(K, D, mode int, relu, nt bool) {
	P := D * (K - 1) / 2 // column padding
	Pr := (K - 1) / 2    // row padding (row dilation 1)
	name := dintName(K, D, mode, relu, nt)
	// With nt, locals: 0(SP) the block's place in y, 8(SP) the mask
	// stream's offset, from 32(SP) up the block buffer (aligned to 32
	// bytes).
	locals := 0
	if nt {
		locals = 64 + dintStage
	}
	headerLocals(name, "y *float32, x *float32, w *float32, mf, ml *int32, ld, nv, nbmid, np, dm, pfd, pfy int", locals, 96)
	p("MOVQ y+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ w+16(FP), DX")
	p("MOVQ ld+40(FP), R9")
	if D == 2 {
		p("SHLQ $1, R9") // the pitch of a parity's rows
	}
	if mode >= 2 {
		p("MOVQ dm+72(FP), R15")
	}
	p("MOVQ pfd+80(FP), R14")
	p("ADDQ SI, R14")
	if relu || mode >= 2 {
		// The ReLU's zero, or the zero the mask compares with (the masked
		// modes do not rectify their input).
		p("VXORPS Y13, Y13, Y13")
	}
	u := users(K, 1, 1, dR)
	// Section pos: 0 inside (x at input row oh0-Pr), 1 first block (x at
	// row 0, rows above skipped), 2 last block (x at row oh0-Pr, rows below
	// skipped), 3 the only block of a plane (x at row 0, rows above and
	// below skipped).
	streams := []func() string{argInAX("pfy+88(FP)")}
	if mode >= 2 {
		// The mask is dm (R15) bytes from y: AX still holds pfy.
		streams = append(streams, func() string { p("ADDQ R15, AX"); return "AX" })
	}
	if nt {
		// y goes straight to memory: the stream does not fetch it. R15
		// changes from block to block (see block), so the mask stream
		// keeps its offset from x, pfy+dm, in 8(SP).
		streams = streams[:0]
		if mode >= 2 {
			p("MOVQ pfy+88(FP), AX")
			p("ADDQ R15, AX")
			p("MOVQ AX, 8(SP)")
			streams = append(streams, func() string { p("MOVQ 8(SP), AX"); return "AX" })
		}
	}
	body := func(pos int, edge int) {
		pfStep(name, "pfd+80(FP)", 4, streams...)
		first := 0
		if pos == 1 || pos == 3 {
			first = Pr
		}
		valid := func(i int) bool {
			switch pos {
			case 1:
				return i >= Pr
			case 2:
				return i < dR+Pr
			case 3:
				return i >= Pr && i < dR+Pr
			}
			return true
		}
		// An output row's first product is a VMULPS (no clearing); AX
		// moves two rows at a time (rowWalk).
		inited := make([]bool, dR)
		for kj := 0; kj < K; kj++ {
			for ki := 0; ki < K; ki++ {
				p("VBROADCASTSS %d(DX), %s", 4*(ki*K+kj), wReg(ki))
			}
			off := 4 * (kj*D - P)
			mask := ""
			if edgeMasked(edge, off) {
				p("VMOVDQU %d(R12), Y14", 32*kj)
				mask = "Y14"
			}
			p("MOVQ R8, AX")
			xw := rowWalk{reg: "AX", at: first}
			for i, us := range u {
				if len(us) == 0 || !valid(i) {
					continue
				}
				tapInit(xw.row(i, off), mask, relu, us, wTap, outAcc, inited)
			}
		}
		for oh := 0; oh < dR; oh++ {
			if !inited[oh] {
				p("VXORPS %s, %s, %s", accReg(oh), accReg(oh), accReg(oh))
			}
		}
		// The output rows two at a time, as the input rows: row oh at
		// (BX) or (BX)(R9*1), its mask dm bytes on, (BX)(R15*1) or
		// (BX)(AX*1) with AX = R9+R15.
		p("MOVQ R13, BX")
		if mode >= 2 {
			p("LEAQ (R9)(R15*1), AX")
		}
		for oh := 0; oh < dR; oh++ {
			y, m := "(BX)", "(BX)(R15*1)"
			if oh%2 == 1 {
				y, m = "(BX)(R9*1)", "(BX)(AX*1)"
			}
			switch mode {
			case 1:
				p("VADDPS %s, %s, %s", y, accReg(oh), accReg(oh))
			case 2, 3:
				p("VCMPPS $0x19, %s, Y13, Y14", m) // !(0 >= m)
				p("VANDPS Y14, %s, %s", accReg(oh), accReg(oh))
				if mode == 2 {
					p("VADDPS %s, %s, %s", y, accReg(oh), accReg(oh))
				}
			}
			p("VMOVUPS %s, %s", accReg(oh), y)
			if oh%2 == 1 && oh < dR-1 {
				p("LEAQ (BX)(R9*2), BX")
			}
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R13")
	}
	// rows emits the vector loop of 8 rows (of pitch R9) of section pos at
	// SI, DI.
	rows := func(l string, pos int) {
		vecLoop(l, pos, body, "nv+48(FP)", "mf+24(FP)", "ml+32(FP)", pos == 3, func() {
			p("MOVQ SI, R8")
			p("MOVQ DI, R13")
		})
	}
	// block emits one block of section pos and advances DI past it.
	block := func(pos int) {
		l := fmt.Sprintf("%s_s%d", name, pos)
		if nt {
			// The block's rows go to the buffer on the stack (the mask,
			// dm bytes from y, is then R15 += y-buffer bytes from it).
			p("MOVQ DI, 0(SP)")
			p("LEAQ 63(SP), DI")
			p("ANDQ $-32, DI")
			if mode >= 2 {
				p("MOVQ 0(SP), AX")
				p("SUBQ DI, AX")
				p("ADDQ AX, R15")
			}
		}
		rows(l, pos)
		if D == 2 {
			// The odd rows: one plane row (half the pitch) down.
			halfPitch("AX")
			p("ADDQ AX, SI")
			p("ADDQ AX, DI")
			rows(l+"_odd", pos)
			halfPitch("AX")
			p("SUBQ AX, SI")
			p("SUBQ AX, DI")
		}
		if nt {
			dintFlush(l, mode)
			return
		}
		p("IMUL3Q $%d, R9, AX", dR)
		p("ADDQ AX, DI")
	}
	label(name + "_plane")
	p("MOVQ SI, R10")
	p("CMPQ nbmid+56(FP), $0")
	p("JLT %s_single", name)
	block(1)
	p("IMUL3Q $%d, R9, AX", dR-Pr)
	p("ADDQ AX, SI")
	p("MOVQ nbmid+56(FP), R11")
	p("TESTQ R11, R11")
	p("JZ %s_bottom", name)
	label(name + "_inside")
	block(0)
	p("IMUL3Q $%d, R9, AX", dR)
	p("ADDQ AX, SI")
	p("DECQ R11")
	p("JNZ %s_inside", name)
	label(name + "_bottom")
	block(2)
	p("JMP %s_next", name)
	label(name + "_single")
	block(3)
	// Next plane: x right after this one (y already is), 8·(nbmid+2)
	// rows of pitch R9 from R10.
	label(name + "_next")
	p("MOVQ nbmid+56(FP), AX")
	p("ADDQ $2, AX")
	p("IMULQ R9, AX")
	p("SHLQ $3, AX")
	p("LEAQ (R10)(AX*1), SI")
	p("DECQ np+64(FP)")
	p("JNZ %s_plane", name)
	if nt {
		// The non-temporal stores are weakly ordered: make them visible
		// before the caller (or another thread) reads y.
		p("SFENCE")
	}
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// dintStage is the size in bytes of the block buffer of the non-temporal
// dint kernels: 8 output rows (16 with dilation 2) of up to dintStageW
// floats.
const (
	dintStageW = 64
	dintStage  = 16 * 4 * dintStageW
)

// dintFlush ends a block of a non-temporal dint kernel: the block's dR·R9
// bytes, computed into the buffer at DI, are copied to y (saved at 0(SP))
// with non-temporal stores, a whole cache line at a time, and DI is left
// past the block in y; in modes 2 and 3 R15 is put back to dm.
//
// The kernels store 8 rows a vector step, a 32-byte half of 8 different
// cache lines. Stored non-temporally in place, those half-written lines
// leave the write-combining buffers before the next step completes them:
// the forward ran 2.0–2.4× slower than with ordinary stores. Through
// the buffer every line is written whole, in order.
func dintFlush(l string, mode int) {
	if mode >= 2 {
		p("MOVQ 0(SP), AX")
		p("SUBQ DI, AX")
		p("SUBQ AX, R15")
	}
	p("MOVQ 0(SP), AX")
	p("IMUL3Q $%d, R9, CX", dR)
	p("SHRQ $6, CX")
	label(l + "_flush")
	p("VMOVAPS (DI), Y0")
	p("VMOVAPS 32(DI), Y1")
	p("VMOVNTPS Y0, (AX)")
	p("VMOVNTPS Y1, 32(AX)")
	p("ADDQ $64, DI")
	p("ADDQ $64, AX")
	p("DECQ CX")
	p("JNZ %s_flush", l)
	p("MOVQ AX, DI")
}

// dintNT reports whether the dint kernel of K and mode has a non-temporal
// form: the modes that do not read y (0 and 3), for K = 3. The 5×5
// kernels do 25/9 times the work per byte and lost by the change (0.70–1.0
// forward, 0.83–1.23 input gradient on 32×32 maps at C = 32 and 64, batch
// 64, one and two threads, against 1.00–1.77 for the 3×3 ones).
func dintNT(K, mode int) bool { return K == 3 && (mode == 0 || mode == 3) }

// dintName is the name of a dint kernel; nt adds N.
func dintName(K, D, mode int, relu, nt bool) string {
	n := fmt.Sprintf("dwdpK%dD%dM%d", K, D, mode)
	if relu {
		n += "R"
	}
	if nt {
		n += "N"
	}
	return n
}

// drect emits dwdrK<Kr>x<Kc>(in *float32, intab *int, out *float32,
// outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int): a direct
// stride-1 correlation with a dense Kr×Kc filter (w row-major), consecutive
// row taps through the row tables and column tap j at byte offset coff[j];
// the first and last vectors load every tap masked. Stores its result
// (mode 0). The stride-2 input gradient runs it once per output parity.
func drect(Kr, Kc int) {
	name := fmt.Sprintf("dwdrK%dx%d", Kr, Kc)
	header(name, "in *float32, intab *int, out *float32, outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int", 80)
	p("MOVQ intab+8(FP), SI")
	p("MOVQ outtab+24(FP), DI")
	p("MOVQ w+32(FP), DX")
	p("MOVQ coff+40(FP), R11")
	p("MOVQ nb+72(FP), R10")
	u := users(Kr, 1, 1, dR)
	body := func(edge bool) {
		for kj := 0; kj < Kc; kj++ {
			startColumn(kj, Kr, Kc)
			p("MOVQ %d(R11), BX", 8*kj)
			p("ADDQ R8, BX")
			mask := ""
			if edge {
				p("VMOVDQU %d(R12), Y14", 32*kj)
				mask = "Y14"
			}
			for i, us := range u {
				if len(us) == 0 {
					continue
				}
				p("MOVQ %d(SI), AX", 8*i)
				tapFMA("(BX)(AX*1)", mask, false, us, wTap, outAcc)
			}
		}
		for oh := 0; oh < dR; oh++ {
			p("MOVQ %d(DI), AX", 8*oh)
			p("VMOVUPS %s, (R13)(AX*1)", accReg(oh))
		}
		p("ADDQ $32, R8")
		p("ADDQ $32, R13")
	}
	label(name + "_block")
	p("MOVQ in+0(FP), R8")
	p("MOVQ out+16(FP), R13")
	p("MOVQ nv+64(FP), R9")
	p("MOVQ mf+48(FP), R12")
	label(name + "_edge")
	body(true)
	p("DECQ R9")
	p("JZ %s_bdone", name)
	p("CMPQ R9, $1")
	p("JEQ %s_last", name)
	label(name + "_mid")
	body(false)
	p("DECQ R9")
	p("CMPQ R9, $1")
	p("JNE %s_mid", name)
	label(name + "_last")
	p("MOVQ ml+56(FP), R12")
	p("JMP %s_edge", name)
	label(name + "_bdone")
	p("ADDQ $%d, SI", 8*dR)
	p("ADDQ $%d, DI", 8*dR)
	p("DECQ R10")
	p("JNZ %s_block", name)
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// rectShapes are the sub-filter shapes of the stride-2 input gradient by
// output parity: K=3 dilation 1 gives 1 or 2 taps per axis, K=5 dilation 1
// 3 or 2, dilation 2 all K taps (even positions only).
var rectShapes = [][2]int{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {5, 5}}

// directVariants lists the direct forward kernels: mode and relu.
var directVariants = []struct {
	mode int
	relu bool
}{{0, false}, {0, true}, {1, false}, {2, false}, {3, false}}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func main() {
	b.WriteString("// Code generated by gen_dw.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\n#include \"textflag.h\"\n\n")
	for _, K := range []int{3, 5} {
		for _, D := range []int{1, 2} {
			for _, S := range []int{1, 2} {
				for _, R := range []int{8, 4, 2, 1} {
					fwd(K, D, S, R, 0)
				}
			}
			for _, R := range []int{8, 4, 2, 1} {
				fwd(K, D, 1, R, 1)
				fwd(K, D, 1, R, 2)
			}
			for _, ps := range dwwpPasses[K/5][D-1] {
				dbwdwp(K, D, ps[2], ps[0], ps[1], false, K == 5)
				dbwdwp(K, D, ps[2], ps[0], ps[1], true, K == 5)
			}
			if K == 3 {
				for _, R := range []int{4, 1} {
					dbwdw(K, D, R, false)
					dbwdw(K, D, R, true)
				}

			}
			for _, S := range []int{1, 2} {
				for _, R := range bwdw2Rows[K/5] {
					for _, ps := range bwdw2Passes[K/5] {
						bwdw2(K, D, S, R, ps[0], ps[1])
					}
				}
			}
			for _, v := range directVariants {
				dfwd(K, D, v.mode, v.relu)
				dint(K, D, v.mode, v.relu, false)
				if dintNT(K, v.mode) {
					dint(K, D, v.mode, v.relu, true)
				}
			}
		}
	}
	for _, sh := range rectShapes {
		drect(sh[0], sh[1])
	}
	if err := os.WriteFile("dw_amd64.s", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
	writeDecls()
}

// writeDecls writes dwdecl_amd64.go: the Go declarations and the dispatch
// tables indexed by [K==5][D==2][S==2][R index][mode] (R index: 8,4,2,1 for
// the forward kernels, 8,4 for the weight-gradient kernels).
func writeDecls() {
	var d bytes.Buffer
	d.WriteString("// Code generated by gen_dw.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\npackage kernels\n\n")
	d.WriteString("// Indices of the direct kernels' variants in dwdfTab and dwdpTab (mode;\n// R: the input rectified).\nconst (\n")
	for iv, v := range directVariants {
		n := fmt.Sprintf("dwVarM%d", v.mode)
		if v.relu {
			n += "R"
		}
		fmt.Fprintf(&d, "\t%s = %d\n", n, iv)
	}
	d.WriteString(")\n\n")
	fmt.Fprintf(&d, "// dwdpStageW is the widest row, in floats, that the non-temporal dwdp\n// kernels' block buffer holds (dintStageW in gen_dw.go).\nconst dwdpStageW = %d\n\n", dintStageW)
	var ft bytes.Buffer
	ft.WriteString("func init() {\n")
	for ik, K := range []int{3, 5} {
		for id, D := range []int{1, 2} {
			for is, S := range []int{1, 2} {
				for ir, R := range []int{8, 4, 2, 1} {
					for mode := 0; mode < 3; mode++ {
						if mode > 0 && S != 1 {
							continue
						}
						n := fmt.Sprintf("dwfK%dD%dS%dR%dM%d", K, D, S, R, mode)
						fmt.Fprintf(&d, "//go:noescape\nfunc %s(y *float32, ldy int, x *float32, ldx int, w *float32, coff *int, nv int, m *float32, ldm int)\n\n", n)
						fmt.Fprintf(&ft, "\tdwfTab[%d][%d][%d][%d][%d] = %s\n", ik, id, is, ir, mode, n)
					}
				}
			}
		}
	}
	for ik, K := range []int{3, 5} {
		for id, D := range []int{1, 2} {
			for is, S := range []int{1, 2} {
				for ir, R := range bwdw2Rows[ik] {
					for ip, ps := range bwdw2Passes[ik] {
						n := fmt.Sprintf("dwwK%dD%dS%dR%dJ%d%d", K, D, S, R, ps[0], ps[1])
						fmt.Fprintf(&d, "//go:noescape\nfunc %s(dy *float32, lddy int, x *float32, ldx int, coff *int, nv int, nb int, out *float32)\n\n", n)
						fmt.Fprintf(&ft, "\tdwwTab[%d][%d][%d][%d][%d] = %s\n", ik, id, is, ir, ip, n)
					}
				}
			}
		}
	}
	for id, D := range []int{1, 2} {
		for ir, R := range []int{4, 1} {
			for _, relu := range []bool{false, true} {
				n := fmt.Sprintf("dwwdK3D%dR%d", D, R)
				if relu {
					n += "X"
				}
				fmt.Fprintf(&d, "//go:noescape\nfunc %s(x *float32, intab *int, dy *float32, lddy int, mf, ml *int32, nv, nb int, out *float32)\n\n", n)
				fmt.Fprintf(&ft, "\tdwwdTab[%d][%d][%d] = %s\n", id, ir, b2i(relu), n)
			}
		}
	}
	for ik, K := range []int{3, 5} {
		for id, D := range []int{1, 2} {
			for ip, ps := range dwwpPasses[ik][id] {
				for _, relu := range []bool{false, true} {
					n := fmt.Sprintf("dwwpK%dD%dR%dJ%d%d", K, D, ps[2], ps[0], ps[1])
					if K == 5 {
						n = "dwws" + n[4:]
					}
					if relu {
						n += "X"
					}
					fmt.Fprintf(&d, "//go:noescape\nfunc %s(x *float32, dy *float32, mf, ml *int32, ld, nv, nbmid, np int, out *float32, pfd int)\n\n", n)
					fmt.Fprintf(&ft, "\tdwwpTab[%d][%d][%d][%d] = %s\n", ik, id, ip, b2i(relu), n)
				}
			}
		}
	}
	var dt bytes.Buffer
	for ik, K := range []int{3, 5} {
		for id, D := range []int{1, 2} {
			for iv, v := range directVariants {
				n := fmt.Sprintf("dwdfK%dD%dM%d", K, D, v.mode)
				if v.relu {
					n += "R"
				}
				fmt.Fprintf(&d, "//go:noescape\nfunc %s(in *float32, intab *int, out *float32, outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb, pfd, pfy, pfm int)\n\n", n)
				fmt.Fprintf(&dt, "\tdwdfTab[%d][%d][%d] = %s\n", ik, id, iv, n)
				for _, nt := range []bool{false, true} {
					if nt && !dintNT(K, v.mode) {
						continue
					}
					n = dintName(K, D, v.mode, v.relu, nt)
					fmt.Fprintf(&d, "//go:noescape\nfunc %s(y *float32, x *float32, w *float32, mf, ml *int32, ld, nv, nbmid, np, dm, pfd, pfy int)\n\n", n)
					fmt.Fprintf(&dt, "\tdwdpTab[%d][%d][%d][%d] = %s\n", b2i(nt), ik, id, iv, n)
				}
			}
		}
	}
	for _, sh := range rectShapes {
		n := fmt.Sprintf("dwdrK%dx%d", sh[0], sh[1])
		fmt.Fprintf(&d, "//go:noescape\nfunc %s(in *float32, intab *int, out *float32, outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int)\n\n", n)
		fmt.Fprintf(&dt, "\tdwdrTab[%d][%d] = %s\n", sh[0], sh[1], n)
	}
	d.Write(ft.Bytes())
	d.Write(dt.Bytes())
	d.WriteString("}\n")
	src, err := format.Source(d.Bytes())
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("dwdecl_amd64.go", src, 0o644); err != nil {
		panic(err)
	}
}
