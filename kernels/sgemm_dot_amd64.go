//go:build amd64 && !noasm

package kernels

// The packed dot path of Sgemm (see sgemmDotPath).

type sgemmDotRunFn func(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun1x1(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun1x2(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun1x3(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun1x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun2x1(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun2x2(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun2x3(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun2x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun3x1(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun3x2(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun3x3(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotRun3x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotPack1x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotPack2x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

//go:noescape
func sgemmDotPack3x4(nt int, k int, a *float32, lda int, b *float32, ldb int, acc *float32, ldacc int, dst *float32, ldp int, pf *float32, pfo, pfs, pfl, pfr int)

// sgemmDotRuns[pack][r][c] runs tiles of r rows of A by c rows of B. The
// packing column (the first) always has four B rows: n > 16 on this path.
var sgemmDotRuns = [2][sgemmDotR + 1][sgemmDotC + 1]sgemmDotRunFn{
	{
		{},
		{nil, sgemmDotRun1x1, sgemmDotRun1x2, sgemmDotRun1x3, sgemmDotRun1x4},
		{nil, sgemmDotRun2x1, sgemmDotRun2x2, sgemmDotRun2x3, sgemmDotRun2x4},
		{nil, sgemmDotRun3x1, sgemmDotRun3x2, sgemmDotRun3x3, sgemmDotRun3x4},
	},
	{
		{},
		{4: sgemmDotPack1x4},
		{4: sgemmDotPack2x4},
		{4: sgemmDotPack3x4},
	},
}

// sgemmDotPath computes C = alpha·A·Bᵀ + beta·C for long k and a small C
// (weight gradients: C[Cout, Cin] = dY[Cout, NHW]·X[Cin, NHW]ᵀ). K is split
// over the threads (sgemmDotRange does one part); each part sums into its own
// m×n buffer and the parts are added in part order.
func sgemmDotPath(m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m*n <= sgemmDotSmallMN {
		sgemmDotSmall(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// The packed operand (the rows every column of tiles reads) is the one
	// with fewer rows: for m > n the parts hold Cᵀ = B·Aᵀ.
	pm, pn, pa, plda, pb, pldb := m, n, a, lda, b, ldb
	if m > n {
		pm, pn, pa, plda, pb, pldb = n, m, b, ldb, a, lda
	}
	k8, units, parts := sgemmDotSplit(m, n, k)
	part := sgemmGetBuf(parts * m * n)
	defer sgemmPutBuf(part)
	// The packed K block of A in at most half of L2, the four B rows of a
	// column in a quarter of L1.
	kcd := sgemmDotKC
	if kcd <= 0 {
		kcd = min(max(Detected.L2/2/(4*pm), 256), Detected.L1D/64)
	}
	kcd = max(kcd, 8) &^ 7
	ParallelFor(parts, 1, func(lo, hi int) {
		for pt := lo; pt < hi; pt++ {
			acc := part.f[pt*m*n : (pt+1)*m*n]
			clear(acc)
			k0, k1 := pt*units/parts*8, (pt+1)*units/parts*8
			if k1 > k0 {
				sgemmDotRange(pm, pn, k0, k1, kcd, pa, plda, pb, pldb, acc)
			}
			// The K tail (k mod 8) goes to the last part.
			if pt == parts-1 && k8 < k {
				for i := 0; i < pm; i++ {
					ar := pa[i*plda+k8 : i*plda+k]
					for j := 0; j < pn; j++ {
						br := pb[j*pldb+k8 : j*pldb+k]
						s := acc[i*pn+j]
						for q := range ar {
							s += ar[q] * br[q]
						}
						acc[i*pn+j] = s
					}
				}
			}
		}
	})
	// C[i][j] is part element i·n+j, or j·m+i when swapped.
	si, sj := n, 1
	if m > n {
		si, sj = 1, m
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			q := i*si + j*sj
			s := part.f[q]
			for pt := 1; pt < parts; pt++ {
				s += part.f[pt*m*n+q]
			}
			v := alpha * s
			if beta != 0 {
				v += beta * row[j]
			}
			row[j] = v
		}
	}
}

// sgemmDotRows says how the first of the mr rows left in a column are
// tiled: nt tiles of rr rows (one kernel call). Full tiles have 3 rows; 1 or
// 2 rows are left at the end, 4 as two tiles of 2 (a 1-row tile keeps too
// few sums in flight).
func sgemmDotRows(mr int) (rr, nt int) {
	switch {
	case mr <= 2:
		return mr, 1
	case mr == 4:
		return 2, 2
	case mr%3 == 1:
		return sgemmDotR, (mr - 4) / sgemmDotR
	}
	return sgemmDotR, mr / sgemmDotR
}

// sgemmDotRange adds A[:, k0:k1]·B[:, k0:k1]ᵀ to acc (m×n, row-major); k0
// and k1 are multiples of 8. The range is cut into K blocks of at most kcd,
// and each block into columns of 3×4 tiles of 8-lane dot products, one
// column (the same four B rows, which stay in L1) per kernel call or two.
// B is read in place, each row by one column. The rows of A are read by
// every column: the first column reads them in place and stores them to a
// packed buffer on the way, where they are contiguous and ldp floats apart
// (a multiple of 16 plus 16, so that they do not share cache sets the way
// rows 2^k floats apart do) and stay in L2 for the other columns.
// Memory is read as runs along the rows, which the hardware prefetchers
// follow; besides, every tile prefetches a share of the next block (its A
// rows, then its B rows, as one stream spread evenly over the block's
// tiles, so that they are in the caches, L3 at least, when their turn
// comes).
func sgemmDotRange(m, n, k0, k1, kcd int, a []float32, lda int, b []float32, ldb int, acc []float32) {
	klen := k1 - k0
	nb := (klen + kcd - 1) / kcd
	kb := ((klen+nb-1)/nb + 7) &^ 7
	ldp := (kb+15)&^15 + 16
	buf := sgemmGetBuf(m * ldp)
	defer sgemmPutBuf(buf)
	pk := buf.f
	colTiles := 0
	for i := 0; i < m; {
		rr, nt := sgemmDotRows(m - i)
		colTiles += nt
		i += rr * nt
	}
	tiles := colTiles * ((n + sgemmDotC - 1) / sgemmDotC)
	for p0 := k0; p0 < k1; p0 += kb {
		kl := min(kb, k1-p0)
		// The prefetch stream of the next block: pfs bytes an iteration
		// (at most a line), pos bytes into the rows (chunk bytes each) of
		// A then B at tile t.
		np0 := p0 + kl
		nkl := min(kb, k1-np0)
		iters := max(1, kl/16)
		chunk := 4 * max(nkl, 1)
		pfs := 0
		if nkl > 0 {
			pfs = min(((m+n)*chunk+tiles*iters-1)/(tiles*iters), 64)
		}
		t := 0
		for j := 0; j < n; j += sgemmDotC {
			cc := min(sgemmDotC, n-j)
			bt := &b[j*ldb+p0]
			for i := 0; i < m; {
				rr, nt := sgemmDotRows(m - i)
				pf, pfo, pfr := &pk[0], 0, 0
				if pfs > 0 {
					pos := t * iters * pfs
					if row := pos / chunk; row < m {
						pf, pfo, pfr = &a[row*lda+np0], pos%chunk, 4*lda
					} else if row -= m; row < n {
						pf, pfo, pfr = &b[row*ldb+np0], pos%chunk, 4*ldb
					}
				}
				if j == 0 {
					sgemmDotRuns[1][rr][cc](nt, kl, &a[i*lda+p0], 4*lda, bt, 4*ldb, &acc[i*n+j], 4*n,
						&pk[i*ldp], 4*ldp, pf, pfo, pfs, chunk, pfr)
				} else {
					sgemmDotRuns[0][rr][cc](nt, kl, &pk[i*ldp], 4*ldp, bt, 4*ldb, &acc[i*n+j], 4*n,
						&pk[0], 0, pf, pfo, pfs, chunk, pfr)
				}
				i += nt * rr
				t += nt
			}
		}
	}
}
