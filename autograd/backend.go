package autograd

import "github.com/darts-go/darts/kernels"

// Storage is memory for a fixed number of float32 values, owned by the
// Backend that allocated it. It is opaque to op and model code: only the
// backend that made it reads or writes it.
type Storage interface {
	// Len is the number of float32 values the storage holds.
	Len() int
}

// Backend owns tensor storage and runs the compute behind every op. The
// graph code (shape inference, the tape, gradient bookkeeping) is written
// only against this interface, so a device backend (CUDA, behind the build
// tag `cuda`) can be added without touching op or model code.
//
// Conventions, as for package kernels: forward methods overwrite their
// output; backward methods accumulate into the gradients they are given
// (dx += …), and a nil gradient argument means "not wanted". A backward
// method with a setDx argument overwrites dx instead when setDx is true (dx
// then holds no values yet and need not be zeroed first). 4-D activations
// are channel-major (C, N, H, W); 2-D tensors (N, F) are row-major.
//
// A Backend value may be shared by tensors created from several goroutines
// (Alloc, Host, Upload and Download are safe for concurrent use), but its
// compute methods may keep scratch space and are used by one Graph at a time.
type Backend interface {
	Name() string

	// Alloc returns zero-filled storage for n values.
	Alloc(n int) Storage
	// Host returns the host-memory view of s, or nil when s lives on a
	// device.
	Host(s Storage) []float32
	// Upload copies src into dst[off:].
	Upload(dst Storage, off int, src []float32)
	// Download copies src[off:off+len(dst)] into dst.
	Download(dst []float32, src Storage, off int)

	Kernels
}

// Kernels is the compute half of a Backend.
type Kernels interface {
	// Element-wise and block operations.
	Fill(dst Storage, v float32)
	Copy(dst Storage, dstOff int, src Storage, srcOff, n int)       // dst[dstOff:+n] = src[srcOff:+n]
	Accumulate(dst Storage, dstOff int, src Storage, srcOff, n int) // dst[dstOff:+n] += src[srcOff:+n]
	Add(dst, x, y Storage)                                          // dst = x + y
	Axpy(alpha float32, x, y Storage)                               // y += alpha*x
	Mul(dst, x, y Storage)                                          // dst = x*y
	MulAcc(dst, x, y Storage)                                       // dst += x*y
	ReLU(y, x Storage)
	ReLUBackward(dx, dy, x Storage)
	// Operations with one element s[k] of a tensor as the scalar (the
	// mixed-op weights): y = s[k]*x, y += s[k]*x and ds[k] += <x, y>.
	ScaleElem(y, x, s Storage, k int)
	AxpyElem(s Storage, k int, x, y Storage)
	DotAcc(ds Storage, k int, x, y Storage)
	// WeightedSum sets y = Σᵢ s[ks[i]]·xs[i] (at least one term; each
	// element summed in term order).
	WeightedSum(y, s Storage, ks []int, xs []Storage)
	// ScaleSamples multiplies sample n of a (C, N, HW) tensor by scale[n].
	ScaleSamples(y, x Storage, scale []float32, C, N, HW int)
	ScaleSamplesBackward(dx, dy Storage, scale []float32, C, N, HW int)

	// Layout. SwapAxes transposes src (A, B, inner) into dst (B, A, inner).
	// Crop copies the window [h0, h0+Ho) × [w0, w0+Wo) of each of the P
	// H×W planes of x into y; CropBackward accumulates it back.
	SwapAxes(dst, src Storage, A, B, inner int)
	Crop(y, x Storage, P, H, W, h0, w0, Ho, Wo int)
	CropBackward(dx, dy Storage, P, H, W, h0, w0, Ho, Wo int)

	// Convolutions and the fully connected layer; w in PyTorch's layout.
	Conv2D(y, x, w Storage, s kernels.Conv)
	Conv2DBackward(dx, dw, dy, x, w Storage, s kernels.Conv)
	DepthwiseConv(y, x, w Storage, s kernels.DWConv)
	// DepthwiseConvBackward adds to dw and to dx, or with setDx writes dx
	// (a gradient that holds nothing yet).
	DepthwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.DWConv, setDx bool)
	PointwiseConv(y, x, w Storage, s kernels.PWConv)
	PointwiseConvBackward(dx, dw, dy, x, w Storage, s kernels.PWConv, setDx bool)
	Linear(y, x, w, b Storage, n, in, out int) // b may be nil
	LinearBackward(dx, dw, db, dy, x, w Storage, n, in, out int, setDx bool)

	// Pooling. arg holds the int32 bits of the arg-max indices.
	MaxPool(y, arg, x Storage, s kernels.Pool)
	MaxPoolBackward(dx, dy, arg Storage, s kernels.Pool)
	AvgPool(y, x Storage, s kernels.Pool, countIncludePad bool)
	AvgPoolBackward(dx, dy Storage, s kernels.Pool, countIncludePad bool)
	GlobalAvgPool(y, x Storage, C, N, HW int)
	GlobalAvgPoolBackward(dx, dy Storage, C, N, HW int)

	// Batch normalisation over x (C, M); gamma and beta nil mean no affine.
	BatchNormTrain(y, x, gamma, beta, mean, invStd Storage, C, M int, eps float32)
	BatchNormUpdateRunning(runMean, runVar, mean, invStd Storage, M int, momentum, eps float32)
	BatchNormInfer(y, x, gamma, beta, runMean, runVar Storage, C, M int, eps float32)
	BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int)
	// BatchNormBackwardSet overwrites dx instead of adding to it.
	BatchNormBackwardSet(dx, dgamma, dbeta, dy, x, gamma, mean, invStd Storage, C, M int)
	BatchNormInferBackward(dx, dgamma, dbeta, dy, x, gamma, runMean, runVar Storage, C, M int, eps float32)

	// Row softmax and the mean cross-entropy of logits (rows, cols);
	// CrossEntropyBackward adds scale·(probs - onehot)/rows, scale being the
	// gradient of the mean loss.
	Softmax(y, x Storage, rows, cols int)
	SoftmaxBackward(dx, dy, y Storage, rows, cols int)
	CrossEntropy(logits Storage, labels []int32, probs Storage, rows, cols int) float32
	CrossEntropyBackward(dlogits, probs Storage, labels []int32, rows, cols int, scale float32)
}
