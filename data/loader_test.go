package data

import (
	"math"
	"slices"
	"testing"
)

// gridDataset returns n images of c×h×w whose pixel (i, ch, y, x) is
// 1 + (ch*h*w + y*w + x + i) mod 255: never 0, and unique within a channel
// of an image when h*w <= 255.
func gridDataset(n, c, h, w int) *Dataset {
	d := &Dataset{Name: "grid", N: n, C: c, H: h, W: w,
		Images: make([]uint8, n*c*h*w), Labels: make([]int32, n),
		Classes: []string{"a", "b", "c"},
		Mean:    make([]float32, c), Std: make([]float32, c)}
	for i := range n {
		d.Labels[i] = int32(i % 3)
		for ch := range c {
			d.Mean[ch], d.Std[ch] = 0, 1
			for y := range h {
				for x := range w {
					d.Images[((i*c+ch)*h+y)*w+x] = uint8(1 + (ch*h*w+y*w+x+i)%255)
				}
			}
		}
	}
	return d
}

func newLoader(t testing.TB, d *Dataset, cfg LoaderConfig) *Loader {
	t.Helper()
	l, err := NewLoader(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// at returns element (n, c, y, x) of a channel-major batch.
func at(b *Batch, n, c, y, x int) float32 {
	return b.X[((c*b.N+n)*b.H+y)*b.W+x]
}

func TestLoaderLayoutAndNormalisation(t *testing.T) {
	d, err := LoadEmbeddedCIFAR10(false)
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(t, d, LoaderConfig{BatchSize: 3, Indices: []int{7, 2, 9, 4}})
	b, ok := l.Next()
	if !ok || b.N != 3 || b.C != 3 || b.H != 32 || b.W != 32 || len(b.X) != 3*3*32*32 {
		t.Fatalf("batch %+v", b)
	}
	if !slices.Equal(b.Index, []int{7, 2, 9}) || b.Y[1] != d.Labels[2] {
		t.Fatalf("index %v labels %v", b.Index, b.Y)
	}
	for n, di := range b.Index {
		img := d.Image(di)
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					v := img[(c*32+y)*32+x]
					// torchvision: ToTensor then Normalize, in float32.
					want := (float32(v)/255 - CIFARMean[c]) / CIFARStd[c]
					if got := at(b, n, c, y, x); got != want {
						t.Fatalf("(%d,%d,%d,%d) = %v, want %v", n, c, y, x, got, want)
					}
				}
			}
		}
	}
	// Known values: white and black pixels of the red channel.
	if got, want := l.lut[0][255], float32((1-0.4914)/0.2470); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("red 255 -> %v, want %v", got, want)
	}
	if got, want := l.lut[2][0], float32(-0.4465/0.2616); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("blue 0 -> %v, want %v", got, want)
	}
	// Final partial batch: 1 image, still channel-major for N = 1.
	b, ok = l.Next()
	if !ok || b.N != 1 || len(b.X) != 3*1024 || b.Index[0] != 4 || b.Iter != 1 {
		t.Fatalf("last batch N=%d len %d index %v iter %d", b.N, len(b.X), b.Index, b.Iter)
	}
	if got, want := at(b, 0, 2, 5, 6), l.lut[2][d.Image(4)[(2*32+5)*32+6]]; got != want {
		t.Errorf("partial batch pixel %v, want %v", got, want)
	}
	if _, ok := l.Next(); ok {
		t.Error("a third batch in a 4-image epoch of batch size 3")
	}
	if e, i := l.Position(); e != 0 || i != 2 {
		t.Errorf("position %d,%d", e, i)
	}
}

