package data

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"io"
)

// The embedded CIFAR-10 sample: the first 250 training images of every class
// (2500 images, in the order of data_batch_1.bin … data_batch_5.bin) and the
// first 50 test images of every class (500 images, in the order of
// test_batch.bin), stored as gzip-compressed files in the official 3073-byte
// record layout. CIFAR-10 pixels barely compress (about 95% of their size
// under gzip), so this is what fits in the 10 MB budget (8.8 MB for both
// files). See embedded/README.md; regenerate with
//
//	DARTS_CIFAR10_BIN=/path/to/cifar-10-batches-bin go generate ./data
//
//go:generate go run ./internal/mksample -out embedded -train-per-class 250 -test-per-class 50

//go:embed embedded/cifar10-sample-train.bin.gz
var sampleTrainGz []byte

//go:embed embedded/cifar10-sample-test.bin.gz
var sampleTestGz []byte

// Sizes of the embedded sample.
const (
	SampleTrainImages = 2500
	SampleTestImages  = 500
)

// LoadEmbeddedCIFAR10 returns the CIFAR-10 sample compiled into the binary
// (dataset name "cifar10-sample"): 2500 training images (250 per class) when
// train is true, 500 test images (50 per class) otherwise. It needs no files
// and no network. Each call decodes a fresh copy.
func LoadEmbeddedCIFAR10(train bool) (*Dataset, error) {
	src, file, want := sampleTestGz, "embedded/cifar10-sample-test.bin.gz", SampleTestImages
	if train {
		src, file, want = sampleTrainGz, "embedded/cifar10-sample-train.bin.gz", SampleTrainImages
	}
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, fileErr(CIFAR10Sample, file, err, "corrupt embedded gzip: %v", err)
	}
	d := &Dataset{
		Name: CIFAR10Sample, Train: train, N: want, C: 3, H: 32, W: 32,
		Images:  make([]uint8, want*cifarPixels),
		Labels:  make([]int32, want),
		Classes: append([]string(nil), cifar10Classes...),
		Mean:    append([]float32(nil), CIFARMean...),
		Std:     append([]float32(nil), CIFARStd...),
	}
	if err := decodeCIFAR(CIFAR10Sample, file, zr, cifar10Record, 10, want, d.Images, d.Labels); err != nil {
		return nil, err
	}
	var one [1]byte
	if n, err := io.ReadFull(zr, one[:]); n != 0 || !errors.Is(err, io.EOF) {
		return nil, fileErr(CIFAR10Sample, file, err, "more than %d records or corrupt gzip stream", want)
	}
	return d, nil
}
