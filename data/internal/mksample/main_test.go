package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	// Each file holds labels 0..9 twice; record i of file f has pixel bytes
	// equal to f*20+i.
	names := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	for f, name := range names {
		var b []byte
		for i := range 20 {
			rec := bytes.Repeat([]byte{byte(f*20 + i)}, record)
			rec[0] = byte(i % 10)
			b = append(b, rec...)
		}
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(src, out, 3, 1, io.Discard); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	train := read("cifar10-sample-train.bin.gz")
	if len(train) != 30*record {
		t.Fatalf("train sample has %d bytes, want %d", len(train), 30*record)
	}
	// 3 per class: both records of each class in file 1, then the first
	// of each class in file 2.
	for k := range 30 {
		r := train[k*record : (k+1)*record]
		wantLabel, wantPix := byte(k%10), byte(k)
		if k >= 20 {
			wantPix = byte(20 + k - 20)
		}
		if r[0] != wantLabel || r[1] != wantPix || r[record-1] != wantPix {
			t.Fatalf("train record %d: label %d pixel %d, want %d %d", k, r[0], r[1], wantLabel, wantPix)
		}
	}
	test := read("cifar10-sample-test.bin.gz")
	if len(test) != 10*record || test[record] != 1 || test[record+1] != 101 {
		t.Fatalf("test sample: %d bytes, record 1 label %d pixel %d", len(test), test[record], test[record+1])
	}
	if err := run(src, out, 11, 1, io.Discard); err == nil {
		t.Error("asking for more records than a class has gave no error")
	}
	if err := run("", out, 1, 1, io.Discard); err == nil {
		t.Error("no source folder gave no error")
	}
}
