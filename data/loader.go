package data

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
)

// Augment selects the random training transformations of a Loader, applied
// in DARTS' order: crop, flip, then (after normalisation) cutout.
type Augment struct {
	// Pad > 0 enables the random crop: the image is zero-padded by Pad
	// pixels on every side and an H×W window is cut at a uniformly random
	// offset in [0, 2·Pad]² (torchvision's RandomCrop(32, padding=4) for
	// Pad = 4). Padding pixels are black (raw value 0) before
	// normalisation, as in torchvision.
	Pad int
	// Flip mirrors the image left-right with probability 1/2.
	Flip bool
	// Cutout > 0 zeroes one Cutout×Cutout square per image, on all channels,
	// after normalisation (DARTS' Cutout): the centre (cy, cx) is uniform
	// over the H×W pixels and the square [cy-L/2, cy+L/2) × [cx-L/2, cx+L/2)
	// is clipped to the image, so it may be smaller near the border.
	Cutout int
}

// DARTSAugment returns DARTS' CIFAR training augmentation: random crop with
// 4-pixel padding, random flip and, when cutout > 0, cutout of that length
// (DARTS uses 16 when --cutout is given).
func DARTSAugment(cutout int) Augment {
	return Augment{Pad: 4, Flip: true, Cutout: cutout}
}

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// BatchSize is the number of images per batch (> 0).
	BatchSize int
	// Indices restricts the loader to these dataset indices, in this order
	// when Shuffle is false; nil means 0 … N-1.
	Indices []int
	// Shuffle visits the indices in a random order that depends only on
	// Seed and the epoch.
	Shuffle bool
	// DropLast skips the final partial batch of an epoch.
	DropLast bool
	// Seed determines the shuffling and the augmentation.
	Seed uint64
	// Augment selects the random transformations (the zero value: none, as
	// for evaluation).
	Augment Augment
	// Mean and Std override the dataset's per-channel normalisation
	// constants; nil keeps them. A pixel v becomes (v/255 - Mean[c]) /
	// Std[c], computed in float32 as torchvision's ToTensor and Normalize
	// do.
	Mean, Std []float32
}

// Batch is one batch produced by a Loader. Its slices are owned by the
// Loader and overwritten by its next call.
type Batch struct {
	// X holds the normalised, augmented images in the channel-major layout
	// (C, N, H, W): element (n, c, h, w) is X[((c*N+n)*H+h)*W+w].
	X []float32
	// Y holds the N labels.
	Y []int32
	// Index holds the dataset index of each of the N images.
	Index []int
	// N images of C channels, H rows and W columns; N equals the batch size
	// except for a final partial batch.
	N, C, H, W int
	// Epoch and Iter locate the batch: Iter counts batches from 0 within the
	// epoch.
	Epoch, Iter int
}

// Loader produces deterministic batches from a dataset. Batch (e, i)
// depends only on the dataset, the configuration, e and i: its images are
// positions [i·B, i·B+B) of the epoch's order (a permutation seeded by Seed
// and e when shuffling), and each image's augmentation is drawn from a
// generator seeded by Seed, e and the image's position in the epoch. So a
// run resumed with Seek(e, i) sees exactly the batches an uninterrupted run
// would, and the augmentation of a position does not depend on the batch
// size.
//
// After NewLoader, producing batches allocates nothing. A Loader is not safe
// for concurrent use; give each goroutine its own.
type Loader struct {
	ds      *Dataset
	cfg     LoaderConfig
	indices []int
	lut     [][256]float32 // normalised value of each raw pixel value, per channel
	batches int

	order      []int // dataset indices of the current epoch, in order
	orderEpoch int
	orderOK    bool

	epoch, iter int

	rng *rand.Rand
	pcg rand.PCG

	batch Batch
}

