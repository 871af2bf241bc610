package darts

import (
	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/data"
)

// inputs keeps one input tensor per batch size so that feeding a batch
// copies pixels into existing storage instead of allocating.
type inputs struct {
	be     ag.Backend
	byN    map[int]*ag.Tensor
	labels map[int][]int32
}

func newInputs(be ag.Backend) *inputs {
	return &inputs{be: be, byN: map[int]*ag.Tensor{}, labels: map[int][]int32{}}
}

// set copies b into the tensor for its batch size; the returned tensor and
// labels stay valid until the next set with the same batch size.
func (in *inputs) set(b *data.Batch) (*ag.Tensor, []int32) {
	t := in.byN[b.N]
	if t == nil {
		t = ag.NewActivation(in.be, b.N, b.C, b.H, b.W)
		in.byN[b.N] = t
		in.labels[b.N] = make([]int32, b.N)
	}
	t.SetData(b.X)
	y := in.labels[b.N]
	copy(y, b.Y)
	return t, y
}
