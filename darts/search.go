package darts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
	"github.com/darts-go/darts/data"
	"github.com/darts-go/darts/kernels"
)

// Validate checks the flags and returns an error naming the first bad one.
func (c SearchConfig) Validate() error {
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("--batch-size must be at least 1, got %d", c.BatchSize)
	case c.Epochs < 1:
		return fmt.Errorf("--epochs must be at least 1, got %d", c.Epochs)
	case c.InitChannels < 2 || c.InitChannels%2 != 0:
		return fmt.Errorf("--init-channels must be an even number ≥ 2, got %d", c.InitChannels)
	case c.Layers < 3:
		return fmt.Errorf("--layers must be at least 3 (two reduction cells and a normal one), got %d", c.Layers)
	case c.TrainPortion <= 0 || c.TrainPortion >= 1:
		return fmt.Errorf("--train-portion must be between 0 and 1 exclusive, got %v", c.TrainPortion)
	case c.LR <= 0:
		return fmt.Errorf("--lr must be positive, got %v", c.LR)
	case c.LRMin < 0 || c.LRMin > c.LR:
		return fmt.Errorf("--lr-min must be in [0, --lr], got %v", c.LRMin)
	case c.ArchLR <= 0:
		return fmt.Errorf("--arch-lr must be positive, got %v", c.ArchLR)
	case c.Subset < 0:
		return fmt.Errorf("--subset must be ≥ 0, got %d", c.Subset)
	case c.Threads < 0:
		return fmt.Errorf("--threads must be ≥ 0, got %d", c.Threads)
	case c.GradClip <= 0:
		return fmt.Errorf("--grad-clip must be positive, got %v", c.GradClip)
	case c.LatencyWeight < 0:
		return fmt.Errorf("--cost-weight must be ≥ 0, got %v", c.LatencyWeight)
	case c.CostMetric != "" && c.CostMetric != CostMFLOPs && c.CostMetric != CostParams && c.CostMetric != CostLatency:
		return fmt.Errorf("--cost-metric must be mflops, params or latency, got %q", c.CostMetric)
	case c.Out == "":
		return errors.New("--out must name a directory")
	}
	return nil
}

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch          int             `json:"epoch"`
	LR             float64         `json:"lr"`
	TrainLoss      float64         `json:"train_loss"`
	TrainAcc       float64         `json:"train_acc"`
	ValidLoss      float64         `json:"valid_loss"`
	ValidAcc       float64         `json:"valid_acc"`
	ArchLoss       float64         `json:"arch_loss"`
	ExpectedMFLOPs float64         `json:"expected_mflops"`
	ExpectedCost   float64         `json:"expected_cost"` // in the --cost-metric's unit (cost_table.json)
	Genotype       json.RawMessage `json:"genotype"`
	Seconds        float64         `json:"seconds"`
	SoftmaxNormal  [][]float32     `json:"softmax_normal"`
	SoftmaxReduce  [][]float32     `json:"softmax_reduce"`
}

// Search runs `darts search` with cfg, logging to w.
func Search(cfg SearchConfig, w io.Writer) error { return search(cfg, w, 0) }

// searchEpochs runs a search but returns after stopAfter epochs, as a run
// killed at that point would (tests of --resume).
func searchEpochs(cfg SearchConfig, stopAfter int) error { return search(cfg, io.Discard, stopAfter) }

