package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestSearchHelpListsEveryFlagWithDefaults(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"search", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("search --help: %v", err)
	}
	for _, f := range []string{"dataset", "data-dir", "batch-size", "epochs", "init-channels", "layers", "lr", "lr-min",
		"momentum", "weight-decay", "arch-lr", "arch-weight-decay", "unrolled", "train-portion", "grad-clip", "seed",
		"subset", "threads", "out", "resume", "dry-run", "cost-weight", "cost-metric", "cost-table"} {
		if !strings.Contains(errb.String(), "  -"+f+" ") && !strings.Contains(errb.String(), "  -"+f+"\n") {
			t.Errorf("search --help does not list -%s", f)
		}
	}
	for _, d := range []string{"(default 64)", "(default 50)", "(default 16)", "(default 8)", "(default 0.025)",
		"(default 0.001)", "(default 0.9)", "(default 0.0003)", "(default 0.5)", "(default 5)", "(default 2)"} {
		if !strings.Contains(errb.String(), d) {
			t.Errorf("search --help lacks %s", d)
		}
	}
}

func TestSearchDryRunAndBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"search", "--dry-run"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1930618") {
		t.Errorf("search --dry-run output lacks the 1,930,618 count:\n%s", out.String())
	}
	for _, args := range [][]string{
		{"search", "--batch-size", "0"},
		{"search", "--epochs", "x"},
		{"search", "stray"},
		{"nonsense"},
		{"bench", "step", "--mode", "sideways"},
	} {
		out.Reset()
		errb.Reset()
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
