package darts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
	"github.com/darts-go/darts/data"
	"github.com/darts-go/darts/kernels"
)

// TrainConfig holds the flags of `darts train`; the defaults are those of the
// original implementation's train.py (with --auxiliary and --cutout on, as
// the paper's CIFAR-10 results use them).
type TrainConfig struct {
	Genotype        string  `json:"genotype"`           // built-in name, genotype.json, or Python Genotype(...) text
	Dataset         string  `json:"dataset"`            // cifar10-sample, cifar10, cifar100, mnist, fashion-mnist
	DataDir         string  `json:"data_dir,omitempty"` // where the dataset files are
	Epochs          int     `json:"epochs"`             // 600
	BatchSize       int     `json:"batch_size"`         // 96
	InitChannels    int     `json:"init_channels"`      // 36
	Layers          int     `json:"layers"`             // 20
	LR              float64 `json:"lr"`                 // 0.025, cosine-annealed to 0
	Momentum        float64 `json:"momentum"`           // 0.9
	WeightDecay     float64 `json:"weight_decay"`       // 3e-4
	GradClip        float64 `json:"grad_clip"`          // 5
	Auxiliary       bool    `json:"auxiliary"`          // auxiliary head (training only)
	AuxiliaryWeight float64 `json:"auxiliary_weight"`   // 0.4
	Cutout          bool    `json:"cutout"`             // cutout augmentation
	CutoutLength    int     `json:"cutout_length"`      // 16
	DropPathProb    float64 `json:"drop_path_prob"`     // 0.2, reached linearly at the last epoch
	Seed            int64   `json:"seed"`               // 0
	Subset          int     `json:"subset"`             // train on the first N images only (0 = all)
	Threads         int     `json:"threads,omitempty"`  // kernel threads (0 = physical cores)
	Out             string  `json:"out,omitempty"`      // output directory
	Resume          bool    `json:"resume,omitempty"`   // continue from Out/checkpoint.safetensors
	DryRun          bool    `json:"dry_run,omitempty"`  // print parameter count and multiply-adds, exit
}

// DefaultTrainConfig returns the original implementation's defaults.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Genotype: "DARTS_V2", Dataset: data.CIFAR10Sample, Epochs: 600, BatchSize: 96,
		InitChannels: 36, Layers: 20, LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4, GradClip: 5,
		Auxiliary: true, AuxiliaryWeight: 0.4, Cutout: true, CutoutLength: 16, DropPathProb: 0.2,
		Out: "runs/train",
	}
}

// Validate checks the flags and returns an error naming the first bad one.
func (c TrainConfig) Validate() error {
	switch {
	case c.Genotype == "":
		return errors.New("--genotype must name a genotype")
	case c.BatchSize < 2:
		return fmt.Errorf("--batch-size must be at least 2 (batch norm in training mode), got %d", c.BatchSize)
	case c.Epochs < 1:
		return fmt.Errorf("--epochs must be at least 1, got %d", c.Epochs)
	case c.InitChannels < 1:
		return fmt.Errorf("--init-channels must be positive, got %d", c.InitChannels)
	case c.Layers < 3:
		return fmt.Errorf("--layers must be at least 3 (two reduction cells and a normal one), got %d", c.Layers)
	case !(c.LR > 0):
		return fmt.Errorf("--lr must be positive, got %v", c.LR)
	case !(c.Momentum >= 0):
		return fmt.Errorf("--momentum must be ≥ 0, got %v", c.Momentum)
	case !(c.WeightDecay >= 0):
		return fmt.Errorf("--weight-decay must be ≥ 0, got %v", c.WeightDecay)
	case !(c.GradClip > 0):
		return fmt.Errorf("--grad-clip must be positive, got %v", c.GradClip)
	case !(c.AuxiliaryWeight >= 0):
		return fmt.Errorf("--auxiliary-weight must be ≥ 0, got %v", c.AuxiliaryWeight)
	case c.Cutout && c.CutoutLength < 1:
		return fmt.Errorf("--cutout-length must be positive, got %d", c.CutoutLength)
	case !(c.DropPathProb >= 0 && c.DropPathProb < 1):
		return fmt.Errorf("--drop-path-prob must be in [0, 1), got %v", c.DropPathProb)
	case c.Subset < 0:
		return fmt.Errorf("--subset must be ≥ 0, got %d", c.Subset)
	case c.Threads < 0:
		return fmt.Errorf("--threads must be ≥ 0, got %d", c.Threads)
	case c.Out == "":
		return errors.New("--out must name a directory")
	}
	return nil
}

