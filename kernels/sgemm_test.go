package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// sgemmCase is one Sgemm call: shapes, transposes, scalars, padding of the
// leading dimensions and the offsets of the three slices into their buffers.
type sgemmCase struct {
	tA, tB           bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int // ld = width + pad
	offA, offB, offC int // floats before the matrix in its buffer
	nanC             bool
	name             string
	skipGonum, noRef bool
}

func (tc sgemmCase) String() string {
	if tc.name != "" {
		return tc.name
	}
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g pad=%d,%d,%d off=%d,%d,%d",
		tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC,
		tc.offA, tc.offB, tc.offC)
}

const sgemmGuardTail = 19 // floats of guard after each buffer

// sgemmOperands builds the three buffers of a case. The matrices are
// sub-slices starting at the offsets; everything else in the buffers is a
// guard value.
func sgemmOperands(tc sgemmCase, rng *rand.Rand) (abuf, bbuf, cbuf []float32, lda, ldb, ldc int) {
	ar, ac := tc.m, tc.k
	if tc.tA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = max(1, ac+tc.padA), max(1, bc+tc.padB), max(1, tc.n+tc.padC)
	fill := func(rows, cols, ld, off int) []float32 {
		buf := make([]float32, off+rows*ld+sgemmGuardTail)
		for i := range buf {
			buf[i] = float32(rng.IntN(2001)-1000) / 500 // guard values
		}
		return buf
	}
	abuf = fill(ar, ac, lda, tc.offA)
	bbuf = fill(br, bc, ldb, tc.offB)
	cbuf = fill(tc.m, tc.n, ldc, tc.offC)
	if tc.nanC {
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				cbuf[tc.offC+i*ldc+j] = float32(math.NaN())
			}
		}
	}
	return
}

// sgemmBound is a forward-error bound for element (i, j):
// (k+4)·eps·(|alpha|·Σ|a||b| + |beta·c|), plus a tiny absolute term.
func sgemmBound(tc sgemmCase, a []float32, lda int, b []float32, ldb int, c0 []float32, ldc, i, j int) float64 {
	var s float64
	for p := 0; p < tc.k; p++ {
		var av, bv float32
		if tc.tA {
			av = a[p*lda+i]
		} else {
			av = a[i*lda+p]
		}
		if tc.tB {
			bv = b[j*ldb+p]
		} else {
			bv = b[p*ldb+j]
		}
		s += math.Abs(float64(av) * float64(bv))
	}
	s *= math.Abs(float64(tc.alpha))
	if tc.beta != 0 {
		s += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
	}
	return 4*float64(tc.k+4)*(1.0/(1<<23))*s + 1e-30
}

// runSgemmCase runs Sgemm (asm and pure Go, 1 and 2 threads) and checks the
// result against sgemmRef and gonum, and that nothing outside C changed.
func runSgemmCase(t *testing.T, tc sgemmCase, rng *rand.Rand) {
	t.Helper()
	abuf, bbuf, cbuf, lda, ldb, ldc := sgemmOperands(tc, rng)
	a, b := abuf[tc.offA:], bbuf[tc.offB:]
	var want []float32
	if !tc.noRef {
		want = append([]float32(nil), cbuf...)
		sgemmRef(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want[tc.offC:], ldc)
	}
	var gon []float32
	if !tc.skipGonum {
		gon = append([]float32(nil), cbuf...)
		ta, tb := blas.NoTrans, blas.NoTrans
		ar, ac, br, bc := tc.m, tc.k, tc.k, tc.n
		if tc.tA {
			ta, ar, ac = blas.Trans, tc.k, tc.m
		}
		if tc.tB {
			tb, br, bc = blas.Trans, tc.n, tc.k
		}
		ga := blas32.General{Rows: ar, Cols: ac, Stride: lda, Data: a}
		gb := blas32.General{Rows: br, Cols: bc, Stride: ldb, Data: b}
		gc := blas32.General{Rows: tc.m, Cols: tc.n, Stride: ldc, Data: gon[tc.offC:]}
		blas32.Gemm(ta, tb, tc.alpha, ga, gb, tc.beta, gc)
	}
	c0 := cbuf[tc.offC:]
	inC := func(idx int) bool {
		idx -= tc.offC
		if idx < 0 {
			return false
		}
		i, j := idx/ldc, idx%ldc
		return i < tc.m && j < tc.n
	}
	bounds := make([]float64, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			bounds[i*tc.n+j] = sgemmBound(tc, a, lda, b, ldb, c0, ldc, i, j)
		}
	}
	defer SetThreads(Threads())
	defer SetUseAsm(UseAsm())
	for _, asm := range []bool{true, false} {
		SetUseAsm(asm)
		if asm && !UseAsm() {
			continue
		}
		for _, th := range []int{1, 2} {
			SetThreads(th)
			got := append([]float32(nil), cbuf...)
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got[tc.offC:], ldc)
			bad := 0
			for idx := range got {
				if !inC(idx) {
					if math.Float32bits(got[idx]) != math.Float32bits(cbuf[idx]) {
						t.Fatalf("%v asm=%v threads=%d: wrote outside C at buffer index %d (offC %d): %v -> %v",
							tc, asm, th, idx, tc.offC, cbuf[idx], got[idx])
					}
					continue
				}
				i, j := (idx-tc.offC)/ldc, (idx-tc.offC)%ldc
				g := float64(got[idx])
				if math.IsNaN(g) || math.IsInf(g, 0) {
					t.Fatalf("%v asm=%v threads=%d: C[%d,%d] = %v", tc, asm, th, i, j, g)
				}
				bound := bounds[i*tc.n+j]
				for _, ref := range [][]float32{want, gon} {
					if ref == nil {
						continue
					}
					if d := math.Abs(g - float64(ref[idx])); d > bound {
						bad++
						if bad < 4 {
							t.Errorf("%v asm=%v threads=%d: C[%d,%d] = %v, want %v (diff %g > %g)",
								tc, asm, th, i, j, g, ref[idx], d, bound)
						}
					}
				}
			}
			if bad > 0 {
				t.FailNow()
			}
		}
	}
}

