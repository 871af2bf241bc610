//go:build ignore

// gen_ew writes ew_amd64.s, the AVX2/FMA elementwise, reduction and
// batch-norm streaming kernels:
//
//	go run gen_ew.go
//
// Streaming kernels run 32 floats per iteration (4 YMM), then 8, then a
// masked tail (VMASKMOVPS with a mask from ktMaskTab), so any length and
// alignment works and nothing past the end is touched. Reductions convert to
// float64 (VCVTPS2PD) and accumulate 8 floats per step in 2 or 4 double
// vectors, then add a scalar tail; the order is fixed.
package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
)

var b bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

func label(s string) { fmt.Fprintf(&b, "%s:\n", s) }

// io describes how the body reaches memory for one unrolled vector u.
type io struct {
	u      int
	masked bool
}

func (o io) off() int { return 32 * o.u }

// load emits a load of the vector at ptr into reg.
func (o io) load(ptr, reg string) {
	if o.masked {
		p("VMASKMOVPS (%s), Y15, %s", ptr, reg)
	} else {
		p("VMOVUPS %d(%s), %s", o.off(), ptr, reg)
	}
}

func (o io) store(reg, ptr string) {
	if o.masked {
		p("VMASKMOVPS %s, Y15, (%s)", reg, ptr)
	} else {
		p("VMOVUPS %s, %d(%s)", reg, o.off(), ptr)
	}
}

// reg returns temp register k of unrolled vector u.
func (o io) reg(k int) string { return fmt.Sprintf("Y%d", 3*o.u+k) }