// cutout is the cutout length in use (0 = off).
func (c TrainConfig) cutout() int {
	if c.Cutout {
		return c.CutoutLength
	}
	return 0
}

// runFlags is the configuration with the flags that do not change the
// trained model cleared (output directory, data location, threads, resume,
// dry run): what the model file's metadata records and what --resume
// compares. The genotype flag is compared through the genotype it resolves to.
func (c TrainConfig) runFlags() TrainConfig {
	c.Out, c.DataDir, c.Threads, c.Resume, c.DryRun = "", "", 0, false, false
	return c
}

// TrainMetrics is one line of metrics.jsonl (accuracies in percent).
// TrainLoss is the cross-entropy of the main classifier (comparable with
// TestLoss); the optimised objective adds auxiliary_weight·TrainAuxLoss.
type TrainMetrics struct {
	Epoch        int     `json:"epoch"`
	LR           float64 `json:"lr"`
	DropPathProb float64 `json:"drop_path_prob"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAuxLoss float64 `json:"train_aux_loss,omitempty"`
	TrainAcc     float64 `json:"train_acc"`
	TestLoss     float64 `json:"test_loss"`
	TestAcc      float64 `json:"test_acc"`
	Seconds      float64 `json:"seconds"`
}

// TrainSummary is what a finished training run reports (summary.json).
type TrainSummary struct {
	Genotype      string  `json:"genotype"`
	Params        int     `json:"params"`     // auxiliary head excluded
	AuxParams     int     `json:"aux_params"` // auxiliary head
	MultAdds      int     `json:"mult_adds"`  // one inference pass on one image
	Epochs        int     `json:"epochs"`
	FinalTestAcc  float64 `json:"final_test_acc"`
	BestTestAcc   float64 `json:"best_test_acc"`
	BestEpoch     int     `json:"best_epoch"`
	FinalTrainAcc float64 `json:"final_train_acc"`
	WallSeconds   float64 `json:"wall_seconds"` // training and test time of all epochs, resumed runs included
	Model         string  `json:"model"`
}

// datasetShape gives the image channels, side and number of classes of a
// dataset without loading it (for --dry-run).
func datasetShape(name string) (channels, size, classes int, err error) {
	switch name {
	case data.CIFAR10, data.CIFAR10Sample:
		return 3, 32, 10, nil
	case data.CIFAR100:
		return 3, 32, 100, nil
	case data.MNIST, data.FashionMNIST:
		return 1, 28, 10, nil
	}
	return 0, 0, 0, fmt.Errorf("unknown dataset %q (known: %s)", name, strings.Join(data.Names(), ", "))
}

// Train runs `darts train` with cfg, logging to w.
func Train(cfg TrainConfig, w io.Writer) (*TrainSummary, error) { return train(cfg, w, 0) }

// trainEpochs runs a training but returns after stopAfter epochs, as a run
// killed at that point would (tests of --resume).
func trainEpochs(cfg TrainConfig, w io.Writer, stopAfter int) (*TrainSummary, error) {
	return train(cfg, w, stopAfter)
}

func train(cfg TrainConfig, w io.Writer, stopAfter int) (*TrainSummary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	gt, err := cells.LoadGenotype(cfg.Genotype)
	if err != nil {
		return nil, fmt.Errorf("--genotype: %w", err)
	}
	if cfg.Threads > 0 {
		kernels.SetThreads(cfg.Threads)
	}
	be := ag.NewCPU()
	if cfg.DryRun {
		ch, size, classes, err := datasetShape(cfg.Dataset)
		if err != nil {
			return nil, fmt.Errorf("--dataset: %w", err)
		}
		net, err := NewNetwork(be, NetworkSpec{Genotype: gt, C: cfg.InitChannels, Layers: cfg.Layers,
			Classes: classes, InChannels: ch, ImageSize: size, Auxiliary: cfg.Auxiliary}, uint64(cfg.Seed))
		if err != nil {
			return nil, err
		}
		printNetwork(w, net, cfg, gt, ch, size)
		return nil, nil
	}

	trainSet, err := data.Open(cfg.Dataset, cfg.DataDir, true, w)
	if err != nil {
		return nil, err
	}
	testSet, err := data.Open(cfg.Dataset, cfg.DataDir, false, w)
	if err != nil {
		return nil, err
	}
	net, err := NewNetwork(be, NetworkSpec{Genotype: gt, C: cfg.InitChannels, Layers: cfg.Layers,
		Classes: trainSet.NumClasses(), InChannels: trainSet.C, ImageSize: trainSet.H, Auxiliary: cfg.Auxiliary}, uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	n := trainSet.N
	if cfg.Subset > 0 && cfg.Subset < n {
		n = cfg.Subset
	}
	if n < 2 {
		return nil, fmt.Errorf("--subset %d leaves fewer than 2 training images", cfg.Subset)
	}
	// As the original's DataLoader, the last partial batch is used, unless it
	// would hold a single image (batch norm cannot train on one sample).
	trainL, err := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: cfg.BatchSize, Indices: data.Range(n),
		Shuffle: true, DropLast: n%cfg.BatchSize == 1, Seed: uint64(cfg.Seed)*2 + 1, Augment: data.DARTSAugment(cfg.cutout())})
	if err != nil {
		return nil, err
	}
	testL, err := data.NewLoader(testSet, data.LoaderConfig{BatchSize: cfg.BatchSize})
	if err != nil {
		return nil, err
	}

	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("--out %s: %w", cfg.Out, err)
	}
	g := ag.NewGraph(be)
	sgd := ag.NewSGD(net.Params, cfg.LR, cfg.Momentum, cfg.WeightDecay)
	sched := ag.CosineAnnealing{BaseLR: cfg.LR, EtaMin: 0, TMax: cfg.Epochs}
	ckPath := filepath.Join(cfg.Out, "checkpoint.safetensors")
	metricsPath := filepath.Join(cfg.Out, "metrics.jsonl")
	steps := trainL.BatchesPerEpoch()

	start := 0
	if cfg.Resume {
		ck, err := loadTrainCheckpoint(ckPath, net, sgd)
		switch {
		case errors.Is(err, errNoCheckpoint):
			fmt.Fprintf(w, "resume: no checkpoint in %s, starting from epoch 1\n", cfg.Out)
		case err != nil:
			return nil, err
		default:
			if err := sameTrainRun(ck, cfg, gt); err != nil {
				return nil, fmt.Errorf("--resume: %s was written by a different run: %w", ckPath, err)
			}
			start = ck.NextEpoch
			if err := truncateMetrics(metricsPath, start); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "resume: continuing from epoch %d of %d (%s)\n", start+1, cfg.Epochs, ckPath)
		}
	} else if err := os.Remove(metricsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	fmt.Fprintf(w, "train: %s on %s, %d training images (%d batches of %d), %d test images; C=%d layers=%d epochs=%d; "+
		"%d parameters (+%d auxiliary head); threads %d\n",
		genotypeLabel(cfg.Genotype), trainSet.Name, n, steps, cfg.BatchSize, testSet.N, cfg.InitChannels, cfg.Layers,
		cfg.Epochs, net.NumParams(), net.NumAuxParams(), kernels.Threads())

	auxW := ag.FromSlice(be, []float32{float32(cfg.AuxiliaryWeight)}, 1)
	in := newInputs(be)
	began := time.Now()
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		t0 := time.Now()
		lr := sched.LR(epoch)
		sgd.SetLR(lr)
		dropProb := cfg.DropPathProb * float64(epoch) / float64(cfg.Epochs)
		rng := dropPathRNG(cfg.Seed, epoch)
		bar := data.NewProgress(w, steps, fmt.Sprintf("epoch %d/%d", epoch+1, cfg.Epochs))
		var lossSum, auxSum float64
		correct, seen := 0, 0
		for step := 0; step < steps; step++ {
			x, y := in.set(trainL.Batch(epoch, step))
			ag.ZeroGradOf(net.Params)
			logits, auxLogits := net.Forward(g, x, true, dropProb, rng)
			g.Keep(logits)
			loss := g.Keep(g.CrossEntropy(logits, y))
			total := loss
			var auxLoss *ag.Tensor
			if auxLogits != nil {
				auxLoss = g.Keep(g.CrossEntropy(auxLogits, y))
				total = g.Add(loss, g.ScaleBy(auxLoss, auxW, 0))
			}
			g.Backward(total, net.Params...)
			ag.ClipGradNorm(net.Params, cfg.GradClip)
			sgd.Step()
			lossSum += float64(loss.Item()) * float64(len(y))
			if auxLoss != nil {
				auxSum += float64(auxLoss.Item()) * float64(len(y))
			}
			correct += ag.CorrectTopK(logits, y, 1)
			seen += len(y)
			g.Release()
			el := time.Since(t0).Seconds()
			bar.Update(step+1, fmt.Sprintf("loss %.3f acc %.1f%% %.1f img/s", lossSum/float64(seen),
				100*float64(correct)/float64(seen), float64(seen)/el))
		}
		bar.Done()
		if !finite(lossSum) {
			return nil, fmt.Errorf("epoch %d: the training loss diverged (%v); try a lower --lr", epoch+1, lossSum/float64(seen))
		}
		st := evaluateNetwork(g, be, net, testL, w)
		m := TrainMetrics{
			Epoch: epoch + 1, LR: lr, DropPathProb: dropProb,
			TrainLoss: lossSum / float64(seen), TrainAcc: 100 * float64(correct) / float64(seen),
			TestLoss: st.Loss, TestAcc: st.Acc(), Seconds: time.Since(t0).Seconds(),
		}
		if net.Aux != nil {
			m.TrainAuxLoss = auxSum / float64(seen)
		}
		fmt.Fprintf(w, "epoch %d/%d  lr %.5f  drop-path %.3f  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs\n",
			epoch+1, cfg.Epochs, lr, dropProb, m.TrainLoss, m.TrainAcc, m.TestLoss, m.TestAcc, m.Seconds)
		if err := appendJSONLine(metricsPath, m); err != nil {
			return nil, err
		}
		if err := saveTrainCheckpoint(ckPath, net, sgd, trainCheckpoint{NextEpoch: epoch + 1, Config: cfg.runFlags(), Genotype: gt}); err != nil {
			return nil, err
		}
		if stopAfter > 0 && epoch+1-start >= stopAfter && epoch+1 < cfg.Epochs {
			return nil, nil
		}
	}

	// Final outputs: the model file, the curves and the summary.
	ms, err := readTrainMetrics(metricsPath)
	if err != nil {
		return nil, err
	}
	var final TrainMetrics
	if len(ms) > 0 && ms[len(ms)-1].Epoch == cfg.Epochs {
		final = ms[len(ms)-1]
	} else {
		// metrics.jsonl lost: score the final weights again.
		st := evaluateNetwork(g, be, net, testL, w)
		final = TrainMetrics{Epoch: cfg.Epochs, TestLoss: st.Loss, TestAcc: st.Acc()}
	}
	modelPath := filepath.Join(cfg.Out, "model.safetensors")
	info := ModelInfo{Genotype: gt, C: cfg.InitChannels, Layers: cfg.Layers, Classes: trainSet.NumClasses(),
		InChannels: trainSet.C, ImageSize: trainSet.H, Auxiliary: cfg.Auxiliary, Dataset: trainSet.Name,
		ClassNames: trainSet.Classes, Config: cfg.runFlags(), TestAcc: final.TestAcc, Epochs: cfg.Epochs,
		BatchesTracked: int64(cfg.Epochs) * int64(steps)}
	if err := SaveModel(modelPath, net, info); err != nil {
		return nil, err
	}
	sum := &TrainSummary{Genotype: gt.String(), Params: net.NumParams(), AuxParams: net.NumAuxParams(),
		MultAdds: net.MultAdds(trainSet.H, trainSet.W), Epochs: cfg.Epochs, FinalTestAcc: final.TestAcc,
		FinalTrainAcc: final.TrainAcc, Model: modelPath}
	for _, m := range ms {
		sum.WallSeconds += m.Seconds
		if m.TestAcc > sum.BestTestAcc || sum.BestEpoch == 0 {
			sum.BestTestAcc, sum.BestEpoch = m.TestAcc, m.Epoch
		}
	}
	outputs := []string{"model.safetensors", "metrics.jsonl", "summary.json", "checkpoint.safetensors"}
	if len(ms) > 0 {
		if err := PlotCurves(ms, cfg.Out); err != nil {
			fmt.Fprintf(w, "warning: plotting the curves failed: %v\n", err)
		} else {
			outputs = append(outputs, "curves.svg", "curves.png")
		}
	}
	if err := WriteJSONAtomic(filepath.Join(cfg.Out, "summary.json"), sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\ntraining finished (this run %s, all epochs %s)\n", time.Since(began).Round(time.Second),
		(time.Duration(sum.WallSeconds * float64(time.Second))).Round(time.Second))
	fmt.Fprintf(w, "final test accuracy %.2f%%, best %.2f%% (epoch %d); %d parameters (auxiliary head excluded), %.1f M multiply-adds\n",
		sum.FinalTestAcc, sum.BestTestAcc, sum.BestEpoch, sum.Params, float64(sum.MultAdds)/1e6)
	fmt.Fprintf(w, "written to %s: %s\n", cfg.Out, strings.Join(outputs, ", "))
	fmt.Fprintf(w, "score it with: darts eval --model %s --dataset %s\n", modelPath, cfg.Dataset)
	return sum, nil
}

// dropPathRNG is the source of epoch's drop-path masks: reseeded from the
// seed and the epoch, so a resumed run draws the same masks.
func dropPathRNG(seed int64, epoch int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0xd7a9_0000_0000+uint64(epoch)))
}

// genotypeLabel shortens a --genotype value for the log line.
func genotypeLabel(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func printNetwork(w io.Writer, net *Network, cfg TrainConfig, gt cells.Genotype, ch, size int) {
	fmt.Fprintf(w, "genotype: %s\n", gt)
	fmt.Fprintf(w, "network: C=%d, %d cells (reduction cells %d and %d), auxiliary head %v, %d classes, %d×%d×%d input\n",
		net.C, net.Layers, net.Layers/3, 2*net.Layers/3, map[bool]string{true: "after cell " + fmt.Sprint(net.AuxAt), false: "off"}[net.Aux != nil],
		net.Classes, ch, size, size)
	fmt.Fprintf(w, "parameters: %d (%.2f M, auxiliary head excluded as the paper counts)\n", net.NumParams(), float64(net.NumParams())/1e6)
	if net.Aux != nil {
		fmt.Fprintf(w, "auxiliary head: %d parameters (training only)\n", net.NumAuxParams())
	}
	fmt.Fprintf(w, "multiply-adds for one %d×%d image: %d (%.1f M)\n", size, size, net.MultAdds(size, size), float64(net.MultAdds(size, size))/1e6)
}

// sameTrainRun checks that a checkpoint describes the same training as the
// current flags (flags that do not change the model aside).
func sameTrainRun(ck trainCheckpoint, cfg TrainConfig, gt cells.Genotype) error {
	if !ck.Genotype.Equal(gt) {
		return fmt.Errorf("its genotype was %s, now %s", ck.Genotype, gt)
	}
	a, b := ck.Config, cfg.runFlags()
	a.Genotype, b.Genotype = "", ""
	if a != b {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return fmt.Errorf("its flags were %s, now %s", ja, jb)
	}
	return nil
}

// appendJSONLine appends v as one JSON line to path and syncs it.
func appendJSONLine(path string, v any) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = f.Write(append(b, '\n'))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readTrainMetrics reads metrics.jsonl (a missing file is empty).
func readTrainMetrics(path string) ([]TrainMetrics, error) { return readJSONLines[TrainMetrics](path) }

// readJSONLines reads a file of one JSON object per line (a missing file is
// empty), naming the line of the first one that does not parse.
func readJSONLines[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ms []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m T
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

// finite reports whether a summed loss is still a number: neither NaN nor
// ±Inf. Training and search stop on the first epoch whose loss is not.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
