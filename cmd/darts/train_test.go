package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestTrainDryRunCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"train", "--genotype", "DARTS_V2", "--dry-run"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "parameters: 3349342") {
		t.Errorf("dry run output:\n%s", out.String())
	}
}

func TestTrainAndEvalHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"train", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("train --help: %v", err)
	}
	for _, f := range []string{"genotype", "dataset", "data-dir", "epochs", "batch-size", "init-channels", "layers", "lr",
		"momentum", "weight-decay", "grad-clip", "auxiliary", "auxiliary-weight", "cutout", "cutout-length",
		"drop-path-prob", "seed", "subset", "threads", "out", "resume", "dry-run"} {
		if !strings.Contains(errb.String(), "  -"+f+" ") && !strings.Contains(errb.String(), "  -"+f+"\n") {
			t.Errorf("train --help does not list -%s", f)
		}
	}
	for _, d := range []string{"(default 600)", "(default 96)", "(default 36)", "(default 20)", "(default 0.025)",
		"(default 0.4)", "(default 16)", "(default 0.2)", `(default "runs/train")`, `(default "cifar10-sample")`} {
		if !strings.Contains(errb.String(), d) {
			t.Errorf("train --help lacks %s", d)
		}
	}
	errb.Reset()
	if err := run([]string{"eval", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb.String(), "-json") {
		t.Errorf("eval --help: %v\n%s", err, errb.String())
	}
	if err := run([]string{"eval"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("eval without --model: %v", err)
	}
	if err := run([]string{"train", "--dry-run", "extra"}, &out, &errb); err == nil {
		t.Error("train with an argument accepted")
	}
}
