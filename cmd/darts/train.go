package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/darts-go/darts/cells"
	"github.com/darts-go/darts/darts"
)

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	c := darts.DefaultTrainConfig()
	fs := newFlagSet("train", "train [flags]\n\n"+
		"Retrains a genotype from scratch in the evaluation network of the DARTS\n"+
		"paper (the original's NetworkCIFAR: a stem, --layers cells with reduction\n"+
		"cells at 1/3 and 2/3 of the depth, an auxiliary head) with SGD, a cosine\n"+
		"learning rate, random crop + flip + cutout and drop-path. Scores the test\n"+
		"split after every epoch and writes metrics.jsonl, a checkpoint\n"+
		"(checkpoint.safetensors, see --resume), and at the end model.safetensors\n"+
		"(PyTorch state_dict names, loadable with safetensors.torch), curves.svg,\n"+
		"curves.png and summary.json to --out.", stderr)
	fs.StringVar(&c.Genotype, "genotype", c.Genotype, "the genotype: a built-in name ("+strings.Join(cells.BuiltinNames(), ", ")+
		"), a genotype.json written by darts search, or the Python notation Genotype(normal=[...], ...)")
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "dataset: cifar10-sample (embedded, offline), cifar10, cifar100, mnist, fashion-mnist (the auxiliary head needs 32×32 images)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory holding the dataset files (default $DARTS_DATA, else the user cache directory; downloaded there if absent)")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "training epochs")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "images per batch (also for scoring the test set)")
	fs.IntVar(&c.InitChannels, "init-channels", c.InitChannels, "channels C of the first cells (the stem has 3C; doubled at each reduction cell)")
	fs.IntVar(&c.Layers, "layers", c.Layers, "cells L in the network (reduction cells at L/3 and 2L/3)")
	fs.Float64Var(&c.LR, "lr", c.LR, "initial learning rate (SGD, cosine-annealed to 0 over --epochs)")
	fs.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay")
	fs.Float64Var(&c.GradClip, "grad-clip", c.GradClip, "clip the gradient's global L2 norm to this value")
	fs.BoolVar(&c.Auxiliary, "auxiliary", c.Auxiliary, "train with the auxiliary head on cell 2L/3 (training only; --auxiliary=false turns it off)")
	fs.Float64Var(&c.AuxiliaryWeight, "auxiliary-weight", c.AuxiliaryWeight, "weight of the auxiliary head's loss")
	fs.BoolVar(&c.Cutout, "cutout", c.Cutout, "cutout augmentation (--cutout=false turns it off)")
	fs.IntVar(&c.CutoutLength, "cutout-length", c.CutoutLength, "side of the cutout square in pixels")
	fs.Float64Var(&c.DropPathProb, "drop-path-prob", c.DropPathProb, "drop-path probability, ramped linearly from 0 at the first epoch (p·epoch/epochs)")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed (initialisation, data order, augmentation, drop-path); same seed, flags and --threads give identical outputs")
	fs.IntVar(&c.Subset, "subset", 0, "train on the first N training images only (0 = all), for CPU budgets; the whole test split is always scored")
	fs.IntVar(&c.Threads, "threads", 0, "kernel threads (0 = number of physical cores)")
	fs.StringVar(&c.Out, "out", c.Out, "output directory")
	fs.BoolVar(&c.Resume, "resume", false, "continue an interrupted run from the checkpoint in --out (same flags); the result is identical to an uninterrupted run")
	fs.BoolVar(&c.DryRun, "dry-run", false, "build the network, print its parameter count (auxiliary head excluded, as the paper) and multiply-adds per image, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("train: unexpected argument %q", fs.Arg(0))
	}
	_, err := darts.Train(c, stdout)
	return err
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	var c darts.EvalConfig
	fs := newFlagSet("eval", "eval --model FILE.safetensors [flags]\n\n"+
		"Rebuilds the network of a model file written by darts train from its\n"+
		"metadata (genotype, C, layers, classes), loads its weights and batch-norm\n"+
		"statistics and prints its accuracy and per-class accuracy on the test split.", stderr)
	fs.StringVar(&c.Model, "model", "", "the model file (model.safetensors written by darts train)")
	fs.StringVar(&c.Dataset, "dataset", "cifar10-sample", "dataset whose test split is scored: cifar10-sample (embedded, offline), cifar10, cifar100, mnist, fashion-mnist")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory holding the dataset files (default $DARTS_DATA, else the user cache directory; downloaded there if absent)")
	fs.IntVar(&c.BatchSize, "batch-size", 0, "images per batch (0 = the training batch size recorded in the model file)")
	fs.IntVar(&c.Threads, "threads", 0, "kernel threads (0 = number of physical cores)")
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object: test_acc (percent), test_loss, per_class [{class, correct, total, acc}], ...")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval: unexpected argument %q", fs.Arg(0))
	}
	_, err := darts.Eval(c, stdout)
	return err
}