var sgemmScalars = [][2]float32{{1, 0}, {1, 1}, {0, 1}, {0, 0}, {0, -1.5}, {-0.75, 0}, {1.25, -0.5}, {2, 1}}

// TestSgemmTails covers every transpose combination on all small shapes with
// tails in m, n and k, random padding and offsets.
func TestSgemmTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 17, 23, 31, 32, 33, 37}
	if testing.Short() {
		sizes = []int{1, 3, 6, 7, 16, 17, 37}
	}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					k := sizes[rng.IntN(len(sizes))]
					s := sgemmScalars[rng.IntN(len(sgemmScalars))]
					tc := sgemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: s[0], beta: s[1],
						padA: rng.IntN(3) * rng.IntN(5), padB: rng.IntN(3) * rng.IntN(5), padC: rng.IntN(3) * rng.IntN(5),
						offA: rng.IntN(8), offB: rng.IntN(8), offC: rng.IntN(8), nanC: s[1] == 0 && rng.IntN(2) == 0}
					runSgemmCase(t, tc, rng)
				}
			}
		}
	}
}

// TestSgemmScalars runs every alpha/beta pair on a few shapes, including
// NaN in C with beta == 0 (must be overwritten) and k == 0.
func TestSgemmScalars(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range sgemmScalars {
		for _, sh := range [][3]int{{7, 19, 5}, {13, 33, 0}, {25, 40, 31}, {6, 16, 300}} {
			for tr := 0; tr < 4; tr++ {
				tc := sgemmCase{tA: tr&1 != 0, tB: tr&2 != 0, m: sh[0], n: sh[1], k: sh[2],
					alpha: s[0], beta: s[1], padA: 3, padB: 1, padC: 2, offA: 1, offB: 5, offC: 3,
					nanC: s[1] == 0}
				runSgemmCase(t, tc, rng)
			}
		}
	}
}

// TestSgemmShapes covers the shapes DARTS uses (scaled down in -short) and
// shapes larger than the cache blocks.
func TestSgemmShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 4096 + 13
	if testing.Short() {
		n = 1024 + 5
	}
	cases := []sgemmCase{
		{name: "conv1x1 fwd 32x32", m: 32, n: n, k: 32},
		{name: "conv1x1 fwd 16x64", m: 16, n: n, k: 64},
		{name: "conv1x1 fwd 64x16", m: 64, n: n, k: 16},
		{name: "conv1x1 dX 32x32", tA: true, m: 32, n: n, k: 32},
		{name: "conv1x1 dX 64x16", tA: true, m: 64, n: n, k: 16},
		{name: "conv1x1 dW 32x32", tB: true, m: 32, n: 32, k: n, beta: 1},
		{name: "conv1x1 dW 16x64", tB: true, m: 16, n: 64, k: n, beta: 1},
		{name: "conv1x1 dW 48x27 (stem)", tB: true, m: 48, n: 27, k: n, beta: 1},
		{name: "stem fwd", m: 48, n: n, k: 27},
		{name: "big k", m: 37, n: 41, k: 1100, beta: 0.5},
		{name: "big m", m: 600, n: 37, k: 300},
		{name: "big mnk NN", m: 270, n: 300, k: 530},
		{name: "big mnk TN", tA: true, m: 270, n: 300, k: 530},
		{name: "big mnk NT", tB: true, m: 270, n: 300, k: 530},
		{name: "big mnk TT", tA: true, tB: true, m: 270, n: 300, k: 530},
		{name: "dot tails", tB: true, m: 5, n: 7, k: 3003, padA: 3, padB: 2, offA: 1, offB: 2},
	}
	if testing.Short() {
		cases = cases[:10]
	}
	for _, tc := range cases {
		if tc.alpha == 0 {
			tc.alpha = 1
		}
		if tc.beta == 0 {
			tc.nanC = true
		}
		tc.offA, tc.offB, tc.offC = 1, 3, 7
		tc.skipGonum = tc.m*tc.n*tc.k > 1<<24
		t.Run(tc.name, func(t *testing.T) { runSgemmCase(t, tc, rng) })
	}
}

