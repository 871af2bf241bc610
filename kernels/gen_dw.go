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
		}
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
	d.Write(ft.Bytes())
	d.Write(bt.Bytes())
	d.WriteString("}\n")
	if err := os.WriteFile("dwdecl_amd64.go", d.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