func search(cfg SearchConfig, w io.Writer, stopAfter int) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Threads > 0 {
		kernels.SetThreads(cfg.Threads)
	}
	be := ag.NewCPU()
	train, err := data.Open(cfg.Dataset, cfg.DataDir, true, w)
	if err != nil {
		return err
	}
	net := NewSupernet(be, cfg.InitChannels, cfg.Layers, cfg.Steps, cfg.Multiplier, cfg.StemMultiplier,
		train.NumClasses(), train.C, train.H, uint64(cfg.Seed))
	if cfg.DryRun {
		fmt.Fprintf(w, "supernet: C=%d layers=%d steps=%d on %s (%d×%d×%d, %d classes)\n",
			cfg.InitChannels, cfg.Layers, cfg.Steps, train.Name, train.C, train.H, train.W, train.NumClasses())
		fmt.Fprintf(w, "weight parameters (α excluded): %d\n", cells.CountParams(net.Weights))
		fmt.Fprintf(w, "architecture parameters α: %d\n", cells.CountParams(net.Alphas()))
		return nil
	}

	n := train.N
	if cfg.Subset > 0 && cfg.Subset < n {
		n = cfg.Subset
	}
	trainIdx, validIdx := data.Split(data.Range(n), cfg.TrainPortion)
	if len(trainIdx) < cfg.BatchSize || len(validIdx) < cfg.BatchSize {
		return fmt.Errorf("--subset/--train-portion leave %d training and %d validation images, fewer than --batch-size %d",
			len(trainIdx), len(validIdx), cfg.BatchSize)
	}
	mk := func(idx []int, seed uint64, shuffle, dropLast bool, aug data.Augment) (*data.Loader, error) {
		return data.NewLoader(train, data.LoaderConfig{BatchSize: cfg.BatchSize, Indices: idx, Shuffle: shuffle,
			DropLast: dropLast, Seed: seed, Augment: aug, Mean: train.Mean, Std: train.Std})
	}
	// As the original, both halves use the training augmentation; the
	// end-of-epoch validation pass reads the α half in a fixed order.
	trainL, err := mk(trainIdx, uint64(cfg.Seed)*3+1, true, true, data.DARTSAugment(0))
	if err != nil {
		return err
	}
	archL, err := mk(validIdx, uint64(cfg.Seed)*3+2, true, true, data.DARTSAugment(0))
	if err != nil {
		return err
	}
	evalL, err := mk(validIdx, 0, false, false, data.Augment{})
	if err != nil {
		return err
	}

	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", cfg.Out, err)
	}
	g := ag.NewGraph(be)
	sgd := ag.NewSGD(net.Weights, cfg.LR, cfg.Momentum, cfg.WeightDecay)
	arch := NewArchitect(net, g, cfg.ArchLR, cfg.ArchWeightDecay)
	arch.Cost, arch.Momentum, arch.WeightDecay, arch.WeightOpt = cfg.LatencyWeight, cfg.Momentum, cfg.WeightDecay, sgd
	sched := ag.CosineAnnealing{BaseLR: cfg.LR, EtaMin: cfg.LRMin, TMax: cfg.Epochs}

	ckPath := filepath.Join(cfg.Out, "checkpoint.safetensors")
	metricsPath := filepath.Join(cfg.Out, "metrics.jsonl")
	if err := setupCost(cfg, net, w); err != nil {
		return err
	}
	start := 0
	if cfg.Resume {
		ck, err := loadSearchCheckpoint(ckPath, net, sgd, arch.Opt)
		switch {
		case errors.Is(err, errNoCheckpoint):
			fmt.Fprintf(w, "resume: no checkpoint in %s, starting from epoch 1\n", cfg.Out)
		case err != nil:
			return err
		default:
			if err := sameRun(ck.Config, cfg); err != nil {
				return fmt.Errorf("--resume: %s was written by a different run: %w", ckPath, err)
			}
			start = ck.NextEpoch
			if err := truncateMetrics(metricsPath, start); err != nil {
				return err
			}
			fmt.Fprintf(w, "resume: continuing from epoch %d of %d (%s)\n", start+1, cfg.Epochs, ckPath)
		}
	} else if err := os.Remove(metricsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}

	fmt.Fprintf(w, "search: %s, %d images for weights, %d for α; C=%d layers=%d batch=%d epochs=%d %s; %d weight parameters; threads %d\n",
		train.Name, len(trainIdx), len(validIdx), cfg.InitChannels, cfg.Layers, cfg.BatchSize, cfg.Epochs,
		map[bool]string{true: "second order", false: "first order"}[cfg.Unrolled], cells.CountParams(net.Weights), kernels.Threads())

	inTrain, inArch := newInputs(be), newInputs(be)
	steps := trainL.BatchesPerEpoch()
	began := time.Now()
	var last EpochMetrics
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		t0 := time.Now()
		lr := sched.LR(epoch)
		sgd.SetLR(lr)
		bar := data.NewProgress(w, steps, fmt.Sprintf("epoch %d/%d", epoch+1, cfg.Epochs))
		var lossSum, archSum float64
		correct, seen := 0, 0
		for step := 0; step < steps; step++ {
			xt, yt := inTrain.set(trainL.Batch(epoch, step))
			xv, yv := inArch.set(archL.Batch(epoch, step%archL.BatchesPerEpoch()))
			archSum += float64(arch.Step(xt, yt, xv, yv, lr, cfg.Unrolled))

			ag.ZeroGradOf(net.Weights)
			logits := net.Forward(g, xt, true)
			g.Keep(logits)
			loss := g.Backward(g.CrossEntropy(logits, yt), net.Weights...)
			ag.ClipGradNorm(net.Weights, cfg.GradClip)
			sgd.Step()
			correct += ag.CorrectTopK(logits, yt, 1)
			g.Release()
			seen += len(yt)
			lossSum += float64(loss) * float64(len(yt))
			el := time.Since(t0).Seconds()
			bar.Update(step+1, fmt.Sprintf("loss %.3f acc %.1f%% %.1f img/s", lossSum/float64(seen),
				100*float64(correct)/float64(seen), float64(seen)/el))
		}
		bar.Done()
		if !finite(lossSum) || !finite(archSum) {
			// Stop before the outputs and the checkpoint: they keep the
			// last epoch that was finite.
			kept := "no epoch finished before it"
			if epoch > 0 {
				kept = fmt.Sprintf("%s keeps epoch %d", ckPath, epoch)
			}
			return fmt.Errorf("epoch %d: the search diverged (train loss %v, architecture loss %v; %s); try a lower --lr or --arch-lr",
				epoch+1, lossSum/float64(seen), archSum/float64(steps), kept)
		}
		// Inference mode (BN running statistics) as the original's infer().
		vs := inference(g, be, func(g *ag.Graph, x *ag.Tensor) *ag.Tensor { return net.Forward(g, x, false) },
			net.Classes, evalL, nil, "valid")
		vLoss, vAcc := vs.Loss, vs.Acc()
		gt := net.Genotype()
		wn, wr := net.ArchWeights()
		last = EpochMetrics{
			Epoch: epoch + 1, LR: lr,
			TrainLoss: lossSum / float64(seen), TrainAcc: 100 * float64(correct) / float64(seen),
			ValidLoss: vLoss, ValidAcc: vAcc, ArchLoss: archSum / float64(steps),
			ExpectedMFLOPs: net.ExpectedMFLOPs(),
			ExpectedCost:   net.ExpectedCost(),
			Genotype:       json.RawMessage(mustJSON(gt)),
			Seconds:        time.Since(t0).Seconds(),
			SoftmaxNormal:  wn,
			SoftmaxReduce:  wr,
		}
		costNote := ""
		if metric, unit := net.CostMetric(); metric != CostMFLOPs {
			costNote = fmt.Sprintf("  E[%s] %.1f %s", metric, last.ExpectedCost, unit)
		}
		fmt.Fprintf(w, "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f%%  valid loss %.4f acc %.2f%%  E[MFLOPs] %.1f%s  %.1fs\n",
			epoch+1, cfg.Epochs, lr, last.TrainLoss, last.TrainAcc, vLoss, vAcc, last.ExpectedMFLOPs, costNote, last.Seconds)
		fmt.Fprintf(w, "genotype = %s\n", gt)
		fmt.Fprintf(w, "softmax(α) normal:\n%s", cells.FormatWeights(wn, cfg.Steps))
		fmt.Fprintf(w, "softmax(α) reduce:\n%s", cells.FormatWeights(wr, cfg.Steps))
		if err := writeSearchOutputs(cfg.Out, net, gt); err != nil {
			return err
		}
		if err := appendJSONLine(metricsPath, last); err != nil {
			return err
		}
		if hist, err := readJSONLines[EpochMetrics](metricsPath); err == nil {
			if err := PlotSearchCurves(hist, cfg.Out); err != nil {
				fmt.Fprintf(w, "warning: could not draw the curves: %v\n", err)
			}
		}
		if err := saveSearchCheckpoint(ckPath, net, sgd, arch.Opt, searchCheckpoint{NextEpoch: epoch + 1, Config: cfg}); err != nil {
			return err
		}
		if stopAfter > 0 && epoch+1-start >= stopAfter {
			return nil
		}
	}
	gt := net.Genotype()
	if start >= cfg.Epochs {
		// Nothing left to run: make sure the final outputs exist.
		if err := writeSearchOutputs(cfg.Out, net, gt); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nsearch finished in %s", time.Since(began).Round(time.Second))
	if last.Epoch > 0 {
		fmt.Fprintf(w, "; last epoch: valid acc %.2f%%, train acc %.2f%%", last.ValidAcc, last.TrainAcc)
	}
	fmt.Fprintf(w, "\ngenotype: %s\n", gt)
	metric, unit := net.CostMetric()
	fmt.Fprintf(w, "its cells cost %.1f %s in the supernet (%s; the relaxed cells' expectation: %.1f)\n",
		net.GenotypeCost(gt), unit, metric, net.ExpectedCost())
	fmt.Fprintf(w, "written to %s: genotype.json, alphas.json, metrics.jsonl, normal.svg, reduce.svg, normal.dot, reduce.dot, curves.svg, curves.png, cost_table.json, checkpoint.safetensors\n", cfg.Out)
	fmt.Fprintf(w, "retrain it with: darts train --genotype %s\n", filepath.Join(cfg.Out, "genotype.json"))
	return nil
}