// NewLoader checks cfg against ds and returns a Loader positioned at epoch
// 0, iteration 0.
func NewLoader(ds *Dataset, cfg LoaderConfig) (*Loader, error) {
	if ds == nil {
		return nil, errors.New("data: NewLoader: nil dataset")
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("data: batch size %d must be positive", cfg.BatchSize)
	}
	a := cfg.Augment
	if a.Pad < 0 || a.Cutout < 0 {
		return nil, fmt.Errorf("data: negative augmentation parameter %+v", a)
	}
	var idx []int
	if cfg.Indices == nil {
		idx = Range(ds.N)
	} else {
		idx = append([]int(nil), cfg.Indices...)
		for _, i := range idx {
			if i < 0 || i >= ds.N {
				return nil, fmt.Errorf("data: index %d outside the %d images of %s", i, ds.N, ds.Name)
			}
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("data: no images to load from %s", ds.Name)
	}
	mean, std := ds.Mean, ds.Std
	if cfg.Mean != nil {
		mean = cfg.Mean
	}
	if cfg.Std != nil {
		std = cfg.Std
	}
	if len(mean) != ds.C || len(std) != ds.C {
		return nil, fmt.Errorf("data: %d means and %d standard deviations for %d channels", len(mean), len(std), ds.C)
	}
	l := &Loader{ds: ds, cfg: cfg, indices: idx, lut: make([][256]float32, ds.C)}
	l.cfg.Indices = nil
	l.cfg.Mean = append([]float32(nil), mean...)
	l.cfg.Std = append([]float32(nil), std...)
	for c := range l.lut {
		if std[c] == 0 {
			return nil, fmt.Errorf("data: standard deviation of channel %d is zero", c)
		}
		for v := range 256 {
			x := float32(v) / 255
			l.lut[c][v] = (x - mean[c]) / std[c]
		}
	}
	l.batches = len(idx) / cfg.BatchSize
	if !cfg.DropLast && len(idx)%cfg.BatchSize != 0 {
		l.batches++
	}
	if l.batches == 0 {
		return nil, fmt.Errorf("data: %d images make no full batch of %d", len(idx), cfg.BatchSize)
	}
	l.order = make([]int, len(idx))
	l.rng = rand.New(&l.pcg)
	b := cfg.BatchSize
	l.batch = Batch{
		X:     make([]float32, ds.C*b*ds.H*ds.W),
		Y:     make([]int32, b),
		Index: make([]int, b),
		C:     ds.C, H: ds.H, W: ds.W,
	}
	return l, nil
}

// Range returns 0, 1, …, n-1.
func Range(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

// Split cuts indices at floor(portion·len(indices)) into a first and a
// second part (sub-slices of indices). DARTS' search uses
// Split(Range(50000), 0.5): the first half of the training set trains the
// weights, the second half the architecture.
func Split(indices []int, portion float64) (first, second []int) {
	k := int(portion * float64(len(indices)))
	k = max(0, min(k, len(indices)))
	return indices[:k:k], indices[k:]
}

// Dataset returns the loader's dataset.
func (l *Loader) Dataset() *Dataset { return l.ds }

// Len returns the number of images per epoch (including a partial batch
// dropped by DropLast).
func (l *Loader) Len() int { return len(l.indices) }

// BatchesPerEpoch returns the number of batches in an epoch.
func (l *Loader) BatchesPerEpoch() int { return l.batches }

// Position returns the epoch and iteration of the batch the next call to
// Next returns.
func (l *Loader) Position() (epoch, iter int) { return l.epoch, l.iter }

// Seek positions the loader so that Next returns batch iter of epoch next.
func (l *Loader) Seek(epoch, iter int) {
	l.epoch, l.iter = epoch, iter
}

// Next returns the batch at the current position and advances by one, or
// (nil, false) at the end of the epoch (Position then reports
// BatchesPerEpoch as the iteration; Seek(epoch+1, 0) starts the next one).
func (l *Loader) Next() (*Batch, bool) {
	if l.iter < 0 || l.iter >= l.batches {
		return nil, false
	}
	b := l.Batch(l.epoch, l.iter)
	l.iter++
	return b, true
}

// Epoch returns an iterator over the batches of epoch, starting at
// iteration from (0 for a whole epoch). It leaves the loader positioned
// after the last batch produced.
func (l *Loader) Epoch(epoch, from int) iter.Seq2[int, *Batch] {
	return func(yield func(int, *Batch) bool) {
		l.Seek(epoch, from)
		for {
			it := l.iter
			b, ok := l.Next()
			if !ok || !yield(it, b) {
				return
			}
		}
	}
}

// Batch produces batch iter of epoch (0 <= iter < BatchesPerEpoch) without
// moving the loader's position. The result is overwritten by the next call.
func (l *Loader) Batch(epoch, iter int) *Batch {
	if iter < 0 || iter >= l.batches {
		panic(fmt.Sprintf("data: batch %d outside [0, %d)", iter, l.batches))
	}
	l.prepareEpoch(epoch)
	bs := l.cfg.BatchSize
	lo := iter * bs
	hi := min(lo+bs, len(l.order))
	n := hi - lo
	ds := l.ds
	b := &l.batch
	b.N, b.Epoch, b.Iter = n, epoch, iter
	plane := ds.H * ds.W
	b.X = b.X[:ds.C*n*plane]
	b.Y = b.Y[:n]
	b.Index = b.Index[:n]
	for k := range n {
		pos := lo + k
		di := l.order[pos]
		b.Index[k] = di
		b.Y[k] = ds.Labels[di]
		l.fill(b.X, n, k, di, epoch, pos)
	}
	return b
}

// prepareEpoch computes the visiting order of epoch.
func (l *Loader) prepareEpoch(epoch int) {
	if l.orderOK && l.orderEpoch == epoch {
		return
	}
	copy(l.order, l.indices)
	if l.cfg.Shuffle {
		l.pcg.Seed(mix(l.cfg.Seed, uint64(epoch), 0x5f0e), mix(l.cfg.Seed, uint64(epoch), 0x5f0f))
		for i := len(l.order) - 1; i > 0; i-- {
			j := l.rng.IntN(i + 1)
			l.order[i], l.order[j] = l.order[j], l.order[i]
		}
	}
	l.orderEpoch, l.orderOK = epoch, true
}

// augParams are the random choices for one image: crop offset (dy, dx) in
// [-Pad, Pad], flip, and cutout centre (cy, cx), cy < 0 meaning no cutout.
type augParams struct {
	dy, dx   int
	flip     bool
	cy, cx   int
	cutoutLn int
}

// fill writes image di, at position pos of the epoch, as sample k of an
// n-image channel-major batch.
func (l *Loader) fill(x []float32, n, k, di, epoch, pos int) {
	a := l.cfg.Augment
	p := augParams{cy: -1, cx: -1, cutoutLn: a.Cutout}
	if a.Pad > 0 || a.Flip || a.Cutout > 0 {
		l.pcg.Seed(mix(l.cfg.Seed, uint64(epoch), 0xa5a5), uint64(pos))
		if a.Pad > 0 {
			p.dy = l.rng.IntN(2*a.Pad+1) - a.Pad
			p.dx = l.rng.IntN(2*a.Pad+1) - a.Pad
		}
		if a.Flip {
			p.flip = l.rng.Uint64()&1 == 1
		}
		if a.Cutout > 0 {
			p.cy = l.rng.IntN(l.ds.H)
			p.cx = l.rng.IntN(l.ds.W)
		}
	}
	l.render(x, n, k, l.ds.Image(di), p)
}

// render writes img transformed by p as sample k of an n-image
// channel-major batch x: output pixel (y, x) comes from source pixel
// (y+dy, x'+dx) with x' = W-1-x when flipping, else x; source pixels
// outside the image are the padding (raw value 0).
func (l *Loader) render(x []float32, n, k int, img []uint8, p augParams) {
	ds := l.ds
	H, W := ds.H, ds.W
	plane := H * W
	for c := range ds.C {
		lut := &l.lut[c]
		padv := lut[0]
		src := img[c*plane : (c+1)*plane]
		dst := x[(c*n+k)*plane : (c*n+k+1)*plane]
		for y := range H {
			row := dst[y*W : (y+1)*W]
			sy := y + p.dy
			if sy < 0 || sy >= H {
				for i := range row {
					row[i] = padv
				}
				continue
			}
			srow := src[sy*W : (sy+1)*W]
			for xx := range row {
				ox := xx
				if p.flip {
					ox = W - 1 - xx
				}
				if sx := ox + p.dx; sx < 0 || sx >= W {
					row[xx] = padv
				} else {
					row[xx] = lut[srow[sx]]
				}
			}
		}
		if p.cy >= 0 {
			y1, y2, x1, x2 := CutoutBox(p.cy, p.cx, p.cutoutLn, H, W)
			for y := y1; y < y2; y++ {
				clear(dst[y*W+x1 : y*W+x2])
			}
		}
	}
}

// CutoutBox returns the rows [y1, y2) and columns [x1, x2) that DARTS'
// Cutout of side length zeroes around centre (cy, cx) in an h×w image.
func CutoutBox(cy, cx, length, h, w int) (y1, y2, x1, x2 int) {
	half := length / 2
	clamp := func(v, hi int) int { return max(0, min(v, hi)) }
	return clamp(cy-half, h), clamp(cy+half, h), clamp(cx-half, w), clamp(cx+half, w)
}

// mix hashes three words into one (SplitMix64 finaliser over a running
// combination), so nearby seeds and epochs give unrelated generators.
func mix(a, b, c uint64) uint64 {
	h := a
	for _, v := range [...]uint64{b, c} {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = splitmix(h)
	}
	return h
}

func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
