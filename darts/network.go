package darts

import (
	"fmt"
	"strings"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

// StemMultiplier is the width of the stem relative to C (3C channels), as in
// the original.
const StemMultiplier = 3

// Network is the evaluation network that retrains a genotype from scratch
// (the original's model.NetworkCIFAR): a 3×3 stem convolution (3C channels)
// with batch norm, Layers cells built from the genotype with reduction cells
// at Layers/3 and 2·Layers/3 (where the width doubles), global average
// pooling and a linear classifier, plus, when Auxiliary, the auxiliary head
// on the output of cell 2·Layers/3 (training only).
//
// Its tensors carry the original's state_dict names (stem.0.weight,
// cells.{i}._ops.{k}.op.1.weight, classifier.weight, auxiliary_head.*), in
// PyTorch's layouts, so Params and Buffers load into PyTorch unchanged.
type Network struct {
	C, Layers, Classes, InChannels int
	Auxiliary                      bool
	Genotype                       cells.Genotype

	StemW  *ag.Tensor
	StemBN *ag.BatchNorm
	Cells  []*cells.EvalCell
	Aux    *AuxHead // nil without the auxiliary head
	AuxAt  int      // index of the cell whose output feeds Aux: 2·Layers/3
	FCW    *ag.Tensor
	FCB    *ag.Tensor

	Params  []*ag.Tensor // every learnable tensor, auxiliary head included
	Buffers []*ag.Tensor // batch-norm running statistics
	BNs     []*ag.BatchNorm
}

// AuxHead is the original's AuxiliaryHeadCIFAR, for an 8×8 input: ReLU, 5×5
// average pooling with stride 3 (→ 2×2), 1×1 convolution to 128 channels,
// BN, ReLU, 2×2 convolution to 768 channels (→ 1×1), BN, ReLU and a linear
// classifier. Its tensors are auxiliary_head.features.{2,3,5,6}.* and
// auxiliary_head.classifier.*.
type AuxHead struct {
	W1  *ag.Tensor
	BN1 *ag.BatchNorm
	W2  *ag.Tensor
	BN2 *ag.BatchNorm
	FCW *ag.Tensor
	FCB *ag.Tensor
}

// NewAuxHead builds the auxiliary head on c input channels.
func NewAuxHead(b *cells.Builder, c, classes int) *AuxHead {
	h := &AuxHead{}
	h.W1 = b.Conv("auxiliary_head.features.2.weight", 128, c, 1, 1)
	h.BN1 = b.BN("auxiliary_head.features.3", 128, true)
	h.W2 = b.Conv("auxiliary_head.features.5.weight", 768, 128, 2, 2)
	h.BN2 = b.BN("auxiliary_head.features.6", 768, true)
	h.FCW, h.FCB = b.Linear("auxiliary_head.classifier", classes, 768)
	return h
}

// Forward returns the auxiliary logits (N, classes) of x (N, C, 8, 8).
func (h *AuxHead) Forward(g *ag.Graph, x *ag.Tensor, training bool) *ag.Tensor {
	y := g.AvgPool(g.ReLU(x), 5, 3, 0, false)
	y = g.BatchNorm(g.PointwiseConv(y, h.W1, 1, 0, false), h.BN1, training)
	y = g.BatchNorm(g.Conv2D(g.ReLU(y), h.W2, 1, 0, 1), h.BN2, training)
	return g.Linear(g.Flatten(g.ReLU(y)), h.FCW, h.FCB)
}

// auxOutSize is the resolution after the head's average pooling of an s×s
// input; the head works only when it is 2 (the original's 8×8 assumption).
func auxOutSize(s int) int { return (s-5)/3 + 1 }

// NetworkSpec describes an evaluation network.
type NetworkSpec struct {
	Genotype   cells.Genotype
	C          int  // initial channels (36 in the paper)
	Layers     int  // cells (20 in the paper)
	Classes    int  // output classes
	InChannels int  // image channels (3 for CIFAR)
	ImageSize  int  // image side, to check the auxiliary head fits (0: 32)
	Auxiliary  bool // build the auxiliary head
}

// NewNetwork builds the evaluation network of spec with PyTorch's default
// initialisation drawn from seed. Tensors are created in the original's
// module order: stem, cells, auxiliary head, classifier.
func NewNetwork(be ag.Backend, spec NetworkSpec, seed uint64) (*Network, error) {
	if err := spec.Genotype.Validate(); err != nil {
		return nil, err
	}
	switch {
	case spec.C < 1:
		return nil, fmt.Errorf("network: C must be positive, got %d", spec.C)
	case spec.Layers < 3:
		return nil, fmt.Errorf("network: at least 3 layers needed (two reduction cells and a normal one), got %d", spec.Layers)
	case spec.Classes < 1:
		return nil, fmt.Errorf("network: need at least one class, got %d", spec.Classes)
	case spec.InChannels < 1:
		return nil, fmt.Errorf("network: need at least one input channel, got %d", spec.InChannels)
	}
	size := spec.ImageSize
	if size == 0 {
		size = 32
	}
	b := cells.NewBuilder(be, seed)
	n := &Network{C: spec.C, Layers: spec.Layers, Classes: spec.Classes, InChannels: spec.InChannels,
		Auxiliary: spec.Auxiliary, Genotype: spec.Genotype.Clone(), AuxAt: 2 * spec.Layers / 3}
	cCurr := StemMultiplier * spec.C
	n.StemW = b.Conv("stem.0.weight", cCurr, spec.InChannels, 3, 3)
	n.StemBN = b.BN("stem.1", cCurr, true)
	cpp, cp, cCurr := cCurr, cCurr, spec.C
	reductionPrev := false
	cAux, sAux := 0, size
	for i := 0; i < spec.Layers; i++ {
		reduction := i == spec.Layers/3 || i == 2*spec.Layers/3
		if reduction {
			cCurr *= 2
		}
		if (reduction || reductionPrev) && cCurr%2 != 0 {
			return nil, fmt.Errorf("network: C=%d gives an odd width %d where a FactorizedReduce needs an even one", spec.C, cCurr)
		}
		gt := spec.Genotype.NormalCell()
		if reduction {
			gt = spec.Genotype.ReduceCell()
			size = (size + 1) / 2
		}
		cell, err := cells.NewEvalCell(b, fmt.Sprintf("cells.%d", i), gt, cpp, cp, cCurr, reduction, reductionPrev)
		if err != nil {
			return nil, err
		}
		n.Cells = append(n.Cells, cell)
		reductionPrev = reduction
		cpp, cp = cp, cell.OutChannels()
		if i == n.AuxAt {
			cAux, sAux = cp, size
		}
	}
	if spec.Auxiliary {
		if auxOutSize(sAux) != 2 {
			return nil, fmt.Errorf("network: the auxiliary head needs an 8×8 input (as the original's, for 32×32 images) but cell %d outputs %d×%d; use --auxiliary=false", n.AuxAt, sAux, sAux)
		}
		n.Aux = NewAuxHead(b, cAux, spec.Classes)
	}
	n.FCW, n.FCB = b.Linear("classifier", spec.Classes, cp)
	n.Params, n.Buffers, n.BNs = b.Params, b.Buffers, b.BNs
	return n, nil
}

// Forward returns the logits (N, classes) of the batch x (N, C, H, W) and, in
// training mode with the auxiliary head, the auxiliary logits (else nil).
// dropProb is the drop-path probability (training only), its masks drawn from
// rng (which may be nil when dropProb is 0 or training is false).
func (n *Network) Forward(g *ag.Graph, x *ag.Tensor, training bool, dropProb float64, rng ag.RNG) (logits, aux *ag.Tensor) {
	s := g.BatchNorm(g.Conv2D(x, n.StemW, 1, 1, 1), n.StemBN, training)
	s0, s1 := s, s
	for i, cell := range n.Cells {
		s0, s1 = s1, cell.Forward(g, s0, s1, training, dropProb, rng)
		if i == n.AuxAt && n.Aux != nil && training {
			aux = n.Aux.Forward(g, s1, training)
		}
	}
	return g.Linear(g.GlobalAvgPool(s1), n.FCW, n.FCB), aux
}

// isAux reports whether a tensor belongs to the auxiliary head.
func isAux(t *ag.Tensor) bool { return strings.HasPrefix(t.Name, "auxiliary_head.") }

// NumParams is the number of learnable values without the auxiliary head
// (the count the paper reports, as the original's count_parameters_in_MB).
func (n *Network) NumParams() int {
	c := 0
	for _, t := range n.Params {
		if !isAux(t) {
			c += t.Len()
		}
	}
	return c
}

// NumAuxParams is the number of learnable values of the auxiliary head.
func (n *Network) NumAuxParams() int { return cells.CountParams(n.Params) - n.NumParams() }

// MultAdds is the number of multiply-adds of one inference pass (no
// auxiliary head) on an h×w image: the convolutions, the pooling windows and
// the classifier (batch norms, ReLUs and additions are not counted).
func (n *Network) MultAdds(h, w int) int {
	total := n.InChannels * 9 * StemMultiplier * n.C * h * w
	h0, w0 := h, w
	for _, cell := range n.Cells {
		total += cell.FLOPs(h0, w0, h, w)
		h0, w0 = h, w
		if cell.Reduction {
			h, w = (h+1)/2, (w+1)/2
		}
	}
	return total + n.FCW.Len()
}

// StateTensors returns the learnable tensors followed by the buffers: what
// the model file and the checkpoints hold, under their PyTorch names.
func (n *Network) StateTensors() []*ag.Tensor {
	return append(append([]*ag.Tensor(nil), n.Params...), n.Buffers...)
}

// BNPrefixes lists the name prefixes of the network's batch norms (PyTorch
// keeps a num_batches_tracked counter under prefix+".num_batches_tracked").
func (n *Network) BNPrefixes() []string {
	out := make([]string, 0, len(n.BNs))
	for _, bn := range n.BNs {
		out = append(out, strings.TrimSuffix(bn.RunningMean.Name, ".running_mean"))
	}
	return out
}
