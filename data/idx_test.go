package data

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pixelStats returns the mean and standard deviation of d's pixels scaled
// to [0, 1].
func pixelStats(d *Dataset) (mean, std float64) {
	var s, s2 float64
	for _, v := range d.Images {
		x := float64(v) / 255
		s += x
		s2 += x * x
	}
	n := float64(len(d.Images))
	mean = s / n
	return mean, math.Sqrt(s2/n - mean*mean)
}

func TestMNISTReal(t *testing.T) {
	dir := realMNIST(t)
	train, err := LoadMNIST(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || train.C != 1 || train.H != 28 || train.W != 28 {
		t.Fatalf("train N=%d shape %dx%dx%d", train.N, train.C, train.H, train.W)
	}
	if !slices.Equal(train.Labels[:5], []int32{5, 0, 4, 1, 9}) {
		t.Errorf("first labels %v, want [5 0 4 1 9]", train.Labels[:5])
	}
	wantCounts := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	if got := train.ClassCounts(); !slices.Equal(got, wantCounts) {
		t.Errorf("class counts %v, want %v", got, wantCounts)
	}
	// The normalisation constants are the training set's statistics.
	m, s := pixelStats(train)
	if math.Abs(m-0.1307) > 5e-4 || math.Abs(s-0.3081) > 5e-4 {
		t.Errorf("pixel mean %.4f std %.4f, want 0.1307 0.3081", m, s)
	}
	test, err := LoadMNIST(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 10000 || test.Labels[0] != 7 || test.Train {
		t.Errorf("test N=%d first label %d", test.N, test.Labels[0])
	}
}

func TestFashionMNISTReal(t *testing.T) {
	dir := realFashion(t)
	for _, train := range []bool{false, true} {
		if train && testing.Short() {
			t.Skip("skipping the 60000-image training split in -short mode")
		}
		d, err := LoadFashionMNIST(dir, train)
		if err != nil {
			t.Fatal(err)
		}
		want := 1000
		if train {
			want = 6000
		}
		if d.N != 10*want || d.H != 28 || d.W != 28 || d.Classes[9] != "Ankle boot" {
			t.Fatalf("train=%v: N=%d %dx%d classes %q", train, d.N, d.H, d.W, d.Classes)
		}
		for c, n := range d.ClassCounts() {
			if n != want {
				t.Errorf("train=%v: class %d has %d images, want %d", train, c, n, want)
			}
		}
		if train && d.Labels[0] != 9 {
			t.Errorf("first training label %d, want 9 (ankle boot)", d.Labels[0])
		}
	}
}

// writeIDXPair writes n 2×3 images and labels for split train under the
// given file names.
func writeIDXPair(t *testing.T, dir, imgName, lblName string, compress bool, labels []byte) {
	t.Helper()
	n := len(labels)
	pix := make([]byte, n*6)
	for i := range pix {
		pix[i] = byte(i)
	}
	img := idxFile([]int{n, 2, 3}, pix)
	lbl := idxFile([]int{n}, labels)
	if compress {
		img, lbl = gz(t, img), gz(t, lbl)
	}
	writeFile(t, filepath.Join(dir, imgName), img)
	writeFile(t, filepath.Join(dir, lblName), lbl)
}

func TestIDXSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name     string
		img, lbl string
		compress bool
	}{
		{"plain", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", false},
		{"gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", true},
		{"gzip without suffix", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", true},
		{"dotted", "train-images.idx3-ubyte", "train-labels.idx1-ubyte.gz", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXPair(t, dir, tc.img, tc.lbl, tc.compress, []byte{3, 1, 4})
			if tc.name == "dotted" {
				// Mixed: plain images, compressed labels.
				writeFile(t, filepath.Join(dir, tc.lbl), gz(t, idxFile([]int{3}, []byte{3, 1, 4})))
			}
			d, err := LoadFashionMNIST(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			if d.N != 3 || d.C != 1 || d.H != 2 || d.W != 3 || !slices.Equal(d.Labels, []int32{3, 1, 4}) {
				t.Fatalf("N=%d %dx%dx%d labels %v", d.N, d.C, d.H, d.W, d.Labels)
			}
			if d.Image(2)[4] != 16 || d.Classes[3] != "Dress" {
				t.Errorf("pixel %d class %q", d.Image(2)[4], d.Classes[3])
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestIDXErrors(t *testing.T) {
	labels := []byte{1, 2, 3, 4}
	imgs := idxFile([]int{4, 2, 3}, make([]byte, 24))
	lbls := idxFile([]int{4}, labels)
	corrupt := gz(t, imgs)
	corrupt[len(corrupt)-6] ^= 0xff // CRC-32 of the gzip trailer
	badLabel := idxFile([]int{4}, []byte{1, 2, 10, 4})
	const ti, tl = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
	cases := []struct {
		name     string
		img, lbl []byte
		imgName  string
		want     []string
	}{
		{"bad magic", idxFile([]int{4, 6}, make([]byte, 24)), lbls, ti,
			[]string{"mnist: {dir}/" + ti + ": bad magic number 0x00000802, want 0x00000803 (an IDX file of unsigned bytes with 3 dimensions)"}},
		{"labels as images", lbls, lbls, ti,
			[]string{"mnist: {dir}/" + ti + ": bad magic number 0x00000801, want 0x00000803"}},
		{"truncated plain", imgs[:len(imgs)-5], lbls, ti,
			[]string{"mnist: {dir}/" + ti + ": size 35 does not match the header (16 header bytes + 24 data bytes for dimensions [4 2 3])"}},
		{"trailing plain", append(append([]byte(nil), imgs...), 0), lbls, ti,
			[]string{"size 41 does not match the header"}},
		{"truncated header", imgs[:7], lbls, ti,
			[]string{"mnist: {dir}/" + ti + ": truncated while reading the header"}},
		{"truncated gzip", gz(t, imgs)[:30], lbls, ti + ".gz",
			[]string{"mnist: {dir}/" + ti + ".gz: truncated gzip stream"}},
		{"corrupt gzip", corrupt, lbls, ti + ".gz",
			[]string{"mnist: {dir}/" + ti + ".gz: corrupt gzip stream while reading the data: gzip: invalid checksum"}},
		{"short gzip data", gz(t, imgs[:len(imgs)-5]), lbls, ti + ".gz",
			[]string{"mnist: {dir}/" + ti + ".gz: truncated: 19 data bytes, header dimensions [4 2 3] need 24"}},
		{"long gzip data", gz(t, append(append([]byte(nil), imgs...), 1, 2)), lbls, ti + ".gz",
			[]string{"trailing data after the 24 bytes announced by header dimensions [4 2 3]"}},
		{"not gzip after magic", []byte{0x1f, 0x8b, 1, 2, 3}, lbls, ti + ".gz",
			[]string{"mnist: {dir}/" + ti + ".gz: not a valid gzip file"}},
		{"label range", imgs, badLabel, ti,
			[]string{"mnist: {dir}/" + tl + ": label 10 of image 2 is outside [0, 10)"}},
		{"count mismatch", imgs, idxFile([]int{3}, labels[:3]), ti,
			[]string{"mnist: {dir}/" + tl + ": 3 labels for the 4 images of " + ti}},
		{"huge header", idxFile([]int{1 << 20, 1 << 10, 1 << 10}, nil), lbls, ti,
			[]string{"header dimensions [1048576 1024 1024] announce more than"}},
		{"missing", nil, lbls, ti,
			[]string{"mnist: {dir}/" + ti + ".gz: file not found (nor " + ti + " without .gz)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.img != nil {
				writeFile(t, filepath.Join(dir, tc.imgName), tc.img)
			}
			writeFile(t, filepath.Join(dir, tl), tc.lbl)
			d, err := LoadMNIST(dir, false)
			if d != nil {
				t.Error("got a dataset with the error")
			}
			for i := range tc.want {
				tc.want[i] = strings.ReplaceAll(tc.want[i], "{dir}", dir)
			}
			wantErr(t, err, tc.want...)
		})
	}
}
