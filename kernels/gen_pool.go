//go:build ignore

// gen_pool writes pool_amd64.s, the AVX2 kernels of the 3×3, padding-1
// max and average pools (stride 1 with W a multiple of 8, stride 2 with W
// a multiple of 16), one plane per call:
//
//	go run gen_pool.go
//
// The pools are separable. A horizontal pass reduces the three taps of
// every input row into a temporary (ho·wo would be too late: the vertical
// taps are rows), vectorised along W, and a vertical pass reduces three
// temporary rows into each output row. The row edges are handled in
// registers: the tap left of the first vector of a row is the first vector
// permuted one lane right (lane 0 being the edge value), the tap right of
// the last vector the last one permuted one lane left. Stride 2 splits 16
// input columns into their even and odd halves (the centre and right taps)
// and gets the left tap by rotating the odd half one lane right with the
// previous vector's last odd column in lane 0.
//
// Max pool: a window position outside the plane is replaced by the nearest
// row/column inside it (a clamp). The clamped copy sits next to its
// original in scan order, so "first maximum in row-major order, a NaN
// wins" picks the same value and index as over the unpadded window; the
// pass keeps, per lane, the best value and its plane index
// (row·W + clamped column), taking a later tap where !(v <= best) and best
// is not NaN.
//
// Average pool: positions outside the plane add zero; the vertical pass
// multiplies by a per-output table of 1/count. The backward pass runs the
// transposed passes: dy·(1/count) spread horizontally into a temporary of
// ho rows × W, then three (stride 2: two) temporary rows added into each
// dx row.
package main

import (
	"bytes"
	"fmt"
	"os"
)

var b bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

func label(s string) { fmt.Fprintf(&b, "%s:\n", s) }

