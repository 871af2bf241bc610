package darts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/cells"
)

// A model file (model.safetensors) holds a trained evaluation network for
// PyTorch users and for `darts eval`:
//
//   - every tensor of the original's NetworkCIFAR state_dict under its name
//     (stem.0.weight, cells.{i}.…, classifier.*, auxiliary_head.* when trained
//     with the auxiliary head), float32 in PyTorch's layout, batch-norm running
//     statistics included, and each batch norm's num_batches_tracked (I64
//     scalar), so that model.load_state_dict(safetensors.torch.load_file(path))
//     works with strict loading;
//   - metadata (all strings): format ("darts-go model v1"), genotype (JSON),
//     genotype_python (the original's Genotype(...) notation), init_channels,
//     layers, num_classes, in_channels, image_size, auxiliary, dataset,
//     class_names (JSON list), config (the training flags, JSON), epochs,
//     params (auxiliary head excluded) and test_acc (percent, at the end of
//     training).

// ModelFormat is the format tag of model files.
const ModelFormat = "darts-go model v1"

// ModelInfo is the metadata of a model file.
type ModelInfo struct {
	Genotype       cells.Genotype
	C, Layers      int
	Classes        int
	InChannels     int
	ImageSize      int
	Auxiliary      bool
	Dataset        string
	ClassNames     []string
	Config         TrainConfig // training flags (runFlags form)
	TestAcc        float64     // percent, at the end of training (NaN when unknown)
	Epochs         int
	BatchesTracked int64 // training steps each batch norm has seen (num_batches_tracked)
}

// Spec is the network the metadata describes.
func (m ModelInfo) Spec() NetworkSpec {
	return NetworkSpec{Genotype: m.Genotype, C: m.C, Layers: m.Layers, Classes: m.Classes,
		InChannels: m.InChannels, ImageSize: m.ImageSize, Auxiliary: m.Auxiliary}
}

// SaveModel writes net and info to path (atomically).
func SaveModel(path string, net *Network, info ModelInfo) error {
	m := make(map[string]ag.SafeTensor)
	for _, t := range net.StateTensors() {
		m[t.Name] = paramTensor(t)
	}
	for _, p := range net.BNPrefixes() {
		m[p+".num_batches_tracked"] = ag.I64Tensor([]int64{info.BatchesTracked})
	}
	gj, err := info.Genotype.MarshalJSON()
	if err != nil {
		return err
	}
	names, _ := json.Marshal(info.ClassNames)
	cfg, err := json.Marshal(info.Config)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"format":          ModelFormat,
		"genotype":        string(gj),
		"genotype_python": info.Genotype.String(),
		"init_channels":   strconv.Itoa(info.C),
		"layers":          strconv.Itoa(info.Layers),
		"num_classes":     strconv.Itoa(info.Classes),
		"in_channels":     strconv.Itoa(info.InChannels),
		"image_size":      strconv.Itoa(info.ImageSize),
		"auxiliary":       strconv.FormatBool(info.Auxiliary),
		"dataset":         info.Dataset,
		"class_names":     string(names),
		"config":          string(cfg),
		"epochs":          strconv.Itoa(info.Epochs),
		"params":          strconv.Itoa(net.NumParams()),
		"test_acc":        strconv.FormatFloat(info.TestAcc, 'f', -1, 64),
	}
	if err := ag.SaveSafetensors(path, m, meta); err != nil {
		return fmt.Errorf("writing model %s: %w", path, err)
	}
	return os.Chmod(path, 0o644) // a result for others to read
}

// oneLine joins the lines of an error message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// fileErr formats a problem with file path as one line "path: problem".
func fileErr(path, format string, args ...any) error {
	return errors.New(oneLine(path + ": " + fmt.Sprintf(format, args...)))
}

// readSafe reads and parses a safetensors file, reporting problems as one
// line naming the file.
func readSafe(path string) (*ag.SafeFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fileErr(path, "%v", err)
	}
	f, err := ag.ParseSafetensors(b)
	if err != nil {
		return nil, fileErr(path, "not a valid safetensors file (corrupt or truncated?): %s",
			strings.TrimPrefix(err.Error(), "safetensors: "))
	}
	return f, nil
}

