package darts

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

func tinySearch(out string) SearchConfig {
	c := DefaultSearchConfig()
	c.Dataset = "cifar10-sample"
	c.Subset = 64
	c.BatchSize = 8
	c.Layers = 3
	c.InitChannels = 4
	c.Epochs = 2
	c.Out = out
	return c
}

func TestSupernetParameterCount(t *testing.T) {
	// The original implementation's count at C = 16, L = 8 (α excluded).
	n := NewSupernet(ag.NewCPU(), 16, 8, 4, 4, 3, 10, 3, 32, 1)
	if got := cells.CountParams(n.Weights); got != 1930618 {
		t.Fatalf("supernet C=16 L=8 has %d weight parameters, want 1930618", got)
	}
	if got := cells.CountParams(n.Alphas()); got != 2*14*8 {
		t.Fatalf("α has %d values, want 224", got)
	}
}

func readOutputs(t *testing.T, dir string) (genotype, alphas []byte) {
	t.Helper()
	g, err := os.ReadFile(filepath.Join(dir, "genotype.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(dir, "alphas.json"))
	if err != nil {
		t.Fatal(err)
	}
	return g, a
}

// A run that is stopped after its first epoch and resumed ends with the
// same bytes as an uninterrupted run, and two identical runs agree.
func TestSearchDeterministicAndResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: skipping the three tiny searches of the resume test")
	}
	dir := t.TempDir()
	full := tinySearch(filepath.Join(dir, "full"))
	if err := Search(full, io.Discard); err != nil {
		t.Fatal(err)
	}
	g1, a1 := readOutputs(t, full.Out)

	again := tinySearch(filepath.Join(dir, "again"))
	if err := Search(again, io.Discard); err != nil {
		t.Fatal(err)
	}
	g2, a2 := readOutputs(t, again.Out)
	if !bytes.Equal(g1, g2) || !bytes.Equal(a1, a2) {
		t.Fatal("two runs with the same flags and seed wrote different genotype.json/alphas.json")
	}

	// A run killed after epoch 1 leaves the epoch-1 checkpoint and outputs.
	killed := tinySearch(filepath.Join(dir, "killed"))
	killed.Epochs = 2
	if err := searchEpochs(killed, 1); err != nil {
		t.Fatal(err)
	}
	killed.Resume = true
	var log bytes.Buffer
	if err := Search(killed, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "continuing from epoch 2 of 2") {
		t.Fatalf("resume did not continue from epoch 2:\n%s", log.String())
	}
	g3, a3 := readOutputs(t, killed.Out)
	if !bytes.Equal(g1, g3) || !bytes.Equal(a1, a3) {
		t.Fatalf("resumed run differs from the uninterrupted one:\n%s\nvs\n%s", a3, a1)
	}
	m, err := os.ReadFile(filepath.Join(killed.Out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(m), "\n"); n != 2 {
		t.Fatalf("metrics.jsonl of the resumed run has %d lines, want 2", n)
	}
}

// A latency-aware search measures its op latencies once and keeps them in
// cost_table.json: the resumed run reads them back instead of measuring
// again, and a fresh run given that table (--cost-table) ends identically.
func TestSearchLatencyCost(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: skipping the tiny latency-aware searches")
	}
	dir := t.TempDir()
	killed := tinySearch(filepath.Join(dir, "killed"))
	killed.CostMetric, killed.LatencyWeight = CostLatency, 0.05
	if err := searchEpochs(killed, 1); err != nil {
		t.Fatal(err)
	}
	tablePath := filepath.Join(killed.Out, "cost_table.json")
	t1, err := os.ReadFile(tablePath)
	if err != nil {
		t.Fatal(err)
	}
	killed.Resume = true
	if err := Search(killed, io.Discard); err != nil {
		t.Fatal(err)
	}
	t2, err := os.ReadFile(tablePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(t1, t2) {
		t.Fatal("the resumed run measured its latency table again instead of reading cost_table.json")
	}
	m, err := os.ReadFile(filepath.Join(killed.Out, "metrics.jsonl"))
	if err != nil || !strings.Contains(string(m), `"expected_cost"`) {
		t.Fatalf("metrics.jsonl lacks expected_cost (%v)", err)
	}
	g1, a1 := readOutputs(t, killed.Out)

	given := tinySearch(filepath.Join(dir, "given"))
	given.CostMetric, given.LatencyWeight = CostLatency, 0.05
	given.CostTable = filepath.Join(dir, "table.json")
	if err := os.WriteFile(given.CostTable, t1, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Search(given, io.Discard); err != nil {
		t.Fatal(err)
	}
	g2, a2 := readOutputs(t, given.Out)
	if !bytes.Equal(g1, g2) || !bytes.Equal(a1, a2) {
		t.Fatal("a run given the same latency table ended differently from the resumed one")
	}

	// A table of another metric is refused.
	other := tinySearch(filepath.Join(dir, "other"))
	other.CostMetric, other.CostTable = CostParams, given.CostTable
	if err := Search(other, io.Discard); err == nil || !strings.Contains(err.Error(), "latency") {
		t.Fatalf("want an error about the table's metric, got %v", err)
	}
}

func TestSearchDryRunAndFlagErrors(t *testing.T) {
	c := DefaultSearchConfig()
	c.DryRun = true
	var out bytes.Buffer
	if err := Search(c, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1930618") {
		t.Fatalf("dry run output lacks the parameter count:\n%s", out.String())
	}
	for _, tc := range []struct {
		mod  func(*SearchConfig)
		want string
	}{
		{func(c *SearchConfig) { c.BatchSize = 0 }, "--batch-size"},
		{func(c *SearchConfig) { c.TrainPortion = 1.5 }, "--train-portion"},
		{func(c *SearchConfig) { c.InitChannels = 7 }, "--init-channels"},
		{func(c *SearchConfig) { c.Dataset = "imagenet" }, "imagenet"},
		{func(c *SearchConfig) { c.Subset = 10 }, "--subset"},
		{func(c *SearchConfig) { c.CostMetric = "watts" }, "--cost-metric"},
		{func(c *SearchConfig) { c.LatencyWeight = -1 }, "--cost-weight"},
		{func(c *SearchConfig) { c.CostTable = "/nonexistent/cost_table.json" }, "--cost-table"},
	} {
		c := tinySearch(t.TempDir())
		tc.mod(&c)
		err := Search(c, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error naming %q, got %v", tc.want, err)
		}
	}
}

func TestResumeRejectsOtherRun(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	c := tinySearch(t.TempDir())
	c.Epochs = 1
	if err := Search(c, io.Discard); err != nil {
		t.Fatal(err)
	}
	c.Resume = true
	c.Seed = 99
	err := Search(c, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "different run") {
		t.Fatalf("resuming with another seed: want a 'different run' error, got %v", err)
	}
}

// A search whose loss overflows stops with an error that says so, before
// it writes a checkpoint of the non-finite weights.
func TestSearchDiverges(t *testing.T) {
	dir := t.TempDir()
	c := tinySearch(dir)
	c.Epochs = 1
	c.LR = 1e30
	err := Search(c, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the search diverged") || !strings.Contains(err.Error(), "--lr") {
		t.Fatalf("Search with --lr 1e30: %v, want a divergence error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.safetensors")); !os.IsNotExist(err) {
		t.Fatalf("a diverged search wrote its checkpoint (%v)", err)
	}
}
