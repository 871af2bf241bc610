package darts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	ag "github.com/darts-go/darts/autograd"
)

// Checkpoint files are safetensors: every tensor under its PyTorch name
// (weights in PyTorch's layout, BN running statistics, α), optimizer state
// under "optim.<opt>.<param>.<field>", and in the metadata the next epoch to
// run and the flags of the run.

// paramTensor is a parameter or buffer as a safetensors tensor (its storage
// already is PyTorch's layout).
func paramTensor(t *ag.Tensor) ag.SafeTensor {
	return ag.F32Tensor(append([]float32(nil), t.Data()...), t.Shape()...)
}

func addTensors(m map[string]ag.SafeTensor, ts []*ag.Tensor) {
	for _, t := range ts {
		m[t.Name] = paramTensor(t)
	}
}

func addState(m map[string]ag.SafeTensor, prefix string, st map[string][]float32) {
	for k, v := range st {
		m[prefix+k] = ag.F32Tensor(v, len(v))
	}
}

// loadTensors copies each named tensor of f into ts, checking sizes.
func loadTensors(f *ag.SafeFile, path string, ts []*ag.Tensor) error {
	for _, t := range ts {
		v, shape, err := f.Float32(t.Name)
		if err != nil {
			return fmt.Errorf("%s: tensor %q: %w", path, t.Name, err)
		}
		if len(v) != t.Len() {
			return fmt.Errorf("%s: tensor %q has shape %v, the network needs %v", path, t.Name, shape, t.Shape())
		}
		copy(t.Data(), v)
	}
	return nil
}

func loadState(f *ag.SafeFile, path, prefix string) (map[string][]float32, error) {
	st := make(map[string][]float32)
	for _, name := range f.Names() {
		if len(name) > len(prefix) && name[:len(prefix)] == prefix {
			v, _, err := f.Float32(name)
			if err != nil {
				return nil, fmt.Errorf("%s: tensor %q: %w", path, name, err)
			}
			st[name[len(prefix):]] = v
		}
	}
	return st, nil
}

// searchCheckpoint is what a search run saves after each epoch.
type searchCheckpoint struct {
	NextEpoch int
	Config    SearchConfig
}

func saveSearchCheckpoint(path string, net *Supernet, sgd *ag.SGD, adam *ag.Adam, ck searchCheckpoint) error {
	m := make(map[string]ag.SafeTensor)
	addTensors(m, net.Weights)
	addTensors(m, net.Buffers)
	addTensors(m, net.Alphas())
	addState(m, "optim.sgd.", sgd.State())
	addState(m, "optim.adam.", adam.State())
	cfg, err := json.Marshal(ck.Config)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"format":     "darts-go search checkpoint v1",
		"next_epoch": strconv.Itoa(ck.NextEpoch),
		"config":     string(cfg),
	}
	if err := ag.SaveSafetensors(path, m, meta); err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return nil
}

// errNoCheckpoint means --resume found nothing to resume.
var errNoCheckpoint = errors.New("no checkpoint")

func loadSearchCheckpoint(path string, net *Supernet, sgd *ag.SGD, adam *ag.Adam) (searchCheckpoint, error) {
	var ck searchCheckpoint
	if _, err := os.Stat(path); err != nil {
		return ck, errNoCheckpoint
	}
	f, err := ag.LoadSafetensors(path)
	if err != nil {
		return ck, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if f.Metadata["format"] != "darts-go search checkpoint v1" {
		return ck, fmt.Errorf("checkpoint %s: not a darts-go search checkpoint", path)
	}
	if ck.NextEpoch, err = strconv.Atoi(f.Metadata["next_epoch"]); err != nil {
		return ck, fmt.Errorf("checkpoint %s: bad next_epoch %q", path, f.Metadata["next_epoch"])
	}
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &ck.Config); err != nil {
		return ck, fmt.Errorf("checkpoint %s: bad config: %w", path, err)
	}
	for _, ts := range [][]*ag.Tensor{net.Weights, net.Buffers, net.Alphas()} {
		if err := loadTensors(f, path, ts); err != nil {
			return ck, err
		}
	}
	st, err := loadState(f, path, "optim.sgd.")
	if err == nil {
		err = sgd.LoadState(st)
	}
	if err != nil {
		return ck, fmt.Errorf("checkpoint %s: SGD state: %w", path, err)
	}
	st, err = loadState(f, path, "optim.adam.")
	if err == nil {
		err = adam.LoadState(st)
	}
	if err != nil {
		return ck, fmt.Errorf("checkpoint %s: Adam state: %w", path, err)
	}
	return ck, nil
}
