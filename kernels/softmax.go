package kernels

import "math"

// Row-wise softmax family on row-major (rows, cols) matrices, computed in
// float64 per row with the maximum subtracted first.

func init() {
	registerKernel("Softmax", false)
	registerKernel("LogSoftmax", false)
	registerKernel("SoftmaxBackward", false)
	registerKernel("CrossEntropy", false)
	registerKernel("CrossEntropyBackward", false)
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

// Softmax writes dst = softmax(x) row by row; dst may alias x.
func Softmax(dst, x []float32, rows, cols int) {
	smCheck("Softmax", rows, cols, dst, x)
	softmaxJobs.do(rows, smGrain(cols), smArgs{d: dst, x: x, cols: cols})
}

func softmaxBody(a *smArgs, lo, hi int) {
	cols := a.cols
	for r := lo; r < hi; r++ {
		xr, dr := a.x[r*cols:(r+1)*cols], a.d[r*cols:(r+1)*cols]
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
		mx, lse := rowLogSumExp(xr)
		for j, v := range xr {
			pr[j] = float32(math.Exp(float64(v) - mx - lse))
		}
		a.nll[r] = mx + lse - float64(xr[a.labels[r]])
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
		for j, p := range pr {
			if j == l {
				p--
			}
			dr[j] += f * p
		}
	}
}