// LoadModel reads a model file, rebuilds the network its metadata describes
// and loads its tensors. Every problem (unreadable, corrupt or truncated
// file, missing metadata, missing or unexpected tensor, shape that does not
// match the genotype) is one line naming the file.
func LoadModel(be ag.Backend, path string) (*Network, ModelInfo, error) {
	var info ModelInfo
	f, err := readSafe(path)
	if err != nil {
		return nil, info, err
	}
	md := f.Metadata
	if md["format"] != ModelFormat {
		if md["format"] == "" {
			return nil, info, fileErr(path, "not a darts-go model file (no \"format\" metadata; want %q)", ModelFormat)
		}
		return nil, info, fileErr(path, "not a darts-go model file (format %q, want %q)", md["format"], ModelFormat)
	}
	if info.Genotype, err = cells.ParseGenotypeJSON([]byte(md["genotype"])); err != nil {
		return nil, info, fileErr(path, "bad genotype metadata: %v", err)
	}
	ints := []struct {
		key string
		dst *int
	}{{"init_channels", &info.C}, {"layers", &info.Layers}, {"num_classes", &info.Classes},
		{"in_channels", &info.InChannels}, {"image_size", &info.ImageSize}, {"epochs", &info.Epochs}}
	for _, it := range ints {
		v, err := strconv.Atoi(md[it.key])
		if err != nil || v < 0 {
			return nil, info, fileErr(path, "bad or missing %q metadata %q", it.key, md[it.key])
		}
		*it.dst = v
	}
	if info.Auxiliary, err = strconv.ParseBool(md["auxiliary"]); err != nil {
		return nil, info, fileErr(path, "bad or missing \"auxiliary\" metadata %q", md["auxiliary"])
	}
	info.Dataset = md["dataset"]
	if s := md["class_names"]; s != "" {
		if err := json.Unmarshal([]byte(s), &info.ClassNames); err != nil {
			return nil, info, fileErr(path, "bad \"class_names\" metadata: %v", err)
		}
	}
	if s := md["config"]; s != "" {
		if err := json.Unmarshal([]byte(s), &info.Config); err != nil {
			return nil, info, fileErr(path, "bad \"config\" metadata: %v", err)
		}
	}
	info.TestAcc = math.NaN()
	if s := md["test_acc"]; s != "" {
		if info.TestAcc, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, info, fileErr(path, "bad \"test_acc\" metadata %q", s)
		}
	}
	net, err := NewNetwork(be, info.Spec(), 0)
	if err != nil {
		return nil, info, fileErr(path, "its metadata describes no valid network: %v", err)
	}
	desc := fmt.Sprintf("the network of its genotype with C=%d, %d layers, %d classes, auxiliary head %v",
		info.C, info.Layers, info.Classes, info.Auxiliary)
	if err := loadNamed(f, path, net.StateTensors(), desc); err != nil {
		return nil, info, err
	}
	// Anything else must be a batch norm's num_batches_tracked counter.
	known := make(map[string]bool)
	for _, t := range net.StateTensors() {
		known[t.Name] = true
	}
	for _, p := range net.BNPrefixes() {
		known[p+".num_batches_tracked"] = true
	}
	for _, name := range f.Names() {
		if !known[name] {
			return nil, info, fileErr(path, "unexpected tensor %q: not part of %s", name, desc)
		}
		if strings.HasSuffix(name, ".num_batches_tracked") {
			if v, err := f.Tensors[name].Int64(); err == nil && len(v) == 1 && info.BatchesTracked == 0 {
				info.BatchesTracked = v[0]
			}
		}
	}
	return net, info, nil
}

// loadNamed copies each of ts from f, checking that it is present and has
// the tensor's shape; errors name path and describe the network as desc.
func loadNamed(f *ag.SafeFile, path string, ts []*ag.Tensor, desc string) error {
	for _, t := range ts {
		st, ok := f.Tensors[t.Name]
		if !ok {
			return fileErr(path, "tensor %q is missing (%s needs it)", t.Name, desc)
		}
		if !slices.Equal(st.Shape, t.Shape()) {
			return fileErr(path, "tensor %q has shape %v but %s needs %v", t.Name, st.Shape, desc, t.Shape())
		}
		v, err := st.Float32()
		if err != nil {
			return fileErr(path, "tensor %q: %s", t.Name, strings.TrimPrefix(err.Error(), "safetensors: "))
		}
		copy(t.Data(), v)
	}
	return nil
}

// trainCheckpoint is what a training run saves after each epoch (besides the
// weights, BN buffers and SGD state).
type trainCheckpoint struct {
	NextEpoch int
	Config    TrainConfig // runFlags form
	Genotype  cells.Genotype
}

const trainCheckpointFormat = "darts-go train checkpoint v1"

func saveTrainCheckpoint(path string, net *Network, sgd *ag.SGD, ck trainCheckpoint) error {
	m := make(map[string]ag.SafeTensor)
	for _, t := range net.StateTensors() {
		m[t.Name] = paramTensor(t)
	}
	for k, v := range sgd.State() {
		m["optim.sgd."+k] = ag.F32Tensor(v, len(v))
	}
	cfg, err := json.Marshal(ck.Config)
	if err != nil {
		return err
	}
	gj, err := ck.Genotype.MarshalJSON()
	if err != nil {
		return err
	}
	meta := map[string]string{
		"format":     trainCheckpointFormat,
		"next_epoch": strconv.Itoa(ck.NextEpoch),
		"config":     string(cfg),
		"genotype":   string(gj),
	}
	if err := ag.SaveSafetensors(path, m, meta); err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return nil
}

func loadTrainCheckpoint(path string, net *Network, sgd *ag.SGD) (trainCheckpoint, error) {
	var ck trainCheckpoint
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return ck, errNoCheckpoint
	}
	f, err := readSafe(path)
	if err != nil {
		return ck, err
	}
	if f.Metadata["format"] != trainCheckpointFormat {
		return ck, fileErr(path, "not a darts-go training checkpoint (format %q)", f.Metadata["format"])
	}
	if ck.NextEpoch, err = strconv.Atoi(f.Metadata["next_epoch"]); err != nil || ck.NextEpoch < 0 {
		return ck, fileErr(path, "bad next_epoch %q", f.Metadata["next_epoch"])
	}
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &ck.Config); err != nil {
		return ck, fileErr(path, "bad config: %v", err)
	}
	if ck.Genotype, err = cells.ParseGenotypeJSON([]byte(f.Metadata["genotype"])); err != nil {
		return ck, fileErr(path, "bad genotype: %v", err)
	}
	if !ck.Genotype.Equal(net.Genotype) {
		return ck, fileErr(path, "was written for genotype %s, not %s", ck.Genotype, net.Genotype)
	}
	if err := loadNamed(f, path, net.StateTensors(), "the network of the current flags"); err != nil {
		return ck, err
	}
	st, err := loadState(f, path, "optim.sgd.")
	if err == nil {
		err = sgd.LoadState(st)
	}
	if err != nil {
		return ck, fileErr(path, "SGD state: %v", err)
	}
	return ck, nil
}
