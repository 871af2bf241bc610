package data

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CIFAR file names and record sizes (the "binary version" of the datasets).
const (
	cifarPixels      = 3 * 32 * 32
	cifar10Record    = 1 + cifarPixels // label, R, G, B
	cifar100Record   = 2 + cifarPixels // coarse label, fine label, R, G, B
	cifar10MetaFile  = "batches.meta.txt"
	cifar100FineFile = "fine_label_names.txt"
)

var (
	cifar10TrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	cifar10TestFiles  = []string{"test_batch.bin"}
	cifar100Train     = []string{"train.bin"}
	cifar100Test      = []string{"test.bin"}

	// cifar10Classes are used when batches.meta.txt is absent.
	cifar10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
)

// LoadCIFAR10 reads the CIFAR-10 binary version from dir: data_batch_1.bin
// … data_batch_5.bin (50000 images) when train is true, test_batch.bin
// (10000 images) otherwise. Class names come from batches.meta.txt when it is
// present and from the standard list otherwise.
func LoadCIFAR10(dir string, train bool) (*Dataset, error) {
	files := cifar10TestFiles
	if train {
		files = cifar10TrainFiles
	}
	return loadCIFAR(CIFAR10, dir, files, train, cifar10Record, 10, cifar10MetaFile, cifar10Classes)
}

// LoadCIFAR100 reads the CIFAR-100 binary version from dir: train.bin (50000
// images) or test.bin (10000 images), keeping the fine labels (100 classes).
// Class names come from fine_label_names.txt when present, else they are
// "0" … "99".
func LoadCIFAR100(dir string, train bool) (*Dataset, error) {
	files := cifar100Test
	if train {
		files = cifar100Train
	}
	return loadCIFAR(CIFAR100, dir, files, train, cifar100Record, 100, cifar100FineFile, nil)
}

func loadCIFAR(name, dir string, files []string, train bool, rec, nClasses int, metaFile string, defaultClasses []string) (*Dataset, error) {
	if err := checkDir(name, dir); err != nil {
		return nil, err
	}
	// Size every file first so the pixels are allocated once.
	counts := make([]int, len(files))
	total := 0
	for i, f := range files {
		path := filepath.Join(dir, f)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, openErr(name, path, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fileErr(name, path, nil, "not a regular file")
		}
		size := fi.Size()
		if size == 0 {
			return nil, fileErr(name, path, nil, "file is empty")
		}
		if size%int64(rec) != 0 {
			return nil, fileErr(name, path, nil, "size %d is not a multiple of the %d-byte record", size, rec)
		}
		counts[i] = int(size / int64(rec))
		total += counts[i]
	}
	classes, err := readClassNames(name, filepath.Join(dir, metaFile), nClasses, defaultClasses)
	if err != nil {
		return nil, err
	}
	d := &Dataset{
		Name: name, Train: train, N: total, C: 3, H: 32, W: 32,
		Images:  make([]uint8, total*cifarPixels),
		Labels:  make([]int32, total),
		Classes: classes,
		Mean:    append([]float32(nil), CIFARMean...),
		Std:     append([]float32(nil), CIFARStd...),
	}
	n := 0
	for i, f := range files {
		path := filepath.Join(dir, f)
		if err := readCIFARFile(name, path, rec, nClasses, counts[i], d.Images[n*cifarPixels:], d.Labels[n:]); err != nil {
			return nil, err
		}
		n += counts[i]
	}
	return d, nil
}

// readCIFARFile reads count records of rec bytes from path into images and
// labels.
func readCIFARFile(name, path string, rec, nClasses, count int, images []uint8, labels []int32) error {
	f, err := os.Open(path)
	if err != nil {
		return openErr(name, path, err)
	}
	defer f.Close()
	if err := decodeCIFAR(name, path, bufio.NewReaderSize(f, 1<<20), rec, nClasses, count, images, labels); err != nil {
		return err
	}
	// The file must end where its size said it would.
	var one [1]byte
	if k, _ := f.Read(one[:]); k != 0 {
		return fileErr(name, path, nil, "file grew while being read")
	}
	return nil
}

// decodeCIFAR decodes count records from r. The label is the last byte before
// the pixels (the fine label for CIFAR-100); every label byte is checked.
func decodeCIFAR(name, path string, r io.Reader, rec, nClasses, count int, images []uint8, labels []int32) error {
	buf := make([]byte, rec)
	nLabels := rec - cifarPixels
	for i := 0; i < count; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fileErr(name, path, err, "truncated: record %d of %d is incomplete", i, count)
			}
			return fileErr(name, path, err, "read: %v", err)
		}
		if nLabels == 2 && buf[0] >= 20 {
			return fileErr(name, path, nil, "record %d (byte offset %d): coarse label %d is outside [0, 20)", i, int64(i)*int64(rec), buf[0])
		}
		l := buf[nLabels-1]
		if int(l) >= nClasses {
			return fileErr(name, path, nil, "record %d (byte offset %d): label %d is outside [0, %d)", i, int64(i)*int64(rec)+int64(nLabels-1), l, nClasses)
		}
		labels[i] = int32(l)
		copy(images[i*cifarPixels:(i+1)*cifarPixels], buf[nLabels:])
	}
	return nil
}

// readClassNames reads one class name per line from path. A missing file
// gives def (or "0", "1", … when def is nil); a file with fewer than n names
// is an error.
func readClassNames(name, path string, n int, def []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if def != nil {
				return append([]string(nil), def...), nil
			}
			return numberNames(n), nil
		}
		return nil, openErr(name, path, err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" {
			names = append(names, line)
		}
	}
	if len(names) < n {
		return nil, fileErr(name, path, nil, "%d class names, want %d", len(names), n)
	}
	return names[:n], nil
}

func numberNames(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}
