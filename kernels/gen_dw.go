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
// Weight-gradient kernel dwb<K>D<D>S<S>R<R> sums, for each tap, dy·x over
// nb blocks of R output rows × 8·nv columns of one plane and stores the K×K
// sums to out.
package main

import (
	"bytes"
	"fmt"
	"os"
)

var b bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&b, "\t"+format+"\n", a...) }

func label(s string) { fmt.Fprintf(&b, "%s:\n", s) }

type user struct{ oh, ki int }

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
	fmt.Fprintf(&b, "// func %s(y *float32, ldy int, x *float32, ldx int, w *float32, coff *int, nv int, m *float32, ldm int)\n", name)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-72\n", name)
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
	for oh := 0; oh < R; oh++ {
		p("VXORPS %s, %s, %s", acc(oh), acc(oh), acc(oh))
	}
	for kj := 0; kj < K; kj++ {
		p("MOVQ SI, AX")
		p("ADDQ %d(R10), AX", 8*kj)
		for ki := 0; ki < K; ki++ {
			p("VBROADCASTSS %d(DX), %s", 4*(ki*K+kj), wr(ki))
		}
		for i, us := range u {
			switch len(us) {
			case 0:
			case 1:
				p("VFMADD231PS (AX), %s, %s", wr(us[0].ki), acc(us[0].oh))
			default:
				p("VMOVUPS (AX), Y15")
				for _, x := range us {
					p("VFMADD231PS Y15, %s, %s", wr(x.ki), acc(x.oh))
				}
			}
			if i < len(u)-1 {
				p("ADDQ R9, AX")
			}
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
			p("VCMPPS $0x11, (R13), Y14, Y13") // Y13 = 0 < m (ordered, quiet)
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

func bwdw(K, D, S, R int) {
	name := fmt.Sprintf("dwbK%dD%dS%dR%d", K, D, S, R)
	fmt.Fprintf(&b, "// func %s(dy *float32, lddy int, x *float32, ldx int, coff *int, nv int, nb int, out *float32)\n", name)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-64\n", name)
	p("MOVQ lddy+8(FP), R8")
	p("MOVQ ldx+24(FP), R9")
	p("MOVQ coff+32(FP), R10")
	// Block advances: R rows of dy, R·S rows of x.
	p("MOVQ R8, R13")
	p("IMULQ $%d, R13", R)
	p("MOVQ R9, R12")
	p("IMULQ $%d, R12", R*S)
	acc := func(ki int) string { return fmt.Sprintf("Y%d", ki) }
	dyr := func(oh int) string { return fmt.Sprintf("Y%d", K+oh) }
	u := users(K, D, S, R)
	for kj := 0; kj < K; kj++ {
		for ki := 0; ki < K; ki++ {
			p("VXORPS %s, %s, %s", acc(ki), acc(ki), acc(ki))
		}
		p("MOVQ dy+0(FP), DI")
		p("MOVQ x+16(FP), SI")
		p("ADDQ %d(R10), SI", 8*kj)
		p("MOVQ nb+48(FP), BX")
		lb := fmt.Sprintf("%s_kj%d_blk", name, kj)
		lv := fmt.Sprintf("%s_kj%d_vec", name, kj)
		label(lb)
		p("MOVQ nv+40(FP), CX")
		p("MOVQ DI, R11")
		p("MOVQ SI, AX")
		label(lv)
		p("MOVQ R11, DX")
		// DX is reused as the dy row pointer inside the loop; out is
		// reloaded after the loops.
		for oh := 0; oh < R; oh++ {
			p("VMOVUPS (DX), %s", dyr(oh))
			if oh < R-1 {
				p("ADDQ R8, DX")
			}
		}
		p("MOVQ AX, DX")
		for i, us := range u {
			switch len(us) {
			case 0:
			case 1:
				p("VFMADD231PS (DX), %s, %s", dyr(us[0].oh), acc(us[0].ki))
			default:
				p("VMOVUPS (DX), Y15")
				for _, x := range us {
					p("VFMADD231PS Y15, %s, %s", dyr(x.oh), acc(x.ki))
				}
			}
			if i < len(u)-1 {
				p("ADDQ R9, DX")
			}
		}
		p("ADDQ $32, R11")
		p("ADDQ $32, AX")
		p("DECQ CX")
		p("JNZ %s", lv)
		p("ADDQ R13, DI")
		p("ADDQ R12, SI")
		p("DECQ BX")
		p("JNZ %s", lb)
		p("MOVQ out+56(FP), DX")
		for ki := 0; ki < K; ki++ {
			a := acc(ki)
			x := fmt.Sprintf("X%d", ki)
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

// Direct stride-1 kernels (dwdf*): no padded copy. Rows are
// addressed through tables of byte offsets from a plane base (one entry per
// row of the R = 8 row blocks; rows outside the plane point at a zero row,
// output rows past the end at a sink row), and the column taps of the
// first and last 8-column vector of a row, which may reach past the row
// ends, use masked loads with per-tap masks (VMASKMOVPS does not fault on
// masked lanes). W must be a multiple of 8 and the padding "same".

const dR = 8

// dfwd emits dwdfK<K>D<D>M<mode>[R](in *float32, intab *int, out *float32,
// outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb int):
// nb blocks of 8 output rows × nv vectors; mode 0 stores, 1 adds, 2 adds
// where the mask plane m > 0; relu rectifies the input as it is loaded.
func dfwd(K, D, mode int, relu bool) {
	P := D * (K - 1) / 2
	name := fmt.Sprintf("dwdfK%dD%dM%d", K, D, mode)
	if relu {
		name += "R"
	}
	fmt.Fprintf(&b, "// func %s(in *float32, intab *int, out *float32, outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb int)\n", name)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-88\n", name)
	p("MOVQ intab+8(FP), SI")
	p("MOVQ outtab+24(FP), DI")
	p("MOVQ mtab+40(FP), R11")
	p("MOVQ w+48(FP), DX")
	p("MOVQ nb+80(FP), R10")
	if relu {
		p("VXORPS Y13, Y13, Y13")
	}
	acc := func(oh int) string { return fmt.Sprintf("Y%d", oh) }
	wr := func(ki int) string { return fmt.Sprintf("Y%d", dR+ki) }
	u := users(K, D, 1, dR)
	body := func(edge bool) {
		for oh := 0; oh < dR; oh++ {
			p("VXORPS %s, %s, %s", acc(oh), acc(oh), acc(oh))
		}
		for kj := 0; kj < K; kj++ {
			for ki := 0; ki < K; ki++ {
				p("VBROADCASTSS %d(DX), %s", 4*(ki*K+kj), wr(ki))
			}
			off := 4 * (kj*D - P)
			masked := edge && off != 0
			if masked {
				p("VMOVDQU %d(R12), Y14", 32*kj)
			}
			for i, us := range u {
				if len(us) == 0 {
					continue
				}
				p("MOVQ %d(SI), AX", 8*i)
				src := fmt.Sprintf("%d(R8)(AX*1)", off)
				reg := src
				switch {
				case masked:
					p("VMASKMOVPS %s, Y14, Y15", src)
					reg = "Y15"
				case relu || len(us) > 1:
					p("VMOVUPS %s, Y15", src)
					reg = "Y15"
				}
				if relu {
					p("VMAXPS Y13, Y15, Y15")
				}
				for _, x := range us {
					p("VFMADD231PS %s, %s, %s", reg, wr(x.ki), acc(x.oh))
				}
			}
		}
		if mode == 2 {
			p("VXORPS Y15, Y15, Y15")
		}
		for oh := 0; oh < dR; oh++ {
			p("MOVQ %d(DI), AX", 8*oh)
			switch mode {
			case 1:
				p("VADDPS (R13)(AX*1), %s, %s", acc(oh), acc(oh))
			case 2:
				p("MOVQ %d(R11), BX", 8*oh)
				p("VCMPPS $0x11, (CX)(BX*1), Y15, Y14")
				p("VANDPS Y14, %s, %s", acc(oh), acc(oh))
				p("VADDPS (R13)(AX*1), %s, %s", acc(oh), acc(oh))
			}
			p("VMOVUPS %s, (R13)(AX*1)", acc(oh))
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

// drect emits dwdrK<Kr>x<Kc>(in *float32, intab *int, out *float32,
// outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int): a direct
// stride-1 correlation with a dense Kr×Kc filter (w row-major), consecutive
// row taps through the row tables and column tap j at byte offset coff[j];
// the first and last vectors load every tap masked. Stores its result
// (mode 0). The stride-2 input gradient runs it once per output parity.
func drect(Kr, Kc int) {
	name := fmt.Sprintf("dwdrK%dx%d", Kr, Kc)
	fmt.Fprintf(&b, "// func %s(in *float32, intab *int, out *float32, outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int)\n", name)
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-80\n", name)
	p("MOVQ intab+8(FP), SI")
	p("MOVQ outtab+24(FP), DI")
	p("MOVQ w+32(FP), DX")
	p("MOVQ coff+40(FP), R11")
	p("MOVQ nb+72(FP), R10")
	acc := func(oh int) string { return fmt.Sprintf("Y%d", oh) }
	wr := func(ki int) string { return fmt.Sprintf("Y%d", dR+ki) }
	u := users(Kr, 1, 1, dR)
	body := func(edge bool) {
		for oh := 0; oh < dR; oh++ {
			p("VXORPS %s, %s, %s", acc(oh), acc(oh), acc(oh))
		}
		for kj := 0; kj < Kc; kj++ {
			for ki := 0; ki < Kr; ki++ {
				p("VBROADCASTSS %d(DX), %s", 4*(ki*Kc+kj), wr(ki))
			}
			p("MOVQ %d(R11), BX", 8*kj)
			p("ADDQ R8, BX")
			if edge {
				p("VMOVDQU %d(R12), Y14", 32*kj)
			}
			for i, us := range u {
				if len(us) == 0 {
					continue
				}
				p("MOVQ %d(SI), AX", 8*i)
				src := "(BX)(AX*1)"
				reg := src
				switch {
				case edge:
					p("VMASKMOVPS %s, Y14, Y15", src)
					reg = "Y15"
				case len(us) > 1:
					p("VMOVUPS %s, Y15", src)
					reg = "Y15"
				}
				for _, x := range us {
					p("VFMADD231PS %s, %s, %s", reg, wr(x.ki), acc(x.oh))
				}
			}
		}
		for oh := 0; oh < dR; oh++ {
			p("MOVQ %d(DI), AX", 8*oh)
			p("VMOVUPS %s, (R13)(AX*1)", acc(oh))
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
}{{0, false}, {0, true}, {1, false}, {2, false}}

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
			for _, S := range []int{1, 2} {
				for _, R := range []int{8, 4} {
					bwdw(K, D, S, R)
				}
			}
			for _, v := range directVariants {
				dfwd(K, D, v.mode, v.relu)
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
	var ft, bt bytes.Buffer
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
				for ir, R := range []int{8, 4} {
					n := fmt.Sprintf("dwbK%dD%dS%dR%d", K, D, S, R)
					fmt.Fprintf(&d, "//go:noescape\nfunc %s(dy *float32, lddy int, x *float32, ldx int, coff *int, nv int, nb int, out *float32)\n\n", n)
					fmt.Fprintf(&bt, "\tdwbTab[%d][%d][%d][%d] = %s\n", ik, id, is, ir, n)
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
				fmt.Fprintf(&d, "//go:noescape\nfunc %s(in *float32, intab *int, out *float32, outtab *int, m *float32, mtab *int, w *float32, mf, ml *int32, nv, nb int)\n\n", n)
				fmt.Fprintf(&dt, "\tdwdfTab[%d][%d][%d] = %s\n", ik, id, iv, n)
			}
		}
	}
	for _, sh := range rectShapes {
		n := fmt.Sprintf("dwdrK%dx%d", sh[0], sh[1])
		fmt.Fprintf(&d, "//go:noescape\nfunc %s(in *float32, intab *int, out *float32, outtab *int, w *float32, coff *int, mf, ml *int32, nv, nb int)\n\n", n)
		fmt.Fprintf(&dt, "\tdwdrTab[%d][%d] = %s\n", sh[0], sh[1], n)
	}
	d.Write(ft.Bytes())
	d.Write(bt.Bytes())
	d.Write(dt.Bytes())
	d.WriteString("}\n")
	if err := os.WriteFile("dwdecl_amd64.go", d.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
