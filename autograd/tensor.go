package autograd

import (
	"fmt"
	"strings"
)

// MaxDims is the largest rank a Tensor can have.
const MaxDims = 4

// Tensor is an n-dimensional float32 array (rank 0 to 4) whose storage is
// owned by a Backend, with an optional gradient of the same shape.
//
// The shape is logical and follows PyTorch: a 4-D activation is (N, C, H,
// W). Storage is row-major in logical order (PyTorch's contiguous layout),
// except for activations: a 4-D activation is stored channel-major,
// (C, N, H, W) (ChannelMajor reports which). Parameters keep PyTorch's
// layout, e.g. a convolution weight (Cout, Cin, KH, KW) is row-major. Every
// 4-D result of a graph op that works on activations is channel-major;
// NewActivation and FromNCHW make channel-major inputs.
//
// Tensors are either user-owned (made by New, NewParam, NewActivation,
// FromSlice, FromNCHW: parameters, inputs, buffers; they live until garbage
// collected)
// or graph-owned (results of Graph ops; their storage comes from the graph's
// pool and goes back to it when the graph is released — see Graph).
type Tensor struct {
	// Name identifies a parameter (optimizer state, checkpoints).
	Name string
	// RequiresGrad marks a leaf whose gradient may be asked for. Ops record
	// themselves on the tape only when an input requires a gradient; their
	// outputs then require one too.
	RequiresGrad bool

	shape [MaxDims]int
	ndim  int
	n     int
	be    Backend
	st    Storage
	data  []float32 // host view of st (nil on a device)
	cm    bool      // channel-major 4-D activation
	gst   Storage
	gdata []float32

	g    *Graph // owner, nil for user tensors
	node int    // 1 + index of the producing node on g's tape; 0 if none
	mark uint64 // equals the running Backward's generation when on a path to a wanted leaf
	kept bool

	// Graph-owned tensors only:
	gfresh bool  // gst came from the pool and holds no contribution yet
	saved  int32 // recorded nodes whose backward step still reads the values
	// A pending gradient: ∂/∂t = s[k]·∂/∂src, with src's gradient storage,
	// scale tensor s and index k (a WeightedSum feeding a batch norm that
	// folds the scale into its own backward step); gst is nil meanwhile.
	// With lzDot, ∂/∂s[k] += <t, ∂/∂src> is pending too.
	lzSrc *Tensor
	lzS   *Tensor
	lzK   int
	lzDot bool
	gpins int32 // pending gradients that read this tensor's gradient
	gdead bool  // the producing node retired while pinned
}

func checkShape(shape []int) int {
	if len(shape) > MaxDims {
		panic(fmt.Sprintf("autograd: rank %d > %d", len(shape), MaxDims))
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("autograd: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

func (t *Tensor) setShape(shape []int) {
	t.n = checkShape(shape)
	t.ndim = len(shape)
	t.shape = [MaxDims]int{}
	copy(t.shape[:], shape)
}

// New returns a user-owned zero tensor of the given shape on be, stored
// row-major (PyTorch's layout; parameters and buffers).
func New(be Backend, shape ...int) *Tensor {
	t := &Tensor{be: be}
	t.setShape(shape)
	t.st = be.Alloc(t.n)
	t.data = be.Host(t.st)
	return t
}

// NewParam returns a named zero tensor that requires a gradient.
func NewParam(be Backend, name string, shape ...int) *Tensor {
	t := New(be, shape...)
	t.Name = name
	t.RequiresGrad = true
	return t
}

// NewActivation returns a user-owned zero 4-D activation (N, C, H, W),
// stored channel-major.
func NewActivation(be Backend, n, c, h, w int) *Tensor {
	t := New(be, n, c, h, w)
	t.cm = true
	return t
}

// FromSlice returns a user-owned row-major tensor holding a copy of data.
func FromSlice(be Backend, data []float32, shape ...int) *Tensor {
	t := New(be, shape...)
	if len(data) != t.n {
		panic(fmt.Sprintf("autograd: FromSlice: %d values for shape %v", len(data), shape))
	}
	be.Upload(t.st, 0, data)
	return t
}

// FromNCHW makes an activation from data in PyTorch's order: a 4-D (N, C,
// H, W) array is transposed into a channel-major activation; other ranks
// are copied as FromSlice does.
func FromNCHW(be Backend, data []float32, shape ...int) *Tensor {
	if len(shape) != 4 {
		return FromSlice(be, data, shape...)
	}
	t := NewActivation(be, shape[0], shape[1], shape[2], shape[3])
	if len(data) != t.n {
		panic(fmt.Sprintf("autograd: FromNCHW: %d values for shape %v", len(data), shape))
	}
	tmp := make([]float32, t.n)
	NCHWToCNHW(tmp, data, shape[0], shape[1], shape[2]*shape[3])
	be.Upload(t.st, 0, tmp)
	return t
}

// NCHWToCNHW transposes src, logically (N, C, HW), into channel-major dst
// (C, N, HW).
func NCHWToCNHW(dst, src []float32, n, c, hw int) {
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			copy(dst[(j*n+i)*hw:(j*n+i+1)*hw], src[(i*c+j)*hw:(i*c+j+1)*hw])
		}
	}
}

// CNHWToNCHW transposes channel-major src (C, N, HW) into dst (N, C, HW).
func CNHWToNCHW(dst, src []float32, n, c, hw int) {
	for j := 0; j < c; j++ {
		for i := 0; i < n; i++ {
			copy(dst[(i*c+j)*hw:(i*c+j+1)*hw], src[(j*n+i)*hw:(j*n+i+1)*hw])
		}
	}
}

// Shape returns a copy of the logical shape.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape[:t.ndim]...) }

// NDim is the rank.
func (t *Tensor) NDim() int { return t.ndim }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += t.ndim
	}
	if i < 0 || i >= t.ndim {
		panic(fmt.Sprintf("autograd: Dim(%d) of a rank-%d tensor", i, t.ndim))
	}
	return t.shape[i]
}

