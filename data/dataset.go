package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Dataset names accepted by Load, Open, Resolve and LookupSource.
const (
	CIFAR10       = "cifar10"
	CIFAR100      = "cifar100"
	MNIST         = "mnist"
	FashionMNIST  = "fashion-mnist"
	CIFAR10Sample = "cifar10-sample" // embedded in the binary, see LoadEmbeddedCIFAR10
)

// Names lists the datasets this package knows, in a stable order.
func Names() []string {
	return []string{CIFAR10, CIFAR10Sample, CIFAR100, MNIST, FashionMNIST}
}

// Per-channel normalisation constants (mean and standard deviation of the
// training pixels scaled to [0, 1]), as used by DARTS and torchvision.
var (
	CIFARMean = []float32{0.4914, 0.4822, 0.4465}
	CIFARStd  = []float32{0.2470, 0.2435, 0.2616}
	MNISTMean = []float32{0.1307}
	MNISTStd  = []float32{0.3081}
)

// Dataset is an in-memory image classification dataset.
type Dataset struct {
	// Name is one of the dataset names above ("cifar10", ...).
	Name string
	// Train tells whether this is the training split.
	Train bool
	// N images of C channels, H rows and W columns.
	N, C, H, W int
	// Images holds the pixels in (N, C, H, W) order: pixel (n, c, h, w) is
	// Images[((n*C+c)*H+h)*W+w].
	Images []uint8
	// Labels holds N labels in [0, len(Classes)).
	Labels []int32
	// Classes names the classes in label order.
	Classes []string
	// Mean and Std are the per-channel normalisation constants (C values
	// each) that a Loader uses unless told otherwise.
	Mean, Std []float32
}

// NumClasses returns len(d.Classes).
func (d *Dataset) NumClasses() int { return len(d.Classes) }

// ImageSize returns C*H*W, the number of bytes of one image.
func (d *Dataset) ImageSize() int { return d.C * d.H * d.W }

// Image returns the C*H*W pixels of image i (a sub-slice of d.Images).
func (d *Dataset) Image(i int) []uint8 {
	s := d.ImageSize()
	return d.Images[i*s : (i+1)*s : (i+1)*s]
}

// ClassCounts returns how many images each class has.
func (d *Dataset) ClassCounts() []int {
	c := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		if l >= 0 && int(l) < len(c) {
			c[l]++
		}
	}
	return c
}

// Validate checks the internal consistency of d (sizes and label range).
func (d *Dataset) Validate() error {
	if d.N < 0 || d.C <= 0 || d.H <= 0 || d.W <= 0 {
		return fmt.Errorf("%s: bad shape (%d, %d, %d, %d)", d.Name, d.N, d.C, d.H, d.W)
	}
	if len(d.Images) != d.N*d.ImageSize() {
		return fmt.Errorf("%s: %d pixels for %d images of %dx%dx%d", d.Name, len(d.Images), d.N, d.C, d.H, d.W)
	}
	if len(d.Labels) != d.N {
		return fmt.Errorf("%s: %d labels for %d images", d.Name, len(d.Labels), d.N)
	}
	if len(d.Mean) != d.C || len(d.Std) != d.C {
		return fmt.Errorf("%s: normalisation constants for %d/%d channels, want %d", d.Name, len(d.Mean), len(d.Std), d.C)
	}
	for i, l := range d.Labels {
		if l < 0 || int(l) >= len(d.Classes) {
			return fmt.Errorf("%s: label %d of image %d is outside [0, %d)", d.Name, l, i, len(d.Classes))
		}
	}
	return nil
}

// FileError describes a problem with one input file or folder of a dataset.
// Its message reads "<dataset>: <path>: <problem>".
type FileError struct {
	Dataset string // "cifar10", ...
	Path    string // the file or folder concerned
	Msg     string // what is wrong
	Err     error  // underlying error, if any
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Dataset)
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

func fileErr(dataset, path string, err error, format string, args ...any) *FileError {
	return &FileError{Dataset: dataset, Path: path, Msg: fmt.Sprintf(format, args...), Err: err}
}

// openErr turns an error from opening or reading path into a FileError with
// a short message.
func openErr(dataset, path string, err error) *FileError {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fileErr(dataset, path, err, "file not found")
	case errors.Is(err, os.ErrPermission):
		return fileErr(dataset, path, err, "permission denied")
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fileErr(dataset, path, err, "%s: %v", pe.Op, pe.Err)
	}
	return fileErr(dataset, path, err, "%v", err)
}

// checkDir reports a missing or non-directory dir as a FileError.
func checkDir(dataset, dir string) error {
	if dir == "" {
		return fileErr(dataset, "", nil, "no data directory given")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fileErr(dataset, dir, err, "directory does not exist")
		}
		return openErr(dataset, dir, err)
	}
	if !fi.IsDir() {
		return fileErr(dataset, dir, nil, "not a directory")
	}
	return nil
}

// Load reads the named dataset from dir (the folder holding its files; see
// Resolve). For CIFAR10Sample dir is ignored.
func Load(name, dir string, train bool) (*Dataset, error) {
	switch name {
	case CIFAR10:
		return LoadCIFAR10(dir, train)
	case CIFAR100:
		return LoadCIFAR100(dir, train)
	case MNIST:
		return LoadMNIST(dir, train)
	case FashionMNIST:
		return LoadFashionMNIST(dir, train)
	case CIFAR10Sample:
		return LoadEmbeddedCIFAR10(train)
	}
	return nil, unknownName(name)
}

// Open locates the named dataset (downloading it when needed, see Resolve)
// and loads its training or test split. Progress of a download goes to
// progress (nil for none).
func Open(name, dataDir string, train bool, progress io.Writer) (*Dataset, error) {
	if name == CIFAR10Sample {
		return LoadEmbeddedCIFAR10(train)
	}
	dir, err := Resolve(name, dataDir, progress)
	if err != nil {
		return nil, err
	}
	return Load(name, dir, train)
}

func unknownName(name string) error {
	return fmt.Errorf("data: unknown dataset %q (known: %s)", name, strings.Join(Names(), ", "))
}
