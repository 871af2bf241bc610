package kernels

import "math"

// Batch normalisation on channel-major activations: x and y are (C, M) with
// M = N·H·W, so each channel's statistics are one contiguous run. Channels
// are split over the threads; per-channel sums are accumulated in float64
// (two passes: mean, then squared deviations) in a fixed order.

func init() {
	registerKernel("BatchNormTrain", haveAsm)
	registerKernel("BatchNormInfer", haveAsm)
	registerKernel("BatchNormBackward", haveAsm)
}

func bnGrain(M int) int { return max(1, ewGrain/max(M, 1)) }

func bnCheck(name string, C, M int, xs ...[]float32) {
	if C < 0 || M <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	checkLens(name, C*M, xs...)
}

// checkLens panics unless every slice holds at least n elements.
func checkLens(name string, n int, xs ...[]float32) {
	for _, x := range xs {
		if len(x) < n {
			panic("kernels: " + name + ": slice too short")
		}
	}
}

// bnArgs are the arguments of the batch-norm jobs.
type bnArgs struct {
	y, x, gamma, beta, mean, invStd []float32
	dx, dgamma, dbeta, dy           []float32
	M                               int
	eps                             float32
	set                             bool // BatchNormBackwardSet: overwrite dx
}

var (
	bnTrainJobs = newJobs(bnTrainBody)
	bnInferJobs = newJobs(bnInferBody)
	bnBackJobs  = newJobs(bnBackBody)
)

// BatchNormTrain normalises each channel of x with its batch mean and
// biased variance, y = (x-mean)·invStd·gamma + beta, and writes the mean and
// invStd = 1/sqrt(var+eps) per channel. gamma and beta may be nil (no
// affine transform).
func BatchNormTrain(y, x, gamma, beta, mean, invStd []float32, C, M int, eps float32) {
	bnCheck("BatchNormTrain", C, M, y, x)
	checkLen("BatchNormTrain", C, len(mean), len(invStd))
	bnTrainJobs.do(C, bnGrain(M), bnArgs{y: y, x: x, gamma: gamma, beta: beta, mean: mean, invStd: invStd, M: M, eps: eps})
}

func bnTrainBody(ba *bnArgs, lo, hi int) {
	y, x, gamma, beta, mean, invStd, M, eps := ba.y, ba.x, ba.gamma, ba.beta, ba.mean, ba.invStd, ba.M, ba.eps
	for c := lo; c < hi; c++ {
		xc := x[c*M : (c+1)*M]
		// One pass of shifted sums about k = x[0] (in float64, where the
		// shift keeps Σ(x-k)² - (Σ(x-k))²/M free of cancellation unless x[0]
		// is an extreme outlier) give the mean and Σ(x-mean)² = s2 - s1²/M.
		k := xc[0]
		var s1, s2 float64
		if useAsm {
			s1, s2 = bnStatsAsm(xc, k)
		} else {
			s1, s2 = bnStatsGo(xc, k)
		}
		fm := float64(M)
		mu := float64(k) + s1/fm
		v := (s2 - s1*s1/fm) / fm
		if v < 0 {
			v = 0
		}
		is := 1 / math.Sqrt(v+float64(eps))
		mean[c] = float32(mu)
		invStd[c] = float32(is)
		bnApplyChannel(y[c*M:(c+1)*M], xc, float32(mu), is, gamma, beta, c)
	}
}

// bnApplyChannel normalises channel c: y = (x-m)·invStd·γ[c] + β[c], γ and
// β nil meaning 1 and 0.
func bnApplyChannel(y, x []float32, m float32, invStd float64, gamma, beta []float32, c int) {
	a, b := float32(invStd), float32(0)
	if gamma != nil {
		a = float32(float64(gamma[c]) * invStd)
	}
	if beta != nil {
		b = beta[c]
	}
	if useAsm {
		bnApplyAsm(y, x, m, a, b)
	} else {
		bnApplyGo(y, x, m, a, b)
	}
}

// bnBlock is the block of the batch-norm reductions: partial sums run in
// float32 over 32 lanes (four 8-lane vectors, lane l taking elements
// l, l+32, l+64, ...) and are folded into float64 every bnBlock elements,
// so a lane adds at most bnBlock/32 = 16 terms in float32 before they reach
// float64. Twice the lanes of a float64 accumulation per instruction, and
// the float32 error stays near 16 roundings of a partial sum.
const bnBlock = 512

// bnLanes holds the float32 partial sums and float64 accumulators of one
// batch-norm reduction; bnStatsGo and bnSumsGo mirror the assembly's order.
type bnLanes struct {
	a, q   [32]float32 // S1 and S2 partial sums
	d1, d2 [4]float64
}

