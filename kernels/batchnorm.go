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
		a, b := float32(is), float32(0)
		if gamma != nil {
			a = float32(float64(gamma[c]) * is)
		}
		if beta != nil {
			b = beta[c]
		}
		if useAsm {
			bnApplyAsm(y[c*M:(c+1)*M], xc, float32(mu), a, b)
		} else {
			bnApplyGo(y[c*M:(c+1)*M], xc, float32(mu), a, b)
		}
	}
}

// bnStatsGo returns Σ (x-k) and Σ (x-k)² in float64.
func bnStatsGo(x []float32, k float32) (s1, s2 float64) {
	kf := float64(k)
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := float64(x[i])-kf, float64(x[i+1])-kf
		a0 += d0
		a1 += d1
		b0 += d0 * d0
		b1 += d1 * d1
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - kf
		a0 += d
		b0 += d * d
	}
	return a0 + a1, b0 + b1
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
		a, b := float32(is), float32(0)
		if gamma != nil {
			a = float32(float64(gamma[c]) * is)
		}
		if beta != nil {
			b = beta[c]
		}
		if useAsm {
			bnApplyAsm(y[c*M:(c+1)*M], x[c*M:(c+1)*M], runMean[c], a, b)
		} else {
			bnApplyGo(y[c*M:(c+1)*M], x[c*M:(c+1)*M], runMean[c], a, b)
		}
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
		if useAsm {
			bnBackApplyAsm(dx[c*M:(c+1)*M], dyc, xc, mean[c], float32(a), float32(b), float32(k))
		} else {
			bnBackApplyGo(dx[c*M:(c+1)*M], dyc, xc, mean[c], float32(a), float32(b), float32(k))
		}
	}
}

// bnSumsGo returns Σ dy and Σ dy·(x-m) in float64.
func bnSumsGo(dy, x []float32, m float32) (sdy, sdyx float64) {
	x = x[:len(dy)]
	mf := float64(m)
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(dy); i += 2 {
		g0, g1 := float64(dy[i]), float64(dy[i+1])
		a0 += g0
		a1 += g1
		b0 += g0 * (float64(x[i]) - mf)
		b1 += g1 * (float64(x[i+1]) - mf)
	}
	for ; i < len(dy); i++ {
		g := float64(dy[i])
		a0 += g
		b0 += g * (float64(x[i]) - mf)
	}
	return a0 + a1, b0 + b1
}

// bnBackApplyGo sets dx += a·dy + b·(x-m) + k.
func bnBackApplyGo(dx, dy, x []float32, m, a, b, k float32) {
	dy = dy[:len(dx)]
	x = x[:len(dx)]
	for i := range dx {
		dx[i] += a*dy[i] + b*(x[i]-m) + k
	}
}
