package kernels

import (
	"fmt"
	"math"
	"testing"
)

// bnRef computes training batch norm and its backward in float64.
func bnRef(x, gamma, beta, dy []float64, C, M int, eps float64) (y, mean, inv, dx, dg, db []float64) {
	y = make([]float64, C*M)
	dx = make([]float64, C*M)
	mean, inv = make([]float64, C), make([]float64, C)
	dg, db = make([]float64, C), make([]float64, C)
	for c := 0; c < C; c++ {
		xc := x[c*M : (c+1)*M]
		mu := 0.0
		for _, v := range xc {
			mu += v
		}
		mu /= float64(M)
		v := 0.0
		for _, e := range xc {
			v += (e - mu) * (e - mu)
		}
		v /= float64(M)
		is := 1 / math.Sqrt(v+eps)
		mean[c], inv[c] = mu, is
		g, b := 1.0, 0.0
		if gamma != nil {
			g, b = gamma[c], beta[c]
		}
		sdy, sdyx := 0.0, 0.0
		for i, e := range xc {
			xh := (e - mu) * is
			y[c*M+i] = xh*g + b
			sdy += dy[c*M+i]
			sdyx += dy[c*M+i] * xh
		}
		db[c], dg[c] = sdy, sdyx
		for i, e := range xc {
			xh := (e - mu) * is
			dx[c*M+i] = g * is * (dy[c*M+i] - sdy/float64(M) - xh*sdyx/float64(M))
		}
	}
	return
}

func TestBatchNorm(t *testing.T) {
	ktBothPaths(t, func(t *testing.T) {
		for _, sh := range [][2]int{{3, 1}, {3, 2}, {4, 37}, {2, 1000}, {5, 4099}, {2, 70001}} {
			for _, affine := range []bool{true, false} {
				t.Run(fmt.Sprintf("C%dM%d_a%v", sh[0], sh[1], affine), func(t *testing.T) {
					testBatchNorm(t, sh[0], sh[1], affine)
				})
			}
		}
	})
}

