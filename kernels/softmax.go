package kernels

import "math"

// Row-wise softmax family on row-major (rows, cols) matrices, with each
// row's maximum subtracted first. The pure-Go path computes in float64
// (math.Exp); the assembly path takes the row maximum, e^(x-max) in float32
// (a degree-7 polynomial after range reduction, within ~2 ulp, 0 below
// e^-87) summed in float64, and the log of the sum in float64. A row whose
// maximum is -Inf (all -Inf or NaN) takes the Go path.

func init() {
	registerKernel("Softmax", haveAsm)
	registerKernel("LogSoftmax", haveAsm)
	registerKernel("SoftmaxBackward", haveAsm)
	registerKernel("CrossEntropy", haveAsm)
	registerKernel("CrossEntropyBackward", haveAsm)
}

func smCheck(name string, rows, cols int, xs ...[]float32) {
	if rows < 0 || cols <= 0 {
		panic("kernels: " + name + ": bad shape")
	}
	checkLens(name, rows*cols, xs...)
}

func smGrain(cols int) int { return max(1, (1<<13)/cols) }

// smArgs are the arguments of the softmax jobs.
type smArgs struct {
	d, x, y []float32
	labels  []int32
	nll     []float64
	cols    int
}

var (
	softmaxJobs    = newJobs(softmaxBody)
	logSoftmaxJobs = newJobs(logSoftmaxBody)
	softmaxBJobs   = newJobs(softmaxBackBody)
	crossEntJobs   = newJobs(crossEntropyBody)
)

// rowLogSumExp returns max(x) and log Σ exp(x - max).
func rowLogSumExp(x []float32) (mx, lse float64) {
	mx = math.Inf(-1)
	for _, v := range x {
		if float64(v) > mx {
			mx = float64(v)
		}
	}
	if math.IsInf(mx, -1) {
		return mx, 0
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx, math.Log(s)
}

// softmaxRowAsm writes dst = softmax(x) for one row with the assembly
// kernels and returns max + log Σ e^(x-max); ok is false (nothing written)
// without them or when the row's maximum is -Inf.
func softmaxRowAsm(dst, x []float32) (lse float64, ok bool) {
	mx, ok := rowMaxAsmOK(x)
	if !ok {
		return 0, false
	}
	s := expShiftAsm(dst, x, mx)
	scaleAsm(dst, float32(1/s), dst)
	return float64(mx) + math.Log(s), true
}

// rowMaxAsmOK returns the row's maximum by the assembly kernel; ok is false
// without assembly or when the maximum is -Inf (the Go path takes the row).
func rowMaxAsmOK(x []float32) (mx float32, ok bool) {
	if !useAsm {
		return 0, false
	}
	mx = rowMaxAsm(x)
	return mx, !math.IsInf(float64(mx), -1)
}

// Softmax writes dst = softmax(x) row by row; dst may alias x.
func Softmax(dst, x []float32, rows, cols int) {
	smCheck("Softmax", rows, cols, dst, x)
	softmaxJobs.do(rows, smGrain(cols), smArgs{d: dst, x: x, cols: cols})
}

func softmaxBody(a *smArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		xr, dr := a.x[r*cols:(r+1)*cols], a.d[r*cols:(r+1)*cols]
		if _, ok := softmaxRowAsm(dr, xr); ok {
			continue
		}
		mx, lse := rowLogSumExp(xr)
		for j, v := range xr {
			dr[j] = float32(math.Exp(float64(v) - mx - lse))
		}
	}
}

// LogSoftmax writes dst = log softmax(x) row by row; dst may alias x.
func LogSoftmax(dst, x []float32, rows, cols int) {
	smCheck("LogSoftmax", rows, cols, dst, x)
	logSoftmaxJobs.do(rows, smGrain(cols), smArgs{d: dst, x: x, cols: cols})
}

func logSoftmaxBody(a *smArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		xr, dr := a.x[r*cols:(r+1)*cols], a.d[r*cols:(r+1)*cols]
		if mx, ok := rowMaxAsmOK(xr); ok {
			c := float64(mx) + math.Log(expSumAsm(xr, mx))
			bnApplyAsm(dr, xr, float32(c), 1, 0)
			continue
		}
		mx, lse := rowLogSumExp(xr)
		for j, v := range xr {
			dr[j] = float32(float64(v) - mx - lse)
		}
	}
}

