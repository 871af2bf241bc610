package darts

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

// StepBenchConfig describes `darts bench step`.
type StepBenchConfig struct {
	InitChannels, Layers, BatchSize, Iters, Warmup int
	Unrolled                                       bool
	Mode                                           string // search, forward, weight, arch, orders
	Seed                                           uint64
	// OnTimed, when set, is called with true just before the timed
	// iterations and with false just after them (a profiler hooks in here).
	OnTimed func(start bool)
}

// StepBenchResult is what `darts bench step --json` prints.
type StepBenchResult struct {
	Mode         string    `json:"mode"`
	Unrolled     bool      `json:"unrolled"`
	C            int       `json:"init_channels"`
	Layers       int       `json:"layers"`
	Batch        int       `json:"batch_size"`
	Iters        int       `json:"iters"`
	Threads      int       `json:"threads"`
	MedianMS     float64   `json:"median_ms"`
	MinMS        float64   `json:"min_ms"`
	ImagesPerS   float64   `json:"images_per_s"`
	ForwardGFLOP float64   `json:"forward_gflop"`
	GFLOPS       float64   `json:"gflop_per_s"`
	PeakRSSMB    float64   `json:"peak_rss_mb"`
	GraphPeakMB  float64   `json:"graph_peak_mb"` // high-water mark of live graph-owned tensors
	GraphHeldMB  float64   `json:"graph_held_mb"` // storage the graph's pool allocated (live or idle)
	Params       int       `json:"params"`
	TimesMS      []float64 `json:"times_ms"`
	// Mode orders: each iteration is a first-order search iteration then a
	// second-order one, timed apart, so that both see the same state of a
	// host whose speed drifts by ±15% over minutes; the medians of each and
	// of the per-iteration ratios second/first.
	FirstOrderMS  float64   `json:"first_order_ms,omitempty"`
	SecondOrderMS float64   `json:"second_order_ms,omitempty"`
	OrderRatio    float64   `json:"order_ratio,omitempty"`
	OrderRatios   []float64 `json:"order_ratios,omitempty"`
}

