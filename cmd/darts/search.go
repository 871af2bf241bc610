package main

import (
	"fmt"
	"io"

	"github.com/darts-go/darts/darts"
)

func cmdSearch(args []string, stdout, stderr io.Writer) error {
	c := darts.DefaultSearchConfig()
	fs := newFlagSet("search", "search [flags]\n\nRelaxes every edge of the DARTS cell into a softmax-weighted mix of the 8\ncandidate ops, trains the weights on one half of the training set and the\narchitecture parameters α on the other (bilevel), and discretizes α into a\ngenotype. Writes genotype.json, alphas.json, metrics.jsonl, cell pictures\n(SVG, DOT) and a checkpoint after every epoch to --out.", stderr)
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "dataset: cifar10-sample (embedded, offline), cifar10, cifar100, mnist, fashion-mnist")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory holding the dataset files (default $DARTS_DATA, else the user cache directory; downloaded there if absent)")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "images per batch, for the weight step and for the architecture step")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "search epochs")
	fs.IntVar(&c.InitChannels, "init-channels", c.InitChannels, "channels C of the first cells (the stem has 3C)")
	fs.IntVar(&c.Layers, "layers", c.Layers, "cells L in the supernet (reduction cells at L/3 and 2L/3)")
	fs.Float64Var(&c.LR, "lr", c.LR, "initial weight learning rate (SGD, cosine-annealed to --lr-min)")
	fs.Float64Var(&c.LRMin, "lr-min", c.LRMin, "final weight learning rate")
	fs.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum of the weights")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay of the weights")
	fs.Float64Var(&c.ArchLR, "arch-lr", c.ArchLR, "learning rate of α (Adam, betas 0.5/0.999)")
	fs.Float64Var(&c.ArchWeightDecay, "arch-weight-decay", c.ArchWeightDecay, "L2 weight decay of α")
	fs.BoolVar(&c.Unrolled, "unrolled", false, "second-order architecture gradient (one unrolled weight step, finite-difference Hessian-vector product whose two passes run side by side on a copy of the network when --threads ≥ 2: about 2.4× the time of a first-order step and ~25% more memory); default first order")
	fs.Float64Var(&c.TrainPortion, "train-portion", c.TrainPortion, "fraction of the training set the weights learn on; α learns on the rest")
	fs.Float64Var(&c.GradClip, "grad-clip", c.GradClip, "clip the weight gradient's global L2 norm to this value")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed (initialisation, data order, augmentation); same seed and flags give identical outputs")
	fs.IntVar(&c.Subset, "subset", 0, "use only the first N training images (0 = all), for CPU budgets")
	fs.IntVar(&c.Threads, "threads", 0, "kernel threads (0 = number of physical cores)")
	fs.StringVar(&c.Out, "out", c.Out, "output directory")
	fs.BoolVar(&c.Resume, "resume", false, "continue an interrupted run from the checkpoint in --out")
	fs.BoolVar(&c.DryRun, "dry-run", false, "build the supernet, print its weight-parameter count (α excluded) and exit")
	fs.Float64Var(&c.LatencyWeight, "cost-weight", 0, "weight λ of the hardware-cost term λ·E[cost] added to the architecture loss (0 = accuracy only); E over softmax(α), the cost of an op chosen by --cost-metric")
	fs.StringVar(&c.CostMetric, "cost-metric", c.CostMetric, "what an op costs: mflops (multiply-adds per image, millions), params (weights, thousands) or latency (µs per image, measured here at batch 1 with our kernels before the search; kept in --out/cost_table.json)")
	fs.StringVar(&c.CostTable, "cost-table", "", "read the op costs from this cost_table.json (e.g. latency measured on the target machine) instead of counting or measuring them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("search: unexpected argument %q", fs.Arg(0))
	}
	return darts.Search(c, stdout)
}