// fold adds the partial sums to the float64 accumulators as the assembly
// does ((v0+v1)+(v2+v3) per lane, lanes 0–3 then 4–7) and clears them.
func (l *bnLanes) fold() {
	for _, pr := range []struct {
		v *[32]float32
		d *[4]float64
	}{{&l.a, &l.d1}, {&l.q, &l.d2}} {
		var s [8]float32
		for j := range s {
			s[j] = (pr.v[j] + pr.v[8+j]) + (pr.v[16+j] + pr.v[24+j])
		}
		for j := 0; j < 4; j++ {
			pr.d[j] += float64(s[j])
		}
		for j := 0; j < 4; j++ {
			pr.d[j] += float64(s[4+j])
		}
		clear(pr.v[:])
	}
}

func (l *bnLanes) sums() (float64, float64) {
	return (l.d1[0] + l.d1[2]) + (l.d1[1] + l.d1[3]), (l.d2[0] + l.d2[2]) + (l.d2[1] + l.d2[3])
}

// fma32 is a fused float32 multiply-add (the product is exact in float64).
func fma32(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

// bnRuns calls run on each [lo, hi) run of whole 8-element vectors after
// which the assembly folds its lanes (each whole bnBlock, then the rest up
// to a multiple of 8) and returns where the vector part ends; the last
// n mod 8 elements are added in float64 by the caller.
func bnRuns(n int, run func(lo, hi int)) int {
	i := 0
	for ; i+bnBlock <= n; i += bnBlock {
		run(i, i+bnBlock)
	}
	end := n &^ 7
	run(i, end)
	return end
}

// bnLane is the partial-sum lane of element i of a run starting at lo whose
// 32-element steps end at w (the 8-element steps after w use lanes 0–7).
func bnLane(i, lo, w int) int {
	if i < w {
		return (i - lo) % 32
	}
	return (i - w) % 8
}

// bnStatsGo returns Σ (x-k) and Σ (x-k)².
func bnStatsGo(x []float32, k float32) (s1, s2 float64) {
	var l bnLanes
	end := bnRuns(len(x), func(lo, hi int) {
		w := lo + (hi-lo)&^31 // 32 at a time up to w, then 8 at a time
		for i := lo; i < hi; i++ {
			j := bnLane(i, lo, w)
			u := x[i] - k
			l.a[j] += u
			l.q[j] = fma32(u, u, l.q[j])
		}
		l.fold()
	})
	s1, s2 = l.sums()
	kf := float64(k)
	for _, v := range x[end:] {
		d := float64(v) - kf
		s1 += d
		s2 = math.FMA(d, d, s2)
	}
	return s1, s2
}

// bnApplyGo sets y = (x-m)·a + b.
func bnApplyGo(y, x []float32, m, a, b float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = (v-m)*a + b
	}
}

// BatchNormUpdateRunning folds batch statistics into the running ones as
// PyTorch does: run = (1-momentum)·run + momentum·stat, where the variance
// entering runVar is the unbiased batch variance var·M/(M-1), recovered from
// invStd as 1/invStd² - eps. C is len(mean).
func BatchNormUpdateRunning(runMean, runVar, mean, invStd []float32, M int, momentum, eps float32) {
	C := len(mean)
	checkLen("BatchNormUpdateRunning", C, len(runMean), len(runVar), len(invStd))
	m := float64(momentum)
	for c := 0; c < C; c++ {
		is := float64(invStd[c])
		v := 1/(is*is) - float64(eps)
		if v < 0 {
			v = 0
		}
		if M > 1 {
			v *= float64(M) / float64(M-1)
		}
		runMean[c] = float32((1-m)*float64(runMean[c]) + m*float64(mean[c]))
		runVar[c] = float32((1-m)*float64(runVar[c]) + m*v)
	}
}

// BatchNormInfer normalises with the running statistics:
// y = (x-runMean)/sqrt(runVar+eps)·gamma + beta.
func BatchNormInfer(y, x, gamma, beta, runMean, runVar []float32, C, M int, eps float32) {
	bnCheck("BatchNormInfer", C, M, y, x)
	checkLen("BatchNormInfer", C, len(runMean), len(runVar))
	bnInferJobs.do(C, bnGrain(M), bnArgs{y: y, x: x, gamma: gamma, beta: beta, mean: runMean, invStd: runVar, M: M, eps: eps})
}

// bnInferBody: the running mean and variance are in mean and invStd.
func bnInferBody(ba *bnArgs, lo, hi int) {
	y, x, gamma, beta, runMean, runVar, M, eps := ba.y, ba.x, ba.gamma, ba.beta, ba.mean, ba.invStd, ba.M, ba.eps
	for c := lo; c < hi; c++ {
		is := 1 / math.Sqrt(float64(runVar[c])+float64(eps))
		bnApplyChannel(y[c*M:(c+1)*M], x[c*M:(c+1)*M], runMean[c], is, gamma, beta, c)
	}
}

