package autograd

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Safetensors I/O (https://github.com/huggingface/safetensors format): an
// 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the
// byte buffer that follows) plus an optional "__metadata__" string map, then
// the raw little-endian data. Tensors are stored in PyTorch's logical
// order (NCHW); SafeFromTensor and TensorFromSafe convert to and from the
// channel-major storage of 4-D tensors.

// SafeTensor is one tensor of a safetensors file: dtype name ("F32", "I64",
// ...), shape and raw little-endian bytes.
type SafeTensor struct {
	DType string
	Shape []int
	Data  []byte
}

// SafeFile is a parsed safetensors file.
type SafeFile struct {
	Tensors  map[string]SafeTensor
	Metadata map[string]string
}

var dtypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// maxHeader bounds the JSON header (the reference implementation uses 100 MB).
const maxHeader = 100 << 20

// Numel is the number of elements the shape holds.
func (t SafeTensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// F32Tensor wraps float32 values (logical order) as a safetensors F32 tensor.
func F32Tensor(v []float32, shape ...int) SafeTensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return SafeTensor{DType: "F32", Shape: append([]int{}, shape...), Data: b}
}

// I64Tensor wraps int64 values as a safetensors I64 tensor.
func I64Tensor(v []int64, shape ...int) SafeTensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return SafeTensor{DType: "I64", Shape: append([]int{}, shape...), Data: b}
}

// Float32 returns the values converted to float32 (from F32, F64, F16,
// BF16, I64, I32, I16, I8, U8 or BOOL).
func (t SafeTensor) Float32() ([]float32, error) {
	n := t.Numel()
	size, ok := dtypeSize[t.DType]
	if !ok || len(t.Data) != n*size {
		return nil, fmt.Errorf("safetensors: %s tensor of shape %v has %d bytes", t.DType, t.Shape, len(t.Data))
	}
	out := make([]float32, n)
	b := t.Data
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case "F32":
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		case "F64":
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		case "BF16":
			out[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		case "F16":
			out[i] = halfToFloat32(le.Uint16(b[2*i:]))
		case "I64":
			out[i] = float32(int64(le.Uint64(b[8*i:])))
		case "I32":
			out[i] = float32(int32(le.Uint32(b[4*i:])))
		case "I16":
			out[i] = float32(int16(le.Uint16(b[2*i:])))
		case "I8":
			out[i] = float32(int8(b[i]))
		case "U8", "BOOL":
			out[i] = float32(b[i])
		default:
			return nil, fmt.Errorf("safetensors: cannot convert %s to float32", t.DType)
		}
	}
	return out, nil
}

// Int64 returns the values of an integer tensor as int64.
func (t SafeTensor) Int64() ([]int64, error) {
	n := t.Numel()
	size, ok := dtypeSize[t.DType]
	if !ok || len(t.Data) != n*size {
		return nil, fmt.Errorf("safetensors: %s tensor of shape %v has %d bytes", t.DType, t.Shape, len(t.Data))
	}
	out := make([]int64, n)
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case "I64":
			out[i] = int64(le.Uint64(t.Data[8*i:]))
		case "I32":
			out[i] = int64(int32(le.Uint32(t.Data[4*i:])))
		case "I16":
			out[i] = int64(int16(le.Uint16(t.Data[2*i:])))
		case "I8":
			out[i] = int64(int8(t.Data[i]))
		case "U8", "BOOL":
			out[i] = int64(t.Data[i])
		default:
			return nil, fmt.Errorf("safetensors: %s is not an integer dtype", t.DType)
		}
	}
	return out, nil
}

func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(frac) / 1024 / (1 << 14)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// Names lists the tensor names in sorted order.
func (f *SafeFile) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for k := range f.Tensors {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Float32 returns the named tensor as float32 values (logical order) and
// its shape.
func (f *SafeFile) Float32(name string) ([]float32, []int, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	v, err := t.Float32()
	return v, t.Shape, err
}

type safeEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ParseSafetensors parses a whole safetensors file held in b. The tensors'
// Data alias b.
func ParseSafetensors(b []byte) (*SafeFile, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: truncated file: %d bytes, need at least 8 for the header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit (corrupt file?)", n, maxHeader)
	}
	if uint64(len(b)-8) < n {
		return nil, fmt.Errorf("safetensors: truncated file: header length %d but only %d bytes follow", n, len(b)-8)
	}
	hdr := b[8 : 8+n]
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return nil, errors.New("safetensors: header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("safetensors: bad JSON header: %v", err)
	}
	buf := b[8+n:]
	f := &SafeFile{Tensors: make(map[string]SafeTensor, len(raw)), Metadata: map[string]string{}}
	type span struct {
		lo, hi int64
		name   string
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ is not a string map: %v", err)
			}
			continue
		}
		var e safeEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: bad header entry: %v", name, err)
		}
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets must be [begin, end]", name)
		}
		numel := int64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", name, e.Shape)
			}
			numel *= int64(d)
			if numel > int64(len(buf)) && numel > 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v larger than the file", name, e.Shape)
			}
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo {
			return nil, fmt.Errorf("safetensors: tensor %q: bad data_offsets [%d, %d]", name, lo, hi)
		}
		if hi > int64(len(buf)) {
			return nil, fmt.Errorf("safetensors: truncated file: tensor %q needs bytes [%d, %d) of a %d-byte data region", name, lo, hi, len(buf))
		}
		if hi-lo != numel*int64(size) {
			return nil, fmt.Errorf("safetensors: tensor %q: %d bytes for %s shape %v (want %d)", name, hi-lo, e.DType, e.Shape, numel*int64(size))
		}
		spans = append(spans, span{lo, hi, name})
		f.Tensors[name] = SafeTensor{DType: e.DType, Shape: append([]int{}, e.Shape...), Data: buf[lo:hi:hi]}
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].lo != spans[j].lo {
			return spans[i].lo < spans[j].lo
		}
		return spans[i].hi < spans[j].hi
	})
	var end int64
	for _, s := range spans {
		if s.lo != end {
			return nil, fmt.Errorf("safetensors: data region has a gap or overlap at tensor %q (offset %d, expected %d)", s.name, s.lo, end)
		}
		end = s.hi
	}
	if end != int64(len(buf)) {
		return nil, fmt.Errorf("safetensors: %d trailing bytes after the last tensor", int64(len(buf))-end)
	}
	return f, nil
}

