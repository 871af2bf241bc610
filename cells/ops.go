package cells

import (
	"fmt"

	ag "github.com/darts-go/darts/autograd"
)

// Op is one candidate operation on an edge of a cell.
type Op interface {
	Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor
	// FLOPs is the number of multiply-adds for one image whose input is
	// h×w (the hardware-cost estimate used by cost-aware search).
	FLOPs(h, w int) int
	// Identity reports whether the op is the identity (drop-path skips it).
	Identity() bool
}

// NewOp builds the primitive called name on c channels with the given stride.
// The search network uses affine=false (and follows pools with a batch norm,
// poolBN); the evaluation network affine=true without pool batch norms.
func NewOp(b *Builder, prefix, name string, c, stride int, affine, poolBN bool) (Op, error) {
	switch name {
	case "none":
		return zeroOp{stride: stride}, nil
	case "max_pool_3x3", "avg_pool_3x3":
		p := &poolOp{max: name == "max_pool_3x3", stride: stride, c: c}
		if poolBN {
			p.bn = b.BN(prefix+".1", c, false)
		}
		return p, nil
	case "skip_connect":
		if stride == 1 {
			return identityOp{}, nil
		}
		return NewFactorizedReduce(b, prefix, c, c, affine), nil
	case "sep_conv_3x3":
		return newSepConv(b, prefix, c, 3, stride, 1, affine), nil
	case "sep_conv_5x5":
		return newSepConv(b, prefix, c, 5, stride, 2, affine), nil
	case "dil_conv_3x3":
		return newDilConv(b, prefix, c, 3, stride, 2, 2, affine), nil
	case "dil_conv_5x5":
		return newDilConv(b, prefix, c, 5, stride, 4, 2, affine), nil
	}
	return nil, fmt.Errorf("cells: unknown operation %q", name)
}

type zeroOp struct{ stride int }

func (z zeroOp) Forward(g *ag.Graph, x *ag.Tensor, _ bool) *ag.Tensor { return g.Zero(x, z.stride) }
func (zeroOp) FLOPs(h, w int) int                                     { return 0 }
func (zeroOp) Identity() bool                                         { return false }

type identityOp struct{}

func (identityOp) Forward(_ *ag.Graph, x *ag.Tensor, _ bool) *ag.Tensor { return x }
func (identityOp) FLOPs(h, w int) int                                   { return 0 }
func (identityOp) Identity() bool                                       { return true }

type poolOp struct {
	max    bool
	stride int
	c      int
	bn     *ag.BatchNorm
}

func (p *poolOp) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	var y *ag.Tensor
	if p.max {
		y = g.MaxPool(x, 3, p.stride, 1)
	} else {
		y = g.AvgPool(x, 3, p.stride, 1, false)
	}
	if p.bn != nil {
		z := g.BatchNorm(y, p.bn, training)
		g.Drop(y)
		return z
	}
	return y
}
func (p *poolOp) FLOPs(h, w int) int { return 9 * p.c * (h / p.stride) * (w / p.stride) }
func (p *poolOp) Identity() bool     { return false }

// ReLUConvBN is ReLU, a k×k convolution and a batch norm (the cell's input
// preprocessing uses k = 1).
type ReLUConvBN struct {
	W      *ag.Tensor
	BN     *ag.BatchNorm
	cin    int
	cout   int
	stride int
}

// NewReLUConvBN builds a 1×1 ReLUConvBN named as the original's
// (prefix.op.1.weight, prefix.op.2.*).
func NewReLUConvBN(b *Builder, prefix string, cin, cout int, affine bool) *ReLUConvBN {
	return &ReLUConvBN{
		W:   b.Conv(prefix+".op.1.weight", cout, cin, 1, 1),
		BN:  b.BN(prefix+".op.2", cout, affine),
		cin: cin, cout: cout, stride: 1,
	}
}

func (r *ReLUConvBN) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	y := g.PointwiseConv(x, r.W, r.stride, 0, true)
	z := g.BatchNorm(y, r.BN, training)
	g.Drop(y)
	return z
}
func (r *ReLUConvBN) FLOPs(h, w int) int { return r.cin * r.cout * h * w }
func (r *ReLUConvBN) Identity() bool     { return false }

// FactorizedReduce halves the resolution with two stride-2 1×1 convolutions,
// the second shifted by one pixel, concatenated and batch-normalised.
type FactorizedReduce struct {
	W1, W2    *ag.Tensor
	BN        *ag.BatchNorm
	cin, cout int
}