// BatchNormBackward is the training-mode backward pass given the mean and
// invStd BatchNormTrain wrote:
//
//	dx     += gamma·invStd·(dy - mean(dy) - x̂·mean(dy·x̂)),  x̂ = (x-mean)·invStd
//	dgamma += Σ dy·x̂,  dbeta += Σ dy
//
// gamma nil means 1; dgamma and dbeta may be nil (not wanted), as may dx.
func BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, invStd []float32, C, M int) {
	bnCheck("BatchNormBackward", C, M, dy, x)
	if dx != nil {
		checkLen("BatchNormBackward", C*M, len(dx))
	}
	checkLen("BatchNormBackward", C, len(mean), len(invStd))
	bnBackJobs.do(C, bnGrain(M), bnArgs{dx: dx, dgamma: dgamma, dbeta: dbeta, dy: dy, x: x, gamma: gamma, mean: mean, invStd: invStd, M: M})
}

// BatchNormBackwardSet is BatchNormBackward writing dx instead of adding
// to it (dgamma and dbeta still accumulate): for an input gradient that
// holds nothing yet, it saves clearing dx and reading it back.
func BatchNormBackwardSet(dx, dgamma, dbeta, dy, x, gamma, mean, invStd []float32, C, M int) {
	bnCheck("BatchNormBackwardSet", C, M, dy, x)
	if dx != nil {
		checkLen("BatchNormBackwardSet", C*M, len(dx))
	}
	checkLen("BatchNormBackwardSet", C, len(mean), len(invStd))
	bnBackJobs.do(C, bnGrain(M), bnArgs{dx: dx, dgamma: dgamma, dbeta: dbeta, dy: dy, x: x, gamma: gamma, mean: mean, invStd: invStd, M: M, set: true})
}

func bnBackBody(ba *bnArgs, lo, hi int) {
	dx, dgamma, dbeta, dy, x, gamma, mean, invStd, M := ba.dx, ba.dgamma, ba.dbeta, ba.dy, ba.x, ba.gamma, ba.mean, ba.invStd, ba.M
	for c := lo; c < hi; c++ {
		xc, dyc := x[c*M:(c+1)*M], dy[c*M:(c+1)*M]
		var sdy, sdyx float64
		if useAsm {
			sdy, sdyx = bnSumsAsm(dyc, xc, mean[c])
		} else {
			sdy, sdyx = bnSumsGo(dyc, xc, mean[c])
		}
		is := float64(invStd[c])
		if dbeta != nil {
			dbeta[c] += float32(sdy)
		}
		if dgamma != nil {
			dgamma[c] += float32(sdyx * is)
		}
		if dx == nil {
			continue
		}
		g := 1.0
		if gamma != nil {
			g = float64(gamma[c])
		}
		a := g * is
		b := -a * is * is * sdyx / float64(M)
		k := -a * sdy / float64(M)
		switch dxc := dx[c*M : (c+1)*M]; {
		case ba.set && useAsm:
			bnBackSetAsm(dxc, dyc, xc, mean[c], float32(a), float32(b), float32(k))
		case ba.set:
			bnBackSetGo(dxc, dyc, xc, mean[c], float32(a), float32(b), float32(k))
		case useAsm:
			bnBackApplyAsm(dxc, dyc, xc, mean[c], float32(a), float32(b), float32(k))
		default:
			bnBackApplyGo(dxc, dyc, xc, mean[c], float32(a), float32(b), float32(k))
		}
	}
}

// bnSumsGo returns Σ dy and Σ dy·(x-m), blocked as bnStatsGo.
func bnSumsGo(dy, x []float32, m float32) (sdy, sdyx float64) {
	x = x[:len(dy)]
	var l bnLanes
	end := bnRuns(len(dy), func(lo, hi int) {
		w := lo + (hi-lo)&^31
		for i := lo; i < hi; i++ {
			j := bnLane(i, lo, w)
			l.a[j] += dy[i]
			l.q[j] = fma32(dy[i], x[i]-m, l.q[j])
		}
		l.fold()
	})
	sdy, sdyx = l.sums()
	mf := float64(m)
	for i := end; i < len(dy); i++ {
		g := float64(dy[i])
		sdy += g
		sdyx = math.FMA(g, float64(x[i])-mf, sdyx)
	}
	return sdy, sdyx
}

// bnBackApplyGo sets dx += a·dy + b·(x-m) + k.
func bnBackApplyGo(dx, dy, x []float32, m, a, b, k float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		dx[i] += a*dy[i] + b*(x[i]-m) + k
	}
}

// bnBackSetGo sets dx = a·dy + b·(x-m) + k.
func bnBackSetGo(dx, dy, x []float32, m, a, b, k float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		dx[i] = a*dy[i] + b*(x[i]-m) + k
	}
}
