package darts

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/darts-go/darts/autograd"
)

// tinyTrain is a configuration that trains in a few seconds on the embedded
// CIFAR-10 sample: 48 images (the last batch partial), C=4, 3 cells (the
// auxiliary head sees 8×8), 3 epochs so that drop-path is active.
func tinyTrain(out string) TrainConfig {
	c := DefaultTrainConfig()
	c.Epochs, c.BatchSize, c.InitChannels, c.Layers, c.Subset = 3, 20, 4, 3, 48
	c.Out = out
	return c
}

func mustTrain(t *testing.T, cfg TrainConfig, stopAfter int) *TrainSummary {
	t.Helper()
	s, err := trainEpochs(cfg, io.Discard, stopAfter)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metricsWithoutTime is metrics.jsonl with the seconds fields zeroed.
func metricsWithoutTime(t *testing.T, dir string) []TrainMetrics {
	t.Helper()
	ms, err := readTrainMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].Seconds = 0
	}
	return ms
}

// An interrupted and resumed run ends with exactly the model of an
// uninterrupted one; train → save → eval reproduces the final accuracy.
func TestTrainResumeAndEvalRoundTrip(t *testing.T) {
	base := t.TempDir()
	full := tinyTrain(filepath.Join(base, "full"))
	sum := mustTrain(t, full, 0)

	ms := metricsWithoutTime(t, full.Out)
	if len(ms) != 3 {
		t.Fatalf("%d metrics lines, want 3", len(ms))
	}
	for i, m := range ms {
		wantDrop := full.DropPathProb * float64(i) / 3
		if m.Epoch != i+1 || m.DropPathProb != wantDrop || m.TestAcc < 0 || m.TestAcc > 100 || m.TrainAuxLoss == 0 {
			t.Errorf("metrics line %d: %+v", i+1, m)
		}
	}
	if ms[0].LR != full.LR || !(ms[2].LR < ms[1].LR && ms[1].LR < ms[0].LR) {
		t.Errorf("learning rates %v %v %v are not a cosine from %v", ms[0].LR, ms[1].LR, ms[2].LR, full.LR)
	}
	for _, f := range []string{"model.safetensors", "checkpoint.safetensors", "curves.svg", "curves.png", "summary.json"} {
		if st, err := os.Stat(filepath.Join(full.Out, f)); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty", f)
		}
	}
	if sum.FinalTestAcc != ms[2].TestAcc || sum.Params <= 0 || sum.AuxParams <= 0 {
		t.Errorf("summary %+v", sum)
	}

	// Killed after epoch 1, resumed and killed after epoch 2, resumed.
	part := tinyTrain(filepath.Join(base, "part"))
	mustTrain(t, part, 1)
	if _, err := os.Stat(filepath.Join(part.Out, "model.safetensors")); err == nil {
		t.Fatal("model written before the end")
	}
	part.Resume = true
	mustTrain(t, part, 1)
	part.DataDir = t.TempDir() // flags that do not change the model may differ
	mustTrain(t, part, 0)
	if !bytes.Equal(readFile(t, filepath.Join(full.Out, "model.safetensors")), readFile(t, filepath.Join(part.Out, "model.safetensors"))) {
		t.Error("resumed run's model.safetensors differs from the uninterrupted run's")
	}
	pm := metricsWithoutTime(t, part.Out)
	if len(pm) != len(ms) {
		t.Fatalf("resumed run has %d metrics lines", len(pm))
	}
	for i := range pm {
		if pm[i] != ms[i] {
			t.Errorf("epoch %d metrics differ: %+v vs %+v", i+1, pm[i], ms[i])
		}
	}

	// A changed flag is refused.
	other := part
	other.LR = 0.05
	if _, err := Train(other, io.Discard); err == nil || !strings.Contains(err.Error(), "different run") {
		t.Errorf("resume with another --lr: %v", err)
	}

	// Eval reproduces the final test accuracy, text and JSON.
	var out bytes.Buffer
	res, err := Eval(EvalConfig{Model: filepath.Join(full.Out, "model.safetensors"), JSON: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.TestAcc != sum.FinalTestAcc || res.TrainedTestAcc == nil || *res.TrainedTestAcc != sum.FinalTestAcc {
		t.Errorf("eval accuracy %v (recorded %v), training reported %v", res.TestAcc, res.TrainedTestAcc, sum.FinalTestAcc)
	}
	var js struct {
		TestAcc  float64 `json:"test_acc"`
		PerClass []struct {
			Class          string
			Correct, Total int
			Acc            float64
		} `json:"per_class"`
	}
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, out.String())
	}
	total, correct := 0, 0
	for _, c := range js.PerClass {
		total += c.Total
		correct += c.Correct
	}
	if js.TestAcc != sum.FinalTestAcc || len(js.PerClass) != 10 || js.PerClass[0].Class != "airplane" || total != 500 ||
		100*float64(correct)/float64(total) != js.TestAcc {
		t.Errorf("JSON report %+v", js)
	}
	out.Reset()
	if _, err := Eval(EvalConfig{Model: filepath.Join(full.Out, "model.safetensors")}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"test accuracy on cifar10-sample (500 images)", "per class:", "truck"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, out.String())
		}
	}

	testModelFileErrors(t, filepath.Join(full.Out, "model.safetensors"), base)
}