func testBatchNorm(t *testing.T, C, M int, affine bool) {
	r := ktRand(uint64(C*M + 1))
	x := ktVec(r, C*M)
	for i := range x {
		x[i] = x[i]*3 + 5 // offset mean to exercise centring
	}
	dy := ktVec(r, C*M)
	var gamma, beta []float32
	var g64, b64 []float64
	if affine {
		gamma, beta = ktVec(r, C), ktVec(r, C)
		g64, b64 = to64(gamma), to64(beta)
	}
	const eps = 1e-5
	yw, mw, iw, dxw, dgw, dbw := bnRef(to64(x), g64, b64, to64(dy), C, M, eps)
	y, chk := ktGuarded(C*M, 3)
	mean, inv := make([]float32, C), make([]float32, C)
	BatchNormTrain(y, x, gamma, beta, mean, inv, C, M, eps)
	chk(t, "BatchNormTrain")
	ktClose64(t, "y", y, yw, 2e-5, 2e-5)
	ktClose64(t, "mean", mean, mw, 1e-6, 1e-6)
	ktClose64(t, "invStd", inv, iw, 1e-6, 2e-6)

	dx0 := ktVec(r, C*M)
	dx, chk2 := ktPlace(dx0, 5)
	dg0, db0 := ktVec(r, C), ktVec(r, C)
	dg, db := ktCopy(dg0), ktCopy(db0)
	BatchNormBackward(dx, dg, db, dy, x, gamma, mean, inv, C, M)
	chk2(t, "BatchNormBackward")
	for i := range dxw {
		dxw[i] += float64(dx0[i])
	}
	for i := range dgw {
		dgw[i] += float64(dg0[i])
		dbw[i] += float64(db0[i])
	}
	ktClose64(t, "dx", dx, dxw, 5e-5, 5e-5)
	ktClose64(t, "dgamma", dg, dgw, 1e-4, 1e-5)
	ktClose64(t, "dbeta", db, dbw, 1e-4, 1e-5)
	// nil gradient outputs are allowed.
	BatchNormBackward(nil, nil, nil, dy, x, gamma, mean, inv, C, M)

	// The overwriting form: dx's previous contents (garbage here) are
	// replaced, dgamma and dbeta still accumulate.
	dxs, chk4 := ktGuarded(C*M, 7)
	for i := range dxs {
		dxs[i] = float32(math.NaN())
	}
	dg2, db2 := ktCopy(dg0), ktCopy(db0)
	BatchNormBackwardSet(dxs, dg2, db2, dy, x, gamma, mean, inv, C, M)
	chk4(t, "BatchNormBackwardSet")
	dxOnly := make([]float64, len(dxw))
	for i := range dxw {
		dxOnly[i] = dxw[i] - float64(dx0[i])
	}
	ktClose64(t, "dx (set)", dxs, dxOnly, 5e-5, 5e-5)
	ktClose64(t, "dgamma (set)", dg2, dgw, 1e-4, 1e-5)
	ktClose64(t, "dbeta (set)", db2, dbw, 1e-4, 1e-5)

	// Running statistics and inference.
	rm, rv := ktVec(r, C), ktVec(r, C)
	for i := range rv {
		rv[i] = rv[i]*rv[i] + 0.5
	}
	rm0, rv0 := ktCopy(rm), ktCopy(rv)
	BatchNormUpdateRunning(rm, rv, mean, inv, M, 0.1, eps)
	for c := 0; c < C; c++ {
		v := 1/(iw[c]*iw[c]) - eps
		if M > 1 {
			v *= float64(M) / float64(M-1)
		}
		wm := 0.9*float64(rm0[c]) + 0.1*mw[c]
		wv := 0.9*float64(rv0[c]) + 0.1*v
		if math.Abs(float64(rm[c])-wm) > 1e-6 || math.Abs(float64(rv[c])-wv) > 1e-4*(1+wv) {
			t.Fatalf("running stats c=%d: %v %v want %v %v", c, rm[c], rv[c], wm, wv)
		}
	}
	yi, chk3 := ktGuarded(C*M, 6)
	BatchNormInfer(yi, x, gamma, beta, rm, rv, C, M, eps)
	chk3(t, "BatchNormInfer")
	wi := make([]float64, C*M)
	for c := 0; c < C; c++ {
		g, b := 1.0, 0.0
		if affine {
			g, b = float64(gamma[c]), float64(beta[c])
		}
		for i := 0; i < M; i++ {
			wi[c*M+i] = (float64(x[c*M+i])-float64(rm[c]))/math.Sqrt(float64(rv[c])+eps)*g + b
		}
	}
	ktClose64(t, "BatchNormInfer", yi, wi, 2e-5, 2e-5)
}

// TestBatchNormFiniteDiff checks the float64 reference backward against
// central differences of L = <dy, BN(x)>.
func TestBatchNormFiniteDiff(t *testing.T) {
	C, M := 2, 7
	r := ktRand(9)
	x, dy := to64(ktVec(r, C*M)), to64(ktVec(r, C*M))
	g, b := to64(ktVec(r, C)), to64(ktVec(r, C))
	_, _, _, dx, dg, _ := bnRef(x, g, b, dy, C, M, 1e-5)
	loss := func() float64 {
		y, _, _, _, _, _ := bnRef(x, g, b, dy, C, M, 1e-5)
		s := 0.0
		for i := range y {
			s += y[i] * dy[i]
		}
		return s
	}
	const h = 1e-6
	for i := range x {
		x0 := x[i]
		x[i] = x0 + h
		lp := loss()
		x[i] = x0 - h
		lm := loss()
		x[i] = x0
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dx[i]) > 1e-5*(1+math.Abs(fd)) {
			t.Fatalf("dx[%d] = %g, finite difference %g", i, dx[i], fd)
		}
	}
	for c := range g {
		g0 := g[c]
		g[c] = g0 + h
		lp := loss()
		g[c] = g0 - h
		lm := loss()
		g[c] = g0
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dg[c]) > 1e-5*(1+math.Abs(fd)) {
			t.Fatalf("dgamma[%d] = %g, finite difference %g", c, dg[c], fd)
		}
	}
}
