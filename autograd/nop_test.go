package autograd

import "github.com/darts-go/darts/kernels"

// nopCPU is a CPU backend whose compute methods do nothing: it isolates
// the graph's own allocations from the kernels' in tests.
type nopCPU struct{ CPU }

var _ = kernels.Threads

func (*nopCPU) Fill(dst Storage, v float32) {}

func (*nopCPU) Copy(dst Storage, dstOff int, src Storage, srcOff, n int) {}

func (*nopCPU) Accumulate(dst Storage, dstOff int, src Storage, srcOff, n int) {}

func (*nopCPU) Add(dst, x, y Storage) {}

func (*nopCPU) Axpy(alpha float32, x, y Storage) {}

func (*nopCPU) Mul(dst, x, y Storage) {}

func (*nopCPU) MulAcc(dst, x, y Storage) {}

func (*nopCPU) ReLU(y, x Storage) {}

func (*nopCPU) ReLUBackward(dx, dy, x Storage) {}

func (*nopCPU) ScaleElem(y, x, s Storage, k int) {}

func (*nopCPU) WeightedSum(y, s Storage, ks []int, xs []Storage) {}

func (*nopCPU) AxpyElem(s Storage, k int, x, y Storage) {}

func (*nopCPU) DotAcc(ds Storage, k int, x, y Storage) {}

func (*nopCPU) ScaleSamples(y, x Storage, scale []float32, C, N, HW int) {}

func (*nopCPU) ScaleSamplesBackward(dx, dy Storage, scale []float32, C, N, HW int) {}

func (*nopCPU) SwapAxes(dst, src Storage, A, B, inner int) {}

func (*nopCPU) Crop(y, x Storage, P, H, W, h0, w0, Ho, Wo int) {}

func (*nopCPU) CropBackward(dx, dy Storage, P, H, W, h0, w0, Ho, Wo int) {}

func (*nopCPU) Conv2D(y, x, w Storage, s kernels.Conv) {}

func (*nopCPU) Conv2DBackward(dx, dw, dy, x, w Storage, s kernels.Conv) {}

func (*nopCPU) DepthwiseConv(y, x, w Storage, s kernels.DWConv) {}

func (*nopCPU) DepthwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.DWConv, setDx bool) {}

func (*nopCPU) PointwiseConv(y, x, w Storage, s kernels.PWConv) {}

func (*nopCPU) PointwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.PWConv, setDx bool) {}

func (*nopCPU) Linear(y, x, w, b Storage, n, in, out int) {}

func (*nopCPU) LinearBackward(dx, dw, db, dy, x, w Storage, n, in, out int, setDx bool) {}

func (*nopCPU) MaxPool(y, arg, x Storage, s kernels.Pool) {}

func (*nopCPU) MaxPoolBackward(dx, dy, arg Storage, s kernels.Pool) {}

func (*nopCPU) AvgPool(y, x Storage, s kernels.Pool, countIncludePad bool) {}

func (*nopCPU) AvgPoolBackward(dx, dy Storage, s kernels.Pool, countIncludePad bool) {}

func (*nopCPU) GlobalAvgPool(y, x Storage, C, N, HW int) {}

func (*nopCPU) GlobalAvgPoolBackward(dx, dy Storage, C, N, HW int) {}

func (*nopCPU) BatchNormTrain(y, x, gamma, beta, mean, invStd Storage, C, M int, eps float32) {}

func (*nopCPU) BatchNormUpdateRunning(runMean, runVar, mean, invStd Storage, M int, momentum, eps float32) {
}

func (*nopCPU) BatchNormInfer(y, x, gamma, beta, runMean, runVar Storage, C, M int, eps float32) {}

func (*nopCPU) BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int) {}
func (*nopCPU) BatchNormBackwardSet(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int) {
}

func (*nopCPU) BatchNormInferBackward(dx, dgamma, dbeta, dy, x, gamma, runMean, runVar Storage, C, M int, eps float32) {
}

func (*nopCPU) Softmax(y, x Storage, rows, cols int) {}

func (*nopCPU) SoftmaxBackward(dx, dy, y Storage, rows, cols int) {}

func (*nopCPU) CrossEntropy(logits Storage, labels []int32, probs Storage, rows, cols int) float32 {
	return 0
}

func (*nopCPU) CrossEntropyBackward(dlogits, probs Storage, labels []int32, rows, cols int, scale float32) {
}
