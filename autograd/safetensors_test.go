package autograd

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func sampleFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := WriteSafetensors(&buf, map[string]SafeTensor{
		"x":      F32Tensor([]float32{1, -2, 3.5, 4, 5, 6}, 2, 3),
		"labels": I64Tensor([]int64{7, -1, 1 << 40}, 3),
		"scalar": F32Tensor([]float32{0.25}),
		"empty":  F32Tensor(nil, 0, 4),
	}, map[string]string{"op": "conv2d", "params": `{"stride": 2}`})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSafetensorsRoundTrip(t *testing.T) {
	b := sampleFile(t)
	hl := binary.LittleEndian.Uint64(b)
	if hl%8 != 0 {
		t.Errorf("header length %d not padded to 8", hl)
	}
	f, err := ParseSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["op"] != "conv2d" || f.Metadata["params"] != `{"stride": 2}` {
		t.Errorf("metadata %v", f.Metadata)
	}
	if got := strings.Join(f.Names(), ","); got != "empty,labels,scalar,x" {
		t.Errorf("names %s", got)
	}
	x, shape, err := f.Float32("x")
	if err != nil || len(shape) != 2 || shape[0] != 2 || shape[1] != 3 || x[2] != 3.5 || x[1] != -2 {
		t.Errorf("x = %v %v %v", x, shape, err)
	}
	l, err := f.Tensors["labels"].Int64()
	if err != nil || l[0] != 7 || l[1] != -1 || l[2] != 1<<40 {
		t.Errorf("labels = %v %v", l, err)
	}
	if s := f.Tensors["scalar"]; len(s.Shape) != 0 || s.Numel() != 1 {
		t.Errorf("scalar shape %v", s.Shape)
	}
	if _, err := f.Tensors["x"].Int64(); err == nil {
		t.Error("Int64 of F32 should fail")
	}
	// File round trip through SaveSafetensors.
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := SaveSafetensors(path, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	g, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Tensors["x"].Data, f.Tensors["x"].Data) {
		t.Error("file round trip changed x")
	}
}

func TestSafetensorsErrors(t *testing.T) {
	good := sampleFile(t)
	hl := int(binary.LittleEndian.Uint64(good))
	for cut := 0; cut < len(good); cut += 1 + cut/4 {
		if _, err := ParseSafetensors(good[:cut]); err == nil {
			t.Errorf("truncated to %d bytes: no error", cut)
		} else if cut < 8+hl && !strings.Contains(err.Error(), "truncated") {
			t.Errorf("truncated to %d bytes: %v", cut, err)
		}
	}
	mk := func(hdr string, data int) []byte {
		b := make([]byte, 8, 8+len(hdr)+data)
		binary.LittleEndian.PutUint64(b, uint64(len(hdr)))
		b = append(b, hdr...)
		return append(b, make([]byte, data)...)
	}
	bad := map[string][]byte{
		"huge header":  append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, good[8:]...),
		"not json":     mk("[1,2]   ", 0),
		"broken json":  mk(`{"x":{"dtype":"F32"`, 0),
		"dtype":        mk(`{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}`, 4),
		"size":         mk(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4),
		"offsets":      mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, 4),
		"past end":     mk(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4),
		"gap":          mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8),
		"overlap":      mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
		"trailing":     mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8),
		"neg shape":    mk(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4),
		"bad metadata": mk(`{"__metadata__":{"a":1}}`, 0),
		"extra field":  mk(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"q":1}}`, 4),
	}
	for name, b := range bad {
		if _, err := ParseSafetensors(b); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if err := WriteSafetensors(&bytes.Buffer{}, map[string]SafeTensor{"x": {DType: "F32", Shape: []int{3}, Data: make([]byte, 4)}}, nil); err == nil {
		t.Error("writing a mis-sized tensor: no error")
	}
}

func TestSafetensorsConversions(t *testing.T) {
	le := binary.LittleEndian
	h := make([]byte, 10)
	for i, v := range []uint16{0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555} {
		le.PutUint16(h[2*i:], v)
	}
	f, err := SafeTensor{DType: "F16", Shape: []int{5}, Data: h}.Float32()
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2, float32(math.Ldexp(1, -24)), float32(math.Inf(1)), 0.33325195}
	for i := range want {
		if f[i] != want[i] {
			t.Errorf("F16 %d: %v want %v", i, f[i], want[i])
		}
	}
	bf := make([]byte, 4)
	le.PutUint16(bf, 0x3fc0)
	le.PutUint16(bf[2:], 0xbf80)
	f, _ = SafeTensor{DType: "BF16", Shape: []int{2}, Data: bf}.Float32()
	if f[0] != 1.5 || f[1] != -1 {
		t.Errorf("BF16 %v", f)
	}
	// 4-D tensors go through NCHW on both sides.
	be := NewCPU()
	v := make([]float32, 2*3*2*2)
	for i := range v {
		v[i] = float32(i)
	}
	x, err := ActivationFromSafe(be, F32Tensor(v, 2, 3, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if x.Data()[4] != 12 { // storage (C, N, HW): c=0, n=1 starts at logical 12
		t.Errorf("channel-major storage %v", x.Data())
	}
	back, _ := SafeFromTensor(x).Float32()
	for i := range v {
		if back[i] != v[i] {
			t.Fatalf("round trip %v", back)
		}
	}
	y := NewActivation(be, 2, 3, 2, 2)
	file := &SafeFile{Tensors: map[string]SafeTensor{"w": F32Tensor(v, 2, 3, 2, 2)}}
	if err := file.LoadInto(y, "w"); err != nil {
		t.Fatal(err)
	}
	if err := file.LoadInto(NewActivation(be, 3, 2, 2, 2), "w"); err == nil {
		t.Error("LoadInto accepted a wrong shape")
	}
	for i := range v {
		if y.Data()[i] != x.Data()[i] {
			t.Fatal("LoadInto differs from ActivationFromSafe")
		}
	}
	// Parameters keep PyTorch's layout.
	w, _ := TensorFromSafe(be, F32Tensor(v, 2, 3, 2, 2))
	pw := New(be, 2, 3, 2, 2)
	if err := file.LoadInto(pw, "w"); err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if w.Data()[i] != v[i] || pw.Data()[i] != v[i] {
			t.Fatal("a row-major 4-D tensor was transposed")
		}
	}
}
