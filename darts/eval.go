package darts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/data"
	"github.com/darts-go/darts/kernels"
)

// evalStats are the results of an inference pass over a loader.
type evalStats struct {
	Loss           float64 // mean cross-entropy
	Correct, Total int
	ClassCorrect   []int // per label
	ClassTotal     []int
}

// Acc is the top-1 accuracy in percent.
func (s evalStats) Acc() float64 {
	if s.Total == 0 {
		return 0
	}
	return 100 * float64(s.Correct) / float64(s.Total)
}

// evaluateNetwork runs net in inference mode (batch-norm running statistics,
// no drop-path, no auxiliary head) over every batch of l. A prediction is
// correct when no logit is larger than the label's (ties count as correct, as
// autograd.CorrectTopK). A progress bar goes to progress (nil for none).
func evaluateNetwork(g *ag.Graph, be ag.Backend, net *Network, l *data.Loader, progress io.Writer) evalStats {
	forward := func(g *ag.Graph, x *ag.Tensor) *ag.Tensor {
		logits, _ := net.Forward(g, x, false, 0, nil)
		return logits
	}
	return inference(g, be, forward, net.Classes, l, progress, "test")
}

// inference runs forward with recording off over every batch of l (in
// order, epoch 0) and gathers the loss and the overall and per-class top-1
// counts; the bar is labelled label.
func inference(g *ag.Graph, be ag.Backend, forward func(*ag.Graph, *ag.Tensor) *ag.Tensor, classes int,
	l *data.Loader, progress io.Writer, label string) evalStats {
	prev := g.SetGradEnabled(false)
	defer g.SetGradEnabled(prev)
	in := newInputs(be)
	st := evalStats{ClassCorrect: make([]int, classes), ClassTotal: make([]int, classes)}
	bar := data.NewProgress(progress, l.BatchesPerEpoch(), label)
	for i := 0; i < l.BatchesPerEpoch(); i++ {
		x, y := in.set(l.Batch(0, i))
		logits := forward(g, x)
		st.Loss += float64(g.CrossEntropy(logits, y).Item()) * float64(len(y))
		d := logits.Data()
		k := logits.Dim(1)
		for r, label := range y {
			row := d[r*k : (r+1)*k]
			v := row[label]
			ok := true
			for _, u := range row {
				if u > v {
					ok = false
					break
				}
			}
			st.ClassTotal[label]++
			if ok {
				st.ClassCorrect[label]++
				st.Correct++
			}
			st.Total++
		}
		g.Release()
		bar.Update(i+1, "")
	}
	bar.Done()
	if st.Total > 0 {
		st.Loss /= float64(st.Total)
	}
	return st
}

// EvalConfig holds the flags of `darts eval`.
type EvalConfig struct {
	Model     string // model.safetensors written by darts train
	Dataset   string // cifar10-sample (default), cifar10, ...
	DataDir   string
	BatchSize int // 0: the training batch size recorded in the model file
	Threads   int
	JSON      bool // print one JSON object instead of text
}

// ClassAccuracy is the accuracy on one class (acc in percent).
type ClassAccuracy struct {
	Class   string  `json:"class"`
	Correct int     `json:"correct"`
	Total   int     `json:"total"`
	Acc     float64 `json:"acc"`
}

// EvalResult is what `darts eval` reports (accuracies in percent).
type EvalResult struct {
	Model    string  `json:"model"`
	Dataset  string  `json:"dataset"`
	Genotype string  `json:"genotype"`
	Params   int     `json:"params"`
	Images   int     `json:"images"`
	Correct  int     `json:"correct"`
	TestLoss float64 `json:"test_loss"`
	TestAcc  float64 `json:"test_acc"`
	// TrainedTestAcc is the test accuracy recorded at the end of training
	// (absent when the file does not say).
	TrainedTestAcc *float64        `json:"trained_test_acc,omitempty"`
	PerClass       []ClassAccuracy `json:"per_class"`
}

// Eval runs `darts eval`: it rebuilds the network from the model file, scores
// it on the test split of cfg.Dataset and writes the report to w.
func Eval(cfg EvalConfig, w io.Writer) (*EvalResult, error) {
	if cfg.Model == "" {
		return nil, errors.New("--model must name a model file (model.safetensors written by darts train)")
	}
	if cfg.BatchSize < 0 || cfg.Threads < 0 {
		return nil, errors.New("--batch-size and --threads must be ≥ 0")
	}
	if cfg.Dataset == "" {
		cfg.Dataset = data.CIFAR10Sample
	}
	if cfg.Threads > 0 {
		kernels.SetThreads(cfg.Threads)
	}
	be := ag.NewCPU()
	net, info, err := LoadModel(be, cfg.Model)
	if err != nil {
		return nil, err
	}
	progress := w
	if cfg.JSON {
		progress = nil
	}
	test, err := data.Open(cfg.Dataset, cfg.DataDir, false, progress)
	if err != nil {
		return nil, err
	}
	if test.NumClasses() != info.Classes || test.C != info.InChannels {
		return nil, fmt.Errorf("%s: the model has %d classes and %d input channels, dataset %s has %d and %d",
			cfg.Model, info.Classes, info.InChannels, test.Name, test.NumClasses(), test.C)
	}
	bs := cfg.BatchSize
	if bs == 0 {
		bs = info.Config.BatchSize
	}
	if bs <= 0 {
		bs = DefaultTrainConfig().BatchSize
	}
	l, err := data.NewLoader(test, data.LoaderConfig{BatchSize: bs})
	if err != nil {
		return nil, err
	}
	st := evaluateNetwork(ag.NewGraph(be), be, net, l, progress)
	res := &EvalResult{Model: cfg.Model, Dataset: test.Name, Genotype: info.Genotype.String(), Params: net.NumParams(),
		Images: st.Total, Correct: st.Correct, TestLoss: st.Loss, TestAcc: st.Acc()}
	if !math.IsNaN(info.TestAcc) {
		v := info.TestAcc
		res.TrainedTestAcc = &v
	}
	for c := range st.ClassTotal {
		name := fmt.Sprint(c)
		if c < len(test.Classes) {
			name = test.Classes[c]
		}
		ca := ClassAccuracy{Class: name, Correct: st.ClassCorrect[c], Total: st.ClassTotal[c]}
		if ca.Total > 0 {
			ca.Acc = 100 * float64(ca.Correct) / float64(ca.Total)
		}
		res.PerClass = append(res.PerClass, ca)
	}
	if cfg.JSON {
		b, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "%s\n", b)
		return res, nil
	}
	fmt.Fprintf(w, "model %s: C=%d, %d layers, %d parameters, trained %d epochs on %s\n",
		cfg.Model, info.C, info.Layers, res.Params, info.Epochs, info.Dataset)
	fmt.Fprintf(w, "genotype: %s\n", res.Genotype)
	fmt.Fprintf(w, "test accuracy on %s (%d images): %.2f%% (%d correct), loss %.4f", test.Name, st.Total, res.TestAcc, st.Correct, st.Loss)
	if res.TrainedTestAcc != nil {
		fmt.Fprintf(w, "; at the end of training: %.2f%%", *res.TrainedTestAcc)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "per class:")
	for _, ca := range res.PerClass {
		fmt.Fprintf(w, "  %-12s %6.2f%%  (%d/%d)\n", ca.Class, ca.Acc, ca.Correct, ca.Total)
	}
	return res, nil
}
