package darts

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	ag "github.com/darts-go/darts/autograd"
	"github.com/darts-go/darts/internal/goldencmp"
	"github.com/darts-go/darts/kernels"
)

func randomSearchBatch(be ag.Backend, rng *rand.Rand, n, size int) (*ag.Tensor, []int32) {
	x := ag.NewActivation(be, n, 3, size, size)
	d := x.Data()
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(10))
	}
	return x, y
}

// A second-order search runs, and with two kernel threads (its
// finite-difference passes side by side on the twin network) two runs with
// the same flags write the same bytes.
func TestSearchSecondOrderRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: skipping the second-order tiny searches")
	}
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(2)
	dir := t.TempDir()
	var outs [2][2][]byte
	for i := range outs {
		c := tinySearch(filepath.Join(dir, fmt.Sprint(i)))
		c.Epochs = 1
		c.Unrolled = true
		if err := Search(c, io.Discard); err != nil {
			t.Fatal(err)
		}
		outs[i][0], outs[i][1] = readOutputs(t, c.Out)
	}
	if !bytes.Equal(outs[0][0], outs[1][0]) || !bytes.Equal(outs[0][1], outs[1][1]) {
		t.Fatalf("two second-order runs wrote different genotype.json/alphas.json:\n%s\nvs\n%s", outs[0][1], outs[1][1])
	}
}

func TestSearchOnRealCIFAR10(t *testing.T) {
	dir := "../../shared/data/cifar-10-batches-bin"
	if _, err := os.Stat(dir + "/data_batch_1.bin"); err != nil {
		t.Skipf("skipping the real-data search: CIFAR-10 binary files not found in %s", dir)
	}
	if testing.Short() {
		t.Skip("short mode: skipping the real-data search")
	}
	c := tinySearch(t.TempDir())
	c.Dataset, c.DataDir, c.Epochs = "cifar10", dir, 1
	if err := Search(c, io.Discard); err != nil {
		t.Fatal(err)
	}
	g, _ := readOutputs(t, c.Out)
	if len(g) == 0 {
		t.Fatal("empty genotype.json")
	}
}

// pairFixture returns an architect on a fresh supernet of the given size
// with what hessianPasses reads set up as the unrolled step leaves it: the
// saved weights and running statistics (moved away from their initial
// values, so that the merge has something to get wrong) and a random v.
// It also returns a random training batch.
func pairFixture(c, layers, batch, size int) (*Architect, *ag.Tensor, []int32) {
	be := ag.NewCPU()
	net := NewSupernet(be, c, layers, 4, 4, 3, 10, 3, size, 1)
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := randomSearchBatch(be, rng, batch, size)
	for _, b := range net.Buffers {
		d := b.Data()
		for i := range d {
			d[i] = 1 + 0.5*float32(rng.NormFloat64())
		}
	}
	arch := NewArchitect(net, ag.NewGraph(be), 3e-4, 1e-3)
	arch.saved = flatten(nil, net.Weights, false)
	arch.savedBuf = flatten(nil, net.Buffers, false)
	arch.vec = make([]float32, len(arch.saved))
	for i := range arch.vec {
		arch.vec[i] = float32(rng.NormFloat64())
	}
	return arch, x, y
}

// TestHessianPassesConcurrentMatchSequential checks the second-order
// step's two finite-difference passes run side by side on the twin network
// (sharing the kernel workers, and each on its own core with its kernels'
// chunks inline) against the same passes run one after the other on the
// real one, all with two kernel threads: the α gradients agree bit for bit
// (each pass splits its kernels as it would alone), and the merged running
// statistics agree to rounding.
func TestHessianPassesConcurrentMatchSequential(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(2)
	arch, x, y := pairFixture(4, 3, 6, 8)
	net := arch.Net
	const r = 1e-3
	seqP, seqN := arch.hessianPasses(x, y, r, pairSequential)
	seqBuf := flatten(nil, net.Buffers, false)
	moved := false
	for i := range seqBuf {
		moved = moved || seqBuf[i] != arch.savedBuf[i]
	}
	if !moved {
		t.Fatal("the passes left the running statistics unchanged: the check below compares nothing")
	}
	for _, mode := range []pairMode{pairShared, pairInline} {
		setWeights(net.Buffers, arch.savedBuf, nil, 0)
		conP, conN := arch.hessianPasses(x, y, r, mode)
		if arch.twin == nil {
			t.Fatal("the concurrent passes did not use the twin network")
		}
		conBuf := flatten(nil, net.Buffers, false)
		for i := range seqP {
			if seqP[i] != conP[i] || seqN[i] != conN[i] {
				t.Fatalf("mode %d, α gradient %d: sequential (%v, %v), side by side (%v, %v)", mode, i, seqP[i], seqN[i], conP[i], conN[i])
			}
		}
		if e := goldencmp.RelErr(conBuf, seqBuf); e > 1e-6 {
			t.Fatalf("mode %d: running statistics after the passes side by side: relative error %.2e against sequential", mode, e)
		}
	}
}

// BenchmarkHessianPair times the second-order step's two finite-difference
// passes in each pairMode, with two kernel threads, at the two sizes
// bench/compare.sh measures:
//
//	go test ./darts/ -run '^$' -bench HessianPair -benchtime 5x
func BenchmarkHessianPair(b *testing.B) {
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(2)
	for _, sz := range []struct{ c, layers, batch int }{{8, 5, 32}, {16, 8, 64}} {
		arch, x, y := pairFixture(sz.c, sz.layers, sz.batch, 32)
		for _, m := range []struct {
			name string
			mode pairMode
		}{{"sequential", pairSequential}, {"shared", pairShared}, {"inline", pairInline}} {
			b.Run(fmt.Sprintf("C%dL%dB%d/%s", sz.c, sz.layers, sz.batch, m.name), func(b *testing.B) {
				arch.hessianPasses(x, y, 1e-3, m.mode) // warm the pools
				b.ResetTimer()
				for range b.N {
					setWeights(arch.Net.Buffers, arch.savedBuf, nil, 0)
					arch.hessianPasses(x, y, 1e-3, m.mode)
				}
			})
		}
	}
}
