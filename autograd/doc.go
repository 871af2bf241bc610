// Package autograd is the reverse-mode automatic differentiation of
// darts-go: tensors, a define-by-run tape, the differentiable operations
// DARTS needs, parameter optimizers (PyTorch's SGD and Adam), gradient
// clipping, the cosine learning-rate schedule and safetensors I/O.
//
// # Tensors and layout
//
// A Tensor has a logical shape of rank 0 to 4 that follows PyTorch (a 4-D
// activation is (N, C, H, W)), float32 storage owned by a Backend, an
// optional gradient of the same shape, RequiresGrad and a Name. A 4-D
// activation is stored channel-major, (C, N, H, W): each channel holds the
// whole batch's H×W planes contiguously, so a 1×1 convolution is a single
// GEMM over N·H·W columns, batch-norm statistics of a channel are one
// contiguous run, and channel concatenation is one block copy per input
// (see DESIGN.md). Everything else is stored row-major in logical order
// (PyTorch's contiguous layout): the (N, F) features and logits, and the
// parameters, whose layouts are PyTorch's: dense convolution (Cout, Cin,
// KH, KW), depthwise (C, 1, K, K), pointwise (Cout, Cin, 1, 1), linear
// (out, in). Tensor.ChannelMajor tells the two apart; New and NewParam make
// row-major tensors, NewActivation and FromNCHW channel-major ones, and
// every 4-D result of an activation op is channel-major. Ops check that
// activations and weights come in their layouts. Data and Grad expose the
// storage (host memory, CPU backend) in storage order; FromNCHW, NCHW,
// NCHWToCNHW and CNHWToNCHW convert from and to PyTorch's order, as do the
// safetensors helpers SafeFromTensor, TensorFromSafe, ActivationFromSafe
// and SafeFile.LoadInto. Flatten and
// Reshape keep PyTorch's logical element order, so a 4-D → 2-D reshape
// transposes (N, C) for the auxiliary head's (N, 768, 1, 1) → (N, 768).
//
// # Backends
//
// All storage and compute go through the Backend interface: allocation,
// host transfer and one method per kernel the ops use (convolutions,
// pooling, batch norm, softmax, cross-entropy, element-wise and layout
// operations), with the kernels package's conventions: forward methods
// overwrite their output, backward methods accumulate into the gradients
// they are handed, nil meaning "not wanted". The graph code only calls the
// interface, so a device backend (CUDA, build tag `cuda`) can be added
// without changing op or model code. CPU (NewCPU) runs package kernels on
// Go slices.
//
// # The tape
//
// A Graph records each op whose inputs include a tensor that requires a
// gradient (define-by-run; the model is ordinary Go code calling Graph
// methods). Graph.Backward(loss, wrt...) differentiates a scalar loss and
// accumulates ∂loss/∂w into the gradients of exactly the leaves in wrt: a
// forward sweep over the tape marks the tensors that depend on a wanted
// leaf, and the reverse sweep runs only the recorded ops whose output is
// marked and received a gradient. No other leaf's gradient is touched, so
// DARTS can take ∂L/∂α without computing weight gradients and ∂L/∂w
// without α gradients. BackwardWith seeds an arbitrary output gradient (a
// vector-Jacobian product). Gradients of leaves accumulate across calls
// (ZeroGrad or an optimizer's ZeroGrad resets them), as in PyTorch.
// SetGradEnabled(false) is inference / no_grad mode: nothing is recorded.
//
// # Memory policy
//
// Parameters, inputs and buffers are user-owned tensors (New, NewParam,
// FromSlice, FromNCHW) and live until garbage collected. Every tensor an op
// returns is graph-owned: its storage comes from the graph's pool, a free
// list of storages keyed by length, and goes back there:
//
//   - on Drop, during the forward pass, for values that no recorded
//     backward step reads (the graph counts, per tensor, the recorded steps
//     that read its values: a convolution reads its input only for its
//     weight gradient or a fused input ReLU's mask, so not when its weight
//     had RequiresGrad off, a batch norm without affine transform only its
//     own output, a pooling or a concatenation nothing);
//   - during Backward, as soon as no remaining backward step needs it: at
//     the start, the values no step reads; then the values of a tensor
//     right after the last step reading them, and the output of op i
//     (value and gradient) and op i's saved scratch (batch statistics,
//     arg-max indices, dropout masks, softmax probabilities) right after
//     op i's backward step, since every consumer of that output was
//     recorded later and has already run;
//   - when Backward returns, for everything else (the tape is cleared too);
//   - on Release, for tensors made with recording off and for tensors kept
//     with Keep (which survive Backward, e.g. logits for the accuracy).
//
// Graphs made with NewGraphSharing share one pool (under a lock), so two
// graphs running at once on two goroutines, each with its own CPU value,
// hold storage for their joint peak rather than the sum of both.
//
// Gradients of graph-owned tensors are not zero-filled: the first
// contribution overwrites a fresh gradient where the op can write rather
// than add (Add, WeightedSum, ScaleBy, Concat, Reshape, Dropout, DropPath,
// an unstrided pointwise convolution without fused ReLU, Linear), and only
// a gradient first reached by an accumulating kernel is zeroed. Add hands
// its output gradient itself to one input whose gradient is still empty.
// A WeightedSum feeding the output of a batch norm without affine
// transform leaves that gradient pending as w[k]·dy: the batch norm's
// backward step folds w[k] into its per-channel scale and takes <dy, x_k>
// for ∂/∂w[k] from its own reductions, so the mixed-op outputs' gradients
// are never stored.
//
// A released tensor must not be used again; its *Tensor value is recycled
// for later results and Data panics on it until then. Because storages,
// Tensor values and tape nodes (with their slices) are all reused, a
// steady-state training step makes no Go heap allocations in this package;
// what remains comes from the kernels (see BenchmarkTrainStep) and the
// first iteration, which fills the pool. MemStats reports the pool.
//
// # Determinism
//
// Ops add contributions in tape order and the kernels split work only
// through kernels.ParallelFor with results independent of scheduling, so a
// fixed seed (Dropout and DropPath take an explicit RNG, drawn in a fixed
// order) and a fixed thread count give bit-identical results.
//
// # Optimizers
//
// SGD and Adam reproduce torch.optim's update rules step for step (the SGD
// momentum buffer starts as the first gradient; L2 weight decay is added
// to the gradient; Adam has bias correction), in float32 with PyTorch's
// order of operations (against torch 1.13 on CPU the results agree to the
// last bit or within one rounding, PyTorch's vectorised kernels using fused
// multiply-adds), work on parameter groups and
// export and import their state as named float32 slices for checkpoints.
// SGD.MomentumBuffer exposes the buffer DARTS' second-order architecture
// step needs to replay the weight update. ClipGradNorm matches
// torch.nn.utils.clip_grad_norm_ and CosineAnnealing is CosineAnnealingLR
// in closed form.
package autograd