// decodeCrop finds the (dy, dx, flip) that turns image src into sample n of
// b, with padding value pad, or ok=false when none does.
func decodeCrop(b *Batch, n int, src []uint8, pad int, padv float32) (dy, dx int, flip, ok bool) {
	H, W := b.H, b.W
	for _, fl := range []bool{false, true} {
		for dy := -pad; dy <= pad; dy++ {
		next:
			for dx := -pad; dx <= pad; dx++ {
				for c := range b.C {
					for y := range H {
						for x := range W {
							ox := x
							if fl {
								ox = W - 1 - x
							}
							sy, sx := y+dy, ox+dx
							want := padv
							if sy >= 0 && sy < H && sx >= 0 && sx < W {
								want = float32(src[(c*H+sy)*W+sx]) / 255
							}
							if at(b, n, c, y, x) != want {
								continue next
							}
						}
					}
				}
				return dy, dx, fl, true
			}
		}
	}
	return 0, 0, false, false
}

func TestLoaderCropFlipGeometry(t *testing.T) {
	d := gridDataset(40, 2, 8, 8)
	const pad = 3
	l := newLoader(t, d, LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 7, Augment: Augment{Pad: pad, Flip: true}})
	seenDy, seenDx := map[int]bool{}, map[int]bool{}
	flips := 0
	total := 0
	for e := range 4 {
		for _, b := range l.Epoch(e, 0) {
			for n := range b.N {
				dy, dx, flip, ok := decodeCrop(b, n, d.Image(b.Index[n]), pad, 0)
				if !ok {
					t.Fatalf("epoch %d iter %d sample %d is no padded crop/flip of image %d", e, b.Iter, n, b.Index[n])
				}
				seenDy[dy], seenDx[dx] = true, true
				if flip {
					flips++
				}
				total++
			}
		}
	}
	if len(seenDy) != 2*pad+1 || len(seenDx) != 2*pad+1 {
		t.Errorf("offsets seen: dy %v dx %v, want all of [-%d, %d]", seenDy, seenDx, pad, pad)
	}
	if flips < total/4 || flips > 3*total/4 {
		t.Errorf("%d flips in %d images", flips, total)
	}

	// Hand-checked case: image 0 of a 1×4×4 dataset, offsets known by
	// decoding; the padded border has the normalised value of 0.
	d = gridDataset(1, 1, 4, 4)
	d.Mean[0], d.Std[0] = 0.5, 0.25
	l = newLoader(t, d, LoaderConfig{BatchSize: 1, Seed: 3, Augment: Augment{Pad: 2, Flip: true}})
	for e := range 50 {
		b := l.Batch(e, 0)
		// Undo the normalisation to raw pixel values.
		raw := make([]float32, 16)
		for i, v := range b.X {
			raw[i] = float32(math.Round(float64((v*0.25 + 0.5) * 255)))
		}
		// The pixel equal to 1 + y*4 + x sits at its source position
		// shifted by the crop, mirrored by the flip.
		for i, v := range raw {
			y, x := i/4, i%4
			if v == 0 {
				if b.X[i] != -2 {
					t.Fatalf("padding value %v, want (0-0.5)/0.25 = -2", b.X[i])
				}
				continue
			}
			sy, sx := (int(v)-1)/4, (int(v)-1)%4
			// Every non-padding pixel must agree with one (dy, dx, flip):
			// check the neighbour relation instead of decoding it again.
			if x+1 < 4 && raw[i+1] != 0 {
				ny, nx := (int(raw[i+1])-1)/4, (int(raw[i+1])-1)%4
				if ny != sy || (nx-sx != 1 && nx-sx != -1) {
					t.Fatalf("epoch %d: pixels (%d,%d) and (%d,%d) come from (%d,%d) and (%d,%d)", e, y, x, y, x+1, sy, sx, ny, nx)
				}
			}
			if y+1 < 4 && raw[i+4] != 0 {
				if ny := (int(raw[i+4]) - 1) / 4; ny != sy+1 {
					t.Fatalf("epoch %d: rows not consecutive", e)
				}
			}
		}
	}
}