// SoftmaxBackward accumulates dx += y·(dy - Σ_j dy_j·y_j) row by row, where
// y is the softmax output.
func SoftmaxBackward(dx, dy, y []float32, rows, cols int) {
	smCheck("SoftmaxBackward", rows, cols, dx, dy, y)
	softmaxBJobs.do(rows, smGrain(cols), smArgs{d: dx, x: dy, y: y, cols: cols})
}

// softmaxBackBody: dx in a.d, dy in a.x, the softmax output in a.y.
func softmaxBackBody(a *smArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		o := r * cols
		dxr, dyr, yr := a.d[o:o+cols], a.x[o:o+cols], a.y[o:o+cols]
		if useAsm && cols >= 16 { // shorter rows: the calls cost more than the loop
			smBackAsm(dxr, dyr, yr, float32(dotAsm(dyr, yr)))
			continue
		}
		s := 0.0
		for j, v := range yr {
			s += float64(dyr[j]) * float64(v)
		}
		for j, v := range yr {
			dxr[j] += float32(float64(v) * (float64(dyr[j]) - s))
		}
	}
}

// CrossEntropy returns the mean over rows of -log softmax(logits)[label]
// and writes the softmax probabilities to probs.
func CrossEntropy(logits []float32, labels []int32, probs []float32, rows, cols int) float32 {
	smCheck("CrossEntropy", rows, cols, logits, probs)
	checkLen("CrossEntropy", rows, len(labels))
	for _, l := range labels[:rows] {
		if l < 0 || int(l) >= cols {
			panic("kernels: CrossEntropy: label out of range")
		}
	}
	np := getScratch64(rows)
	nll := *np
	crossEntJobs.do(rows, smGrain(cols), smArgs{d: probs, x: logits, labels: labels, nll: nll, cols: cols})
	s := 0.0
	for _, v := range nll {
		s += v
	}
	putScratch64(np)
	if rows == 0 {
		return 0
	}
	return float32(s / float64(rows))
}

// crossEntropyBody: probabilities to a.d, logits in a.x.
func crossEntropyBody(a *smArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		xr, pr := a.x[r*cols:(r+1)*cols], a.d[r*cols:(r+1)*cols]
		// The logit of the label first: pr may alias the logits.
		xl := float64(xr[a.labels[r]])
		if c, ok := softmaxRowAsm(pr, xr); ok {
			a.nll[r] = c - xl
			continue
		}
		mx, lse := rowLogSumExp(xr)
		for j, v := range xr {
			pr[j] = float32(math.Exp(float64(v) - mx - lse))
		}
		a.nll[r] = mx + lse - xl
	}
}

// CrossEntropyBackward accumulates dlogits += scale·(probs - onehot(labels))/rows.
func CrossEntropyBackward(dlogits, probs []float32, labels []int32, rows, cols int, scale float32) {
	smCheck("CrossEntropyBackward", rows, cols, dlogits, probs)
	checkLen("CrossEntropyBackward", rows, len(labels))
	if rows == 0 {
		return
	}
	f := scale / float32(rows)
	for r := 0; r < rows; r++ {
		dr, pr := dlogits[r*cols:(r+1)*cols], probs[r*cols:(r+1)*cols]
		l := int(labels[r])
		if l < 0 || l >= cols {
			panic("kernels: CrossEntropyBackward: label out of range")
		}
		if useAsm {
			axpyAsm(f, pr, dr)
			dr[l] -= f
			continue
		}
		for j, p := range pr {
			if j == l {
				p--
			}
			dr[j] += f * p
		}
	}
}

// rowMaxGo is rowMaxAsm's reference: the largest element, NaN ignored,
// -Inf when there is none.
func rowMaxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

// expShiftGo is expShiftAsm's reference: dst = e^(x-m), returning Σ dst.
func expShiftGo(dst, x []float32, m float32) float64 {
	x = x[:len(dst)]
	s := 0.0
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		s += float64(e)
	}
	return s
}

// expSumGo is expSumAsm's reference.
func expSumGo(x []float32, m float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(float32(math.Exp(float64(v - m))))
	}
	return s
}

// smBackGo is smBackAsm's reference: dx += y·(dy-s).
func smBackGo(dx, dy, y []float32, s float32) {
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	for i := range dx {
		dx[i] += y[i] * (dy[i] - s)
	}
}