func data(name string, v [8]int32) {
	for i, x := range v {
		fmt.Fprintf(&b, "DATA %s<>+%d(SB)/4, $%d\n", name, 4*i, x)
	}
	fmt.Fprintf(&b, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n\n", name)
}

// Vector registers shared by all kernels.
const (
	yPermL = "Y15" // [0 0 1 2 3 4 5 6]: shift one lane right, lane 0 kept
	yPermR = "Y14" // [1 2 3 4 5 6 7 7]: shift one lane left, lane 7 kept
	yRot   = "Y14" // stride 2: [7 0 1 2 3 4 5 6]
	yZero  = "Y13"
)

// rowLoopS1 emits the loop over the nv = CX vectors of one row for stride 1,
// calling body(first, last) for each vector (body advances the pointers).
func rowLoopS1(pfx string, body func(first, last bool)) {
	p("CMPQ CX, $1")
	p("JNE %s_multi", pfx)
	body(true, true)
	p("JMP %s_done", pfx)
	label(pfx + "_multi")
	body(true, false)
	p("SUBQ $2, CX")
	p("JZ %s_last", pfx)
	label(pfx + "_mid")
	body(false, false)
	p("DECQ CX")
	p("JNZ %s_mid", pfx)
	label(pfx + "_last")
	body(false, true)
	label(pfx + "_done")
}

// rowLoopS2 emits the loop over the CX (≥ 1) vectors of one row for stride 2.
func rowLoopS2(pfx string, body func(first bool)) {
	body(true)
	p("DECQ CX")
	p("JZ %s_done", pfx)
	label(pfx + "_loop")
	body(false)
	p("DECQ CX")
	p("JNZ %s_loop", pfx)
	label(pfx + "_done")
}

// tapsS1 loads the three stride-1 taps of the vector at src into t0..t2;
// zero: positions outside the row are 0, else the edge column (clamp).
func tapsS1(src string, first, last, zero bool, t0, t1, t2 string) {
	p("VMOVUPS (%s), %s", src, t1)
	if first {
		p("VPERMPS %s, %s, %s", t1, yPermL, t0)
		if zero {
			p("VBLENDPS $0x01, %s, %s, %s", yZero, t0, t0)
		}
	} else {
		p("VMOVUPS -4(%s), %s", src, t0)
	}
	if last {
		p("VPERMPS %s, %s, %s", t1, yPermR, t2)
		if zero {
			p("VBLENDPS $0x80, %s, %s, %s", yZero, t2, t2)
		}
	} else {
		p("VMOVUPS 4(%s), %s", src, t2)
	}
}

// tapsS2 loads 16 columns at src (advancing it by 64) and leaves the taps
// of the 8 outputs in t0 (column 2j-1), t1 (2j) and t2 (2j+1). prev holds
// the previous vector's rotated odd half; for the first vector lane 0 of t0
// is the edge: column 0 (clamp) or 0 (zero).
func tapsS2(src string, first, zero bool, t0, t1, t2, prev, tmp string) {
	p("VMOVUPS (%s), %s", src, t0)
	p("VMOVUPS 32(%s), %s", src, tmp)
	p("VSHUFPS $0x88, %s, %s, %s", tmp, t0, t1)
	p("VSHUFPS $0xDD, %s, %s, %s", tmp, t0, t2)
	p("VPERMPD $0xD8, %s, %s", t1, t1)
	p("VPERMPD $0xD8, %s, %s", t2, t2)
	p("VPERMPS %s, %s, %s", t2, yRot, tmp)
	switch {
	case first && zero:
		p("VBLENDPS $0x01, %s, %s, %s", yZero, tmp, t0)
	case first:
		p("VBLENDPS $0x01, %s, %s, %s", t1, tmp, t0)
	default:
		p("VBLENDPS $0x01, %s, %s, %s", prev, tmp, t0)
	}
	p("VMOVAPS %s, %s", tmp, prev)
	p("ADDQ $64, %s", src)
}

// maxStep folds candidate v (index idx, a register or memory operand) into
// best/bi: take where !(v <= best) and best is not NaN.
func maxStep(v, idx, best, bi, m, o string) {
	p("VCMPPS $0x16, %s, %s, %s", best, v, m) // NLE_UQ(v, best)
	p("VCMPPS $0x07, %s, %s, %s", best, best, o)
	p("VANDPS %s, %s, %s", o, m, m)
	p("VBLENDVPS %s, %s, %s, %s", m, v, best, best)
	p("VBLENDVPS %s, %s, %s, %s", m, idx, bi, bi)
}

func header(name, sig string, frame int) {
	fmt.Fprintf(&b, "// func %s%s\n", name, sig)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
}

func footer() {
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// broadcast sets vector register y to 8 copies of the low 32 bits of gpr.
func broadcast(gpr, y string) {
	x := "X" + y[1:]
	p("VMOVQ %s, %s", gpr, x)
	p("VPBROADCASTD %s, %s", x, y)
}

// maxPool emits maxPool3S<S>Asm(y *float32, arg *int32, x, t *float32, H, W int).
// t holds H·wo values then H·wo int32 indices.
func maxPool(S int) {
	name := fmt.Sprintf("maxPool3S%dAsm", S)
	header(name, "(y *float32, arg *int32, x, t *float32, H, W int)", 48)
	p("MOVQ x+16(FP), SI")
	p("MOVQ t+24(FP), DI")
	p("MOVQ H+32(FP), R8")
	p("MOVQ W+40(FP), R9")
	// R11 = H·wo·4: byte offset of the index half of t.
	p("MOVQ R8, R11")
	p("IMULQ R9, R11")
	p("SHLQ $%d, R11", 3-S)
	p("LEAQ (DI)(R11*1), BX")
	if S == 1 {
		p("VMOVUPS poolPermL<>(SB), %s", yPermL)
		p("VMOVUPS poolPermR<>(SB), %s", yPermR)
	} else {
		p("VMOVUPS poolRot<>(SB), %s", yRot)
	}
	p("VMOVUPS poolOne<>(SB), Y13")
	p("VPADDD Y13, Y13, Y12") // 2
	p("MOVQ $%d, AX", 8*S)
	broadcast("AX", "Y8")
	p("XORQ DX, DX") // r·W
	p("MOVQ R8, R10")
	label(name + "_hrow")
	broadcast("DX", "Y10")
	p("LEAQ -1(DX)(R9*1), AX")
	broadcast("AX", "Y9")
	p("VPADDD poolIotaS%d<>(SB), Y10, Y11", S)
	p("MOVQ R9, CX")
	p("SHRQ $%d, CX", 2+S)
	compute := func() {
		// taps in Y0 (best), Y1, Y2; k in Y4
		p("VCMPPS $0x16, Y0, Y1, Y5")
		p("VCMPPS $0x07, Y0, Y0, Y6")
		p("VANDPS Y6, Y5, Y5")
		p("VBLENDVPS Y5, Y1, Y0, Y0")
		p("VANDPS Y13, Y5, Y4")
		p("VCMPPS $0x16, Y0, Y2, Y5")
		p("VCMPPS $0x07, Y0, Y0, Y6")
		p("VANDPS Y6, Y5, Y5")
		p("VBLENDVPS Y5, Y2, Y0, Y0")
		p("VBLENDVPS Y5, Y12, Y4, Y4")
		p("VPADDD Y11, Y4, Y4")
		p("VPMAXSD Y10, Y4, Y4")
		p("VPMINSD Y9, Y4, Y4")
		p("VMOVUPS Y0, (DI)")
		p("VMOVDQU Y4, (BX)")
		p("ADDQ $32, DI")
		p("ADDQ $32, BX")
		p("VPADDD Y8, Y11, Y11")
	}
	if S == 1 {
		rowLoopS1(name+"_h", func(first, last bool) {
			tapsS1("SI", first, last, false, "Y0", "Y1", "Y2")
			p("ADDQ $32, SI")
			compute()
		})
	} else {
		rowLoopS2(name+"_h", func(first bool) {
			tapsS2("SI", first, false, "Y0", "Y1", "Y2", "Y7", "Y3")
			compute()
		})
	}
	p("ADDQ R9, DX")
	p("DECQ R10")
	p("JNZ %s_hrow", name)

	// Vertical pass: output row oh from temporary rows clamp(S·oh-1+k).
	p("MOVQ y+0(FP), DI")
	p("MOVQ arg+8(FP), BX")
	p("MOVQ t+24(FP), R12")
	p("MOVQ R9, SI")
	p("SHLQ $%d, SI", 2-(S-1)) // wo·4 bytes per temporary row
	p("XORQ R13, R13")         // S·oh
	label(name + "_vrow")
	// P0 = row max(S·oh-1, 0)
	p("MOVQ R13, AX")
	p("TESTQ AX, AX")
	p("JZ 2(PC)")
	p("DECQ AX")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R8")
	p("MOVQ R13, AX")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R9")
	// P2 = row min(S·oh+1, H-1)
	p("LEAQ 1(R13), AX")
	p("CMPQ AX, H+32(FP)")
	p("JLT 2(PC)")
	p("DECQ AX")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R10")
	p("MOVQ SI, CX")
	p("SHRQ $5, CX")
	label(name + "_vvec")
	p("VMOVUPS (R8), Y0")
	p("VMOVDQU (R8)(R11*1), Y4")
	p("VMOVUPS (R9), Y1")
	maxStep("Y1", "(R9)(R11*1)", "Y0", "Y4", "Y5", "Y6")
	p("VMOVUPS (R10), Y2")
	maxStep("Y2", "(R10)(R11*1)", "Y0", "Y4", "Y5", "Y6")
	p("VMOVUPS Y0, (DI)")
	p("VMOVDQU Y4, (BX)")
	for _, r := range []string{"R8", "R9", "R10", "DI", "BX"} {
		p("ADDQ $32, %s", r)
	}
	p("DECQ CX")
	p("JNZ %s_vvec", name)
	p("ADDQ $%d, R13", S)
	p("CMPQ R13, H+32(FP)")
	p("JLT %s_vrow", name)
	footer()
}

// avgPool emits avgPool3S<S>Asm(y, x, inv, t *float32, H, W int): t holds
// H·wo horizontal sums then wo zeros.
func avgPool(S int) {
	name := fmt.Sprintf("avgPool3S%dAsm", S)
	header(name, "(y, x, inv, t *float32, H, W int)", 48)
	p("MOVQ x+8(FP), SI")
	p("MOVQ t+24(FP), DI")
	p("MOVQ H+32(FP), R10")
	p("MOVQ W+40(FP), R9")
	if S == 1 {
		p("VMOVUPS poolPermL<>(SB), %s", yPermL)
		p("VMOVUPS poolPermR<>(SB), %s", yPermR)
	} else {
		p("VMOVUPS poolRot<>(SB), %s", yRot)
	}
	p("VXORPS %s, %s, %s", yZero, yZero, yZero)
	label(name + "_hrow")
	p("MOVQ R9, CX")
	p("SHRQ $%d, CX", 2+S)
	store := func() {
		p("VADDPS Y1, Y0, Y0")
		p("VADDPS Y2, Y0, Y0")
		p("VMOVUPS Y0, (DI)")
		p("ADDQ $32, DI")
	}
	if S == 1 {
		rowLoopS1(name+"_h", func(first, last bool) {
			tapsS1("SI", first, last, true, "Y0", "Y1", "Y2")
			p("ADDQ $32, SI")
			store()
		})
	} else {
		rowLoopS2(name+"_h", func(first bool) {
			tapsS2("SI", first, true, "Y0", "Y1", "Y2", "Y7", "Y3")
			store()
		})
	}
	p("DECQ R10")
	p("JNZ %s_hrow", name)

	// Vertical pass; DI now points at the zero row.
	p("MOVQ y+0(FP), BX")
	p("MOVQ inv+16(FP), DX")
	p("MOVQ t+24(FP), R12")
	p("MOVQ R9, SI")
	p("SHLQ $%d, SI", 2-(S-1))
	p("XORQ R13, R13")
	label(name + "_vrow")
	p("MOVQ DI, R8")
	p("MOVQ R13, AX")
	p("TESTQ AX, AX")
	p("JZ 4(PC)")
	p("DECQ AX")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R8")
	p("MOVQ R13, AX")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R9")
	p("MOVQ DI, R10")
	p("LEAQ 1(R13), AX")
	p("CMPQ AX, H+32(FP)")
	p("JGE 3(PC)")
	p("IMULQ SI, AX")
	p("LEAQ (R12)(AX*1), R10")
	p("MOVQ SI, CX")
	p("SHRQ $5, CX")
	p("XORQ AX, AX")
	label(name + "_vvec")
	p("VMOVUPS (R8)(AX*1), Y0")
	p("VADDPS (R9)(AX*1), Y0, Y0")
	p("VADDPS (R10)(AX*1), Y0, Y0")
	p("VMULPS (DX), Y0, Y0")
	p("VMOVUPS Y0, (BX)")
	p("ADDQ $32, AX")
	p("ADDQ $32, DX")
	p("ADDQ $32, BX")
	p("DECQ CX")
	p("JNZ %s_vvec", name)
	p("ADDQ $%d, R13", S)
	p("CMPQ R13, H+32(FP)")
	p("JLT %s_vrow", name)
	footer()
}

// avgPoolBack emits avgPool3S<S>BackAsm(dx, dy, inv, t *float32, H, W int):
// t holds ho·W spread rows then W zeros.
func avgPoolBack(S int) {
	name := fmt.Sprintf("avgPool3S%dBackAsm", S)
	header(name, "(dx, dy, inv, t *float32, H, W int)", 48)
	p("MOVQ dy+8(FP), SI")
	p("MOVQ inv+16(FP), DX")
	p("MOVQ t+24(FP), DI")
	p("MOVQ H+32(FP), R8")
	p("MOVQ W+40(FP), R9")
	p("VMOVUPS poolPermL<>(SB), %s", yPermL)
	p("VMOVUPS poolPermR<>(SB), %s", yPermR)
	p("VXORPS %s, %s, %s", yZero, yZero, yZero)
	// R10 = ho
	if S == 1 {
		p("MOVQ R8, R10")
	} else {
		p("LEAQ 1(R8), R10")
		p("SHRQ $1, R10")
	}
	p("MOVQ R10, R11")
	label(name + "_arow")
	p("MOVQ R9, CX")
	p("SHRQ $%d, CX", 2+S) // wo/8 vectors
	if S == 1 {
		rowLoopS1(name+"_a", func(first, last bool) {
			tapsS1("SI", first, last, true, "Y0", "Y1", "Y2")
			tapsS1("DX", first, last, false, "Y3", "Y4", "Y5")
			p("VMULPS Y3, Y0, Y0")
			p("VFMADD231PS Y4, Y1, Y0")
			p("VFMADD231PS Y5, Y2, Y0")
			p("VMOVUPS Y0, (DI)")
			p("ADDQ $32, SI")
			p("ADDQ $32, DX")
			p("ADDQ $32, DI")
		})
	} else {
		// Output column m spreads g[m] to column 2m and g[m]+g[m+1] to 2m+1.
		body := func(last bool) {
			p("VMOVUPS (SI), Y0")
			p("VMULPS (DX), Y0, Y0")
			if last {
				p("VPERMPS Y0, %s, Y1", yPermR)
				p("VBLENDPS $0x80, %s, Y1, Y1", yZero)
			} else {
				p("VMOVUPS 4(SI), Y1")
				p("VMULPS 4(DX), Y1, Y1")
			}
			p("VADDPS Y0, Y1, Y1")
			p("VUNPCKLPS Y1, Y0, Y2")
			p("VUNPCKHPS Y1, Y0, Y3")
			p("VPERM2F128 $0x20, Y3, Y2, Y4")
			p("VPERM2F128 $0x31, Y3, Y2, Y5")
			p("VMOVUPS Y4, (DI)")
			p("VMOVUPS Y5, 32(DI)")
			p("ADDQ $32, SI")
			p("ADDQ $32, DX")
			p("ADDQ $64, DI")
		}
		p("DECQ CX")
		p("JZ %s_alast", name)
		label(name + "_avec")
		body(false)
		p("DECQ CX")
		p("JNZ %s_avec", name)
		label(name + "_alast")
		body(true)
	}
	p("DECQ R11")
	p("JNZ %s_arow", name)

	// dx rows; DI now points at the zero row, R10 = ho.
	p("MOVQ dx+0(FP), BX")
	p("MOVQ t+24(FP), R12")
	p("MOVQ R9, SI")
	p("SHLQ $2, SI") // W·4 bytes per row
	p("XORQ R13, R13")
	label(name + "_brow")
	if S == 1 {
		p("MOVQ DI, R8")
		p("MOVQ R13, AX")
		p("TESTQ AX, AX")
		p("JZ 4(PC)")
		p("DECQ AX")
		p("IMULQ SI, AX")
		p("LEAQ (R12)(AX*1), R8")
		p("MOVQ R13, AX")
		p("IMULQ SI, AX")
		p("LEAQ (R12)(AX*1), R9")
		p("MOVQ DI, R11")
		p("LEAQ 1(R13), AX")
		p("CMPQ AX, R10")
		p("JGE 3(PC)")
		p("IMULQ SI, AX")
		p("LEAQ (R12)(AX*1), R11")
	} else {
		// row r = 2m: t[m]; r = 2m+1: t[m] + t[m+1] (zero past ho).
		p("MOVQ R13, AX")
		p("SHRQ $1, AX")
		p("MOVQ AX, DX")
		p("IMULQ SI, AX")
		p("LEAQ (R12)(AX*1), R8")
		p("MOVQ DI, R9")
		p("BTQ $0, R13")
		p("JCC 5(PC)")
		p("INCQ DX")
		p("CMPQ DX, R10")
		p("JGE 2(PC)")
		p("LEAQ (R8)(SI*1), R9")
	}
	p("MOVQ SI, CX")
	p("SHRQ $5, CX")
	p("XORQ AX, AX")
	label(name + "_bvec")
	p("VMOVUPS (R8)(AX*1), Y0")
	p("VADDPS (R9)(AX*1), Y0, Y0")
	if S == 1 {
		p("VADDPS (R11)(AX*1), Y0, Y0")
	}
	p("VADDPS (BX), Y0, Y0")
	p("VMOVUPS Y0, (BX)")
	p("ADDQ $32, AX")
	p("ADDQ $32, BX")
	p("DECQ CX")
	p("JNZ %s_bvec", name)
	p("INCQ R13")
	p("CMPQ R13, H+32(FP)")
	p("JLT %s_brow", name)
	footer()
}

// maxPoolBack emits maxPool3S1BackAsm(dx, dy *float32, arg *int32, sa *int32,
// sd *float32, H, W int): the stride-1 max-pool gradient in gather form.
// Input element i of row r sums dy[o] over the nine outputs o of rows
// r-1..r+1, columns c-1..c+1 whose arg[o] == i, in increasing o (the order
// in which a scatter over o would add them). Rows outside the plane are the
// sentinel rows sa (all -1) and sd; the columns left of the first and right
// of the last vector are masked off (a masked load reads 0, and a
// spurious index match then adds 0).
func maxPoolBack() {
	name := "maxPool3S1BackAsm"
	header(name, "(dx, dy *float32, arg, sa *int32, sd *float32, H, W int)", 56)
	p("MOVQ dx+0(FP), DI")
	p("MOVQ W+48(FP), BX")
	p("SHLQ $2, BX") // row bytes
	p("VMOVDQU poolIotaS1<>(SB), Y15")
	p("VMOVDQU poolOne<>(SB), Y14")
	p("VPADDD Y14, Y15, Y15") // indices 0..7 of the first vector
	p("VPSLLD $3, Y14, Y14")  // 8
	p("VMOVDQU poolMaskL<>(SB), Y12")
	p("VMOVDQU poolMaskR<>(SB), Y11")
	p("XORQ SI, SI") // r
	label(name + "_row")
	// centre rows
	p("MOVQ SI, AX")
	p("IMULQ BX, AX")
	p("MOVQ arg+16(FP), R12")
	p("ADDQ AX, R12")
	p("MOVQ dy+8(FP), R9")
	p("ADDQ AX, R9")
	// rows above (sentinels on the first row)
	p("MOVQ sa+24(FP), R11")
	p("MOVQ sd+32(FP), R8")
	p("TESTQ SI, SI")
	p("JZ 5(PC)")
	p("MOVQ R12, R11")
	p("SUBQ BX, R11")
	p("MOVQ R9, R8")
	p("SUBQ BX, R8")
	// rows below (sentinels on the last row)
	p("MOVQ sa+24(FP), R13")
	p("MOVQ sd+32(FP), R10")
	p("LEAQ 1(SI), AX")
	p("CMPQ AX, H+40(FP)")
	p("JGE 3(PC)")
	p("LEAQ (R12)(BX*1), R13")
	p("LEAQ (R9)(BX*1), R10")
	p("MOVQ W+48(FP), CX")
	p("SHRQ $3, CX")
	rows := [][2]string{{"R11", "R8"}, {"R12", "R9"}, {"R13", "R10"}}
	rowLoopS1(name+"_v", func(first, last bool) {
		p("VMOVUPS (DI), Y0")
		for _, rw := range rows {
			a, d := rw[0], rw[1]
			for dc := -1; dc <= 1; dc++ {
				off := 4 * dc
				mask := ""
				if dc == -1 && first {
					mask = "Y12"
				}
				if dc == 1 && last {
					mask = "Y11"
				}
				if mask != "" {
					p("VPMASKMOVD %d(%s), %s, Y1", off, a, mask)
					p("VMASKMOVPS %d(%s), %s, Y2", off, d, mask)
					p("VPCMPEQD Y15, Y1, Y3")
					p("VANDPS Y2, Y3, Y3")
				} else {
					p("VPCMPEQD %d(%s), Y15, Y3", off, a)
					p("VANDPS %d(%s), Y3, Y3", off, d)
				}
				p("VADDPS Y3, Y0, Y0")
			}
		}
		p("VMOVUPS Y0, (DI)")
		for _, r := range []string{"DI", "R8", "R9", "R10", "R11", "R12", "R13"} {
			p("ADDQ $32, %s", r)
		}
		p("VPADDD Y14, Y15, Y15")
	})
	p("INCQ SI")
	p("CMPQ SI, H+40(FP)")
	p("JLT %s_row", name)
	footer()
}

func main() {
	b.WriteString("// Code generated by gen_pool.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\n#include \"textflag.h\"\n\n")
	data("poolPermL", [8]int32{0, 0, 1, 2, 3, 4, 5, 6})
	data("poolPermR", [8]int32{1, 2, 3, 4, 5, 6, 7, 7})
	data("poolRot", [8]int32{7, 0, 1, 2, 3, 4, 5, 6})
	data("poolOne", [8]int32{1, 1, 1, 1, 1, 1, 1, 1})
	data("poolIotaS1", [8]int32{-1, 0, 1, 2, 3, 4, 5, 6})
	data("poolIotaS2", [8]int32{-1, 1, 3, 5, 7, 9, 11, 13})
	data("poolMaskL", [8]int32{0, -1, -1, -1, -1, -1, -1, -1})
	data("poolMaskR", [8]int32{-1, -1, -1, -1, -1, -1, -1, 0})
	for _, S := range []int{1, 2} {
		maxPool(S)
		avgPool(S)
		avgPoolBack(S)
	}
	maxPoolBack()
	if err := os.WriteFile("pool_amd64.s", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
