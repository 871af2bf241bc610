package cells

import (
	"math"
	"math/rand/v2"

	ag "github.com/darts-go/darts/autograd"
)

// Builder creates the parameters of a network, names them as the original
// PyTorch implementation's state_dict does (so checkpoints and safetensors
// files load there) and initialises them as PyTorch's defaults do, from a
// seeded random source.
type Builder struct {
	Be      ag.Backend
	Rng     *rand.Rand
	Params  []*ag.Tensor // learnable, in creation order
	Buffers []*ag.Tensor // BN running statistics
	BNs     []*ag.BatchNorm
}

// NewBuilder returns a builder on be whose initialisation draws from seed.
func NewBuilder(be ag.Backend, seed uint64) *Builder {
	return &Builder{Be: be, Rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// uniform fills t with U(-bound, bound).
func (b *Builder) uniform(t *ag.Tensor, bound float64) {
	d := t.Data()
	for i := range d {
		d[i] = float32((2*b.Rng.Float64() - 1) * bound)
	}
}

// Conv returns a convolution weight (cout, cin/groups, k, k) initialised as
// PyTorch's Conv2d (Kaiming uniform with a = √5: U(±1/√fan_in)).
func (b *Builder) Conv(name string, cout, cinPerGroup, kh, kw int) *ag.Tensor {
	t := ag.NewParam(b.Be, name, cout, cinPerGroup, kh, kw)
	b.uniform(t, 1/math.Sqrt(float64(cinPerGroup*kh*kw)))
	b.Params = append(b.Params, t)
	return t
}

// Linear returns the weight (out, in) and bias (out) of a fully connected
// layer, initialised as PyTorch's Linear.
func (b *Builder) Linear(name string, out, in int) (w, bias *ag.Tensor) {
	w = ag.NewParam(b.Be, name+".weight", out, in)
	bias = ag.NewParam(b.Be, name+".bias", out)
	bound := 1 / math.Sqrt(float64(in))
	b.uniform(w, bound)
	b.uniform(bias, bound)
	b.Params = append(b.Params, w, bias)
	return w, bias
}

// BN returns a batch norm over c channels (γ = 1, β = 0 when affine).
func (b *Builder) BN(name string, c int, affine bool) *ag.BatchNorm {
	bn := ag.NewBatchNorm(b.Be, name, c, affine)
	b.Params = append(b.Params, bn.Params()...)
	b.Buffers = append(b.Buffers, bn.Buffers()...)
	b.BNs = append(b.BNs, bn)
	return bn
}

// CountParams is the number of learnable values in ts.
func CountParams(ts []*ag.Tensor) int {
	n := 0
	for _, t := range ts {
		n += t.Len()
	}
	return n
}
