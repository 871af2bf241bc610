// Command mksample builds the CIFAR-10 sample embedded in package data from
// a folder holding the CIFAR-10 binary version (data_batch_1.bin …
// data_batch_5.bin, test_batch.bin).
//
// It keeps, for every class, the first -train-per-class records of the
// training batches and the first -test-per-class records of test_batch.bin,
// in file order (classes stay interleaved as in the source), and writes them
// unchanged, in the official 3073-byte record layout, as two gzip files:
//
//	<out>/cifar10-sample-train.bin.gz
//	<out>/cifar10-sample-test.bin.gz
//
// Decompressed, each file is a valid CIFAR-10 batch file. The gzip header
// carries no name or time stamp, so the output depends only on the input
// (and the Go version's compress/flate).
//
// Usage, from the data folder (see the go:generate line in embedded.go):
//
//	DARTS_CIFAR10_BIN=/path/to/cifar-10-batches-bin go generate ./data
//	go run ./internal/mksample -src /path/to/cifar-10-batches-bin -out embedded
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const (
	record  = 3073
	classes = 10
)

func main() {
	src := flag.String("src", os.Getenv("DARTS_CIFAR10_BIN"), "folder with the CIFAR-10 binary files (default $DARTS_CIFAR10_BIN)")
	out := flag.String("out", "embedded", "output folder")
	trainK := flag.Int("train-per-class", 250, "training images kept per class")
	testK := flag.Int("test-per-class", 50, "test images kept per class")
	flag.Parse()
	if err := run(*src, *out, *trainK, *testK, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}

func run(src, out string, trainK, testK int, log io.Writer) error {
	if src == "" {
		return fmt.Errorf("no source folder: pass -src or set DARTS_CIFAR10_BIN to the folder holding data_batch_1.bin … test_batch.bin")
	}
	train := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	test := []string{"test_batch.bin"}
	for _, job := range []struct {
		files []string
		k     int
		name  string
	}{{train, trainK, "cifar10-sample-train.bin.gz"}, {test, testK, "cifar10-sample-test.bin.gz"}} {
		recs, err := pick(src, job.files, job.k)
		if err != nil {
			return err
		}
		gz, err := compress(recs)
		if err != nil {
			return err
		}
		path := filepath.Join(out, job.name)
		if err := os.WriteFile(path, gz, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(log, "%s: %d records, %d bytes raw, %d bytes gzip\n", path, len(recs)/record, len(recs), len(gz))
	}
	return nil
}

// pick returns the first k records of every class found in files, in file
// order.
func pick(dir string, files []string, k int) ([]byte, error) {
	var seen [classes]int
	var outb []byte
	for _, f := range files {
		path := filepath.Join(dir, f)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if len(b)%record != 0 {
			return nil, fmt.Errorf("%s: size %d is not a multiple of the %d-byte record", path, len(b), record)
		}
		for off := 0; off < len(b); off += record {
			l := b[off]
			if l >= classes {
				return nil, fmt.Errorf("%s: record %d: label %d is outside [0, %d)", path, off/record, l, classes)
			}
			if seen[l] < k {
				seen[l]++
				outb = append(outb, b[off:off+record]...)
			}
		}
	}
	for c, n := range seen {
		if n < k {
			return nil, fmt.Errorf("%s: class %d has only %d records, want %d", dir, c, n, k)
		}
	}
	return outb, nil
}

func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