// TestSgemmBlocking shrinks the cache blocks so that small problems cross
// every block boundary of the packed paths.
func TestSgemmBlocking(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	iters := 60
	if testing.Short() {
		iters = 25
	}
	for _, bl := range [][3]int{{16, 12, 32}, {24, 18, 48}, {8, 6, 16}} {
		restore := sgemmSetBlocking(bl[0], bl[1], bl[2])
		for i := 0; i < iters; i++ {
			s := sgemmScalars[rng.IntN(len(sgemmScalars))]
			tc := sgemmCase{tA: rng.IntN(2) == 0, tB: rng.IntN(2) == 0,
				m: 1 + rng.IntN(90), n: 1 + rng.IntN(130), k: 1 + rng.IntN(90),
				alpha: s[0], beta: s[1], padA: rng.IntN(4), padB: rng.IntN(4), padC: rng.IntN(4),
				offA: rng.IntN(8), offB: rng.IntN(8), offC: rng.IntN(8)}
			if i%5 == 0 {
				tc.tA, tc.tB, tc.m, tc.n, tc.k = false, true, 1+rng.IntN(20), 1+rng.IntN(20), 200+rng.IntN(3000)
			}
			runSgemmCase(t, tc, rng)
		}
		restore()
	}
}

// TestSgemmDotPath covers the dot path (A·Bᵀ with long k): small C (m·n <=
// 256) and the packed path on both sides of m = n (the packed operand is
// the one with fewer rows), every tile shape (m and n mod 3 and 4, row
// counts that end in 1, 2 or 4 rows), k tails (k mod 8, an odd number of
// 8-float steps), K blocks down to one step with a short last block, padded
// leading dimensions, offsets and all alpha/beta pairs, at 1 and 2
// threads.
func TestSgemmDotPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	iters := 40
	if testing.Short() {
		iters = 15
	}
	dims := []int{1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 17, 19, 22, 24, 25, 29, 31, 33, 40, 47}
	for _, kc := range []int{0, 8, 24, 40, 136} {
		restore := func() {}
		if kc > 0 { // 0: the default blocks
			restore = sgemmSetBlocking(kc, 96, 256)
		}
		for it := 0; it < iters; it++ {
			sc := sgemmScalars[rng.IntN(len(sgemmScalars))]
			m, n := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]
			k := max(256, 4*max(m, n)) + rng.IntN(700)
			if kc == 0 {
				k += 512 * rng.IntN(3)
			}
			tc := sgemmCase{tB: true, m: m, n: n, k: k, alpha: sc[0], beta: sc[1],
				padA: rng.IntN(3) * rng.IntN(9), padB: rng.IntN(3) * rng.IntN(9), padC: rng.IntN(4),
				offA: rng.IntN(8), offB: rng.IntN(8), offC: rng.IntN(8), nanC: sc[1] == 0 && rng.IntN(2) == 0}
			runSgemmCase(t, tc, rng)
		}
		// One and two rows against many (1-row tiles, swapped or not).
		for _, sh := range [][2]int{{1, 261}, {2, 150}, {299, 1}, {130, 3}} {
			tc := sgemmCase{tB: true, m: sh[0], n: sh[1], k: 4*max(sh[0], sh[1]) + 5, alpha: 1.5, beta: 0.5,
				padA: 3, padB: 1, padC: 2, offA: 1, offB: 2, offC: 3}
			runSgemmCase(t, tc, rng)
		}
		restore()
	}
}

