package autograd

// CrossEntropy is the mean softmax cross-entropy of logits (N, K) against
// class labels in [0, K); the result is a scalar (rank 0). The labels are
// copied.
func (g *Graph) CrossEntropy(logits *Tensor, labels []int32) *Tensor {
	logits.live()
	if logits.ndim != 2 {
		failf("CrossEntropy: logits %v are not 2-D (N, K)", logits)
	}
	rows, cols := logits.shape[0], logits.shape[1]
	if len(labels) != rows {
		failf("CrossEntropy: %d labels for %d rows", len(labels), rows)
	}
	for _, l := range labels {
		if l < 0 || int(l) >= cols {
			failf("CrossEntropy: label %d outside [0, %d)", l, cols)
		}
	}
	probs := g.like(logits)
	loss := g.be.CrossEntropy(logits.st, labels, probs.st, rows, cols)
	y := g.newT(0, 0, 0, 0, 0)
	v := g.hostScratch(1)
	v[0] = loss
	g.be.Upload(y.st, 0, v)
	if !g.wants(logits, nil, nil) {
		g.free(probs)
		return y
	}
	n := g.record(opCrossEntropy, y)
	n.ins = append(n.ins, logits)
	n.ints = append(n.ints, labels...)
	n.aux[0] = probs
	return y
}

func (g *Graph) crossEntropyBackward(n *node) {
	x := n.ins[0]
	if dx := g.gradOf(x); dx != nil {
		dy := g.hostScratch(1)
		g.be.Download(dy, n.out.gst, 0)
		rows, cols := x.shape[0], x.shape[1]
		g.be.CrossEntropyBackward(dx, n.aux[0].st, n.ints, rows, cols, dy[0])
	}
}

// CorrectTopK counts the rows of logits (N, K) whose label is among the k
// largest logits (ties counted in the label's favour). logits must be in
// host memory.
func CorrectTopK(logits *Tensor, labels []int32, k int) int {
	if logits.ndim != 2 || len(labels) != logits.shape[0] {
		failf("CorrectTopK: logits %v and %d labels", logits, len(labels))
	}
	d := logits.Data()
	cols := logits.shape[1]
	correct := 0
	for i, l := range labels {
		row := d[i*cols : (i+1)*cols]
		v := row[l]
		above := 0
		for _, u := range row {
			if u > v {
				above++
			}
		}
		if above < k {
			correct++
		}
	}
	return correct
}

// Accuracy is the top-k accuracy of logits (N, K) as a fraction in [0, 1].
func Accuracy(logits *Tensor, labels []int32, k int) float64 {
	if len(labels) == 0 {
		return 0
	}
	return float64(CorrectTopK(logits, labels, k)) / float64(len(labels))
}