// NewFactorizedReduce names its tensors prefix.conv_1, prefix.conv_2,
// prefix.bn as the original.
func NewFactorizedReduce(b *Builder, prefix string, cin, cout int, affine bool) *FactorizedReduce {
	if cout%2 != 0 {
		panic(fmt.Sprintf("cells: FactorizedReduce needs an even output width, got %d", cout))
	}
	return &FactorizedReduce{
		W1:  b.Conv(prefix+".conv_1.weight", cout/2, cin, 1, 1),
		W2:  b.Conv(prefix+".conv_2.weight", cout/2, cin, 1, 1),
		BN:  b.BN(prefix+".bn", cout, affine),
		cin: cin, cout: cout,
	}
}

func (f *FactorizedReduce) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	a := g.PointwiseConv(x, f.W1, 2, 0, true)
	c := g.PointwiseConv(x, f.W2, 2, 1, true)
	ac := g.Concat(a, c)
	g.Drop(a)
	g.Drop(c)
	y := g.BatchNorm(ac, f.BN, training)
	g.Drop(ac)
	return y
}
func (f *FactorizedReduce) FLOPs(h, w int) int { return f.cin * f.cout * (h / 2) * (w / 2) }
func (f *FactorizedReduce) Identity() bool     { return false }

// sepConv is (ReLU, depthwise k×k, 1×1, BN) twice, the stride on the first.
type sepConv struct {
	dw1, pw1, dw2, pw2 *ag.Tensor
	bn1, bn2           *ag.BatchNorm
	c, k, stride, pad  int
}

func newSepConv(b *Builder, prefix string, c, k, stride, pad int, affine bool) *sepConv {
	return &sepConv{
		dw1: b.Conv(prefix+".op.1.weight", c, 1, k, k),
		pw1: b.Conv(prefix+".op.2.weight", c, c, 1, 1),
		bn1: b.BN(prefix+".op.3", c, affine),
		dw2: b.Conv(prefix+".op.5.weight", c, 1, k, k),
		pw2: b.Conv(prefix+".op.6.weight", c, c, 1, 1),
		bn2: b.BN(prefix+".op.7", c, affine),
		c:   c, k: k, stride: stride, pad: pad,
	}
}

func (s *sepConv) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	y := g.DepthwiseConv2D(x, s.dw1, s.stride, s.pad, 1, true)
	y = convBN(g, y, s.pw1, s.bn1, training)
	y = g.DepthwiseConv2D(y, s.dw2, 1, s.pad, 1, true)
	return convBN(g, y, s.pw2, s.bn2, training)
}
func (s *sepConv) FLOPs(h, w int) int {
	ho, wo := h/s.stride, w/s.stride
	return 2 * (s.k*s.k*s.c + s.c*s.c) * ho * wo
}
func (s *sepConv) Identity() bool { return false }

// dilConv is ReLU, a dilated depthwise k×k, a 1×1 and a BN.
type dilConv struct {
	dw, pw                      *ag.Tensor
	bn                          *ag.BatchNorm
	c, k, stride, pad, dilation int
}

func newDilConv(b *Builder, prefix string, c, k, stride, pad, dilation int, affine bool) *dilConv {
	return &dilConv{
		dw: b.Conv(prefix+".op.1.weight", c, 1, k, k),
		pw: b.Conv(prefix+".op.2.weight", c, c, 1, 1),
		bn: b.BN(prefix+".op.3", c, affine),
		c:  c, k: k, stride: stride, pad: pad, dilation: dilation,
	}
}

func (d *dilConv) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	y := g.DepthwiseConv2D(x, d.dw, d.stride, d.pad, d.dilation, true)
	return convBN(g, y, d.pw, d.bn, training)
}

// convBN is a 1×1 convolution followed by a batch norm. The convolution's
// output is dropped as soon as the batch norm has read it: a batch norm
// without affine transform differentiates from its own output. Its input
// (a depthwise convolution's output, used nowhere else) is dropped too:
// the 1×1 keeps it only for its weight gradient, so in a pass that takes
// none it goes at once.
func convBN(g *ag.Graph, x, w *ag.Tensor, bn *ag.BatchNorm, training bool) *ag.Tensor {
	y := g.PointwiseConv(x, w, 1, 0, false)
	g.Drop(x)
	z := g.BatchNorm(y, bn, training)
	g.Drop(y)
	return z
}
func (d *dilConv) FLOPs(h, w int) int {
	ho, wo := h/d.stride, w/d.stride
	return (d.k*d.k*d.c + d.c*d.c) * ho * wo
}
func (d *dilConv) Identity() bool { return false }