// sameRun checks that a checkpoint's flags describe the same search as the
// current ones (output-only flags aside).
// setupCost chooses the search's cost metric. A latency table is measured
// once per run and kept as cost_table.json in --out: a resumed run reads it
// back, so that the cost term (and the search) is the same as if the run
// had not been interrupted. --cost-table supplies a table instead.
func setupCost(cfg SearchConfig, net *Supernet, w io.Writer) error {
	metric := cfg.CostMetric
	if metric == "" {
		metric = CostMFLOPs
	}
	saved := filepath.Join(cfg.Out, "cost_table.json")
	path := cfg.CostTable
	if path == "" && metric == CostLatency && cfg.Resume {
		if _, err := os.Stat(saved); err == nil {
			path = saved
		}
	}
	var progress func(done, total int)
	var p *data.Progress
	if path == "" && metric == CostLatency {
		p = data.NewProgress(w, len(net.OpShapes()), "measuring op latency")
		progress = func(done, total int) { p.Update(done, "") }
	}
	t, err := net.CostTableFor(metric, path, progress)
	if p != nil {
		if err != nil {
			p.Abort()
		} else {
			p.Done()
		}
	}
	if err != nil {
		return err
	}
	if err := net.SetCostTable(t); err != nil {
		return fmt.Errorf("--cost-table %s: %w", path, err)
	}
	if err := WriteCostTable(saved, t); err != nil {
		return err
	}
	if cfg.LatencyWeight > 0 {
		fmt.Fprintf(w, "cost term: %g · E[%s] (%s); op costs in %s\n", cfg.LatencyWeight, metric, t.Unit, saved)
	}
	return nil
}

