package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEmbeddedCIFAR10(t *testing.T) {
	for _, train := range []bool{true, false} {
		d, err := LoadEmbeddedCIFAR10(train)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		n, per := SampleTestImages, 50
		if train {
			n, per = SampleTrainImages, 250
		}
		if d.N != n || d.Name != CIFAR10Sample || d.Train != train || d.C != 3 || d.H != 32 {
			t.Fatalf("train=%v: N=%d name %q", train, d.N, d.Name)
		}
		for c, k := range d.ClassCounts() {
			if k != per {
				t.Errorf("train=%v: class %d has %d images, want %d", train, c, k, per)
			}
		}
		if !slices.Equal(d.Classes, cifar10Classes) {
			t.Errorf("classes %q", d.Classes)
		}
		// A fresh copy each time.
		d2, _ := LoadEmbeddedCIFAR10(train)
		d2.Images[0]++
		if d2.Images[0] == d.Images[0] {
			t.Error("two loads share their pixels")
		}
	}
	if len(sampleTrainGz)+len(sampleTestGz) >= 10<<20 {
		t.Errorf("embedded sample is %d bytes, over 10 MiB", len(sampleTrainGz)+len(sampleTestGz))
	}
	d, err := Open(CIFAR10Sample, "/nonexistent", true, nil)
	if err != nil || d.N != SampleTrainImages {
		t.Errorf("Open(cifar10-sample): %v", err)
	}
}

// TestEmbeddedMatchesSource checks that the sample holds, for every class,
// the first records of the source files in file order, unchanged.
func TestEmbeddedMatchesSource(t *testing.T) {
	dir := realCIFAR10(t)
	for _, tc := range []struct {
		train bool
		files []string
		per   int
	}{{false, cifar10TestFiles, 50}, {true, cifar10TrainFiles, 250}} {
		var want []byte
		var seen [10]int
		for _, f := range tc.files {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < len(b); off += cifar10Record {
				if l := b[off]; seen[l] < tc.per {
					seen[l]++
					want = append(want, b[off:off+cifar10Record]...)
				}
			}
		}
		d, err := LoadEmbeddedCIFAR10(tc.train)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for i := range d.N {
			got = append(got, byte(d.Labels[i]))
			got = append(got, d.Image(i)...)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("train=%v: embedded records differ from the first %d per class of %s", tc.train, tc.per, dir)
		}
	}
}
