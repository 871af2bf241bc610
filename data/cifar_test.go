package data

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCIFAR10RealFolder(t *testing.T) {
	dir := realCIFAR10(t)
	test, err := LoadCIFAR10(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 10000 || test.Train || test.C != 3 || test.H != 32 || test.W != 32 {
		t.Fatalf("test split: N=%d train=%v shape %dx%dx%d", test.N, test.Train, test.C, test.H, test.W)
	}
	if !slices.Equal(test.Classes, cifar10Classes) {
		t.Errorf("classes %q", test.Classes)
	}
	for c, n := range test.ClassCounts() {
		if n != 1000 {
			t.Errorf("test class %d has %d images, want 1000", c, n)
		}
	}
	if testing.Short() {
		t.Skip("skipping the 50000-image training split in -short mode")
	}
	train, err := LoadCIFAR10(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 50000 || !train.Train || len(train.Images) != 50000*3072 {
		t.Fatalf("train split: N=%d, %d bytes", train.N, len(train.Images))
	}
	for c, n := range train.ClassCounts() {
		if n != 5000 {
			t.Errorf("train class %d has %d images, want 5000", c, n)
		}
	}
	// Channel means documented for the shared copy: R 125.27, G 122.93,
	// B 113.86. They also check the R, G, B plane order.
	want := []float64{125.27, 122.93, 113.86}
	for c := range 3 {
		var s float64
		for i := range train.N {
			for _, v := range train.Image(i)[c*1024 : (c+1)*1024] {
				s += float64(v)
			}
		}
		m := s / float64(train.N*1024)
		if math.Abs(m-want[c]) > 0.01 {
			t.Errorf("channel %d mean %.3f, want %.2f", c, m, want[c])
		}
	}
}

func TestCIFAR10Synthetic(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir, 3)
	d, err := LoadCIFAR10(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.N != 15 || d.Name != CIFAR10 {
		t.Fatalf("N=%d name %q", d.N, d.Name)
	}
	// Image 4 is record 1 of data_batch_2.bin.
	img := d.Image(4)
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				if got, want := img[(c*32+y)*32+x], synthPixel(1, c, y, x); got != want {
					t.Fatalf("pixel (%d,%d,%d) = %d, want %d", c, y, x, got, want)
				}
			}
		}
	}
	if d.Labels[4] != 1 || d.Labels[5] != 2 {
		t.Errorf("labels %v", d.Labels)
	}
	// Without batches.meta.txt the standard names are used.
	os.Remove(filepath.Join(dir, "batches.meta.txt"))
	d, err = LoadCIFAR10(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 3 || d.Classes[9] != "truck" {
		t.Errorf("N=%d classes %q", d.N, d.Classes)
	}
}

func TestCIFAR10Errors(t *testing.T) {
	rec := cifarRecords([]int{1, 2}, 1)
	cases := []struct {
		name    string
		prepare func(dir string)
		want    []string // fragments; "{dir}" is replaced by the folder
	}{
		{"truncated", func(dir string) {
			os.WriteFile(filepath.Join(dir, "data_batch_3.bin"), rec[:1234], 0o644)
		}, []string{"cifar10: {dir}/data_batch_3.bin: size 1234 is not a multiple of the 3073-byte record"}},
		{"empty", func(dir string) {
			os.WriteFile(filepath.Join(dir, "data_batch_2.bin"), nil, 0o644)
		}, []string{"cifar10: {dir}/data_batch_2.bin: file is empty"}},
		{"missing", func(dir string) {
			os.Remove(filepath.Join(dir, "data_batch_5.bin"))
		}, []string{"cifar10: {dir}/data_batch_5.bin: file not found"}},
		{"label", func(dir string) {
			bad := append([]byte(nil), rec...)
			bad[3073] = 10
			os.WriteFile(filepath.Join(dir, "data_batch_4.bin"), bad, 0o644)
		}, []string{"cifar10: {dir}/data_batch_4.bin: record 1 (byte offset 3073): label 10 is outside [0, 10)"}},
		{"meta", func(dir string) {
			os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte("cat\ndog\n"), 0o644)
		}, []string{"cifar10: {dir}/batches.meta.txt: 2 class names, want 10"}},
		{"directory", func(dir string) {
			os.Remove(filepath.Join(dir, "data_batch_1.bin"))
			os.Mkdir(filepath.Join(dir, "data_batch_1.bin"), 0o755)
		}, []string{"cifar10: {dir}/data_batch_1.bin: not a regular file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCIFAR10(t, dir, 2)
			tc.prepare(dir)
			d, err := LoadCIFAR10(dir, true)
			if d != nil {
				t.Errorf("got a dataset with the error")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FileError", err)
			}
			for i := range tc.want {
				tc.want[i] = strings.ReplaceAll(tc.want[i], "{dir}", dir)
			}
			wantErr(t, err, tc.want...)
		})
	}

	_, err := LoadCIFAR10(filepath.Join(t.TempDir(), "nowhere"), true)
	wantErr(t, err, "cifar10: ", "nowhere: directory does not exist")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder error %v does not wrap os.ErrNotExist", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err = LoadCIFAR10(file, false)
	wantErr(t, err, "cifar10: "+file+": not a directory")
}

func TestCIFAR100Synthetic(t *testing.T) {
	dir := t.TempDir()
	labels := []int{0, 57, 99, 3}
	writeFile(t, filepath.Join(dir, "train.bin"), cifarRecords(labels, 2))
	writeFile(t, filepath.Join(dir, "test.bin"), cifarRecords(labels[:1], 2))
	d, err := LoadCIFAR100(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 4 || d.NumClasses() != 100 || d.Classes[57] != "57" {
		t.Fatalf("N=%d classes %d %q", d.N, d.NumClasses(), d.Classes[57])
	}
	if !slices.Equal(d.Labels, []int32{0, 57, 99, 3}) {
		t.Errorf("labels %v, want the fine labels", d.Labels)
	}
	if got, want := d.Image(2)[1024+5*32+7], synthPixel(2, 1, 5, 7); got != want {
		t.Errorf("pixel %d, want %d", got, want)
	}
	names := ""
	for i := range 100 {
		names += fmt.Sprintf("class_%d\n", i)
	}
	writeFile(t, filepath.Join(dir, "fine_label_names.txt"), []byte(names))
	d, err = LoadCIFAR100(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || d.Classes[99] != "class_99" {
		t.Errorf("N=%d class 99 %q", d.N, d.Classes[99])
	}

	// Bad fine and coarse labels, and a size that fits CIFAR-10 records.
	bad := cifarRecords([]int{1, 2}, 2)
	bad[3074+1] = 100
	writeFile(t, filepath.Join(dir, "train.bin"), bad)
	_, err = LoadCIFAR100(dir, true)
	wantErr(t, err, "cifar100: "+dir+"/train.bin: record 1 (byte offset 3075): label 100 is outside [0, 100)")
	bad[3074+1] = 5
	bad[0] = 20
	writeFile(t, filepath.Join(dir, "train.bin"), bad)
	_, err = LoadCIFAR100(dir, true)
	wantErr(t, err, "cifar100: "+dir+"/train.bin: record 0 (byte offset 0): coarse label 20 is outside [0, 20)")
	writeFile(t, filepath.Join(dir, "train.bin"), cifarRecords([]int{1, 2}, 1))
	_, err = LoadCIFAR100(dir, true)
	wantErr(t, err, "cifar100: "+dir+"/train.bin: size 6146 is not a multiple of the 3074-byte record")
}