// zeroBox returns the bounding box of the exact zeros of sample n, channel c,
// and their count.
func zeroBox(b *Batch, n, c int) (y1, y2, x1, x2, count int) {
	y1, x1 = b.H, b.W
	for y := range b.H {
		for x := range b.W {
			if at(b, n, c, y, x) == 0 {
				count++
				y1, y2 = min(y1, y), max(y2, y+1)
				x1, x2 = min(x1, x), max(x2, x+1)
			}
		}
	}
	return
}

func TestLoaderCutout(t *testing.T) {
	// CutoutBox follows DARTS: centre ± length/2, clipped.
	for _, tc := range [][7]int{
		{16, 16, 16, 8, 24, 8, 24},
		{0, 0, 16, 0, 8, 0, 8},
		{31, 2, 16, 23, 32, 0, 10},
		{5, 5, 3, 4, 6, 4, 6}, // odd length: [c-1, c+1)
	} {
		y1, y2, x1, x2 := CutoutBox(tc[0], tc[1], tc[2], 32, 32)
		if [4]int{y1, y2, x1, x2} != [4]int{tc[3], tc[4], tc[5], tc[6]} {
			t.Errorf("CutoutBox(%d, %d, %d) = %d %d %d %d, want %v", tc[0], tc[1], tc[2], y1, y2, x1, x2, tc[3:])
		}
	}

	d := gridDataset(20, 3, 10, 10) // pixels >= 1 and mean 0: no natural zeros
	const L = 6
	l := newLoader(t, d, LoaderConfig{BatchSize: 20, Seed: 11, Augment: Augment{Cutout: L}})
	full, clipped := 0, 0
	for e := range 10 {
		b := l.Batch(e, 0)
		for n := range b.N {
			y1, y2, x1, x2, count := zeroBox(b, n, 0)
			if count == 0 {
				t.Fatalf("no cutout in sample %d", n)
			}
			if count != (y2-y1)*(x2-x1) || y2-y1 > L || x2-x1 > L {
				t.Fatalf("zeros of sample %d are not a box of side <= %d: %d in [%d,%d)x[%d,%d)", n, L, count, y1, y2, x1, x2)
			}
			// A box of less than L rows touches the border.
			if (y2-y1 < L && y1 != 0 && y2 != 10) || (x2-x1 < L && x1 != 0 && x2 != 10) {
				t.Fatalf("clipped box [%d,%d)x[%d,%d) away from the border", y1, y2, x1, x2)
			}
			if y2-y1 == L && x2-x1 == L {
				full++
			} else {
				clipped++
			}
			for c := 1; c < 3; c++ {
				if a1, a2, b1, b2, k := zeroBox(b, n, c); [5]int{a1, a2, b1, b2, k} != [5]int{y1, y2, x1, x2, count} {
					t.Fatalf("channel %d cut elsewhere than channel 0", c)
				}
			}
			// Everything else is the plain image.
			src := d.Image(b.Index[n])
			for c := range 3 {
				for y := range 10 {
					for x := range 10 {
						if y >= y1 && y < y2 && x >= x1 && x < x2 {
							continue
						}
						if at(b, n, c, y, x) != float32(src[(c*10+y)*10+x])/255 {
							t.Fatalf("pixel outside the cutout changed")
						}
					}
				}
			}
		}
	}
	if full == 0 || clipped == 0 {
		t.Errorf("%d full and %d clipped boxes; want both kinds", full, clipped)
	}
}