// stream emits a streaming kernel over CX elements; ptrs are the pointer
// registers advanced by the body; body emits the work for one vector.
func stream(name, sig, frame string, prolog func(), ptrs []string, body func(o io)) {
	fmt.Fprintf(&b, "// func %s%s\n", name, sig)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, frame)
	prolog()
	label(name + "_l32")
	p("CMPQ CX, $32")
	p("JLT %s_l8", name)
	for u := 0; u < 4; u++ {
		body(io{u: u})
	}
	for _, r := range ptrs {
		p("ADDQ $128, %s", r)
	}
	p("SUBQ $32, CX")
	p("JMP %s_l32", name)
	label(name + "_l8")
	p("CMPQ CX, $8")
	p("JLT %s_tail", name)
	body(io{u: 0})
	for _, r := range ptrs {
		p("ADDQ $32, %s", r)
	}
	p("SUBQ $8, CX")
	p("JMP %s_l8", name)
	label(name + "_tail")
	p("TESTQ CX, CX")
	p("JZ %s_done", name)
	tailMask("CX")
	body(io{u: 0, masked: true})
	label(name + "_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// tailMask loads into Y15 the mask of the first n lanes (n, 0..7, in the
// named register, which it multiplies by 4), through AX.
func tailMask(n string) {
	p("LEAQ ·ktMaskTab+32(SB), AX")
	p("SHLQ $2, %s", n)
	p("SUBQ %s, AX", n)
	p("VMOVUPS (AX), Y15")
}

// reduce emits a float64 reduction over CX elements, 8 per step, with
// accumulators Y8..Y11 (nacc of them per sum), and a scalar tail. step emits
// one 8-float step given the accumulator index base (0 or 1 for 2-way
// unrolling); tail emits one scalar element into X8 (and X9 for the second
// sum). ptrs advance by 32 bytes per step, 4 per scalar.
func reduce(name, sig, frame string, prolog func(), ptrs []string, nsum int, step func(a int), tail func(), ret func()) {
	fmt.Fprintf(&b, "// func %s%s\n", name, sig)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, frame)
	for r := 8; r < 12; r++ {
		p("VXORPD Y%d, Y%d, Y%d", r, r, r)
	}
	prolog()
	label(name + "_l16")
	p("CMPQ CX, $16")
	p("JLT %s_l8", name)
	step(0)
	for _, r := range ptrs {
		p("ADDQ $32, %s", r)
	}
	step(1)
	for _, r := range ptrs {
		p("ADDQ $32, %s", r)
	}
	p("SUBQ $16, CX")
	p("JMP %s_l16", name)
	label(name + "_l8")
	p("CMPQ CX, $8")
	p("JLT %s_red", name)
	step(0)
	for _, r := range ptrs {
		p("ADDQ $32, %s", r)
	}
	p("SUBQ $8, CX")
	label(name + "_red")
	// Fold the vector accumulators: sum 1 in Y8+Y9 -> X8, sum 2 in
	// Y10+Y11 -> X9 (or all four into X8 when there is one sum).
	if nsum == 1 {
		p("VADDPD Y9, Y8, Y8")
		p("VADDPD Y11, Y10, Y10")
		p("VADDPD Y10, Y8, Y8")
		hsum("Y8", "X8")
	} else {
		p("VADDPD Y9, Y8, Y8")
		p("VADDPD Y11, Y10, Y10")
		hsum("Y8", "X8")
		hsum("Y10", "X10")
		p("VMOVAPD X10, X9")
	}
	label(name + "_tail")
	p("TESTQ CX, CX")
	p("JZ %s_done", name)
	tail()
	for _, r := range ptrs {
		p("ADDQ $4, %s", r)
	}
	p("DECQ CX")
	p("JMP %s_tail", name)
	label(name + "_done")
	ret()
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// bnBlock is the block of the batch-norm reductions (bnBlock in
// batchnorm.go): float32 partial sums in 32 lanes, folded into float64
// accumulators every bnBlock elements.
const bnBlock = 512

// bnPair emits a batch-norm reduction of two sums over CX elements. With
// dy (the backward sums) it is S1 = Σ dy, S2 = Σ dy·(x-c), dy at DX and x at
// SI; without, S1 = Σ (x-c), S2 = Σ (x-c)², x at SI; c is broadcast in Y15.
// 32 elements per step go to float32 accumulators Y0..Y3 (S1) and Y4..Y7
// (S2) through temps Y8..Y11; every bnBlock elements (and once after the
// last whole 8) the four are added ((Y0+Y1)+(Y2+Y3)), converted to
// float64 four lanes at a time and added to Y12 (S1) and Y13 (S2). The
// last len mod 8 elements are added in float64 (c as a double in X15,
// which dbl loads), as bnSumsGo and bnStatsGo do.
func bnPair(name, sig, frame string, withDY bool, prolog, dbl, ret func()) {
	fmt.Fprintf(&b, "// func %s%s\n", name, sig)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, %s\n", name, frame)
	for r := 0; r < 8; r++ {
		p("VXORPS Y%d, Y%d, Y%d", r, r, r)
	}
	p("VXORPD Y12, Y12, Y12")
	p("VXORPD Y13, Y13, Y13")
	prolog()
	ptrs := []string{"SI"}
	if withDY {
		ptrs = append(ptrs, "DX")
	}
	advance := func(n int) {
		for _, r := range ptrs {
			p("ADDQ $%d, %s", 4*n, r)
		}
		p("SUBQ $%d, CX", n)
	}
	// vec emits the work of vector u (8 elements at byte offset 32u) into
	// accumulator pair (acc, acc+4), with temps t and t+2.
	vec := func(u, acc, t int) {
		if withDY {
			p("VMOVUPS %d(DX), Y%d", 32*u, t)
			p("VMOVUPS %d(SI), Y%d", 32*u, t+2)
			p("VSUBPS Y15, Y%d, Y%d", t+2, t+2)
			p("VADDPS Y%d, Y%d, Y%d", t, acc, acc)
			p("VFMADD231PS Y%d, Y%d, Y%d", t+2, t, acc+4)
			return
		}
		p("VMOVUPS %d(SI), Y%d", 32*u, t)
		p("VSUBPS Y15, Y%d, Y%d", t, t)
		p("VADDPS Y%d, Y%d, Y%d", t, acc, acc)
		p("VFMADD231PS Y%d, Y%d, Y%d", t, t, acc+4)
	}
	step32 := func() {
		for u := 0; u < 4; u++ {
			vec(u, u, 8+u%2)
		}
	}
	fold := func() {
		for _, a := range []int{0, 4} {
			d := 12 + a/4
			p("VADDPS Y%d, Y%d, Y%d", a+1, a, a)
			p("VADDPS Y%d, Y%d, Y%d", a+3, a+2, a+2)
			p("VADDPS Y%d, Y%d, Y%d", a+2, a, a)
			p("VCVTPS2PD X%d, Y14", a)
			p("VADDPD Y14, Y%d, Y%d", d, d)
			p("VEXTRACTF128 $1, Y%d, X%d", a, a)
			p("VCVTPS2PD X%d, Y14", a)
			p("VADDPD Y14, Y%d, Y%d", d, d)
		}
		for r := 0; r < 8; r++ {
			p("VXORPS Y%d, Y%d, Y%d", r, r, r)
		}
	}
	label(name + "_blk")
	p("CMPQ CX, $%d", bnBlock)
	p("JLT %s_l32", name)
	p("MOVQ $%d, R8", bnBlock/32)
	label(name + "_inner")
	step32()
	for _, r := range ptrs {
		p("ADDQ $128, %s", r)
	}
	p("DECQ R8")
	p("JNZ %s_inner", name)
	p("SUBQ $%d, CX", bnBlock)
	fold()
	p("JMP %s_blk", name)
	label(name + "_l32")
	p("CMPQ CX, $32")
	p("JLT %s_l8", name)
	step32()
	advance(32)
	p("JMP %s_l32", name)
	label(name + "_l8")
	p("CMPQ CX, $8")
	p("JLT %s_red", name)
	vec(0, 0, 8)
	advance(8)
	p("JMP %s_l8", name)
	label(name + "_red")
	fold()
	hsum("Y12", "X12")
	hsum("Y13", "X13")
	dbl()
	label(name + "_tail")
	p("TESTQ CX, CX")
	p("JZ %s_done", name)
	if withDY {
		p("VCVTSS2SD (DX), X0, X0")
		p("VCVTSS2SD (SI), X1, X1")
		p("VSUBSD X15, X1, X1")
		p("VADDSD X0, X12, X12")
		p("VFMADD231SD X1, X0, X13")
	} else {
		p("VCVTSS2SD (SI), X0, X0")
		p("VSUBSD X15, X0, X0")
		p("VADDSD X0, X12, X12")
		p("VFMADD231SD X0, X0, X13")
	}
	advance(1)
	p("JMP %s_tail", name)
	label(name + "_done")
	ret()
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}

// hsum folds the 4 doubles of y into the low lane of x.
func hsum(y, x string) {
	p("VEXTRACTF128 $1, %s, X0", y)
	p("VADDPD X0, %s, %s", x, x)
	p("VUNPCKHPD %s, %s, X0", x, x)
	p("VADDSD X0, %s, %s", x, x)
}

func main() {
	b.WriteString("// Code generated by gen_ew.go; DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\n#include \"textflag.h\"\n\n")
	// Mask table: 8 all-ones words then 8 zero words.
	for i := 0; i < 16; i++ {
		v := "$0xffffffff"
		if i >= 8 {
			v = "$0"
		}
		fmt.Fprintf(&b, "DATA ·ktMaskTab+%d(SB)/4, %s\n", 4*i, v)
	}
	b.WriteString("GLOBL ·ktMaskTab(SB), RODATA|NOPTR, $64\n\n")

	stream("addAsm", "(dst, x, y []float32)", "$0-72", func() {
		p("MOVQ dst_base+0(FP), DI")
		p("MOVQ dst_len+8(FP), CX")
		p("MOVQ x_base+24(FP), SI")
		p("MOVQ y_base+48(FP), DX")
	}, []string{"DI", "SI", "DX"}, func(o io) {
		o.load("SI", o.reg(0))
		o.load("DX", o.reg(1))
		p("VADDPS %s, %s, %s", o.reg(1), o.reg(0), o.reg(0))
		o.store(o.reg(0), "DI")
	})
	stream("axpyAsm", "(alpha float32, x, y []float32)", "$0-56", func() {
		p("VBROADCASTSS alpha+0(FP), Y12")
		p("MOVQ x_base+8(FP), SI")
		p("MOVQ y_base+32(FP), DI")
		p("MOVQ y_len+40(FP), CX")
	}, []string{"DI", "SI"}, func(o io) {
		o.load("SI", o.reg(0))
		o.load("DI", o.reg(1))
		p("VFMADD231PS %s, Y12, %s", o.reg(0), o.reg(1))
		o.store(o.reg(1), "DI")
	})
	stream("scaleAsm", "(dst []float32, alpha float32, x []float32)", "$0-56", func() {
		p("MOVQ dst_base+0(FP), DI")
		p("MOVQ dst_len+8(FP), CX")
		p("VBROADCASTSS alpha+24(FP), Y12")
		p("MOVQ x_base+32(FP), SI")
	}, []string{"DI", "SI"}, func(o io) {
		o.load("SI", o.reg(0))
		p("VMULPS Y12, %s, %s", o.reg(0), o.reg(0))
		o.store(o.reg(0), "DI")
	})
	wsum()
	// max with x as the second source (relu1 in elementwise.go): only x < 0
	// becomes 0; NaN and -0 pass, as torch.relu.
	stream("reluAsm", "(dst, x []float32)", "$0-48", func() {
		p("MOVQ dst_base+0(FP), DI")
		p("MOVQ dst_len+8(FP), CX")
		p("MOVQ x_base+24(FP), SI")
		p("VXORPS Y12, Y12, Y12")
	}, []string{"DI", "SI"}, func(o io) {
		o.load("SI", o.reg(0))
		p("VMAXPS %s, Y12, %s", o.reg(0), o.reg(0))
		o.store(o.reg(0), "DI")
	})
	stream("reluBackAsm", "(dx, dy, x []float32)", "$0-72", func() {
		p("MOVQ dx_base+0(FP), DI")
		p("MOVQ dx_len+8(FP), CX")
		p("MOVQ dy_base+24(FP), DX")
		p("MOVQ x_base+48(FP), SI")
		p("VXORPS Y12, Y12, Y12")
	}, []string{"DI", "SI", "DX"}, func(o io) {
		o.load("SI", o.reg(0))
		p("VCMPPS $0x19, %s, Y12, %s", o.reg(0), o.reg(0)) // !(0 >= x): x > 0 or NaN
		o.load("DX", o.reg(1))
		p("VANDPS %s, %s, %s", o.reg(1), o.reg(0), o.reg(0))
		o.load("DI", o.reg(2))
		p("VADDPS %s, %s, %s", o.reg(0), o.reg(2), o.reg(2))
		o.store(o.reg(2), "DI")
	})
	// y = (x-m)·a + b
	stream("bnApplyAsm", "(y, x []float32, m, a, b float32)", "$0-60", func() {
		p("MOVQ y_base+0(FP), DI")
		p("MOVQ y_len+8(FP), CX")
		p("MOVQ x_base+24(FP), SI")
		p("VBROADCASTSS m+48(FP), Y12")
		p("VBROADCASTSS a+52(FP), Y13")
		p("VBROADCASTSS b+56(FP), Y14")
	}, []string{"DI", "SI"}, func(o io) {
		o.load("SI", o.reg(0))
		p("VSUBPS Y12, %s, %s", o.reg(0), o.reg(0))
		p("VFMADD213PS Y14, Y13, %s", o.reg(0))
		o.store(o.reg(0), "DI")
	})
	// dx += a·dy + (b·(x-m) + k), and the overwriting form dx = a·dy +
	// (b·(x-m) + k) for a gradient that holds nothing yet (it saves
	// zero-filling dx and reading it back).
	for _, add := range []bool{true, false} {
		name := "bnBackApplyAsm"
		if !add {
			name = "bnBackSetAsm"
		}
		stream(name, "(dx, dy, x []float32, m, a, b, k float32)", "$0-88", func() {
			p("MOVQ dx_base+0(FP), DI")
			p("MOVQ dx_len+8(FP), CX")
			p("MOVQ dy_base+24(FP), DX")
			p("MOVQ x_base+48(FP), SI")
			p("VBROADCASTSS m+72(FP), Y12")
			p("VBROADCASTSS a+76(FP), Y13")
			p("VBROADCASTSS b+80(FP), Y14")
			p("VBROADCASTSS k+84(FP), Y11") // free: the body uses temps 0 and 1 only
		}, []string{"DI", "SI", "DX"}, func(o io) {
			r0, r1 := o.reg(0), o.reg(1)
			o.load("SI", r0)
			p("VSUBPS Y12, %s, %s", r0, r0)
			p("VFMADD213PS Y11, Y14, %s", r0)
			o.load("DX", r1)
			p("VFMADD231PS %s, Y13, %s", r1, r0)
			if add {
				o.load("DI", r1)
				p("VADDPS %s, %s, %s", r1, r0, r0)
			}
			o.store(r0, "DI")
		})
	}

	reduce("sumAsm", "(x []float32) float64", "$0-32", func() {
		p("MOVQ x_base+0(FP), SI")
		p("MOVQ x_len+8(FP), CX")
	}, []string{"SI"}, 1, func(a int) {
		p("VCVTPS2PD (SI), Y0")
		p("VCVTPS2PD 16(SI), Y1")
		p("VADDPD Y0, Y%d, Y%d", 8+2*a, 8+2*a)
		p("VADDPD Y1, Y%d, Y%d", 9+2*a, 9+2*a)
	}, func() {
		p("VCVTSS2SD (SI), X0, X0")
		p("VADDSD X0, X8, X8")
	}, func() {
		p("VMOVSD X8, ret+24(FP)")
	})
	reduce("dotAsm", "(x, y []float32) float64", "$0-56", func() {
		p("MOVQ x_base+0(FP), SI")
		p("MOVQ x_len+8(FP), CX")
		p("MOVQ y_base+24(FP), DX")
	}, []string{"SI", "DX"}, 1, func(a int) {
		p("VCVTPS2PD (SI), Y0")
		p("VCVTPS2PD 16(SI), Y1")
		p("VCVTPS2PD (DX), Y2")
		p("VCVTPS2PD 16(DX), Y3")
		p("VFMADD231PD Y2, Y0, Y%d", 8+2*a)
		p("VFMADD231PD Y3, Y1, Y%d", 9+2*a)
	}, func() {
		p("VCVTSS2SD (SI), X0, X0")
		p("VCVTSS2SD (DX), X1, X1")
		p("VFMADD231SD X1, X0, X8")
	}, func() {
		p("VMOVSD X8, ret+48(FP)")
	})
	// Σ dy and Σ dy·(x-m): the sums of BatchNormBackward.
	bnPair("bnSumsAsm", "(dy, x []float32, m float32) (float64, float64)", "$0-72", true,
		func() {
			p("MOVQ dy_base+0(FP), DX")
			p("MOVQ dy_len+8(FP), CX")
			p("MOVQ x_base+24(FP), SI")
			p("VBROADCASTSS m+48(FP), Y15")
		}, func() { p("VCVTSS2SD m+48(FP), X15, X15") },
		func() {
			p("VMOVSD X12, ret+56(FP)")
			p("VMOVSD X13, ret1+64(FP)")
		})
	// Σ (x-k) and Σ (x-k)²: the shifted one-pass statistics of BatchNormTrain.
	bnPair("bnStatsAsm", "(x []float32, k float32) (float64, float64)", "$0-48", false,
		func() {
			p("MOVQ x_base+0(FP), SI")
			p("MOVQ x_len+8(FP), CX")
			p("VBROADCASTSS k+24(FP), Y15")
		}, func() { p("VCVTSS2SD k+24(FP), X15, X15") },
		func() {
			p("VMOVSD X12, ret+32(FP)")
			p("VMOVSD X13, ret1+40(FP)")
		})

	// fmaPeakAsm runs n iterations of 12 independent 8-wide FMAs (192
	// flops): the benchmarks' measure of the machine's FMA peak.
	b.WriteString("// func fmaPeakAsm(n int)\nTEXT ·fmaPeakAsm(SB), NOSPLIT, $0-8\n")
	p("MOVQ n+0(FP), CX")
	for r := 0; r < 14; r++ {
		p("VXORPS Y%d, Y%d, Y%d", r, r, r)
	}
	label("fmaPeakAsm_loop")
	for r := 0; r < 12; r++ {
		p("VFMADD231PS Y12, Y13, Y%d", r)
	}
	p("DECQ CX")
	p("JNZ fmaPeakAsm_loop")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// dwSplitAsm writes src[0], src[2], ... to a and src[1], src[3], ...
	// to b for the first 16·(len(src)/16) elements, rectified when relu.
	b.WriteString("// func dwSplitAsm(a, b, src []float32, relu bool)\nTEXT ·dwSplitAsm(SB), NOSPLIT, $0-73\n")
	p("MOVQ a_base+0(FP), DI")
	p("MOVQ b_base+24(FP), DX")
	p("MOVQ src_base+48(FP), SI")
	p("MOVQ src_len+56(FP), CX")
	p("SHRQ $4, CX")
	p("JZ dwSplitAsm_done")
	p("VXORPS Y12, Y12, Y12")
	p("MOVBLZX relu+72(FP), AX")
	p("TESTQ AX, AX")
	p("JZ dwSplitAsm_loop")
	label("dwSplitAsm_rloop")
	p("VMOVUPS (SI), Y0")
	p("VMOVUPS 32(SI), Y1")
	p("VMAXPS Y0, Y12, Y0")
	p("VMAXPS Y1, Y12, Y1")
	p("VSHUFPS $0x88, Y1, Y0, Y2")
	p("VSHUFPS $0xDD, Y1, Y0, Y3")
	p("VPERMPD $0xD8, Y2, Y2")
	p("VPERMPD $0xD8, Y3, Y3")
	p("VMOVUPS Y2, (DI)")
	p("VMOVUPS Y3, (DX)")
	p("ADDQ $64, SI")
	p("ADDQ $32, DI")
	p("ADDQ $32, DX")
	p("DECQ CX")
	p("JNZ dwSplitAsm_rloop")
	p("JMP dwSplitAsm_done")
	label("dwSplitAsm_loop")
	p("VMOVUPS (SI), Y0")
	p("VMOVUPS 32(SI), Y1")
	p("VSHUFPS $0x88, Y1, Y0, Y2")
	p("VSHUFPS $0xDD, Y1, Y0, Y3")
	p("VPERMPD $0xD8, Y2, Y2")
	p("VPERMPD $0xD8, Y3, Y3")
	p("VMOVUPS Y2, (DI)")
	p("VMOVUPS Y3, (DX)")
	p("ADDQ $64, SI")
	p("ADDQ $32, DI")
	p("ADDQ $32, DX")
	p("DECQ CX")
	p("JNZ dwSplitAsm_loop")
	label("dwSplitAsm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// dwPadAsm copies h rows of w floats from src (contiguous rows) to dst
	// (rows ldd bytes apart), rectified when relu; a row's last w%8 floats
	// go through a masked load/store.
	b.WriteString("// func dwPadAsm(dst *float32, ldd int, src *float32, w, h int, relu bool)\nTEXT ·dwPadAsm(SB), NOSPLIT, $0-41\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ ldd+8(FP), R8")
	p("MOVQ src+16(FP), SI")
	p("MOVQ w+24(FP), R9")
	p("MOVQ h+32(FP), R10")
	p("MOVBLZX relu+40(FP), R11")
	p("VXORPS Y12, Y12, Y12")
	p("MOVQ R9, R12")
	p("ANDQ $7, R12") // tail length
	p("SHRQ $3, R9")  // full vectors per row
	tailMask("R12")
	p("TESTQ R10, R10")
	p("JZ dwPadAsm_done")
	label("dwPadAsm_row")
	p("MOVQ DI, BX")
	p("MOVQ R9, CX")
	p("TESTQ CX, CX")
	p("JZ dwPadAsm_tail")
	label("dwPadAsm_vec")
	p("VMOVUPS (SI), Y0")
	p("TESTQ R11, R11")
	p("JZ 2(PC)")
	p("VMAXPS Y0, Y12, Y0")
	p("VMOVUPS Y0, (BX)")
	p("ADDQ $32, SI")
	p("ADDQ $32, BX")
	p("DECQ CX")
	p("JNZ dwPadAsm_vec")
	label("dwPadAsm_tail")
	p("TESTQ R12, R12")
	p("JZ dwPadAsm_next")
	p("VMASKMOVPS (SI), Y15, Y0")
	p("TESTQ R11, R11")
	p("JZ 2(PC)")
	p("VMAXPS Y0, Y12, Y0")
	p("VMASKMOVPS Y0, Y15, (BX)")
	p("ADDQ R12, SI")
	label("dwPadAsm_next")
	p("ADDQ R8, DI")
	p("DECQ R10")
	p("JNZ dwPadAsm_row")
	label("dwPadAsm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// dwSplitPlaneAsm splits h rows of w floats (w a multiple of 16, rows
	// contiguous in src) into their even columns at ev and odd columns at od
	// (both advancing ld bytes per row), rectified when relu.
	b.WriteString("// func dwSplitPlaneAsm(ev, od *float32, ld int, src *float32, w, h int, relu bool)\nTEXT ·dwSplitPlaneAsm(SB), NOSPLIT, $0-49\n")
	p("MOVQ ev+0(FP), DI")
	p("MOVQ od+8(FP), DX")
	p("MOVQ ld+16(FP), R8")
	p("MOVQ src+24(FP), SI")
	p("MOVQ w+32(FP), R9")
	p("SHRQ $4, R9")
	p("MOVQ h+40(FP), R10")
	p("MOVBLZX relu+48(FP), R11")
	p("VXORPS Y12, Y12, Y12")
	p("TESTQ R9, R9")
	p("JZ dwSplitPlaneAsm_done")
	p("TESTQ R10, R10")
	p("JZ dwSplitPlaneAsm_done")
	label("dwSplitPlaneAsm_row")
	p("MOVQ DI, AX")
	p("MOVQ DX, BX")
	p("MOVQ R9, CX")
	label("dwSplitPlaneAsm_vec")
	p("VMOVUPS (SI), Y0")
	p("VMOVUPS 32(SI), Y1")
	p("TESTQ R11, R11")
	p("JZ 3(PC)")
	p("VMAXPS Y0, Y12, Y0")
	p("VMAXPS Y1, Y12, Y1")
	p("VSHUFPS $0x88, Y1, Y0, Y2")
	p("VSHUFPS $0xDD, Y1, Y0, Y3")
	p("VPERMPD $0xD8, Y2, Y2")
	p("VPERMPD $0xD8, Y3, Y3")
	p("VMOVUPS Y2, (AX)")
	p("VMOVUPS Y3, (BX)")
	p("ADDQ $64, SI")
	p("ADDQ $32, AX")
	p("ADDQ $32, BX")
	p("DECQ CX")
	p("JNZ dwSplitPlaneAsm_vec")
	p("ADDQ R8, DI")
	p("ADDQ R8, DX")
	p("DECQ R10")
	p("JNZ dwSplitPlaneAsm_row")
	label("dwSplitPlaneAsm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// dwExpandAsm writes h rows of w floats (w a multiple of 8, rows
	// contiguous in src) to dst rows ld bytes apart as s0, 0, s1, 0, ...
	// (2w floats per row).
	b.WriteString("// func dwExpandAsm(dst *float32, ld int, src *float32, w, h int)\nTEXT ·dwExpandAsm(SB), NOSPLIT, $0-40\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ ld+8(FP), R8")
	p("MOVQ src+16(FP), SI")
	p("MOVQ w+24(FP), R9")
	p("SHRQ $3, R9")
	p("MOVQ h+32(FP), R10")
	p("VXORPS Y12, Y12, Y12")
	p("TESTQ R9, R9")
	p("JZ dwExpandAsm_done")
	p("TESTQ R10, R10")
	p("JZ dwExpandAsm_done")
	label("dwExpandAsm_row")
	p("MOVQ DI, AX")
	p("MOVQ R9, CX")
	label("dwExpandAsm_vec")
	p("VMOVUPS (SI), Y0")
	p("VUNPCKLPS Y12, Y0, Y1") // d0 0 d1 0 | d4 0 d5 0
	p("VUNPCKHPS Y12, Y0, Y2") // d2 0 d3 0 | d6 0 d7 0
	p("VPERM2F128 $0x20, Y2, Y1, Y3")
	p("VPERM2F128 $0x31, Y2, Y1, Y4")
	p("VMOVUPS Y3, (AX)")
	p("VMOVUPS Y4, 32(AX)")
	p("ADDQ $32, SI")
	p("ADDQ $64, AX")
	p("DECQ CX")
	p("JNZ dwExpandAsm_vec")
	p("ADDQ R8, DI")
	p("DECQ R10")
	p("JNZ dwExpandAsm_row")
	label("dwExpandAsm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// The stride-2 gather and scatter read (and write) every other row,
	// a stride on which the hardware prefetchers fall behind: each line
	// is prefetched s2Ahead bytes ahead. Against no prefetch, one thread,
	// alternating calls in one process, a whole tensor a call (batch 64):
	// gather 1.20–1.21 on 32×32 C16, 1.09–1.12 on 16×16 C32, 0.98–1.09 in
	// L2; scatter (relu) 1.06–1.17, 1.02–1.16 and 1.13–1.23 in L2. 512
	// bytes ahead gained less (1.11–1.13 on 32×32).
	const s2Ahead = 1024

	// pwGatherS2Asm writes, for h rows, the even (odd) columns of a source
	// row of w floats (w a multiple of 16; source rows 2w floats apart) to
	// w/2 contiguous floats of dst, rectified when relu: the sampled input of
	// a stride-2 1×1 convolution.
	b.WriteString("// func pwGatherS2Asm(dst, src *float32, w, h int, odd, relu bool)\nTEXT ·pwGatherS2Asm(SB), NOSPLIT, $0-34\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ src+8(FP), SI")
	p("MOVQ w+16(FP), R8")
	p("MOVQ h+24(FP), R10")
	p("MOVBLZX odd+32(FP), R11")
	p("MOVBLZX relu+33(FP), R12")
	p("SHLQ $3, R8") // 2w floats = 8w bytes per source row step
	p("VXORPS Y12, Y12, Y12")
	p("TESTQ R10, R10")
	p("JZ pwGatherS2Asm_done")
	p("MOVQ w+16(FP), R9")
	p("SHRQ $4, R9")
	p("JZ pwGatherS2Asm_done")
	p("SHLQ $1, R11")
	p("ORQ R12, R11") // variant: 2·odd + relu
	for v := 0; v < 4; v++ {
		p("CMPQ R11, $%d", v)
		p("JEQ pwGatherS2Asm_row%d", v)
	}
	for v := 0; v < 4; v++ {
		odd, relu := v>>1 == 1, v&1 == 1
		imm := "$0x88"
		if odd {
			imm = "$0xDD"
		}
		label(fmt.Sprintf("pwGatherS2Asm_row%d", v))
		p("MOVQ SI, AX")
		p("MOVQ R9, CX")
		label(fmt.Sprintf("pwGatherS2Asm_vec%d", v))
		p("PREFETCHT0 %d(AX)", s2Ahead)
		p("VMOVUPS (AX), Y0")
		p("VMOVUPS 32(AX), Y1")
		p("VSHUFPS %s, Y1, Y0, Y2", imm)
		p("VPERMPD $0xD8, Y2, Y2")
		if relu {
			p("VMAXPS Y2, Y12, Y2")
		}
		p("VMOVUPS Y2, (DI)")
		p("ADDQ $64, AX")
		p("ADDQ $32, DI")
		p("DECQ CX")
		p("JNZ pwGatherS2Asm_vec%d", v)
		p("ADDQ R8, SI")
		p("DECQ R10")
		p("JNZ pwGatherS2Asm_row%d", v)
		p("JMP pwGatherS2Asm_done")
	}
	label("pwGatherS2Asm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// pwScatterS2Asm is the transpose: for h rows it adds g (w/2 contiguous
	// floats per row) to the even (odd) columns of a dx row of w floats (w a
	// multiple of 16; dx rows 2w floats apart), where x > 0 or NaN when relu (x has
	// dx's layout).
	b.WriteString("// func pwScatterS2Asm(dx, gs, x *float32, w, h int, odd, relu bool)\nTEXT ·pwScatterS2Asm(SB), NOSPLIT, $0-42\n")
	p("MOVQ dx+0(FP), DI")
	p("MOVQ gs+8(FP), SI")
	p("MOVQ x+16(FP), DX")
	p("MOVQ w+24(FP), R8")
	p("MOVQ h+32(FP), R10")
	p("MOVBLZX odd+40(FP), R11")
	p("MOVBLZX relu+41(FP), R12")
	p("SHLQ $3, R8")
	p("VXORPS Y12, Y12, Y12")
	p("TESTQ R10, R10")
	p("JZ pwScatterS2Asm_done")
	p("MOVQ w+24(FP), R9")
	p("SHRQ $4, R9")
	p("JZ pwScatterS2Asm_done")
	p("SHLQ $1, R11")
	p("ORQ R12, R11")
	for v := 0; v < 4; v++ {
		p("CMPQ R11, $%d", v)
		p("JEQ pwScatterS2Asm_row%d", v)
	}
	for v := 0; v < 4; v++ {
		odd, relu := v>>1 == 1, v&1 == 1
		label(fmt.Sprintf("pwScatterS2Asm_row%d", v))
		p("MOVQ DI, AX")
		p("MOVQ DX, BX")
		p("MOVQ R9, CX")
		label(fmt.Sprintf("pwScatterS2Asm_vec%d", v))
		p("PREFETCHT0 %d(AX)", s2Ahead)
		if relu {
			p("PREFETCHT0 %d(BX)", s2Ahead)
		}
		p("VMOVUPS (SI), Y0")
		if odd {
			p("VUNPCKLPS Y0, Y12, Y1")
			p("VUNPCKHPS Y0, Y12, Y2")
		} else {
			p("VUNPCKLPS Y12, Y0, Y1")
			p("VUNPCKHPS Y12, Y0, Y2")
		}
		interleaveStore(relu, true)
		p("ADDQ $32, SI")
		p("ADDQ $64, AX")
		p("DECQ CX")
		p("JNZ pwScatterS2Asm_vec%d", v)
		p("ADDQ R8, DI")
		p("ADDQ R8, DX")
		p("DECQ R10")
		p("JNZ pwScatterS2Asm_row%d", v)
		p("JMP pwScatterS2Asm_done")
	}
	label("pwScatterS2Asm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	// dwInterleaveAddAsm adds, for h rows, t0 (w/2 contiguous floats per
	// row) to the even and t1 to the odd columns of a dx row of w floats (w
	// a multiple of 16; dx rows 2w floats apart), where x > 0 or NaN when relu (x
	// has dx's layout): the two column parities of the stride-2 input
	// gradient in one pass. dwInterleaveSetAsm writes the same values
	// instead of adding them (0 where x ≤ 0), for a dx that holds nothing
	// yet.
	for _, add := range []bool{true, false} {
		name := "dwInterleaveAddAsm"
		if !add {
			name = "dwInterleaveSetAsm"
		}
		fmt.Fprintf(&b, "// func %s(dx, t0, t1, x *float32, w, h int, relu bool)\nTEXT ·%s(SB), NOSPLIT, $0-49\n", name, name)
		p("MOVQ dx+0(FP), DI")
		p("MOVQ t0+8(FP), SI")
		p("MOVQ t1+16(FP), R13")
		p("MOVQ x+24(FP), DX")
		p("MOVQ w+32(FP), R8")
		p("MOVQ h+40(FP), R10")
		p("MOVBLZX relu+48(FP), R11")
		p("SHLQ $3, R8")
		p("VXORPS Y12, Y12, Y12")
		p("TESTQ R10, R10")
		p("JZ %s_done", name)
		p("MOVQ w+32(FP), R9")
		p("SHRQ $4, R9")
		p("JZ %s_done", name)
		p("TESTQ R11, R11")
		p("JNZ %s_row1", name)
		for v := 0; v < 2; v++ {
			relu := v == 1
			label(fmt.Sprintf("%s_row%d", name, v))
			p("MOVQ DI, AX")
			p("MOVQ DX, BX")
			p("MOVQ R9, CX")
			label(fmt.Sprintf("%s_vec%d", name, v))
			p("VMOVUPS (SI), Y0")
			p("VMOVUPS (R13), Y7")
			p("VUNPCKLPS Y7, Y0, Y1")
			p("VUNPCKHPS Y7, Y0, Y2")
			interleaveStore(relu, add)
			p("ADDQ $32, SI")
			p("ADDQ $32, R13")
			p("ADDQ $64, AX")
			p("DECQ CX")
			p("JNZ %s_vec%d", name, v)
			p("ADDQ R8, DI")
			p("ADDQ R8, DX")
			p("DECQ R10")
			p("JNZ %s_row%d", name, v)
			p("JMP %s_done", name)
		}
		label(name + "_done")
		p("VZEROUPPER")
		p("RET")
		b.WriteString("\n")
	}

	// prefetchAsm prefetches n bytes from p, one cache line at a time.
	b.WriteString("// func prefetchAsm(p *float32, n int)\nTEXT ·prefetchAsm(SB), NOSPLIT, $0-16\n")
	p("MOVQ p+0(FP), SI")
	p("MOVQ n+8(FP), CX")
	p("ADDQ $63, CX")
	p("SHRQ $6, CX")
	p("JZ prefetchAsm_done")
	label("prefetchAsm_loop")
	p("PREFETCHT0 (SI)")
	p("ADDQ $64, SI")
	p("DECQ CX")
	p("JNZ prefetchAsm_loop")
	label("prefetchAsm_done")
	p("RET")
	b.WriteString("\n")

	// prefetchWAsm prefetches n bytes from p for writing (PREFETCHW (SI),
	// encoded by hand: the Go assembler lacks the mnemonic).
	b.WriteString("// func prefetchWAsm(p *float32, n int)\nTEXT ·prefetchWAsm(SB), NOSPLIT, $0-16\n")
	p("MOVQ p+0(FP), SI")
	p("MOVQ n+8(FP), CX")
	p("ADDQ $63, CX")
	p("SHRQ $6, CX")
	p("JZ prefetchWAsm_done")
	label("prefetchWAsm_loop")
	p("BYTE $0x0F; BYTE $0x0D; BYTE $0x0E // PREFETCHW (SI)")
	p("ADDQ $64, SI")
	p("DECQ CX")
	p("JNZ prefetchWAsm_loop")
	label("prefetchWAsm_done")
	p("RET")
	b.WriteString("\n")

	softmaxKernels()

	if err := os.WriteFile("ew_amd64.s", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

// interleaveStore emits the end of a column-interleaving step: the unpacked
// halves in Y1 (low lanes) and Y2 (high lanes) become the 16 consecutive
// floats Y3, Y4; when relu they are zeroed where the 16 floats at BX (the
// layer input) are not positive, and BX moves on; when add they are added
// to the 16 floats at AX; then they are stored at AX.
func interleaveStore(relu, add bool) {
	p("VPERM2F128 $0x20, Y2, Y1, Y3")
	p("VPERM2F128 $0x31, Y2, Y1, Y4")
	if relu {
		p("VCMPPS $0x19, (BX), Y12, Y5")
		p("VCMPPS $0x19, 32(BX), Y12, Y6")
		p("VANDPS Y5, Y3, Y3")
		p("VANDPS Y6, Y4, Y4")
		p("ADDQ $64, BX")
	}
	if add {
		p("VADDPS (AX), Y3, Y3")
		p("VADDPS 32(AX), Y4, Y4")
	}
	p("VMOVUPS Y3, (AX)")
	p("VMOVUPS Y4, 32(AX)")
}

// smTab holds the constants of the softmax kernels, each broadcast to 8
// floats (32 bytes): smTab+32·i.
var smTab = []float32{
	float32(math.Log2E),                                            // 0: log2 e
	0.693359375,                                                    // 1: ln 2, high part (few bits, exact products)
	float32(math.Ln2 - 0.693359375),                                // 2: ln 2, low part
	-87,                                                            // 3: below this exp(x) is taken as 0
	float32(math.Inf(-1)),                                          // 4: -Inf
	1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1, // 5..12: Taylor coefficients of e^r, x^7 down to x^0
}

func smC(i int) string { return fmt.Sprintf("·smTab+%d(SB)", 32*i) }

// softmaxKernels emits the kernels of the softmax family:
//
//   - rowMaxAsm(x) float32: the largest element, NaN ignored (-Inf when all
//     are NaN or -Inf), as rowLogSumExp's comparison takes it.
//   - expShiftAsm(dst, x, m) float64: dst = e^(x-m), returning Σ dst in
//     float64; expSumAsm(x, m) float64 the sum alone.
//   - smBackAsm(dx, dy, y, s): dx += y·(dy-s).
//   - fillAsm(dst, v): dst = v; addScalarAsm(dst, v): dst += v.
//
// e^a for a = x-m <= 0: n = round(a·log2 e), r = a - n·ln 2 (in two parts,
// |r| <= ln2/2), e^r by its Taylor polynomial to r^7 (the remainder below
// 6e-9 relative, under a float32 ulp) in Horner form, times 2^n by adding n
// to the exponent bits. Below a = -87 (where e^a nears the smallest normal
// float32, 1.2e-38) the result is 0; a NaN stays NaN.
func softmaxKernels() {
	for i, v := range smTab {
		for l := 0; l < 8; l++ {
			fmt.Fprintf(&b, "DATA ·smTab+%d(SB)/4, $0x%08x\n", 32*i+4*l, math.Float32bits(v))
		}
	}
	fmt.Fprintf(&b, "GLOBL ·smTab(SB), RODATA|NOPTR, $%d\n\n", 32*len(smTab))

	// rowMaxAsm: four max accumulators over 32 floats a step, then 8, then
	// a masked tail whose missing lanes read -Inf.
	b.WriteString("// func rowMaxAsm(x []float32) float32\nTEXT ·rowMaxAsm(SB), NOSPLIT, $0-28\n")
	p("MOVQ x_base+0(FP), SI")
	p("MOVQ x_len+8(FP), CX")
	p("VMOVUPS %s, Y14", smC(4))
	for r := 0; r < 4; r++ {
		p("VMOVAPS Y14, Y%d", r)
	}
	// max(x, acc) with x first: a NaN x leaves acc as it was.
	mx := func(src string, acc int) {
		p("VMOVUPS %s, Y8", src)
		p("VMAXPS Y%d, Y8, Y%d", acc, acc)
	}
	label("rowMaxAsm_l32")
	p("CMPQ CX, $32")
	p("JLT rowMaxAsm_l8")
	for u := 0; u < 4; u++ {
		mx(fmt.Sprintf("%d(SI)", 32*u), u)
	}
	p("ADDQ $128, SI")
	p("SUBQ $32, CX")
	p("JMP rowMaxAsm_l32")
	label("rowMaxAsm_l8")
	p("CMPQ CX, $8")
	p("JLT rowMaxAsm_tail")
	mx("(SI)", 0)
	p("ADDQ $32, SI")
	p("SUBQ $8, CX")
	p("JMP rowMaxAsm_l8")
	label("rowMaxAsm_tail")
	p("TESTQ CX, CX")
	p("JZ rowMaxAsm_fold")
	tailMask("CX")
	p("VMASKMOVPS (SI), Y15, Y8")
	p("VBLENDVPS Y15, Y8, Y14, Y8") // lanes past the end: -Inf
	p("VMAXPS Y1, Y8, Y1")
	label("rowMaxAsm_fold")
	p("VMAXPS Y1, Y0, Y0")
	p("VMAXPS Y3, Y2, Y2")
	p("VMAXPS Y2, Y0, Y0")
	p("VEXTRACTF128 $1, Y0, X1")
	p("VMAXPS X1, X0, X0")
	p("VMOVHLPS X0, X0, X1")
	p("VMAXPS X1, X0, X0")
	p("VMOVSHDUP X0, X1")
	p("VMAXSS X1, X0, X0")
	p("VMOVSS X0, ret+24(FP)")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")

	for _, store := range []bool{true, false} {
		name, sig, frame := "expShiftAsm", "(dst, x []float32, m float32) float64", "$0-64"
		xo, mo, ro := 24, 48, 56
		if !store {
			name, sig, frame = "expSumAsm", "(x []float32, m float32) float64", "$0-40"
			xo, mo, ro = 0, 24, 32
		}
		fmt.Fprintf(&b, "// func %s%s\nTEXT ·%s(SB), NOSPLIT, %s\n", name, sig, name, frame)
		if store {
			p("MOVQ dst_base+0(FP), DI")
		}
		p("MOVQ x_base+%d(FP), SI", xo)
		p("MOVQ x_len+%d(FP), CX", xo+8)
		p("VMOVUPS %s, Y8", smC(0))
		p("VMOVUPS %s, Y9", smC(3))
		p("VBROADCASTSS m+%d(FP), Y10", mo)
		p("VXORPD Y12, Y12, Y12")
		p("VXORPD Y13, Y13, Y13")
		// vec: the 8 floats at byte offset 32u (masked by Y15 in the
		// tail) with registers a, n, e, q = Y(4u..4u+3).
		vec := func(u int, masked bool) {
			a, n, e, q := fmt.Sprintf("Y%d", 4*u), fmt.Sprintf("Y%d", 4*u+1), fmt.Sprintf("Y%d", 4*u+2), fmt.Sprintf("Y%d", 4*u+3)
			if masked {
				p("VMASKMOVPS (SI), Y15, %s", a)
			} else {
				p("VMOVUPS %d(SI), %s", 32*u, a)
			}
			p("VSUBPS Y10, %s, %s", a, a)
			p("VCMPPS $0x11, Y9, %s, %s", a, q) // a < -87 (false for NaN)
			p("VMULPS Y8, %s, %s", a, n)
			p("VROUNDPS $0, %s, %s", n, n)
			p("VFNMADD231PS %s, %s, %s", smC(1), n, a)
			p("VFNMADD231PS %s, %s, %s", smC(2), n, a)
			p("VMOVUPS %s, %s", smC(5), e)
			for c := 6; c < len(smTab); c++ {
				p("VFMADD213PS %s, %s, %s", smC(c), a, e)
			}
			p("VCVTPS2DQ %s, %s", n, n)
			p("VPSLLD $23, %s, %s", n, n)
			p("VPADDD %s, %s, %s", n, e, e)
			p("VANDNPS %s, %s, %s", e, q, e)
			if masked {
				p("VANDPS Y15, %s, %s", e, e)
			}
			if store {
				if masked {
					p("VMASKMOVPS %s, Y15, (DI)", e)
				} else {
					p("VMOVUPS %s, %d(DI)", e, 32*u)
				}
			}
			x := "X" + e[1:]
			p("VCVTPS2PD %s, Y11", x)
			p("VADDPD Y11, Y12, Y12")
			p("VEXTRACTF128 $1, %s, X%s", e, q[1:])
			p("VCVTPS2PD X%s, Y11", q[1:])
			p("VADDPD Y11, Y13, Y13")
		}
		adv := func(nb int) {
			p("ADDQ $%d, SI", nb)
			if store {
				p("ADDQ $%d, DI", nb)
			}
		}
		label(name + "_l16")
		p("CMPQ CX, $16")
		p("JLT %s_l8", name)
		vec(0, false)
		vec(1, false)
		adv(64)
		p("SUBQ $16, CX")
		p("JMP %s_l16", name)
		label(name + "_l8")
		p("CMPQ CX, $8")
		p("JLT %s_tail", name)
		vec(0, false)
		adv(32)
		p("SUBQ $8, CX")
		label(name + "_tail")
		p("TESTQ CX, CX")
		p("JZ %s_done", name)
		tailMask("CX")
		vec(0, true)
		label(name + "_done")
		p("VADDPD Y13, Y12, Y12")
		hsum("Y12", "X12")
		p("VMOVSD X12, ret+%d(FP)", ro)
		p("VZEROUPPER")
		p("RET")
		b.WriteString("\n")
	}

	stream("smBackAsm", "(dx, dy, y []float32, s float32)", "$0-76", func() {
		p("MOVQ dx_base+0(FP), DI")
		p("MOVQ dy_base+24(FP), SI")
		p("MOVQ y_base+48(FP), DX")
		p("MOVQ dx_len+8(FP), CX")
		p("VBROADCASTSS s+72(FP), Y14")
	}, []string{"DI", "SI", "DX"}, func(o io) {
		o.load("SI", o.reg(0))
		p("VSUBPS Y14, %s, %s", o.reg(0), o.reg(0))
		o.load("DX", o.reg(1))
		o.load("DI", o.reg(2))
		p("VFMADD231PS %s, %s, %s", o.reg(1), o.reg(0), o.reg(2))
		o.store(o.reg(2), "DI")
	})
	// dst at DI, its length in CX, v broadcast in Y14.
	dstScalar := func() {
		p("MOVQ dst_base+0(FP), DI")
		p("MOVQ dst_len+8(FP), CX")
		p("VBROADCASTSS v+24(FP), Y14")
	}
	stream("fillAsm", "(dst []float32, v float32)", "$0-28", dstScalar, []string{"DI"}, func(o io) {
		o.store("Y14", "DI")
	})
	stream("addScalarAsm", "(dst []float32, v float32)", "$0-28", dstScalar, []string{"DI"}, func(o io) {
		o.load("DI", o.reg(0))
		p("VADDPS Y14, %s, %s", o.reg(0), o.reg(0))
		o.store(o.reg(0), "DI")
	})
}

// wsum emits
//
//	func wsumAsm(y *float32, xs **float32, s *float32, k, n int, add bool)
//
// y[i] = s[0]·xs[0][i] + s[1]·xs[1][i] + … over k >= 1 terms and n
// elements, left to right: a VMULPS for the first term (unless add: then
// the sum starts from y) and a VFMADD231PS for each other, the arithmetic
// of scaleAsm then axpyAsm term by term, in one pass that reads each term
// once and writes y once. Four vectors a step (their sums in Y0–Y3), then
// one, then the masked tail; the term loop inside each step reloads the
// term's pointer and broadcasts its weight (Y8), both from L1.
func wsum() {
	b.WriteString("// func wsumAsm(y *float32, xs **float32, s *float32, k, n int, add bool)\nTEXT ·wsumAsm(SB), NOSPLIT, $0-41\n")
	p("MOVQ y+0(FP), DI")
	p("MOVQ xs+8(FP), SI")
	p("MOVQ s+16(FP), DX")
	p("MOVQ k+24(FP), R8")
	p("MOVQ n+32(FP), CX")
	p("MOVBLZX add+40(FP), R11")
	p("XORQ BX, BX") // byte offset into y and every term
	step := func(name string, U int, masked bool) {
		acc := func(u int) string { return fmt.Sprintf("Y%d", u) }
		mem := func(base string, u int) string { return fmt.Sprintf("%d(%s)(BX*1)", 32*u, base) }
		load := func(m, dst string) {
			if masked {
				p("VMASKMOVPS %s, Y15, %s", m, dst)
			} else {
				p("VMOVUPS %s, %s", m, dst)
			}
		}
		// term is the operand of vector u of the term at R9: its memory
		// operand, or Y9 after a masked load.
		term := func(u int) string {
			if masked {
				load(mem("R9", u), "Y9")
				return "Y9"
			}
			return mem("R9", u)
		}
		// apply loads a term's pointer into R9 and its weight into Y8 (the
		// first term's, or with R10 the R10-th's) and applies instr to each
		// of its vectors and the sums.
		apply := func(instr string, r10 bool) {
			xs, w := "(SI)", "(DX)"
			if r10 {
				xs, w = "(SI)(R10*8)", "(DX)(R10*4)"
			}
			p("MOVQ %s, R9", xs)
			p("VBROADCASTSS %s, Y8", w)
			for u := 0; u < U; u++ {
				p("%s %s, Y8, %s", instr, term(u), acc(u))
			}
		}
		// The first term, or y itself when adding.
		p("TESTQ R11, R11")
		p("JNZ %s_add", name)
		apply("VMULPS", false)
		p("MOVQ $1, R10")
		p("JMP %s_terms", name)
		label(name + "_add")
		for u := 0; u < U; u++ {
			load(mem("DI", u), acc(u))
		}
		p("XORQ R10, R10")
		label(name + "_terms")
		p("CMPQ R10, R8")
		p("JGE %s_store", name)
		apply("VFMADD231PS", true)
		p("INCQ R10")
		p("JMP %s_terms", name)
		label(name + "_store")
		for u := 0; u < U; u++ {
			if masked {
				p("VMASKMOVPS %s, Y15, %s", acc(u), mem("DI", u))
			} else {
				p("VMOVUPS %s, %s", acc(u), mem("DI", u))
			}
		}
	}
	label("wsumAsm_l32")
	p("CMPQ CX, $32")
	p("JLT wsumAsm_l8")
	step("wsumAsm_s32", 4, false)
	p("ADDQ $128, BX")
	p("SUBQ $32, CX")
	p("JMP wsumAsm_l32")
	label("wsumAsm_l8")
	p("CMPQ CX, $8")
	p("JLT wsumAsm_tail")
	step("wsumAsm_s8", 1, false)
	p("ADDQ $32, BX")
	p("SUBQ $8, CX")
	p("JMP wsumAsm_l8")
	label("wsumAsm_tail")
	p("TESTQ CX, CX")
	p("JZ wsumAsm_done")
	tailMask("CX")
	step("wsumAsm_st", 1, true)
	label("wsumAsm_done")
	p("VZEROUPPER")
	p("RET")
	b.WriteString("\n")
}
