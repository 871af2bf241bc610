//go:build ignore

// gen_dws2 writes dws2_amd64.s and dws2decl_amd64.go, the direct stride-2
// 3×3 and 5×5 depthwise forward, weight-gradient and input-gradient
// kernels for planes 16 and 32 floats wide (5×5 of dilation 2 on 16-wide
// planes only in the form that sets dx; see iforms):
//
//	go run gen_dws2.go
//
// dws2fK<K>D<D>W<W>R<relu>(y, x, wt *float32, groups, np int) computes np
// planes of one channel, each H = 2·G·groups rows of W floats (x,
// contiguous), into H/2 rows of W/2 (y), G output rows at a time (see
// rowsPer; generated into dws2fRowsTab with the fewest groups a plane of
// more than one needs: edges), with "same" padding P = D·(K-1)/2 and the
// input rectified when relu. wt holds the K·K weights, each broadcast to 8
// floats. dws2eW<W>R<relu> (eemit) gathers the even columns of the even
// rows, which a forward of dilation 2 reads alone (see dwForwardS2EEBody).
//
// Output column o of tap column kj reads input column 2o+c, c = kj·D-P.
// The forward (see splitPair) loads each 16-column block of an input row as
// two vectors and splits them with VSHUFPS into the even columns (imm
// 0x88) and the odd ones (0xDD) of each 128-bit half, which leaves the 8
// outputs of the block in the lane order 0 1 4 5 2 3 6 7. The tap of a
// filter column is then one of the two splits as it is (c = 0 and, for
// dilation 1, c = 1) or shifted by one output (c = -1, and c = ±2 for
// dilation 2): one VPERMPS in that lane order and one VBLENDPS of the
// output that the neighbouring block carries in, or of zero at the row's
// ends (the padding). So no load reaches past a row, and each row is read
// as exactly its own vectors. The sums are put back in order by one
// VPERMPD per stored vector. Each input row is split once per group of
// output rows and multiplied into every row of the group it feeds; the
// groups at the top of a plane skip the padding rows above it and those
// at the bottom the rows below. With dilation 1, and on 32-wide planes,
// the forward shifts sums instead of taps (groupAcc): each
// output row keeps one sum a block and shift, and shifts it once, so the
// shifts cost a VPERMPS and a VBLENDPS a block, shift and output row
// rather than a block, shift and input row of a group; the groups are
// smaller (the sums take more registers). Against the tap-shifting
// kernels, batch 64, one thread, alternating calls in one process:
// 32-wide planes 1.09-1.24 (3×3, C16), 1.13-1.35 (5×5), 1.20-1.26 (5×5 of
// dilation 2); 16-wide 1.13-1.18 (3×3, C32), 1.38-1.57 (5×5). With
// dilation 2 the rows of a group are shared by more output rows, and the
// 16-wide kernels lost (0.89-0.94) with it; the 32-wide 3×3 lost too
// (0.84-0.87) until groups of two rows fitted (the pair's second vector a
// memory operand) and passed their rows on (reuse): 1.03-1.08.
//
// The weight-gradient kernels dws2w* (see wpair) split each input row the
// same way, once a pass, and shift dy instead: each split is multiplied by
// the dy rows it meets, loaded into the same lane order one or two floats
// over (masked at the row's ends: the padding). The input-gradient
// kernels dws2i* (see ipair) go the other way: the even and the odd dx
// columns of a row are sums of dy vectors shifted by at most one (5×5 of
// dilation 1 included), interleaved into dx by VUNPCKLPS / VUNPCKHPS and
// two VPERM2F128 (see ipair).
//
// The code is written for K = 3 and 5. The tap-shifting forward, which
// the 16-wide kernels of dilation 2 keep, splits each row into all its
// taps first for 3×3 (group) and one filter column at a time for 5×5
// (groupTaps), its shifts reaching two outputs over. For 3×3 the old path
// (the plane split into even and odd columns in a buffer, then the padded
// kernels) spends most of its time on the split and on calls, and the
// first direct kernels, which loaded and split a pair per tap start, ran
// 1.3-1.9 times faster (batch 64, in one process). With K = 5 the split
// is shared by 25 taps and that first design was as fast at batch 64 and
// slower on cache-resident planes (0.69-0.85 there), and was not
// generated; groupTaps, with no load past a row, ran 0.98-1.14 times the
// old path on 32×32 planes and 1.33-2.28 on 16×16 (batch 64, one thread).
// The 3×3 group (one pair a block and row, no masked loads, the shift
// indices held in registers where they fit: idxRegs, the next group's
// rows prefetched with dilation 2) ran, against those first kernels, batch
// 64, alternating calls in one process, at one and two threads: 1.03-1.06
// on 32×32 planes of dilation 1 (C16), 1.28-1.33 of dilation 2; 1.05-1.08
// on 16×16 (C32) of dilation 1, 1.54-1.63 of dilation 2. The 5×5 weight
// gradient, whose old path paid
// for a call per plane and pass besides the split, is generated in three
// passes (see wpasses); the input gradient has no shuffle per tap and is
// generated for 5×5 too (see iforms).
package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
)

var b bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

func label(s string) { fmt.Fprintf(&b, "%s:\n", s) }

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// Masks (int32 lanes, all ones where a lane may be read): dws2L<n> leaves
// out the first n lanes, dws2R<n> the last n, for the dy vectors loaded
// n floats over at a row's ends (the weight and input gradients shift dy
// by one or two outputs).
var maskNs = []int{1, 2}