func sameRun(a, b SearchConfig) error {
	a.Resume, b.Resume = false, false
	a.Threads, b.Threads = 0, 0
	a.Out, b.Out = "", ""
	a.DataDir, b.DataDir = "", ""
	for _, c := range []*SearchConfig{&a, &b} {
		if c.CostMetric == "" { // checkpoints from before --cost-metric
			c.CostMetric = CostMFLOPs
		}
	}
	if a != b {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return fmt.Errorf("its flags were %s, now %s", ja, jb)
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// alphasFile is the JSON form of alphas.json.
type alphasFile struct {
	Primitives    []string    `json:"primitives"`
	Edges         []string    `json:"edges"`
	AlphasNormal  [][]float32 `json:"alphas_normal"`
	AlphasReduce  [][]float32 `json:"alphas_reduce"`
	SoftmaxNormal [][]float32 `json:"softmax_normal"`
	SoftmaxReduce [][]float32 `json:"softmax_reduce"`
}

func rows(t *ag.Tensor) [][]float32 {
	r, c := t.Dim(0), t.Dim(1)
	d := t.Data()
	out := make([][]float32, r)
	for i := range out {
		out[i] = append([]float32(nil), d[i*c:(i+1)*c]...)
	}
	return out
}

func writeSearchOutputs(dir string, net *Supernet, gt cells.Genotype) error {
	if err := WriteFileAtomic(filepath.Join(dir, "genotype.json"), gt.FormatJSON()); err != nil {
		return err
	}
	wn, wr := net.ArchWeights()
	af := alphasFile{Primitives: cells.Primitives, AlphasNormal: rows(net.AlphaNormal), AlphasReduce: rows(net.AlphaReduce),
		SoftmaxNormal: wn, SoftmaxReduce: wr}
	for e := 0; e < cells.NumEdges(net.Steps); e++ {
		af.Edges = append(af.Edges, cells.EdgeLabel(e))
	}
	if err := WriteJSONAtomic(filepath.Join(dir, "alphas.json"), af); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		cell cells.CellGenotype
	}{{"normal", gt.NormalCell()}, {"reduce", gt.ReduceCell()}} {
		var svg, dot bytes.Buffer
		if err := cells.WriteSVG(&svg, c.cell, c.name); err != nil {
			return err
		}
		if err := cells.WriteDOT(&dot, c.cell, c.name); err != nil {
			return err
		}
		if err := WriteFileAtomic(filepath.Join(dir, c.name+".svg"), svg.Bytes()); err != nil {
			return err
		}
		if err := WriteFileAtomic(filepath.Join(dir, c.name+".dot"), dot.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// truncateMetrics keeps the lines of finished epochs ≤ keep (a killed run may
// have logged an epoch whose checkpoint was never written).
func truncateMetrics(path string, keep int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var out []byte
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m struct {
			Epoch int `json:"epoch"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Epoch >= 1 && m.Epoch <= keep {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return WriteFileAtomic(path, out)
}