// ReadSafetensors reads and parses a safetensors stream.
func ReadSafetensors(r io.Reader) (*SafeFile, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseSafetensors(b)
}

// LoadSafetensors reads and parses a safetensors file.
func LoadSafetensors(path string) (*SafeFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := ParseSafetensors(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// WriteSafetensors writes tensors (in sorted name order) and metadata in the
// safetensors format; the header is padded with spaces to a multiple of 8.
func WriteSafetensors(w io.Writer, tensors map[string]SafeTensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for k := range tensors {
		if k == "__metadata__" || k == "" {
			return fmt.Errorf("safetensors: invalid tensor name %q", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		mb, err := json.Marshal(metadata) // sorted keys
		if err != nil {
			return err
		}
		hdr.WriteString(`"__metadata__":`)
		hdr.Write(mb)
		first = false
	}
	var off int64
	for _, name := range names {
		t := tensors[name]
		size, ok := dtypeSize[t.DType]
		if !ok {
			return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, t.DType)
		}
		if int64(len(t.Data)) != int64(t.Numel())*int64(size) {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for %s shape %v", name, len(t.Data), t.DType, t.Shape)
		}
		if !first {
			hdr.WriteByte(',')
		}
		first = false
		nb, _ := json.Marshal(name)
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		sb, _ := json.Marshal(shape)
		fmt.Fprintf(&hdr, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, nb, t.DType, sb, off, off+int64(len(t.Data)))
		off += int64(len(t.Data))
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(hdr.Len()))
	if _, err := w.Write(lenb[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := w.Write(tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// SaveSafetensors writes a safetensors file atomically (temporary file and
// rename).
func SaveSafetensors(path string, tensors map[string]SafeTensor, metadata map[string]string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.safetensors")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := WriteSafetensors(tmp, tensors, metadata); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// SafeFromTensor converts a tensor's values to an F32 safetensors tensor in
// PyTorch's logical order (NCHW for 4-D).
func SafeFromTensor(t *Tensor) SafeTensor {
	return F32Tensor(t.NCHW(), t.shape[:t.ndim]...)
}

// TensorFromSafe makes a user-owned row-major tensor (a parameter or
// buffer, PyTorch's layout) from a safetensors tensor, converted to
// float32.
func TensorFromSafe(be Backend, st SafeTensor) (*Tensor, error) {
	if len(st.Shape) > MaxDims {
		return nil, fmt.Errorf("safetensors: rank %d > %d", len(st.Shape), MaxDims)
	}
	v, err := st.Float32()
	if err != nil {
		return nil, err
	}
	return FromSlice(be, v, st.Shape...), nil
}

// ActivationFromSafe is TensorFromSafe for activations: a 4-D (N, C, H, W)
// tensor becomes channel-major.
func ActivationFromSafe(be Backend, st SafeTensor) (*Tensor, error) {
	if len(st.Shape) > MaxDims {
		return nil, fmt.Errorf("safetensors: rank %d > %d", len(st.Shape), MaxDims)
	}
	v, err := st.Float32()
	if err != nil {
		return nil, err
	}
	return FromNCHW(be, v, st.Shape...), nil
}

// LoadInto copies the named tensor of f into t, checking the shape and
// converting to t's layout.
func (f *SafeFile) LoadInto(t *Tensor, name string) error {
	st, ok := f.Tensors[name]
	if !ok {
		return fmt.Errorf("safetensors: no tensor %q", name)
	}
	if len(st.Shape) != t.ndim || st.Numel() != t.n {
		return fmt.Errorf("safetensors: tensor %q has shape %v, want %v", name, st.Shape, t.shape[:t.ndim])
	}
	for i, d := range st.Shape {
		if d != t.shape[i] {
			return fmt.Errorf("safetensors: tensor %q has shape %v, want %v", name, st.Shape, t.shape[:t.ndim])
		}
	}
	v, err := st.Float32()
	if err != nil {
		return err
	}
	if t.cm {
		tmp := make([]float32, len(v))
		NCHWToCNHW(tmp, v, t.shape[0], t.shape[1], t.shape[2]*t.shape[3])
		v = tmp
	}
	t.SetData(v)
	return nil
}
