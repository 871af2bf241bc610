// Command darts runs differentiable architecture search (DARTS) and the
// retraining and evaluation of the cells it finds.
//
//	darts search  [flags]   search a cell on a dataset, write genotype.json
//	darts train   [flags]   retrain a genotype from scratch, save the model
//	darts eval    [flags]   score a saved model on the test set
//	darts bench   step ...  time one search iteration
//	darts genotype NAME|FILE  print and draw a genotype
//	darts info              CPU features and the kernel implementations in use
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `darts: differentiable neural architecture search (DARTS) in Go

Usage:
  darts search   [flags]          search a cell (writes genotype.json, alphas.json, pictures)
  darts train    [flags]          retrain a genotype from scratch and save the model
  darts eval     [flags]          score a saved model (.safetensors) on the test set
  darts bench step [flags]        time one search iteration on random data
  darts genotype [flags] NAME|FILE  print a genotype and draw its cells
  darts info                      detected CPU and kernel implementations

Run 'darts COMMAND --help' for the flags of a command and their defaults.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "darts:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "search":
		return cmdSearch(rest, stdout, stderr)
	case "train":
		return cmdTrain(rest, stdout, stderr)
	case "eval":
		return cmdEval(rest, stdout, stderr)
	case "bench":
		return cmdBench(rest, stdout, stderr)
	case "genotype":
		return cmdGenotype(rest, stdout, stderr)
	case "info":
		return cmdInfo(rest, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// newFlagSet returns a flag set whose --help prints a description of the
// command followed by every flag with its default.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: darts %s\n\n", synopsis)
		fmt.Fprintln(stderr, "Flags (a flag may be written -flag or --flag):")
		fs.PrintDefaults()
	}
	return fs
}
