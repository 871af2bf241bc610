package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/darts-go/darts/darts"
	"github.com/darts-go/darts/kernels"
)

func cmdBench(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "step" {
		return fmt.Errorf("bench: usage: darts bench step [flags] (see darts bench step --help)")
	}
	c := darts.StepBenchConfig{InitChannels: 16, Layers: 8, BatchSize: 64, Iters: 5, Warmup: 1, Mode: "search", Seed: 1}
	threads := 0
	asJSON := false
	cpuProfile := ""
	fs := newFlagSet("bench step", "bench step [flags]\n\nTimes supernet iterations on random 32×32 data after warm-up and prints the\nmedian time per iteration, images/s, achieved GFLOP/s and peak memory.", stderr)
	fs.IntVar(&c.InitChannels, "init-channels", c.InitChannels, "channels C of the first cells")
	fs.IntVar(&c.Layers, "layers", c.Layers, "cells in the supernet")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "images per batch")
	fs.IntVar(&c.Iters, "iters", c.Iters, "timed iterations")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "untimed iterations first")
	fs.BoolVar(&c.Unrolled, "unrolled", false, "second-order architecture step")
	fs.StringVar(&c.Mode, "mode", c.Mode, "what one iteration is: search (architecture step then weight step), forward, weight, arch, or orders (a first-order search iteration then a second-order one, timed apart: prints the median ratio second/first; --unrolled is ignored)")
	fs.IntVar(&threads, "threads", 0, "kernel threads (0 = number of physical cores)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the timed iterations to this file (empty = none)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if threads > 0 {
		kernels.SetThreads(threads)
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("bench step: --cpuprofile: %v", err)
		}
		defer f.Close()
		c.OnTimed = func(start bool) {
			if start {
				_ = pprof.StartCPUProfile(f)
			} else {
				pprof.StopCPUProfile()
			}
		}
	}
	r, err := darts.BenchStep(c, kernels.Threads())
	if err != nil {
		return err
	}
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	order := "first order"
	if r.Mode == "orders" {
		order = "first then second order"
	} else if r.Unrolled {
		order = "second order"
	}
	fmt.Fprintf(stdout, "supernet C=%d L=%d batch %d, mode %s (%s), %d threads, %d weight parameters\n",
		r.C, r.Layers, r.Batch, r.Mode, order, r.Threads, r.Params)
	fmt.Fprintf(stdout, "median %.1f ms/iter (min %.1f) over %d iterations, %.1f images/s\n", r.MedianMS, r.MinMS, r.Iters, r.ImagesPerS)
	fmt.Fprintf(stdout, "forward pass %.2f GFLOP; achieved %.1f GFLOP/s; peak RSS %.0f MB\n", r.ForwardGFLOP, r.GFLOPS, r.PeakRSSMB)
	if r.Mode == "orders" {
		fmt.Fprintf(stdout, "first order %.1f ms, second order %.1f ms (medians); second/first per iteration: median %.2f of", r.FirstOrderMS, r.SecondOrderMS, r.OrderRatio)
		for _, x := range r.OrderRatios {
			fmt.Fprintf(stdout, " %.2f", x)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