// ChannelMajor reports whether the tensor is a 4-D activation stored
// (C, N, H, W).
func (t *Tensor) ChannelMajor() bool { return t.cm }

// Len is the number of elements.
func (t *Tensor) Len() int { return t.n }

// Backend is the backend that owns the storage.
func (t *Tensor) Backend() Backend { return t.be }

// Storage is the value storage (nil once a graph-owned tensor is released).
func (t *Tensor) Storage() Storage { return t.st }

// GradStorage is the gradient storage, nil when there is none.
func (t *Tensor) GradStorage() Storage { return t.gst }

// Data is the host view of the values in storage order. It panics on a
// device tensor or on a released graph-owned tensor.
func (t *Tensor) Data() []float32 {
	t.live()
	if t.data == nil && t.n > 0 {
		panic("autograd: Data on a tensor whose storage is not in host memory; use CopyTo")
	}
	return t.data
}

// Grad is the host view of the gradient, nil when none has been made yet
// (Backward makes it for the leaves it is asked about).
func (t *Tensor) Grad() []float32 {
	if t.gst != nil && t.gdata == nil && t.n > 0 {
		panic("autograd: Grad on a tensor whose gradient is not in host memory")
	}
	return t.gdata
}

// EnsureGrad allocates a zero gradient if there is none and returns its
// host view.
func (t *Tensor) EnsureGrad() []float32 {
	if t.gst == nil {
		t.gst = t.be.Alloc(t.n)
		t.gdata = t.be.Host(t.gst)
	}
	return t.gdata
}

// ZeroGrad sets the gradient to zero, if there is one.
func (t *Tensor) ZeroGrad() {
	if t.gst != nil {
		t.be.Fill(t.gst, 0)
	}
}

// ClearGrad drops the gradient storage.
func (t *Tensor) ClearGrad() { t.gst, t.gdata = nil, nil }

// SetData copies src (storage order) into the tensor.
func (t *Tensor) SetData(src []float32) {
	t.live()
	if len(src) != t.n {
		panic(fmt.Sprintf("autograd: SetData: %d values for %d elements", len(src), t.n))
	}
	t.be.Upload(t.st, 0, src)
}

// CopyTo copies the values, in storage order, into dst (len(dst) must be
// Len()) and returns it; a nil dst is allocated.
func (t *Tensor) CopyTo(dst []float32) []float32 {
	t.live()
	if dst == nil {
		dst = make([]float32, t.n)
	}
	if len(dst) != t.n {
		panic("autograd: CopyTo: wrong length")
	}
	t.be.Download(dst, t.st, 0)
	return dst
}

// NCHW returns a new slice with the values in PyTorch's logical order.
func (t *Tensor) NCHW() []float32 {
	v := t.CopyTo(nil)
	if !t.cm {
		return v
	}
	out := make([]float32, t.n)
	CNHWToNCHW(out, v, t.shape[0], t.shape[1], t.shape[2]*t.shape[3])
	return out
}

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	t.live()
	if t.n != 1 {
		panic(fmt.Sprintf("autograd: Item on a tensor of %d elements", t.n))
	}
	if t.data != nil {
		return t.data[0]
	}
	var v [1]float32
	t.be.Download(v[:], t.st, 0)
	return v[0]
}

// Clone returns a user-owned copy (values only, no gradient) that keeps the
// name and RequiresGrad.
func (t *Tensor) Clone() *Tensor {
	t.live()
	c := New(t.be, t.shape[:t.ndim]...)
	c.Name, c.RequiresGrad, c.cm = t.Name, t.RequiresGrad, t.cm
	t.be.Copy(c.st, 0, t.st, 0, t.n)
	return c
}

// String describes the tensor (name and shape, not the values).
func (t *Tensor) String() string {
	var b strings.Builder
	b.WriteString("Tensor")
	if t.Name != "" {
		b.WriteString(" " + t.Name)
	}
	fmt.Fprint(&b, t.shape[:t.ndim])
	if t.cm {
		b.WriteString(" (channel-major)")
	}
	if t.g != nil && t.st == nil {
		b.WriteString(" (released)")
	}
	return b.String()
}

func (t *Tensor) live() {
	if t.st == nil {
		panic("autograd: use of a released graph tensor (its graph ran Backward or Release; use Graph.Keep to retain it)")
	}
}

func sameShape(a, b *Tensor) bool {
	return a.ndim == b.ndim && a.shape == b.shape && a.cm == b.cm
}