// forwardMACs estimates the multiply-adds of one supernet forward pass per
// image (convolutions and the classifier; pools counted as 9 ops/output).
func (n *Supernet) forwardMACs() float64 {
	total := 0.0
	for _, c := range n.mflopsNormal {
		total += c * 1e6
	}
	for _, c := range n.mflopsReduce {
		total += c * 1e6
	}
	size := n.ImageSize
	stemC := n.StemW.Dim(0)
	total += float64(stemC * n.InChannels * 9 * size * size)
	reductionPrev := false
	for _, cell := range n.Cells {
		s0 := size // s0 is twice as large after a reduction cell
		if reductionPrev {
			s0 *= 2
		}
		total += float64(cell.Pre0.FLOPs(s0, s0) + cell.Pre1.FLOPs(size, size))
		if cell.Reduction {
			size /= 2
		}
		reductionPrev = cell.Reduction
	}
	total += float64(n.FCW.Len())
	return total
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB, 0 if unknown.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// BenchStep times supernet iterations on random CIFAR-shaped data.
func BenchStep(cfg StepBenchConfig, threads int) (StepBenchResult, error) {
	switch cfg.Mode {
	case "search", "forward", "weight", "arch", "orders":
	default:
		return StepBenchResult{}, fmt.Errorf("--mode must be search, forward, weight, arch or orders, got %q", cfg.Mode)
	}
	if cfg.Iters < 1 || cfg.BatchSize < 1 || cfg.InitChannels < 2 || cfg.Layers < 3 {
		return StepBenchResult{}, fmt.Errorf("--iters, --batch-size must be ≥ 1, --init-channels ≥ 2, --layers ≥ 3")
	}
	be := ag.NewCPU()
	net := NewSupernet(be, cfg.InitChannels, cfg.Layers, 4, 4, 3, 10, 3, 32, cfg.Seed)
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	mkBatch := func() (*ag.Tensor, []int32) {
		x := ag.NewActivation(be, cfg.BatchSize, 3, 32, 32)
		d := x.Data()
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		y := make([]int32, cfg.BatchSize)
		for i := range y {
			y[i] = int32(rng.IntN(10))
		}
		return x, y
	}
	xt, yt := mkBatch()
	xv, yv := mkBatch()
	g := ag.NewGraph(be)
	sgd := ag.NewSGD(net.Weights, 0.025, 0.9, 3e-4)
	arch := NewArchitect(net, g, 3e-4, 1e-3)
	arch.Momentum, arch.WeightDecay, arch.WeightOpt = 0.9, 3e-4, sgd

	weightStep := func() {
		ag.ZeroGradOf(net.Weights)
		g.Backward(g.CrossEntropy(net.Forward(g, xt, true), yt), net.Weights...)
		ag.ClipGradNorm(net.Weights, 5)
		sgd.Step()
	}
	var firstMS, secondMS float64 // the halves of an "orders" iteration
	iter := func() {
		switch cfg.Mode {
		case "forward":
			prev := g.SetGradEnabled(false)
			net.Forward(g, xt, true)
			g.Release()
			g.SetGradEnabled(prev)
		case "weight":
			weightStep()
		case "arch":
			arch.Step(xt, yt, xv, yv, 0.025, cfg.Unrolled)
		case "search":
			arch.Step(xt, yt, xv, yv, 0.025, cfg.Unrolled)
			weightStep()
		case "orders":
			t0 := time.Now()
			arch.Step(xt, yt, xv, yv, 0.025, false)
			weightStep()
			t1 := time.Now()
			arch.Step(xt, yt, xv, yv, 0.025, true)
			weightStep()
			firstMS = float64(t1.Sub(t0).Microseconds()) / 1000
			secondMS = float64(time.Since(t1).Microseconds()) / 1000
		}
	}
	warm := cfg.Warmup
	if warm < 1 {
		warm = 1
	}
	for i := 0; i < warm; i++ {
		iter()
	}
	times := make([]float64, cfg.Iters)
	var firsts, seconds, ratios []float64
	if cfg.OnTimed != nil {
		cfg.OnTimed(true)
	}
	for i := range times {
		t0 := time.Now()
		iter()
		times[i] = float64(time.Since(t0).Microseconds()) / 1000
		if cfg.Mode == "orders" {
			firsts, seconds = append(firsts, firstMS), append(seconds, secondMS)
			ratios = append(ratios, secondMS/firstMS)
		}
	}
	if cfg.OnTimed != nil {
		cfg.OnTimed(false)
	}
	med := median(times)
	// Work per iteration in forward-pass equivalents (a backward pass costs
	// about two forward passes). A second-order architecture step runs four
	// forward+backward passes: the virtual weight step, the validation pass
	// at w' and the two Hessian-vector passes.
	archPasses := 3.0
	if cfg.Unrolled {
		archPasses = 12
	}
	passes := map[string]float64{"forward": 1, "weight": 3, "arch": archPasses, "search": archPasses + 3, "orders": 3 + 3 + 12 + 3}[cfg.Mode]
	fwd := 2 * net.forwardMACs() * float64(cfg.BatchSize) / 1e9
	imgs := float64(cfg.BatchSize) // training-batch images per iteration, as bench/torch/bench_step.py
	ms := g.MemStats()
	return StepBenchResult{
		Mode: cfg.Mode, Unrolled: cfg.Unrolled, C: cfg.InitChannels, Layers: cfg.Layers, Batch: cfg.BatchSize,
		Iters: cfg.Iters, Threads: threads, MedianMS: med, MinMS: slices.Min(times),
		ImagesPerS: imgs / (med / 1000), ForwardGFLOP: fwd, GFLOPS: fwd * passes / (med / 1000),
		PeakRSSMB: peakRSSMB(), GraphPeakMB: float64(ms.PeakFloats) * 4 / (1 << 20),
		GraphHeldMB: float64(ms.HeldFloats) * 4 / (1 << 20), Params: cells.CountParams(net.Weights), TimesMS: times,
		FirstOrderMS: median(firsts), SecondOrderMS: median(seconds), OrderRatio: median(ratios), OrderRatios: ratios,
	}, nil
}

// median of v (the mean of the middle two for an even count); 0 if empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}