func masks() {
	for _, n := range maskNs {
		for _, side := range []string{"L", "R"} {
			name := fmt.Sprintf("dws2%s%d", side, n)
			for l := 0; l < 8; l++ {
				v := "$0xffffffff"
				if side == "L" && l < n || side == "R" && l >= 8-n {
					v = "$0"
				}
				fmt.Fprintf(&b, "DATA %s<>+%d(SB)/4, %s\n", name, 4*l, v)
			}
			fmt.Fprintf(&b, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n\n", name)
		}
	}
	for _, h := range []int{-2, -1, 1, 2} {
		for l, v := range shiftIdx(h) {
			fmt.Fprintf(&b, "DATA %s<>+%d(SB)/4, $%d\n", shiftName(h), 4*l, v)
		}
		fmt.Fprintf(&b, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n\n", shiftName(h))
	}
}

// Forward registers: accumulators Y0–Y7 (output row t of the group, block
// j: Y(t·nb+j)); the pairs and splits Y8–Y13 (see split and groupTaps);
// zero Y14; Y15 the weight or scratch.
type kern struct {
	K, D, W int
	relu    bool
}

func (k kern) name() string {
	return fmt.Sprintf("dws2fK%dD%dW%dR%d", k.K, k.D, k.W, b2i(k.relu))
}

func (k kern) pad() int { return k.D * (k.K - 1) / 2 }

// nb is the number of 16-column blocks of an input row (8 outputs each).
func (k kern) nb() int { return k.W / 16 }

// rowsPer is the number of output rows of a group: 8 accumulators in all,
// so that the FMA chains cover the FMA latency; with accShift, as many
// rows (a power of 2) as the registers left by the splits hold sums of.
func (k kern) rowsPer() int {
	if !k.accShift() {
		return 8 / k.nb()
	}
	per := k.nb() * len(k.classes())
	G := 1
	for 2*G*per <= k.accBudget() && 2*G <= 8/k.nb() {
		G *= 2
	}
	return G
}

// accShift reports whether the forward k sums each output row by the
// shift of its taps (groupAcc) rather than shifting the taps (group,
// groupTaps): see the file's comment for what each measured.
func (k kern) accShift() bool { return k.D == 1 || k.W == 32 }

// classes are the shifts h of the forward's taps, in increasing order (0
// among them: the centre column).
func (k kern) classes() []int {
	var hs []int
	for _, t := range k.ftaps() {
		if !slices.Contains(hs, t.h) {
			hs = append(hs, t.h)
		}
	}
	sort.Ints(hs)
	return hs
}

// accBudget is the number of registers groupAcc has for sums: 16 less the
// splits of every block (E and O as the taps need them), the zero (Y14)
// and Y15: with two blocks the weight shared by both, with one the pair's
// second vector (two blocks take it as VSHUFPS's memory operand).
func (k kern) accBudget() int {
	needE, needO := splitsOf(k.ftaps())
	return 16 - k.nb()*(b2i(needE)+b2i(needO)) - 2
}

// reuse reports whether groupAcc keeps the rows it splits that the next
// group reads too in a buffer (buf, a plane's size), for that group to
// load rather than split again: where they are at least half the rows of
// a group (groups of one output row, 5×5 filters). Against splitting
// every row of every group (batch 64, one thread, alternating calls in
// one process): 32-wide 5×5 1.10-1.11 (dilation 1), 1.12-1.15 (dilation
// 2); where they are fewer, 0.97-1.00.
func (k kern) reuse() bool {
	offs, _ := k.rows()
	G, n := k.rowsPer(), 0
	for _, off := range offs {
		if off <= offs[len(offs)-1]-2*G {
			n++
		}
	}
	return 2*n >= len(offs)
}

// edges are the numbers of groups at the top and at the bottom of a plane
// whose rows reach past it: output row o reads input rows 2o-P .. 2o+P.
func (k kern) edges() (top, bottom int) {
	G := k.rowsPer()
	top = max(1, ((k.pad()+1)/2+G-1)/G)
	bottom = max(1, (k.pad()/2+G-1)/G)
	return top, bottom
}

// byKey returns the filter columns 0..K-1 grouped by key (the taps that
// share a dy shift), groups in the order of their first column.
func (k kern) byKey(key func(kj int) int) [][]int {
	var gs [][]int
	at := map[int]int{}
	for kj := 0; kj < k.K; kj++ {
		i, ok := at[key(kj)]
		if !ok {
			i = len(gs)
			at[key(kj)] = i
			gs = append(gs, nil)
		}
		gs[i] = append(gs[i], kj)
	}
	return gs
}

// weight returns the operand of the weight of tap (kr, kj), broadcast in
// wt (DX): loaded into reg when load (for the FMAs of both blocks),
// otherwise the memory operand of a single FMA.
func (k kern) weight(kr, kj int, load bool, reg string) string {
	w := fmt.Sprintf("%d(DX)", 32*(kr*k.K+kj))
	if !load {
		return w
	}
	p("VMOVUPS %s, %s", w, reg)
	return reg
}

// use is one output row t of the group fed by an input row through filter
// row kr.
type use struct{ t, kr int }

// rows returns, by input row offset from 2·oh (oh the group's first output
// row), the uses of that row.
func (k kern) rows() (offs []int, uses map[int][]use) { return k.rowsOf(k.rowsPer()) }

// rowsOf is rows for groups of R output rows.
func (k kern) rowsOf(R int) (offs []int, uses map[int][]use) {
	uses = map[int][]use{}
	for t := 0; t < R; t++ {
		for kr := 0; kr < k.K; kr++ {
			off := 2*t - k.pad() + kr*k.D
			uses[off] = append(uses[off], use{t, kr})
		}
	}
	for off := range uses {
		offs = append(offs, off)
	}
	sort.Ints(offs)
	return offs, uses
}

// maskName is the mask of a vector loaded s floats over (0: none): dws2L<-s>
// for s < 0, dws2R<s> for s > 0.
func maskName(s int) string {
	switch {
	case s < 0:
		return fmt.Sprintf("dws2L%d", -s)
	case s > 0:
		return fmt.Sprintf("dws2R%d", s)
	}
	return ""
}

// load emits the load of the vector at addr into dst, which reaches |s|
// lanes past the left end of a row (first, s < 0: dws2L mask) or past its
// right end (last, s > 0: dws2R mask): those lanes are masked out through
// the register mask returns for the mask's name (maskInto loads it first;
// a held mask is there already) and come back 0. Otherwise it is a plain
// load.
func load(addr string, s int, first, last bool, dst string, mask func(name string) string) {
	if first && s < 0 || last && s > 0 {
		p("VMASKMOVPS %s, %s, %s", addr, mask(maskName(s)), dst)
		return
	}
	p("VMOVUPS %s, %s", addr, dst)
}

// maskInto is load's mask for a register reg that the mask is loaded into
// before each masked load.
func maskInto(reg string) func(string) string {
	return func(name string) string {
		p("VMOVUPS %s<>(SB), %s", name, reg)
		return reg
	}
}

// imasks are the dy masks (dws2L<n>, dws2R<n>) that the input gradient k
// loads through, each held in a register for the whole call (by name):
// Y15, Y13, Y12, Y11, which ipair's sums, dy vectors and weight leave
// free (its epilogue takes Y8–Y10 for its temporaries). Reloading the
// mask before every masked load made it a load and an instruction more
// for a third (dilation 1) to a half (dilation 2, four masks) of the dy
// loads. Held, against reloaded (batch 64, one thread, alternating calls
// in one process): 3×3 of dilation 2 1.10–1.16, 5×5 1.02–1.10 (1.00–1.01
// where the 16-wide 5×5 of dilation 2 runs over the gathered plane), 3×3
// of dilation 1 1.00–1.05.
func (k kern) imasks() map[string]string {
	regs := []string{"Y15", "Y13", "Y12", "Y11"}
	m := map[string]string{}
	add := func(name string) {
		if _, ok := m[name]; !ok {
			if len(m) == len(regs) {
				panic("gen_dws2: more dy masks than registers")
			}
			m[name] = regs[len(m)]
		}
	}
	for kj := 0; kj < k.K; kj++ {
		if _, sh := k.dyShift(kj); sh != 0 {
			add(maskName(sh))
		}
	}
	return m
}

// lanes is the lane order of the outputs of a block: lane L holds output
// lanes[L] (VSHUFPS splits each 128-bit half apart). It is its own
// inverse: output o sits in lane lanes[o].
var lanes = [8]int{0, 1, 4, 5, 2, 3, 6, 7}

// shiftIdx is the shift of a block's tap vector by h = ±1 or ±2 outputs:
// the VPERMPS indices that give lane L the lane of output lanes[L]+h,
// where the outputs that fall off the block (h < 0: the first -h; h > 0:
// the last h) take the lanes of those that wrap around, so that the same
// permute of the neighbouring block puts the outputs that carry in on
// those lanes, for one VBLENDPS (carryMask) to take.
func shiftIdx(h int) [8]int {
	var idx [8]int
	for L := range idx {
		idx[L] = lanes[(lanes[L]+h+8)%8]
	}
	return idx
}

// carryMask is the VBLENDPS mask of the lanes that a shift by h takes
// from the neighbouring block (or from zero at the row's end: the
// padding): outputs 0..-h-1 for h < 0, 8-h..7 for h > 0.
func carryMask(h int) int {
	m := 0
	for o := 0; o < 8; o++ {
		if o+h < 0 || o+h > 7 {
			m |= 1 << lanes[o]
		}
	}
	return m
}

// shiftName is the name of the index table of shiftIdx(h).
func shiftName(h int) string {
	if h < 0 {
		return fmt.Sprintf("dws2Sm%d", -h)
	}
	return fmt.Sprintf("dws2Sp%d", h)
}

// shiftBlocks emits the shift by h outputs of the split vectors src of a
// row's blocks into dst: a VPERMPS of each by the indices in idx (which
// may be the last block's dst), then a VBLENDPS into each of the outputs
// its neighbour carries in (h < 0: from the last block down, each taking
// the one before; h > 0: from the first up, each taking the one after),
// or of zero (Y14) at the row's ends.
func shiftBlocks(h int, idx string, src, dst []string) {
	nb := len(src)
	for j := range src {
		p("VPERMPS %s, %s, %s", src[j], idx, dst[j])
	}
	m := carryMask(h)
	for i := 0; i < nb; i++ {
		j, nbr := nb-1-i, nb-2-i
		if h > 0 {
			j, nbr = i, i+1
		}
		from := "Y14"
		if nbr >= 0 && nbr < nb {
			from = dst[nbr]
		}
		p("VBLENDPS $%d, %s, %s, %s", m, from, dst[j], dst[j])
	}
}

// ftap is how the forward gets the tap vector of a filter column: output
// o of column kj reads input column 2o+c, c = kj·D-P, which is the even
// (E: input 2o) or odd (O: 2o+1) split of the row shifted by h outputs.
type ftap struct {
	odd bool
	h   int
}

// splitsOf reports which splits the taps ts read: the even (E) and the
// odd (O) columns.
func splitsOf(ts []ftap) (needE, needO bool) {
	for _, t := range ts {
		needE = needE || !t.odd
		needO = needO || t.odd
	}
	return needE, needO
}

func (k kern) ftaps() []ftap {
	var ts []ftap
	for kj := 0; kj < k.K; kj++ {
		c := kj*k.D - k.pad()
		odd := c%2 != 0
		h := (c - b2i(odd)) / 2
		ts = append(ts, ftap{odd, h})
	}
	return ts
}

// fshifts lists the shifted splits the forward's taps need, in the order
// of their first filter column.
func (k kern) fshifts() []ftap {
	var shifts []ftap
	for _, t := range k.ftaps() {
		if t.h != 0 && !slices.Contains(shifts, t) {
			shifts = append(shifts, t)
		}
	}
	return shifts
}

// idxRegs gives the registers that hold the VPERMPS indices of the
// forward's shifts for the whole kernel, by shift: with one block the
// registers of the second block's pair are free, and with two Y15 is when
// a single shift needs it (the weights then stay in memory, one load per
// FMA, instead of passing through Y15). Otherwise (two blocks, dilation 2)
// it is empty, and each row loads its indices into Y15.
func (k kern) idxRegs() map[int]string {
	sh := k.fshifts()
	switch {
	case k.nb() == 1:
		m := map[int]string{}
		for n, t := range sh {
			m[t.h] = []string{"Y15", "Y13"}[n]
		}
		return m
	case len(sh) == 1:
		return map[int]string{sh[0].h: "Y15"}
	}
	return nil
}

// splitPair emits the split of a 16-column block whose first vector is in
// register first and whose second is the operand second (a register or
// memory): its even columns into e and its odd ones into o ("" for a
// split no tap reads), each by VSHUFPS, the one that does not overwrite
// first before the one that does, and both rectified against the register
// zero when relu, unless zero is "" (the pair is rectified already).
func (k kern) splitPair(first, second, e, o, zero string) {
	eOp := func() { p("VSHUFPS $0x88, %s, %s, %s", second, first, e) }
	oOp := func() { p("VSHUFPS $0xDD, %s, %s, %s", second, first, o) }
	switch {
	case e == "":
		oOp()
	case o == "":
		eOp()
	case e == first:
		oOp()
		eOp()
	default:
		eOp()
		oOp()
	}
	if k.relu && zero != "" {
		for _, r := range []string{e, o} {
			if r != "" {
				p("VMAXPS %s, %s, %s", r, zero, r)
			}
		}
	}
}

// loadPair emits the loads of the 16-column block at byte offset a from SI
// and their split (splitPair) into e and o: the first vector into the
// register first, the second into tmp, or, where tmp is "", as the
// shuffles' memory operand. With the ReLU and both vectors in registers,
// each load is the memory operand of its VMAXPS (x the second source:
// relu1 in elementwise.go) and the splits need no max after: one
// instruction less a split (two where both splits are taken) against
// rectifying the splits (3×3 forward of dilation 1 on 32×32 planes, batch
// 64, one thread, alternating calls in one process: 1.04–1.05).
func (k kern) loadPair(a int, first, tmp, e, o, zero string) {
	fa, sa := fmt.Sprintf("%d(SI)", a), fmt.Sprintf("%d(SI)", a+32)
	if k.relu && tmp != "" {
		p("VMAXPS %s, %s, %s", fa, zero, first)
		p("VMAXPS %s, %s, %s", sa, zero, tmp)
		k.splitPair(first, tmp, e, o, "")
		return
	}
	p("VMOVUPS %s, %s", fa, first)
	second := sa
	if tmp != "" {
		p("VMOVUPS %s, %s", sa, tmp)
		second = tmp
	}
	k.splitPair(first, second, e, o, zero)
}

// split emits the loads and splits of one input row at byte offset a from
// SI for the forward and returns the register of each filter column's tap
// vector, block by block. Block j's pair goes to Y(8+3j), Y(9+3j); the
// even split to Y(10+3j) and the odd split over the first vector, both
// rectified when relu; the shifted vectors take the registers left free.
// Shifts permute each block's vector with VPERMPS (indices in the
// register idxRegs gives, or else loaded into Y15, which the caller then
// reuses) and blend in the neighbouring block's carried output, or zero at
// the row's ends. No load reaches past the row.
func (k kern) split(a int) [][]string {
	nb, ts, shifts, held := k.nb(), k.ftaps(), k.fshifts(), k.idxRegs()
	for _, t := range ts {
		if t.h < -1 || t.h > 1 {
			panic("gen_dws2: forward taps more than one output away")
		}
	}
	needE, needO := splitsOf(ts)
	reg := func(j, i int) string { return fmt.Sprintf("Y%d", 8+3*j+i) }
	base := func(j int, odd bool) string { return reg(j, 2-2*b2i(odd)) }
	if k.D == 2 {
		// The rows a group of dilation 2 reads are every other one (the
		// odd rows meet no tap), and the hardware prefetchers fall behind
		// on that stride: fetch the same row of the next group.
		for l := 0; l < 4*k.W; l += 64 {
			p("PREFETCHT0 %d(SI)", a+l+4*2*k.rowsPer()*k.W)
		}
	}
	for j := 0; j < nb; j++ {
		e, o := "", ""
		if needE {
			e = reg(j, 2)
		}
		if needO {
			o = reg(j, 0)
		}
		k.loadPair(a+64*j, reg(j, 0), reg(j, 1), e, o, "Y14")
	}
	free := []int{1}
	if !needO {
		free = append(free, 0)
	}
	if len(shifts) > len(free) {
		panic("gen_dws2: more shifted taps than free registers")
	}
	at := map[ftap]int{}
	for n, sh := range shifts {
		at[sh] = free[n]
		idx, ok := held[sh.h]
		if !ok {
			idx = "Y15"
			p("VMOVUPS %s<>(SB), Y15", shiftName(sh.h))
		}
		src, dst := make([]string, nb), make([]string, nb)
		for j := range src {
			src[j], dst[j] = base(j, sh.odd), reg(j, free[n])
		}
		shiftBlocks(sh.h, idx, src, dst)
	}
	out := make([][]string, nb)
	for j := range out {
		for _, t := range ts {
			r := base(j, t.odd)
			if t.h != 0 {
				r = reg(j, at[t])
			}
			out[j] = append(out[j], r)
		}
	}
	return out
}

// group emits the code of one group of output rows: SI points at input
// row 2·oh, DI at output row oh. top / bottom: skip the rows above row 0
// / from row 2·rowsPer on (the plane's last group). Each input row is
// loaded and split once (split) and each tap vector multiplied into every
// output row it feeds, by the weight in memory, or, with two blocks and
// Y15 free (idxRegs), by the weight loaded once into Y15 for both.
func (k kern) group(top, bottom bool) {
	offs, uses := k.rows()
	nb, R := k.nb(), k.rowsPer()
	inited := make([]bool, R*nb)
	for _, off := range offs {
		if top && off < 0 || bottom && off >= 2*R {
			continue
		}
		tv := k.split(4 * off * k.W)
		for kj := 0; kj < k.K; kj++ {
			for _, u := range uses[off] {
				w := k.weight(u.kr, kj, nb == 2 && len(k.idxRegs()) == 0, "Y15")
				for j := 0; j < nb; j++ {
					a := u.t*nb + j
					if !inited[a] {
						p("VMULPS %s, %s, Y%d", w, tv[j][kj], a)
						inited[a] = true
						continue
					}
					p("VFMADD231PS %s, %s, Y%d", w, tv[j][kj], a)
				}
			}
		}
	}
	k.store(inited)
}

// store ends a group of output rows: the sums (zero where no tap reached)
// put back in order and stored, SI and DI moved on to the next group.
func (k kern) store(inited []bool) {
	nb, R := k.nb(), k.rowsPer()
	for t := 0; t < R; t++ {
		for j := 0; j < nb; j++ {
			acc := fmt.Sprintf("Y%d", t*nb+j)
			if !inited[t*nb+j] {
				p("VXORPS %s, %s, %s", acc, acc, acc)
			}
			p("VPERMPD $0xD8, %s, %s", acc, acc)
			p("VMOVUPS %s, %d(DI)", acc, 4*(t*k.W/2)+32*j)
		}
	}
	p("ADDQ $%d, SI", 4*2*R*k.W)
	p("ADDQ $%d, DI", 4*R*k.W/2)
}

// groupTaps is group for filters whose taps reach further than one
// output (5×5), one filter column at a time: each input row is loaded and
// split into E (Y8, Y10: blocks 0 and 1) and O (Y9, Y11), rectified; then
// each column's tap vector of each block is a split as it is or shifted
// into Y12, Y13 (the indices loaded into Y13, which the last VPERMPS
// overwrites), and multiplied into the output rows it feeds, by the
// weight loaded into Y15 once for both blocks (from memory with one).
func (k kern) groupTaps(top, bottom bool) {
	offs, uses := k.rows()
	nb, R, ts := k.nb(), k.rowsPer(), k.ftaps()
	needE, needO := splitsOf(ts)
	inited := make([]bool, R*nb)
	y := func(i int) string { return fmt.Sprintf("Y%d", i) }
	for _, off := range offs {
		if top && off < 0 || bottom && off >= 2*R {
			continue
		}
		a := 4 * off * k.W
		for j := 0; j < nb; j++ {
			e, o, t := y(8+2*j), y(9+2*j), y(12+j)
			first := e
			if !needE {
				e = ""
			}
			if !needO {
				o = ""
			}
			k.loadPair(a+64*j, first, t, e, o, "Y14")
		}
		for kj, tp := range ts {
			tv := make([]string, nb)
			for j := range tv {
				tv[j] = y(8 + 2*j + b2i(tp.odd))
			}
			if tp.h != 0 {
				p("VMOVUPS %s<>(SB), Y13", shiftName(tp.h))
				dst := []string{"Y12", "Y13"}[:nb]
				shiftBlocks(tp.h, "Y13", tv, dst)
				tv = dst
			}
			for _, u := range uses[off] {
				w := k.weight(u.kr, kj, nb == 2, "Y15")
				for j := 0; j < nb; j++ {
					acc := u.t*nb + j
					if !inited[acc] {
						p("VMULPS %s, %s, Y%d", w, tv[j], acc)
						inited[acc] = true
						continue
					}
					p("VFMADD231PS %s, %s, Y%d", w, tv[j], acc)
				}
			}
		}
	}
	k.store(inited)
}

// groupAcc is group for any filter, summing by shift instead of shifting
// the taps: Σ_kj w·V(o+h) over the columns of one shift h is the shift by
// h of Σ_kj w·V(o), so each output row keeps one sum a block and shift
// (acc), every tap multiplies a split (E or O) as it is, and a row's sums
// of shift h ≠ 0 are shifted once when the group ends (shiftBlocks, the
// neighbouring block's carry or the padding's zero blended in) and added
// to the sums of shift 0. The shifts then cost one VPERMPS and one
// VBLENDPS a block, shift and output row, instead of a block, shift and
// input row that a group reads. SI points at input row 2·oh, DI at output
// row oh; the input rows at offsets (from 2·oh) under lo or from hi on lie
// outside the plane and are skipped. With reuse, R10 points at row 2·oh
// of a buffer laid out as the plane: the rows the next group reads too
// are stored there split, and a group other than a plane's first (first)
// loads those the one before stored.
func (k kern) groupAcc(lo, hi int, first bool) {
	offs, uses := k.rows()
	nb, G, ts, cls := k.nb(), k.rowsPer(), k.ftaps(), k.classes()
	needE, needO := splitsOf(ts)
	acc := func(t, j, h int) int { return (t*len(cls)+slices.Index(cls, h))*nb + j }
	nacc := G * len(cls) * nb
	E, O, T, next := k.accRegs()
	held := k.heldWeights()
	// The second vector of a pair: T with one block, else, with the ReLU
	// and both splits taken, a register left over if there is one, so
	// that loadPair rectifies the pair as it loads it.
	tmp := T
	if tmp == "" && k.relu && needE && needO && next < 14 {
		tmp = fmt.Sprintf("Y%d", next)
	}
	inited := make([]bool, nacc)
	last := offs[len(offs)-1]
	reuse := k.reuse()
	if !reuse {
		first = true
	}
	for _, off := range offs {
		if off < lo || off >= hi {
			continue
		}
		a := 4 * off * k.W
		if !first && off <= last-2*G {
			// Split by the group before (2G rows up): from the buffer.
			for j := 0; j < nb; j++ {
				if needE {
					p("VMOVUPS %d(R10), %s", a+64*j, E[j])
				}
				if needO {
					p("VMOVUPS %d(R10), %s", a+64*j+32, O[j])
				}
			}
		} else {
			if k.D == 2 && off+2*G > last {
				// A row that the next group reads first: rows of dilation
				// 2 are every other one, on which the hardware prefetchers
				// fall behind.
				for l := 0; l < 4*k.W; l += 64 {
					p("PREFETCHT0 %d(SI)", a+l+4*2*G*k.W)
				}
			}
			for j := 0; j < nb; j++ {
				e := E[j]
				if !needE {
					e = ""
				}
				k.loadPair(a+64*j, E[j], tmp, e, O[j], "Y14")
				if reuse && off >= offs[0]+2*G {
					// The group after reads it again.
					if needE {
						p("VMOVUPS %s, %d(R10)", E[j], a+64*j)
					}
					if needO {
						p("VMOVUPS %s, %d(R10)", O[j], a+64*j+32)
					}
				}
			}
		}
		for kj, tp := range ts {
			for _, u := range uses[off] {
				w, ok := held[[2]int{u.kr, kj}]
				if !ok {
					w = k.weight(u.kr, kj, nb == 2, "Y15")
				}
				for j := 0; j < nb; j++ {
					v := E[j]
					if tp.odd {
						v = O[j]
					}
					a := acc(u.t, j, tp.h)
					if !inited[a] {
						p("VMULPS %s, %s, Y%d", w, v, a)
						inited[a] = true
						continue
					}
					p("VFMADD231PS %s, %s, Y%d", w, v, a)
				}
			}
		}
	}
	idx := E[0]
	for t := 0; t < G; t++ {
		sums := make([]string, nb)
		for j := range sums {
			sums[j] = fmt.Sprintf("Y%d", acc(t, j, 0))
			if !inited[acc(t, j, 0)] {
				panic("gen_dws2: an output row without its centre tap")
			}
		}
		for _, h := range cls {
			if h == 0 || !inited[acc(t, 0, h)] {
				continue
			}
			src := make([]string, nb)
			for j := range src {
				src[j] = fmt.Sprintf("Y%d", acc(t, j, h))
			}
			p("VMOVUPS %s<>(SB), %s", shiftName(h), idx)
			shiftBlocks(h, idx, src, src)
			for j := range src {
				p("VADDPS %s, %s, %s", src[j], sums[j], sums[j])
			}
		}
		for j, s := range sums {
			p("VPERMPD $0xD8, %s, %s", s, s)
			p("VMOVUPS %s, %d(DI)", s, 4*(t*k.W/2)+32*j)
		}
	}
	p("ADDQ $%d, SI", 4*2*G*k.W)
	if reuse {
		p("ADDQ $%d, R10", 4*2*G*k.W)
	}
	p("ADDQ $%d, DI", 4*G*k.W/2)
}

// accRegs is groupAcc's register plan after its sums (from Y0): each
// block's even split E and, where a tap reads it, odd split O, then with
// one block the pair's second vector T, Y14 (the zero) skipped; next is
// the first register left. The second vector is, with two blocks, the
// memory operand of both VSHUFPS instead (5×5 on 32-wide planes:
// 1.10-1.13 against 1.06 a register, relative to the kernels before the
// buffer; one block: 0.97-0.99 against 0.99-1.00), and Y15 then holds the
// weight both blocks share.
func (k kern) accRegs() (E, O []string, T string, next int) {
	nb := k.nb()
	_, needO := splitsOf(k.ftaps())
	next = k.rowsPer() * len(k.classes()) * nb
	take := func() string {
		if next == 14 {
			next++
		}
		if next > 15 || next == 15 && nb == 2 {
			panic("gen_dws2: groupAcc out of registers")
		}
		next++
		return fmt.Sprintf("Y%d", next-1)
	}
	E, O = make([]string, nb), make([]string, nb)
	for j := 0; j < nb; j++ {
		E[j] = take()
		if needO {
			O[j] = take()
		}
	}
	if nb == 1 {
		T = take()
	}
	return E, O, T, next
}

// heldWeights are the weights that groupAcc's kernels keep in registers
// for the whole call (loaded once by emit), by (kr, kj): on 16-wide planes
// the FMAs otherwise take each weight from memory, one load an FMA, and
// the registers groupAcc leaves (after its sums, the splits and the pair's
// second vector, Y14 the zero; Y15, which two blocks take for the weight
// they share) hold the first taps' weights: four of the nine of 3×3,
// which against none ran 1.01–1.09 (16×16 C32, 8 to 512 planes, one
// thread, alternating calls in one process). 5×5 has one register left,
// and holding one weight in it ran 0.97–1.02: none. The tap-shifting
// kernels of dilation 2 (group) hold none either: two of the 3×3 weights
// in the two registers they leave ran 0.97–1.03.
func (k kern) heldWeights() map[[2]int]string {
	if !k.accShift() || k.nb() != 1 || k.K != 3 {
		return nil
	}
	_, _, _, next := k.accRegs()
	var free []string
	for r := next; r < 16; r++ {
		if r != 14 {
			free = append(free, fmt.Sprintf("Y%d", r))
		}
	}
	m := map[[2]int]string{}
	for i := 0; i < len(free) && i < k.K*k.K; i++ {
		m[[2]int{i / k.K, i % k.K}] = free[i]
	}
	return m
}

// none is the bound of rowLoopEdges's blocks that skips no row.
const none = 1 << 20

// rowLoopEdges emits the walk down one plane of kernel n: top blocks of
// rows at the top and bottom at the bottom (see edges), each skipping the
// input rows past the plane (those at offsets from the block's first
// under lo or from hi on), and R8-top-bottom middle ones between, R8 >=
// top+bottom; first marks the plane's first block. It uses CX.
func rowLoopEdges(n string, G, top, bottom int, block func(lo, hi int, first bool)) {
	for g := 0; g < top; g++ {
		block(-2*g*G, none, g == 0)
	}
	p("MOVQ R8, CX")
	p("SUBQ $%d, CX", top+bottom)
	p("JZ %s_last", n)
	label(n + "_mid")
	block(-none, none, false)
	p("DECQ CX")
	p("JNZ %s_mid", n)
	label(n + "_last")
	for e := bottom - 1; e >= 0; e-- {
		block(-none, 2*(e+1)*G, false)
	}
}

// rowLoop is rowLoopEdges for blocks that only tell the first block of a
// plane (top) and the last (bottom) from the others, R8 >= 2.
func rowLoop(n string, block func(top, bottom bool)) {
	rowLoopEdges(n, 1, 1, 1, func(lo, hi int, _ bool) { block(lo > -none, hi < none) })
}

// prologue starts a kernel n of the three families,
//
//	func n(o *float32, x *float32, w *float32, rows int, np int[, extra])
//
// (o, w and rows named as given, extra one more pointer argument): o in
// DI, x in SI, w in DX, rows in R8, np in R9, zero in Y14; with np = 0 it
// returns at once.
func prologue(n, o, x, w, rows string, extra ...string) {
	args := fmt.Sprintf("%s *float32, %s *float32, %s *float32, %s int, np int", o, x, w, rows)
	frame := 40
	for _, e := range extra {
		args += ", " + e
		frame += 8
	}
	fmt.Fprintf(&b, "// func %s(%s)\n", n, args)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", n, frame)
	for i, a := range []string{o, x, w, rows, "np"} {
		p("MOVQ %s+%d(FP), %s", a, 8*i, []string{"DI", "SI", "DX", "R8", "R9"}[i])
	}
	p("VXORPS Y14, Y14, Y14")
	p("TESTQ R9, R9")
	p("JZ %s_done", n)
}

// epilogue ends kernel n: the plane loop's count down (R9) to the label
// plane, then after (if any), and the return.
func epilogue(n, plane string, after ...func()) {
	p("DECQ R9")
	p("JNZ %s_%s", n, plane)
	finish(n, after...)
}

// finish ends kernel n once its planes are done: after (if any), then
// the return.
func finish(n string, after ...func()) {
	for _, f := range after {
		f()
	}
	label(n + "_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// emit writes the forward kernel (its last argument, buf, a buffer of H·W
// floats that groupAcc uses with reuse): for each plane a single group
// (groups = 1) or the groups at its top, the middle ones and those at its
// bottom (see edges).
func (k kern) emit() {
	n := k.name()
	prologue(n, "y", "x", "wt", "groups", "buf *float32")
	g := k.groupTaps
	if k.K == 3 && !k.accShift() {
		g = k.group
		for _, sh := range k.fshifts() {
			if r, ok := k.idxRegs()[sh.h]; ok {
				p("VMOVUPS %s<>(SB), %s", shiftName(sh.h), r)
			}
		}
	}
	ga := func(lo, hi int, first bool) { g(lo > -none, hi < none) }
	if k.accShift() {
		ga = k.groupAcc
		held := k.heldWeights()
		for _, kw := range slices.SortedFunc(maps.Keys(held), func(a, b [2]int) int { return (a[0]*k.K + a[1]) - (b[0]*k.K + b[1]) }) {
			p("VMOVUPS %d(DX), %s", 32*(kw[0]*k.K+kw[1]), held[kw])
		}
	}
	G := k.rowsPer()
	top, bottom := k.edges()
	reuse := k.accShift() && k.reuse()
	if reuse {
		p("MOVQ buf+40(FP), BX")
	}
	p("CMPQ R8, $1")
	p("JEQ %s_single", n)
	label(n + "_plane")
	if reuse {
		p("MOVQ BX, R10")
	}
	rowLoopEdges(n, G, top, bottom, ga)
	p("DECQ R9")
	p("JNZ %s_plane", n)
	p("JMP %s_done", n)
	label(n + "_single")
	if reuse {
		p("MOVQ BX, R10")
	}
	ga(0, 2*G, true)
	epilogue(n, "single")
}

// eeAhead is how far (bytes, 16 rows of 32 floats) ahead the gather
// prefetches its rows: every other row of a plane is read, on which the
// hardware prefetchers fall behind (4 KiB ahead, against none, one
// thread: 0.054-0.077 ms against 0.075-0.097 for the even rows of 4 MiB).
const eeAhead = 4096

// eemit writes dws2eW<W>R<relu>(dst, src *float32, rows int), which
// stores the even columns of every other row of src (rows rows of W/2
// floats, from rows 0, 2, 4, ... of planes W floats wide), rectified when
// relu: the plane that a forward of dilation 2 and stride 2 reads (see
// dwForwardS2EEBody). Each 16-column block is a pair split by VSHUFPS
// (lane order 0 1 4 5 2 3 6 7) and put in order by one VPERMPD.
func eemit(W int, relu bool) {
	n := fmt.Sprintf("dws2eW%dR%d", W, b2i(relu))
	fmt.Fprintf(&b, "// func %s(dst *float32, src *float32, rows int)\n", n)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-24\n", n)
	p("MOVQ dst+0(FP), DI")
	p("MOVQ src+8(FP), SI")
	p("MOVQ rows+16(FP), CX")
	p("VXORPS Y14, Y14, Y14")
	p("TESTQ CX, CX")
	p("JZ %s_done", n)
	label(n + "_row")
	for l := 0; l < 4*W; l += 64 {
		p("PREFETCHT0 %d(SI)", l+eeAhead)
	}
	for j := 0; j < W/16; j++ {
		a, c := fmt.Sprintf("Y%d", 2*j), fmt.Sprintf("Y%d", 2*j+1)
		p("VMOVUPS %d(SI), %s", 64*j, a)
		p("VSHUFPS $0x88, %d(SI), %s, %s", 64*j+32, a, a)
		if relu {
			p("VMAXPS %s, Y14, %s", a, a)
		}
		p("VPERMPD $0xD8, %s, %s", a, c)
		p("VMOVUPS %s, %d(DI)", c, 32*j)
	}
	p("ADDQ $%d, SI", 4*2*W)
	p("ADDQ $%d, DI", 4*W/2)
	p("DECQ CX")
	p("JNZ %s_row", n)
	label(n + "_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// wname is the name of the weight-gradient kernel (of pass ip when the
// filter takes several, see wpasses).
func (k kern) wname(ip int) string {
	n := fmt.Sprintf("dws2wK%dD%dW%dR%d", k.K, k.D, k.W, b2i(k.relu))
	if len(k.wpasses()) > 1 {
		n += fmt.Sprintf("P%d", ip)
	}
	return n
}

// wpass is one pass of the weight gradient: the K·nk taps of filter
// columns kj0 ≤ kj < kj0+nk.
// wpass is a pass of the weight gradient: the filter columns it sums.
type wpass struct{ kjs []int }

// wpasses splits the filter columns into passes whose tap sums fit the
// registers with the rest (see wregs): all three for K = 3; for K = 5 of
// dilation 1 the columns 0 and 2, 1 and 3, then 4, so that each pass
// splits its rows into the even columns or the odd ones only (one VSHUFPS
// and one VMAXPS a block, not two of each; two shifts of dy): against
// columns 0–1, 2–3 and 4, one thread, alternating calls in one process,
// 1.03–1.05 on 32×32 planes and 1.04–1.08 on 16×16; with dilation 2, all
// of whose taps take the even columns, 0–1, 2–3 and 4, each pass's taps
// two shifts of dy. Against the old 5×5 path (the plane split into
// even and odd columns in a buffer, one call a plane and pass), batch 64,
// in one process, the first of these kernels (a pair loaded and split per
// tap start): 16×16 planes 1.46–1.86 (dilation 1) and 1.39–1.56 (dilation
// 2) at one thread, 1.53–2.12 at two; 32×32 of dilation 1 1.10–1.36 at
// one thread, 1.00–1.27 at two. On 32×32 planes of dilation 2 they ran
// 0.87–0.90 and were left out; with dy shifted instead of the input (see
// wpair) they run 1.52–1.76 times the old path there, and all are
// generated.
func (k kern) wpasses() []wpass {
	if k.K == 3 {
		return []wpass{{[]int{0, 1, 2}}}
	}
	if k.D == 1 {
		return []wpass{{[]int{0, 2}}, {[]int{1, 3}}, {[]int{4}}}
	}
	return []wpass{{[]int{0, 1}}, {[]int{2, 3}}, {[]int{4}}}
}

// wregs is the register layout of a weight-gradient pass: its taps, the
// shifts of dy they take (hs) and the registers of the dy rows of each
// shift (two rows each), of the input row's first vector and its splits
// (E: split[false], O: split[true]), and of the ReLU's zero. The K·n sums
// of its n columns come first, from Y0 (row kr, the pass's i-th column:
// Y(kr·n+i)). The zero must be a register: the ReLU is VMAXPS with x as
// its second source (relu1 in elementwise.go), and only that source can be
// memory. Where the registers run out (3×3 of dilation 2 with the ReLU:
// nine sums, three shifts of dy for two rows, the first vector), the dy
// rows of shift 0, which wnat loads as they are, stay in memory (dyMem)
// and are the FMAs' memory operands: a load a use instead of one a pair.
type wregs struct {
	ts    []ftap
	hs    []int
	dy    map[int][2]string
	dyMem bool
	first string
	split map[bool]string
	zero  string
}

func (k kern) wregs(ps wpass) wregs {
	r := wregs{dy: map[int][2]string{}, split: map[bool]string{}}
	for _, kj := range ps.kjs {
		r.ts = append(r.ts, k.ftaps()[kj])
	}
	for _, t := range r.ts {
		if !slices.Contains(r.hs, t.h) {
			r.hs = append(r.hs, t.h)
		}
	}
	needE, needO := splitsOf(r.ts)
	next := k.K * len(ps.kjs)
	need := next + 2*len(r.hs) + 1 + b2i(needE && needO) + b2i(k.relu)
	r.dyMem = need > 16 && k.wnat() && slices.Contains(r.hs, 0)
	reg := func() string {
		if next > 15 {
			panic("gen_dws2: weight-gradient pass out of registers")
		}
		next++
		return fmt.Sprintf("Y%d", next-1)
	}
	for _, h := range r.hs {
		if h == 0 && r.dyMem {
			continue
		}
		r.dy[h] = [2]string{reg(), reg()}
	}
	r.first = reg()
	if needE && needO {
		r.split[false], r.split[true] = reg(), r.first
	} else {
		r.split[needO] = r.first
	}
	if k.relu {
		r.zero = reg()
	}
	return r
}

// wpair emits one pair of output rows of pass ps of the weight gradient:
// DI points at dy row oh, SI at input row 2·oh; top / bottom as in group.
// It shifts dy instead of the input: the tap of filter column kj is a
// split of the input row (E or O) shifted by h outputs (see ftaps), and
// Σ dy[o]·V[o+h] = Σ dy[o-h]·V[o], so every column's sums take a split as
// it is, against dy loaded h floats back into the tap lane order: its two
// halves each broadcast by VBROADCASTF128 (a load) and interleaved by a
// VSHUFPD, in-lane, rather than one VPERMPD from memory (1.6 FMA slots in
// bench/ports; 1.02-1.05 for 5×5 and 1.01-1.04 for 3×3 of dilation 1, one
// thread, alternating calls in one process), or where the load is masked
// (its first h lanes in the row's first block for h > 0, its last -h
// lanes in the last block for h < 0: the padding) loaded, then put in
// order by VPERMPD. Each input row is
// then loaded once and split once a pass into the splits its taps need,
// with no masked loads, and each split multiplied by the dy rows it meets
// into the sums (registers: wregs).
func (k kern) wpair(ps wpass, top, bottom bool) {
	offs, uses := k.rowsOf(2)
	nb, r := k.nb(), k.wregs(ps)
	for j := 0; j < nb; j++ {
		for t := 0; t < 2; t++ {
			for _, h := range r.hs {
				a, d := fmt.Sprintf("%d(DI)", 4*t*k.W/2+32*j-4*h), r.dy[h][t]
				if h == 0 && r.dyMem {
					continue
				}
				if h > 0 && j == 0 || h < 0 && j == nb-1 {
					// Past the row's end: masked (load), then reordered.
					load(a, -h, j == 0, j == nb-1, d, maskInto(r.first))
					if !k.wnat() {
						p("VPERMPD $0xD8, %s, %s", d, d)
					}
					continue
				}
				if k.wnat() {
					p("VMOVUPS %s, %s", a, d)
					continue
				}
				// dy[0..3] and dy[4..7], each broadcast to both halves,
				// then the lane order 0 1 4 5 2 3 6 7 by VSHUFPD.
				p("VBROADCASTF128 %s, %s", a, d)
				p("VBROADCASTF128 %d(DI), %s", 4*t*k.W/2+32*j-4*h+16, r.first)
				p("VSHUFPD $0x0C, %s, %s, %s", r.first, d, d)
			}
		}
		for _, off := range offs {
			if top && off < 0 || bottom && off >= 4 {
				continue
			}
			a := 4*off*k.W + 64*j
			// No register is left for the second vector (loadPair).
			k.loadPair(a, r.first, "", r.split[false], r.split[true], r.zero)
			if k.wpf() {
				p("PREFETCHT0 %d(SI)", a+iAhead)
			}
			if k.wnat() {
				for _, odd := range []bool{false, true} {
					if v, ok := r.split[odd]; ok {
						p("VPERMPD $0xD8, %s, %s", v, v)
					}
				}
			}
			for _, u := range uses[off] {
				for i, t := range r.ts {
					d := r.dy[t.h][u.t]
					if t.h == 0 && r.dyMem {
						d = fmt.Sprintf("%d(DI)", 4*u.t*k.W/2+32*j)
					}
					p("VFMADD231PS %s, %s, Y%d", d, r.split[t.odd], u.kr*len(ps.kjs)+i)
				}
			}
		}
	}
	p("ADDQ $%d, SI", 4*4*k.W)
	p("ADDQ $%d, DI", 4*k.W)
}

// wnat reports whether the weight gradient k puts its splits in column
// order (one VPERMPD a split) and loads dy as it is, rather than dy in the
// splits' lane order (one VPERMPD a dy vector and shift): 3×3 of dilation
// 2, whose taps take three shifts of dy and the even columns alone (a pair
// of 32-wide rows: 8 VPERMPD instead of 12). Against dy reordered, one
// thread, alternating calls in one process: 1.07–1.11 on 32×32 planes,
// 1.03–1.04 on 16×16. (5×5 of dilation 2 runs over the gathered plane,
// dilation 1 splits more rows than it shifts dy.)
func (k kern) wnat() bool { return k.K == 3 && k.D == 2 }

// wunroll: the weight-gradient kernels run a 16×16 plane (the second
// reduction cell's) as its four pairs unrolled, not as the first pair, a
// loop over the two middle ones and the last. Against the loop, batch 64
// C32, one thread, alternating calls in one process: 3×3 of dilation 2
// 1.36–1.51, 5×5 of dilation 2 1.06–1.14, dilation 1 1.01–1.04. The
// 32×32 planes of eight pairs ran 0.81–0.97 unrolled (twice the code a
// pair) and keep the loop.
//
// wemit writes the weight-gradient kernels, one a pass,
//
//	func dws2wK<K>D<D>W<W>R<relu>[P<pass>](dy *float32, x *float32, out *float32, pairs int, np int)
//
// each of which sums dy·x for its taps over np >= 1 planes (4·pairs rows
// of x, 2·pairs rows of dy each) and stores the sums to out[kr·K+kj].
func (k kern) wemit() {
	for ip, ps := range k.wpasses() {
		n := k.wname(ip)
		r := k.wregs(ps)
		prologue(n, "dy", "x", "out", "pairs")
		if r.zero != "" {
			p("VXORPS %s, %s, %s", r.zero, r.zero, r.zero)
		}
		for i := 0; i < k.K*len(ps.kjs); i++ {
			p("VXORPS Y%d, Y%d, Y%d", i, i, i)
		}
		if k.W == 16 {
			// A 16×16 plane (4 pairs) unrolled whole, with no loop of
			// its own: see wunroll.
			p("CMPQ R8, $4")
			p("JEQ %s_plane4", n)
		}
		label(n + "_plane")
		rowLoop(n, func(top, bottom bool) { k.wpair(ps, top, bottom) })
		p("DECQ R9")
		p("JNZ %s_plane", n)
		if k.W == 16 {
			p("JMP %s_sums", n)
			label(n + "_plane4")
			for i := 0; i < 4; i++ {
				k.wpair(ps, i == 0, i == 3)
			}
			p("DECQ R9")
			p("JNZ %s_plane4", n)
			label(n + "_sums")
		}
		finish(n, func() {
			for i := 0; i < k.K*len(ps.kjs); i++ {
				kr, kj := i/len(ps.kjs), ps.kjs[i%len(ps.kjs)]
				p("VEXTRACTF128 $1, Y%d, X15", i)
				p("VADDPS X15, X%d, X%d", i, i)
				p("VHADDPS X%d, X%d, X%d", i, i, i)
				p("VHADDPS X%d, X%d, X%d", i, i, i)
				p("VMOVSS X%d, %d(DX)", i, 4*(kr*k.K+kj))
			}
		})
	}
}

// iname is the name of the input-gradient kernel (set: dx written, not
// added to).
func (k kern) iname(set bool) string {
	return fmt.Sprintf("dws2iK%dD%dW%dR%dS%d", k.K, k.D, k.W, b2i(k.relu), b2i(set))
}

// dyShift is, for filter column kj, the dx column parity it reaches (odd)
// and the shift s of the dy vector it reads: dx column 16j+2m (+1 when odd)
// receives w·dy[8j+m+s].
func (k kern) dyShift(kj int) (odd bool, s int) {
	c := kj*k.D - k.pad()
	if c%2 != 0 {
		return true, -(c - 1) / 2
	}
	return false, -c / 2
}

// ipair emits npair pairs of dx rows (2p .. 2p+2·npair-1) of the input
// gradient: DI points at dx row 2p, SI at x row 2p, BX at dy row p. Each
// dy row p+q that a filter row reaches from any of those dx rows is
// loaded once per shift (-1, 0 or +1; masked where it passes the row's
// ends) and block (into Y8, Y9) and multiplied into the sums of the even
// (E) and the odd (O) dx columns of all rows and blocks that it reaches
// (in Y0–Y7, with the partial sums of ipartials), so that up to eight
// chains of FMAs interleave: one pair of 32-wide rows, or two of 16-wide
// ones (one pair of those, four chains, left the FMAs waiting on each
// other), or two of 32-wide rows of dilation 2 (see ipairs).
// Then VUNPCKLPS / VUNPCKHPS interleave E and O within each 128-bit half
// and two VPERM2F128 put the halves in order, which costs less than one
// VPERMPD a sum before the interleave (1.0 FMA slot each against 1.6 in
// bench/ports; 1.01-1.04 on the 5×5 and 3×3 kernels of dilation 1, one
// thread, alternating calls in one process). With a single sum (dilation
// 2: the odd columns get no tap) one VPERMPD puts it in the lane order 0 1
// 4 5 2 3 6 7 that the interleave with zero needs (two VPERM2F128 lost
// there, 0.94-0.96). The two dx vectors are then masked by x > 0 or NaN (relu)
// and stored (set) or added to dx. Rows
// that no filter row reaches (dilation 2, odd rows) are left alone, or
// zeroed when set. Only dy rows p+q with qlo <= q <= qhi are read (the
// pairs near the top and bottom of the plane leave out the rows past its
// edges). masks holds the dy masks in their registers (imasks).
func (k kern) ipair(npair, qlo, qhi int, set bool, masks map[string]string, wregs map[int]string) {
	nb, rows := k.nb(), 2*npair
	// kr[o][q]: the filter row that takes dy row p+q into dx row 2p+o.
	kr := make([]map[int]int, rows)
	for o := range kr {
		kr[o] = map[int]int{}
	}
	var qs []int
	for o := 0; o < rows; o++ {
		for r := 0; r < k.K; r++ {
			v := o + k.pad() - r*k.D
			if v%2 != 0 || v/2 < qlo || v/2 > qhi {
				continue
			}
			kr[o][v/2] = r
			if !slices.Contains(qs, v/2) {
				qs = append(qs, v/2)
			}
		}
	}
	sort.Ints(qs)
	acc := func(o, j int, odd bool) int { return 2*nb*o + 2*j + b2i(odd) }
	groups := k.byKey(func(kj int) int { _, sh := k.dyShift(kj); return sh })
	parts := k.ipartials(qs, groups, kr, acc)
	held := func(name string) string { return masks[name] }
	next := map[int]int{}
	inited := make([]bool, 8)
	for _, q := range qs {
		for _, g := range groups {
			_, sh := k.dyShift(g[0])
			for j := 0; j < nb; j++ {
				load(fmt.Sprintf("%d(BX)", 4*q*k.W/2+32*j+4*sh), sh, j == 0, j == nb-1, fmt.Sprintf("Y%d", 8+j), held)
			}
			for _, kj := range g {
				odd, _ := k.dyShift(kj)
				for o := 0; o < rows; o++ {
					r, ok := kr[o][q]
					if !ok {
						continue
					}
					// Once for both blocks: the loads bound these kernels
					// (dy, the weights, x and dx).
					w, ok := wregs[r*k.K+kj]
					if !ok {
						w = k.weight(r, kj, nb == 2, "Y10")
					}
					for j := 0; j < nb; j++ {
						a := acc(o, j, odd)
						ps := parts[a]
						t := ps[next[a]%len(ps)]
						next[a]++
						op := "VFMADD231PS"
						if !inited[t] {
							op, inited[t] = "VMULPS", true
						}
						p("%s %s, Y%d, Y%d", op, w, 8+j, t)
					}
				}
			}
		}
	}
	for _, a := range slices.Sorted(maps.Keys(parts)) {
		// Add up the partial sums of a, pairwise.
		ps := parts[a]
		for len(ps) > 1 {
			var n []int
			for i := 0; i+1 < len(ps); i += 2 {
				p("VADDPS Y%d, Y%d, Y%d", ps[i+1], ps[i], ps[i])
				n = append(n, ps[i])
			}
			if len(ps)%2 == 1 {
				n = append(n, ps[len(ps)-1])
			}
			ps = n
		}
	}
	for o := 0; o < rows; o++ {
		for j := 0; j < nb; j++ {
			dxa := 4*o*k.W + 64*j
			e, od := acc(o, j, false), acc(o, j, true)
			_, hasE := parts[e]
			_, hasO := parts[od]
			if !hasE && !hasO {
				if set {
					p("VMOVUPS Y14, %d(DI)", dxa)
					p("VMOVUPS Y14, %d(DI)", dxa+32)
				}
				continue
			}
			var rs [2]string // the even and the odd columns' sums, or zero where no tap reaches them
			for i, a := range []int{e, od} {
				rs[i] = "Y14"
				if ps, ok := parts[a]; ok {
					rs[i] = fmt.Sprintf("Y%d", ps[0])
				}
			}
			ereg, oreg := rs[0], rs[1]
			both := hasE && hasO
			if !both {
				for _, r := range rs {
					if r != "Y14" {
						p("VPERMPD $0xD8, %s, %s", r, r)
					}
				}
			}
			p("VUNPCKLPS %s, %s, Y8", oreg, ereg)
			p("VUNPCKHPS %s, %s, Y9", oreg, ereg)
			out := []string{"Y8", "Y9"}
			if both {
				p("VPERM2F128 $0x20, Y9, Y8, %s", ereg)
				p("VPERM2F128 $0x31, Y9, Y8, Y9")
				out[0] = ereg
			}
			for h, r := range out {
				if k.relu {
					p("VCMPPS $0x19, %d(SI), Y14, Y10", dxa+32*h) // !(0 >= x): x > 0 or NaN
					if h == 0 && k.ipf() {
						p("PREFETCHT0 %d(SI)", dxa+iAhead)
					}
					p("VANDPS Y10, %s, %s", r, r)
				}
				if !set {
					p("VADDPS %d(DI), %s, %s", dxa+32*h, r, r)
					if h == 0 && k.ipf() {
						p("PREFETCHT0 %d(DI)", dxa+iAhead)
					}
				}
				p("VMOVUPS %s, %d(DI)", r, dxa+32*h)
			}
		}
	}
	p("ADDQ $%d, SI", 4*rows*k.W)
	p("ADDQ $%d, DI", 4*rows*k.W)
	p("ADDQ $%d, BX", 4*npair*k.W/2)
}

// iAhead is how far ahead (bytes) the gradients of dilation 2 that
// prefetch (ipf, wpf) fetch the rows of x (and dx) they read.
const iAhead = 1024

// ipf reports whether the input gradient, where it reads a line of x
// (and, adding, of dx), prefetches the line iAhead bytes further on: 5×5
// of dilation 2, which reads every other row (the odd ones meet no tap)
// and outruns the hardware prefetchers on that stride. Against no
// prefetch, one thread, alternating calls in one process, batch 64 (and
// 64 planes in L2): 32×32 C16 adding 1.08–1.17 (1.00–1.12), setting
// 1.01–1.06, 16×16 C32 setting 1.06–1.08; 512 and 2048 bytes ahead gained
// less. 3×3 of dilation 2 (0.97–1.11, losing in L2) and dilation 1 (all
// rows; 0.88–0.98 on 16×16) do not prefetch.
func (k kern) ipf() bool { return k.K == 5 && k.D == 2 }

// wpf reports whether the weight gradient prefetches each line of x it
// splits iAhead bytes ahead: 3×3 of dilation 2 on 32-wide planes, for the
// same reason as ipf. Against no prefetch, one thread, alternating calls
// in one process: 32×32 C16 batch 64 1.15–1.18 (64 planes in L2
// 1.04–1.07); 512 and 2048 bytes ahead 1.09–1.11. On 16-wide planes, one
// line a row, 3×3 ran 0.97–1.01 and 5×5 0.95–0.99 (whatever the distance);
// they do not prefetch.
func (k kern) wpf() bool { return k.K == 3 && k.D == 2 && k.W == 32 }

// ipartials places the sums of ipair (by acc's index) in registers and
// splits those whose FMA chains would be long into partial sums: it
// returns, by sum, the registers its FMAs go to in turn, the sum's own
// first. The sums that taps reach take Y0, Y1, … in order; each register
// of Y0–Y7 left (the odd rows and columns of dilation 2 take no sum) goes
// to the sum with the longest chains while they have two FMAs or more
// each. With one sum for each 32-wide block (5×5 of dilation 2: chains of
// 25 FMAs), the FMAs waited on each other for most of a step.
func (k kern) ipartials(qs []int, groups [][]int, kr []map[int]int, acc func(o, j int, odd bool) int) map[int][]int {
	uses := map[int]int{}
	for _, q := range qs {
		for _, g := range groups {
			for _, kj := range g {
				odd, _ := k.dyShift(kj)
				for o := range kr {
					if _, ok := kr[o][q]; !ok {
						continue
					}
					for j := 0; j < k.nb(); j++ {
						uses[acc(o, j, odd)]++
					}
				}
			}
		}
	}
	sums := slices.Sorted(maps.Keys(uses))
	if len(sums) > 8 {
		panic("gen_dws2: more than eight input-gradient sums")
	}
	parts := map[int][]int{}
	for i, a := range sums {
		parts[a] = []int{i}
	}
	for f := len(sums); f < 8; f++ {
		best := -1
		for _, a := range sums {
			if uses[a] < 2*(len(parts[a])+1) {
				continue
			}
			if best < 0 || uses[a]*len(parts[best]) > uses[best]*len(parts[a]) {
				best = a
			}
		}
		if best < 0 {
			break
		}
		parts[best] = append(parts[best], f)
	}
	return parts
}

// iheld returns the taps (kr·K+kj) whose weights the input gradient k
// keeps in registers for the whole call, in the registers of Y11–Y13 that
// the dy masks leave: on 16-wide planes, where each weight is otherwise
// the memory operand of its FMA (32-wide planes load it once for both
// blocks). On the Zen 5 host these kernels are bound by their loads even
// in L2 (all nine weights of the 3×3 from registers: 1.16–1.30 as fast).
// The first taps held against none, ReLU fused, adding / setting, one
// thread, random order in one process, on 64 planes (in L2): 3×3 of
// dilation 1 (three held) 1.12 adding, 1.13–1.14 setting; of dilation 2
// (two) 1.07; 5×5 of dilation 1 (two) 1.04; on 2048 planes (16×16 C32 at
// batch 64) 1.10 and 1.01, 1.06–1.07, 1.04. The 5×5 of dilation 2 has
// four dy masks and no register left.
func (k kern) iheld(masks map[string]string) map[int]string {
	h := map[int]string{}
	if k.nb() != 1 {
		return h
	}
	used := map[string]bool{}
	for _, r := range masks {
		used[r] = true
	}
	t := 0
	for _, r := range []string{"Y11", "Y12", "Y13"} {
		if !used[r] {
			h[t] = r
			t++
		}
	}
	return h
}

// ipairs is the number of pairs of dx rows a middle step of the input
// gradient takes: two on 16-wide planes (eight FMA chains, as one pair of
// 32-wide rows), except 3×3 of dilation 2. Against one pair a step, 16×16
// C32, one thread, alternating calls in one process, batch 64 (batch 4):
// 5×5 1.06–1.08 (1.08–1.14), 5×5 of dilation 2 (setting dx) 1.15–1.16
// (1.17–1.19), 3×3 0.99–1.03 (1.07–1.09); 3×3 of dilation 2, whose taps
// reach only the even dx rows, 0.89–0.99 (1.02–1.12), and with partial
// sums still 0.91 (1.11). Two on 32-wide planes of dilation 2 too, whose
// taps reach four sums in two pairs (the even columns of the even rows):
// each dy vector loaded then feeds two FMAs, where these kernels are
// bound by their loads (a dy vector and a weight for every two FMAs; a
// copy that skipped the weights' loads ran 1.23 times as fast). With
// ipartials against the kernels before both, one thread, alternating
// calls in one process, 256 planes of 32×32 (8, in cache): 5×5 adding to dx
// 1.24 (1.22), setting it 1.34 (1.35); 3×3 adding 1.20 (1.19); ipartials
// alone 1.03 (1.09) and 1.00 (1.03).
func (k kern) ipairs() int {
	if k.nb() == 1 && (k.K == 5 || k.D == 1) || k.nb() == 2 && k.D == 2 {
		return 2
	}
	return 1
}

// iedge is how many pairs of dx rows at the top (and at the bottom) of a
// plane reach past its dy rows: the largest |q| of the dy rows p+q a pair
// p reads.
func (k kern) iedge() int {
	e := 0
	for o := 0; o < 2; o++ {
		for kr := 0; kr < k.K; kr++ {
			if v := o + k.pad() - kr*k.D; v%2 == 0 {
				e = max(e, v/2, -v/2)
			}
		}
	}
	return e
}

// iemit writes the input-gradient kernel
//
//	func dws2iK3D<D>W<W>R<relu>S<set>(dx *float32, x *float32, wt *float32, pairs int, np int, dy *float32)
//
// over np planes of one channel, pairs = H/2 pairs of dx rows each (at
// least 2·iedge), wt the channel's weights broadcast to 8 floats each; x
// is read only with relu.
func (k kern) iemit(set bool) {
	n := k.iname(set)
	prologue(n, "dx", "x", "wt", "pairs", "dy *float32")
	p("MOVQ dy+40(FP), BX")
	masks := k.imasks()
	for _, name := range slices.Sorted(maps.Keys(masks)) {
		p("VMOVUPS %s<>(SB), %s", name, masks[name])
	}
	wregs := k.iheld(masks)
	for _, t := range slices.Sorted(maps.Keys(wregs)) {
		p("VMOVUPS %d(DX), %s", 32*t, wregs[t])
	}
	label(n + "_plane")
	e := k.iedge()
	for i := 0; i < e; i++ { // the first e pairs: dy rows from 0
		k.ipair(1, -i, 1<<20, set, masks, wregs)
	}
	p("MOVQ R8, CX")
	p("SUBQ $%d, CX", 2*e)
	p("JZ %s_last", n)
	if k.ipairs() == 2 {
		// Two pairs a step, then the odd one left.
		p("CMPQ CX, $2")
		p("JLT %s_mid", n)
		label(n + "_mid2")
		k.ipair(2, -1<<20, 1<<20, set, masks, wregs)
		p("SUBQ $2, CX")
		p("CMPQ CX, $2")
		p("JGE %s_mid2", n)
		p("TESTQ CX, CX")
		p("JZ %s_last", n)
	}
	label(n + "_mid")
	k.ipair(1, -1<<20, 1<<20, set, masks, wregs)
	p("DECQ CX")
	p("JNZ %s_mid", n)
	label(n + "_last")
	for i := e - 1; i >= 0; i-- { // the last e pairs: dy rows up to ho-1
		k.ipair(1, -1<<20, i, set, masks, wregs)
	}
	epilogue(n, "plane")
}

// kerns lists the kernels generated: 3×3 and 5×5, dilations 1 and 2,
// planes 16 and 32 wide, both ReLU forms; each a forward, a weight
// gradient (three passes for 5×5, see wpasses) and the input gradient's
// forms (see iforms).
func kerns() []kern {
	var ks []kern
	for _, K := range []int{3, 5} {
		for _, D := range []int{1, 2} {
			for _, W := range []int{16, 32} {
				for _, relu := range []bool{false, true} {
					ks = append(ks, kern{K, D, W, relu})
				}
			}
		}
	}
	return ks
}

// iforms are the forms of the input-gradient kernel k that are generated:
// adding to dx and setting it, or (5×5 of dilation 2, 16 wide) setting it
// only. At 5×5 dilation 1 the kernels ran 1.4–2.2 times faster than the
// path by output parity. With dilation 2 only the even rows and columns
// of dx receive taps, which the parity path alone touches when it adds to
// dx: there the kernels that add ran 0.92–1.10 of it, and only the
// 32-wide ones are generated, since each weight is loaded once for both
// blocks (1.05–1.25 at one thread, 1.09–1.17 at two; 16×16 planes
// 0.88–0.93, batch 64, one process); the kernels that set dx (writing the
// zeros the parity path has to clear first) ran 1.00–1.25 at one thread
// and 1.15–1.19 at two (batch 64, one process), and inside the fused
// input-and-weight backward 1.05–1.38 and 1.10–1.18.
func (k kern) iforms() []bool {
	if k.K == 5 && k.D == 2 && k.W == 16 {
		return []bool{true}
	}
	return []bool{false, true}
}

func main() {
	b.WriteString("// Code generated by gen_dws2.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\n#include \"textflag.h\"\n\n")
	masks()
	for _, k := range kerns() {
		k.emit()
		k.wemit()
		for _, set := range k.iforms() {
			k.iemit(set)
		}
	}
	for _, W := range []int{16, 32} {
		for _, relu := range []bool{false, true} {
			eemit(W, relu)
		}
	}
	if err := os.WriteFile("dws2_amd64.s", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
	var d bytes.Buffer
	d.WriteString("// Code generated by gen_dws2.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\npackage kernels\n\n")
	for _, k := range kerns() {
		fmt.Fprintf(&d, "//go:noescape\nfunc %s(y *float32, x *float32, wt *float32, groups int, np int, buf *float32)\n\n", k.name())
		for ip := range k.wpasses() {
			fmt.Fprintf(&d, "//go:noescape\nfunc %s(dy *float32, x *float32, out *float32, pairs int, np int)\n\n", k.wname(ip))
		}
		for _, set := range k.iforms() {
			fmt.Fprintf(&d, "//go:noescape\nfunc %s(dx *float32, x *float32, wt *float32, pairs int, np int, dy *float32)\n\n", k.iname(set))
		}
	}
	for _, W := range []int{16, 32} {
		for _, relu := range []bool{false, true} {
			fmt.Fprintf(&d, "//go:noescape\nfunc dws2eW%dR%d(dst *float32, src *float32, rows int)\n\n", W, b2i(relu))
		}
	}
	d.WriteString("func init() {\n")
	for _, W := range []int{16, 32} {
		for _, relu := range []bool{false, true} {
			fmt.Fprintf(&d, "\tdws2eTab[%d][%d] = dws2eW%dR%d\n", W/32, b2i(relu), W, b2i(relu))
		}
	}
	for _, k := range kerns() {
		fmt.Fprintf(&d, "\tdws2fTab[%d][%d][%d][%d] = %s\n", k.K/5, k.D-1, k.W/32, b2i(k.relu), k.name())
		if k.relu {
			top, bottom := k.edges()
			fmt.Fprintf(&d, "\tdws2fRowsTab[%d][%d][%d] = [2]int{%d, %d}\n", k.K/5, k.D-1, k.W/32, k.rowsPer(), top+bottom)
		}
		if k.K == 3 {
			fmt.Fprintf(&d, "\tdws2wTab[%d][%d][%d] = %s\n", k.D-1, k.W/32, b2i(k.relu), k.wname(0))
		} else {
			for ip := range k.wpasses() {
				fmt.Fprintf(&d, "\tdws2w5Tab[%d][%d][%d][%d] = %s\n", k.D-1, k.W/32, b2i(k.relu), ip, k.wname(ip))
			}
		}
		for _, set := range k.iforms() {
			fmt.Fprintf(&d, "\tdws2iTab[%d][%d][%d][%d][%d] = %s\n", k.K/5, k.D-1, k.W/32, b2i(k.relu), b2i(set), k.iname(set))
		}
	}
	d.WriteString("}\n")
	if err := os.WriteFile("dws2decl_amd64.go", d.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