// testModelFileErrors damages a good model file in several ways; each must
// give a one-line error naming the file.
func testModelFileErrors(t *testing.T, good, dir string) {
	src := readFile(t, good)
	f, err := ag.ParseSafetensors(src)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(edit func(ts map[string]ag.SafeTensor, md map[string]string)) []byte {
		ts := map[string]ag.SafeTensor{}
		for k, v := range f.Tensors {
			ts[k] = v
		}
		md := map[string]string{}
		for k, v := range f.Metadata {
			md[k] = v
		}
		edit(ts, md)
		var b bytes.Buffer
		if err := ag.WriteSafetensors(&b, ts, md); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("this is not a safetensors file at all"), "not a valid safetensors file"},
		{"truncated", src[:len(src)/2], "truncated"},
		{"huge-header", func() []byte {
			b := append([]byte(nil), src...)
			binary.LittleEndian.PutUint64(b, 1<<40)
			return b
		}(), "not a valid safetensors file"},
		{"missing", rewrite(func(ts map[string]ag.SafeTensor, _ map[string]string) { delete(ts, "cells.0._ops.0.op.1.weight") }),
			`tensor "cells.0._ops.0.op.1.weight" is missing`},
		{"shape", rewrite(func(_ map[string]ag.SafeTensor, md map[string]string) { md["init_channels"] = "6" }),
			`has shape`},
		{"genotype", rewrite(func(_ map[string]ag.SafeTensor, md map[string]string) {
			md["genotype"] = strings.Replace(md["genotype"], "sep_conv_3x3", "sep_conv_5x5", 1)
		}), `has shape`},
		{"extra", rewrite(func(ts map[string]ag.SafeTensor, _ map[string]string) {
			ts["cells.9.foo"] = ag.F32Tensor([]float32{1}, 1)
		}), `unexpected tensor "cells.9.foo"`},
		{"format", rewrite(func(_ map[string]ag.SafeTensor, md map[string]string) { delete(md, "format") }), "not a darts-go model"},
		{"bad-genotype", rewrite(func(_ map[string]ag.SafeTensor, md map[string]string) { md["genotype"] = "{" }), "bad genotype"},
		{"layers", rewrite(func(_ map[string]ag.SafeTensor, md map[string]string) { md["layers"] = "x" }), `"layers"`},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name+".safetensors")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Eval(EvalConfig{Model: path}, io.Discard)
		switch {
		case err == nil:
			t.Errorf("%s: no error", c.name)
		case !strings.HasPrefix(err.Error(), path+": "), strings.Contains(err.Error(), "\n"), !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: error %q, want one line starting with the file name and containing %q", c.name, err, c.want)
		}
	}
	missing := filepath.Join(dir, "nope.safetensors")
	if _, err := Eval(EvalConfig{Model: missing}, io.Discard); err == nil || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("missing file: %v", err)
	}
	// The right number of classes is required.
	if _, err := Eval(EvalConfig{Model: good, Dataset: "cifar100", DataDir: dir}, io.Discard); err == nil {
		t.Error("cifar10 model scored on cifar100 without files")
	}
}

func TestTrainDryRunAndFlagErrors(t *testing.T) {
	var out bytes.Buffer
	cfg := DefaultTrainConfig()
	cfg.DryRun = true
	cfg.Out = filepath.Join(t.TempDir(), "never")
	if _, err := Train(cfg, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parameters: 3349342", "auxiliary head: 476426", "multiply-adds for one 32×32 image"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(cfg.Out); err == nil {
		t.Error("dry run created the output directory")
	}
	for _, edit := range []func(*TrainConfig){
		func(c *TrainConfig) { c.BatchSize = 1 },
		func(c *TrainConfig) { c.Epochs = 0 },
		func(c *TrainConfig) { c.Layers = 2 },
		func(c *TrainConfig) { c.DropPathProb = 1 },
		func(c *TrainConfig) { c.LR = 0 },
		func(c *TrainConfig) { c.CutoutLength = 0 },
		func(c *TrainConfig) { c.Genotype = "NO_SUCH_GENOTYPE" },
		func(c *TrainConfig) { c.Dataset = "imagenet" },
		func(c *TrainConfig) { c.Dataset = "mnist" }, // auxiliary head needs 32×32
	} {
		c := cfg
		edit(&c)
		if _, err := Train(c, io.Discard); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	// A genotype file and the Python notation are accepted.
	gt := builtinGenotype(t, "PC_DARTS")
	path := filepath.Join(t.TempDir(), "genotype.json")
	if err := os.WriteFile(path, gt.FormatJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{path, gt.String()} {
		c := cfg
		c.Genotype = g
		out.Reset()
		if _, err := Train(c, &out); err != nil || !strings.Contains(out.String(), gt.String()) {
			t.Errorf("--genotype %.40s: %v\n%s", g, err, out.String())
		}
	}
}

const realCIFAR = "/work/shared/data/cifar-10-batches-bin"

// On the real CIFAR-10 (skipped without it): a short training scores the
// whole 10000-image test split and eval reproduces it.
func TestTrainEvalRealCIFAR10(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realCIFAR, "test_batch.bin")); err != nil {
		t.Skipf("real CIFAR-10 not found in %s; skipping", realCIFAR)
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cfg := tinyTrain(filepath.Join(t.TempDir(), "real"))
	cfg.Dataset, cfg.DataDir, cfg.Epochs, cfg.Subset, cfg.BatchSize = "cifar10", realCIFAR, 1, 256, 64
	sum := mustTrain(t, cfg, 0)
	res, err := Eval(EvalConfig{Model: sum.Model, Dataset: "cifar10", DataDir: realCIFAR}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 10000 || res.TestAcc != sum.FinalTestAcc {
		t.Errorf("eval on %d images: %.2f%%, training reported %.2f%%", res.Images, res.TestAcc, sum.FinalTestAcc)
	}
}