func TestLoaderDeterminismAndResume(t *testing.T) {
	d, err := LoadEmbeddedCIFAR10(true)
	if err != nil {
		t.Fatal(err)
	}
	idx := Range(d.N)
	trainIdx, validIdx := Split(idx, 0.5)
	if len(trainIdx) != 1250 || validIdx[0] != 1250 || validIdx[len(validIdx)-1] != 2499 {
		t.Fatalf("split %d %v", len(trainIdx), validIdx[:1])
	}
	cfg := LoaderConfig{BatchSize: 64, Indices: validIdx, Shuffle: true, Seed: 42, Augment: DARTSAugment(16)}
	a := newLoader(t, d, cfg)
	b := newLoader(t, d, cfg)
	if a.BatchesPerEpoch() != 20 || a.Len() != 1250 {
		t.Fatalf("%d batches, %d images", a.BatchesPerEpoch(), a.Len())
	}
	type snap struct {
		x     []float32
		index []int
	}
	var run []snap
	for e := range 2 {
		seen := map[int]bool{}
		for _, bt := range a.Epoch(e, 0) {
			run = append(run, snap{slices.Clone(bt.X), slices.Clone(bt.Index)})
			for _, i := range bt.Index {
				if i < 1250 || seen[i] {
					t.Fatalf("epoch %d: index %d outside the subset or repeated", e, i)
				}
				seen[i] = true
			}
		}
		if len(seen) != 1250 {
			t.Fatalf("epoch %d visited %d images", e, len(seen))
		}
	}
	if slices.Equal(run[0].index, run[20].index) {
		t.Error("epochs 0 and 1 share their order")
	}
	if slices.Equal(run[0].index[:10], validIdx[:10]) {
		t.Error("not shuffled")
	}
	// Resume at epoch 1, iteration 7 on another loader: same batches.
	b.Seek(1, 7)
	for k := 27; k < 40; k++ {
		bt, ok := b.Next()
		if !ok || !slices.Equal(bt.X, run[k].x) || !slices.Equal(bt.Index, run[k].index) {
			t.Fatalf("resumed batch %d differs", k)
		}
	}
	if _, ok := b.Next(); ok {
		t.Error("batch after the end of the epoch")
	}
	// Random access backwards gives the same again.
	if bt := b.Batch(0, 3); !slices.Equal(bt.X, run[3].x) {
		t.Error("Batch(0, 3) differs")
	}
	// Another seed changes order and augmentation.
	cfg.Seed = 43
	c := newLoader(t, d, cfg)
	if bt := c.Batch(0, 0); slices.Equal(bt.Index, run[0].index) || slices.Equal(bt.X, run[0].x) {
		t.Error("seed 43 gives seed 42's batch")
	}
	// The augmentation of a position does not depend on the batch size.
	cfg.Seed, cfg.BatchSize = 42, 32
	e := newLoader(t, d, cfg)
	bt := e.Batch(0, 1)
	const plane = 32 * 32
	for ch := range 3 {
		if !slices.Equal(bt.X[ch*32*plane:(ch+1)*32*plane], run[0].x[(ch*64+32)*plane:(ch*64+64)*plane]) {
			t.Errorf("channel %d: batch 1 of size 32 is not the second half of batch 0 of size 64", ch)
		}
	}
	_ = trainIdx
}

