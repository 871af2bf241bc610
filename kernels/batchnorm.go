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
	checkLen(name, C*M, lens(xs)...)
}

func lens(xs [][]float32) []int {
	l := make([]int, len(xs))
	for i, x := range xs {
		l[i] = len(x)
	}
	return l
}

// BatchNormTrain normalises each channel of x with its batch mean and
// biased variance, y = (x-mean)·invStd·gamma + beta, and writes the mean and
// invStd = 1/sqrt(var+eps) per channel. gamma and beta may be nil (no
// affine transform).
func BatchNormTrain(y, x, gamma, beta, mean, invStd []float32, C, M int, eps float32) {
	bnCheck("BatchNormTrain", C, M, y, x)
	checkLen("BatchNormTrain", C, len(mean), len(invStd))
	ParallelFor(C, bnGrain(M), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			xc := x[c*M : (c+1)*M]
			var mu, ss float64
			if useAsm {
				mu = sumAsm(xc) / float64(M)
				ss = sqDevAsm(xc, float32(mu))
			} else {
				mu = sumGo(xc) / float64(M)
				ss = sqDevGo(xc, float32(mu))
			}
			// ss is about the float32-rounded mean; correct to the exact one.
			d := mu - float64(float32(mu))
			v := ss/float64(M) - d*d
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
	})
}

// sqDevGo returns Σ (x-m)² in float64.
func sqDevGo(x []float32, m float32) float64 {
	mf := float64(m)
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1 := float64(x[i])-mf, float64(x[i+1])-mf
		d2, d3 := float64(x[i+2])-mf, float64(x[i+3])-mf
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mf
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
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
	ParallelFor(C, bnGrain(M), func(lo, hi int) {
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
	})
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
	ParallelFor(C, bnGrain(M), func(lo, hi int) {
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
	})
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
