package darts

import (
	"io"
	"math/rand/v2"
	"os"
	"testing"

	ag "github.com/darts-go/darts/autograd"
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

func TestSearchSecondOrderRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: skipping the second-order tiny search")
	}
	c := tinySearch(t.TempDir())
	c.Epochs = 1
	c.Unrolled = true
	if err := Search(c, io.Discard); err != nil {
		t.Fatal(err)
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