// TestSgemmDeterministic checks that two runs at the same thread count give
// the same bits (large problems take the parallel paths).
func TestSgemmDeterministic(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []sgemmCase{
		{m: 32, n: 8192, k: 32}, {tB: true, m: 32, n: 32, k: 8192}, {m: 300, n: 300, k: 300},
	} {
		abuf, bbuf, cbuf, lda, ldb, ldc := sgemmOperands(tc, rng)
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			c1 := append([]float32(nil), cbuf...)
			c2 := append([]float32(nil), cbuf...)
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, abuf, lda, bbuf, ldb, 0.5, c1, ldc)
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, abuf, lda, bbuf, ldb, 0.5, c2, ldc)
			for i := range c1 {
				if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("%v threads=%d: run-to-run difference at %d", tc, th, i)
				}
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	mustPanic("lda", func() { Sgemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) })
	mustPanic("short a", func() { Sgemm(false, false, 3, 3, 4, 1, a[:11], 4, b, 3, 0, c, 3) })
	mustPanic("short c", func() { Sgemm(false, false, 3, 4, 3, 1, a, 3, b, 4, 0, c[:11], 4) })
	mustPanic("ldb trans", func() { Sgemm(false, true, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) })
	mustPanic("negative", func() { Sgemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) })
}

// sgemmBenchShape is one benchmark problem.
type sgemmBenchShape struct {
	name    string
	tA, tB  bool
	m, n, k int
}

func sgemmBenchShapes() []sgemmBenchShape {
	var s []sgemmBenchShape
	for _, sq := range []int{64, 128, 256, 512, 1024, 2048} {
		s = append(s, sgemmBenchShape{name: fmt.Sprintf("square=%d", sq), m: sq, n: sq, k: sq})
	}
	for _, m := range []int{16, 32, 64} {
		for _, k := range []int{16, 32, 64} {
			s = append(s, sgemmBenchShape{name: fmt.Sprintf("conv1x1_M%d_K%d_N65536", m, k), m: m, n: 65536, k: k})
		}
	}
	s = append(s,
		sgemmBenchShape{name: "conv1x1dX_M32_K32_N65536", tA: true, m: 32, n: 65536, k: 32},
		sgemmBenchShape{name: "conv1x1dW_M32_N32_K65536", tB: true, m: 32, n: 32, k: 65536},
		sgemmBenchShape{name: "conv1x1dW_M64_N64_K65536", tB: true, m: 64, n: 64, k: 65536},
		sgemmBenchShape{name: "stem_M48_K27_N65536", m: 48, n: 65536, k: 27},
	)
	return s
}

// sgemmBenchFill gives the benchmarks' operands small exact values.
func sgemmBenchFill(a, b []float32) {
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range b {
		b[i] = float32(i%5) - 2
	}
}

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per call) at one and two threads.
func BenchmarkSgemm(b *testing.B) {
	defer SetThreads(Threads())
	for _, sh := range sgemmBenchShapes() {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", sh.name, th), func(b *testing.B) {
				ar, ac, br, bc := sh.m, sh.k, sh.k, sh.n
				if sh.tA {
					ar, ac = ac, ar
				}
				if sh.tB {
					br, bc = bc, br
				}
				a := make([]float32, ar*ac)
				bb := make([]float32, br*bc)
				c := make([]float32, sh.m*sh.n)
				sgemmBenchFill(a, bb)
				SetThreads(th)
				for b.Loop() {
					Sgemm(sh.tA, sh.tB, sh.m, sh.n, sh.k, 1, a, ac, bb, bc, 0, c, sh.n)
				}
				flops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmFreshB times the 1×1 convolutions of the C=16 search
// supernet at batch 64 (C channels on H×W maps: M = K = C, N = 64·H·W) as
// the search calls them rather than back to back on the same operands:
// before each product (untimed) B is written, as the op before a 1×1
// convolution writes its input, and another pass streams 32 MiB through
// the caches, as the ops between two products do. In the sixteenth
// session an SGEMM change that won 1.04–1.14 in BenchmarkSgemm's setting
// ran 0.84–1.02 of the old code in this one at two threads (bench/README.md).
func BenchmarkSgemmFreshB(b *testing.B) {
	defer SetThreads(Threads())
	other, other2 := make([]float32, 4<<20), make([]float32, 4<<20)
	for _, sh := range [][2]int{{16, 32}, {32, 16}, {64, 8}} {
		c, n := sh[0], 64*sh[1]*sh[1]
		a := make([]float32, c*c)
		bb := make([]float32, c*n)
		y := make([]float32, c*n)
		sgemmBenchFill(a, bb)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("C%d_%dx%d/threads=%d", c, sh[1], sh[1], th), func(b *testing.B) {
				SetThreads(th)
				var sec float64
				for i := 0; i < b.N; i++ {
					Axpy(1, other, other2)
					Scale(bb, 1, bb)
					t0 := time.Now()
					Sgemm(false, false, c, n, c, 1, a, c, bb, n, 0, y, n)
					sec += time.Since(t0).Seconds()
				}
				b.ReportMetric(2*float64(c*c*n)*float64(b.N)/sec/1e9, "GFLOP/s")
			})
		}
	}
}
