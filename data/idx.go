package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

var (
	mnistClasses   = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	fashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// IDX file stems of the MNIST family; each may also end in ".gz".
const (
	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// maxIDXBytes bounds the data size an IDX header may announce.
const maxIDXBytes = 1 << 31

// LoadMNIST reads MNIST from the IDX files in dir: train-images-idx3-ubyte
// and train-labels-idx1-ubyte (60000 images) when train is true,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (10000 images)
// otherwise. Each file may be gzip-compressed, with or without a ".gz"
// suffix.
func LoadMNIST(dir string, train bool) (*Dataset, error) {
	return loadIDXDataset(MNIST, dir, train, mnistClasses)
}

// LoadFashionMNIST reads Fashion-MNIST, which uses MNIST's file names and
// format (see LoadMNIST).
func LoadFashionMNIST(dir string, train bool) (*Dataset, error) {
	return loadIDXDataset(FashionMNIST, dir, train, fashionClasses)
}

func loadIDXDataset(name, dir string, train bool, classes []string) (*Dataset, error) {
	if err := checkDir(name, dir); err != nil {
		return nil, err
	}
	imgStem, lblStem := mnistTestImages, mnistTestLabels
	if train {
		imgStem, lblStem = mnistTrainImages, mnistTrainLabels
	}
	imgPath, err := findIDX(name, dir, imgStem)
	if err != nil {
		return nil, err
	}
	lblPath, err := findIDX(name, dir, lblStem)
	if err != nil {
		return nil, err
	}
	idims, pixels, err := readIDX(name, imgPath, 3)
	if err != nil {
		return nil, err
	}
	ldims, lbytes, err := readIDX(name, lblPath, 1)
	if err != nil {
		return nil, err
	}
	if ldims[0] != idims[0] {
		return nil, fileErr(name, lblPath, nil, "%d labels for the %d images of %s", ldims[0], idims[0], filepath.Base(imgPath))
	}
	labels := make([]int32, len(lbytes))
	for i, l := range lbytes {
		if int(l) >= len(classes) {
			return nil, fileErr(name, lblPath, nil, "label %d of image %d is outside [0, %d)", l, i, len(classes))
		}
		labels[i] = int32(l)
	}
	return &Dataset{
		Name: name, Train: train, N: idims[0], C: 1, H: idims[1], W: idims[2],
		Images:  pixels,
		Labels:  labels,
		Classes: append([]string(nil), classes...),
		Mean:    append([]float32(nil), MNISTMean...),
		Std:     append([]float32(nil), MNISTStd...),
	}, nil
}

// idxNames lists the file names tried for an IDX stem, in order.
func idxNames(stem string) []string {
	// Some copies use a dot before "idx" (train-images.idx3-ubyte).
	dotted := stem[:len(stem)-len("-idx3-ubyte")] + "." + stem[len(stem)-len("idx3-ubyte"):]
	return []string{stem, stem + ".gz", dotted, dotted + ".gz"}
}

// findIDX returns the path of the first existing file among idxNames(stem).
func findIDX(name, dir, stem string) (string, error) {
	for _, n := range idxNames(stem) {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fileErr(name, filepath.Join(dir, stem+".gz"), os.ErrNotExist, "file not found (nor %s without .gz)", stem)
}

// readIDX reads an IDX file of unsigned bytes with ndim dimensions,
// decompressing it when it starts with the gzip magic number. It returns
// the dimensions and the data.
func readIDX(name, path string, ndim int) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, openErr(name, path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	gz := false
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fileErr(name, path, err, "not a valid gzip file: %v", err)
		}
		zr.Multistream(false)
		r = zr
		gz = true
	}
	readErr := func(what string, err error) error {
		if gz && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fileErr(name, path, err, "corrupt gzip stream while reading the %s: %v", what, err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if gz {
				return fileErr(name, path, err, "truncated gzip stream while reading the %s", what)
			}
			return fileErr(name, path, err, "truncated while reading the %s", what)
		}
		return fileErr(name, path, err, "read: %v", err)
	}
	hdr := make([]byte, 4+4*ndim)
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return nil, nil, readErr("header", err)
	}
	want := uint32(0x0800 | ndim)
	if got := binary.BigEndian.Uint32(hdr); got != want {
		what := "an IDX file of unsigned bytes with " + fmt.Sprint(ndim) + " dimension"
		if ndim > 1 {
			what += "s"
		}
		return nil, nil, fileErr(name, path, nil, "bad magic number 0x%08x, want 0x%08x (%s)", got, want, what)
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return nil, nil, readErr("header", err)
	}
	dims := make([]int, ndim)
	total := int64(1)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4+4*i:]))
	}
	for _, d := range dims {
		if total *= int64(d); total > maxIDXBytes {
			return nil, nil, fileErr(name, path, nil, "header dimensions %v announce more than %d bytes", dims, int64(maxIDXBytes))
		}
	}
	if total == 0 {
		return nil, nil, fileErr(name, path, nil, "header announces no data (dimensions %v)", dims)
	}
	if !gz {
		if fi, err := f.Stat(); err == nil {
			if size := fi.Size(); size != int64(len(hdr))+total {
				return nil, nil, fileErr(name, path, nil, "size %d does not match the header (%d header bytes + %d data bytes for dimensions %v)", size, len(hdr), total, dims)
			}
		}
	}
	// Grows with the data actually present, so a bogus header cannot force
	// a huge allocation.
	buf, err := io.ReadAll(io.LimitReader(r, total+1))
	if err != nil {
		return nil, nil, readErr("data", err)
	}
	if int64(len(buf)) < total {
		return nil, nil, fileErr(name, path, nil, "truncated: %d data bytes, header dimensions %v need %d", len(buf), dims, total)
	}
	if int64(len(buf)) > total {
		return nil, nil, fileErr(name, path, nil, "trailing data after the %d bytes announced by header dimensions %v", total, dims)
	}
	return dims, buf, nil
}