func TestLoaderDropLastAndErrors(t *testing.T) {
	d := gridDataset(10, 1, 4, 4)
	l := newLoader(t, d, LoaderConfig{BatchSize: 4, DropLast: true})
	if l.BatchesPerEpoch() != 2 {
		t.Errorf("%d batches with DropLast, want 2", l.BatchesPerEpoch())
	}
	n := 0
	for range l.Epoch(0, 0) {
		n++
	}
	if n != 2 {
		t.Errorf("iterated %d batches", n)
	}
	for _, cfg := range []LoaderConfig{
		{BatchSize: 0},
		{BatchSize: 4, Indices: []int{1, 10}},
		{BatchSize: 4, Indices: []int{}},
		{BatchSize: 11, DropLast: true},
		{BatchSize: 4, Mean: []float32{0, 0}},
		{BatchSize: 4, Std: []float32{0}},
		{BatchSize: 4, Augment: Augment{Cutout: -1}},
	} {
		if _, err := NewLoader(d, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestLoaderNoAllocations(t *testing.T) {
	d, err := LoadEmbeddedCIFAR10(false)
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(t, d, LoaderConfig{BatchSize: 64, Shuffle: true, Seed: 1, Augment: DARTSAugment(16)})
	k := 0
	allocs := testing.AllocsPerRun(20, func() {
		// Crosses epoch boundaries (8 batches per epoch).
		l.Batch(k/8, k%8)
		k++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch, want 0", allocs)
	}
	l.Seek(3, 0)
	allocs = testing.AllocsPerRun(5, func() {
		if _, ok := l.Next(); !ok {
			l.Seek(4, 0)
		}
	})
	if allocs != 0 {
		t.Errorf("Next: %v allocations per batch, want 0", allocs)
	}
}

func BenchmarkLoaderDARTS(b *testing.B) {
	d, err := LoadEmbeddedCIFAR10(true)
	if err != nil {
		b.Fatal(err)
	}
	l := newLoader(b, d, LoaderConfig{BatchSize: 64, Shuffle: true, Seed: 1, Augment: DARTSAugment(16)})
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		l.Batch(k/l.BatchesPerEpoch(), k%l.BatchesPerEpoch())
		k++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64, "ns/image")
}

// TestRenderKnownImage checks crop, flip and cutout on a 4×4 image with
// hand-written expected outputs.
func TestRenderKnownImage(t *testing.T) {
	d := &Dataset{Name: "known", N: 1, C: 1, H: 4, W: 4, Labels: []int32{0}, Classes: []string{"x"},
		Mean: []float32{0}, Std: []float32{1.0 / 255}, // normalised value = raw value
		Images: []uint8{
			1, 2, 3, 4,
			5, 6, 7, 8,
			9, 10, 11, 12,
			13, 14, 15, 16,
		}}
	l := newLoader(t, d, LoaderConfig{BatchSize: 1})
	for _, tc := range []struct {
		name string
		p    augParams
		want []float32
	}{
		{"identity", augParams{cy: -1}, []float32{
			1, 2, 3, 4,
			5, 6, 7, 8,
			9, 10, 11, 12,
			13, 14, 15, 16}},
		// Window at padded offset (pad+1, pad-2): one row down, two
		// columns left, zeros from the padding.
		{"crop", augParams{dy: 1, dx: -2, cy: -1}, []float32{
			0, 0, 5, 6,
			0, 0, 9, 10,
			0, 0, 13, 14,
			0, 0, 0, 0}},
		{"flip", augParams{flip: true, cy: -1}, []float32{
			4, 3, 2, 1,
			8, 7, 6, 5,
			12, 11, 10, 9,
			16, 15, 14, 13}},
		// Crop then flip (torchvision's order): the crop above, mirrored.
		{"crop+flip", augParams{dy: 1, dx: -2, flip: true, cy: -1}, []float32{
			6, 5, 0, 0,
			10, 9, 0, 0,
			14, 13, 0, 0,
			0, 0, 0, 0}},
		{"crop up-right", augParams{dy: -1, dx: 1, cy: -1}, []float32{
			0, 0, 0, 0,
			2, 3, 4, 0,
			6, 7, 8, 0,
			10, 11, 12, 0}},
		// Cutout of length 2 centred at (1, 3): rows [0, 2), columns [2, 4).
		{"cutout", augParams{cy: 1, cx: 3, cutoutLn: 2}, []float32{
			1, 2, 0, 0,
			5, 6, 0, 0,
			9, 10, 11, 12,
			13, 14, 15, 16}},
		// Cutout clipped at the corner: length 4 at (0, 0) is [0, 2)².
		{"cutout corner", augParams{cy: 0, cx: 0, cutoutLn: 4}, []float32{
			0, 0, 3, 4,
			0, 0, 7, 8,
			9, 10, 11, 12,
			13, 14, 15, 16}},
	} {
		x := make([]float32, 16)
		l.render(x, 1, 0, d.Image(0), tc.p)
		for i := range x {
			x[i] = float32(math.Round(float64(x[i])))
		}
		if !slices.Equal(x, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, x, tc.want)
		}
	}
}
