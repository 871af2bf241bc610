package cells

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// MarshalJSON encodes the edge as the pair ["op", input].
func (e Edge) MarshalJSON() ([]byte, error) {
	op, err := json.Marshal(e.Op)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(op)+8)
	b = append(b, '[')
	b = append(b, op...)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(e.Input), 10)
	return append(b, ']'), nil
}

// UnmarshalJSON decodes the pair ["op", input]; input must be a JSON integer.
func (e *Edge) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil || pair == nil {
		return fmt.Errorf("edge: want a pair [\"op\", input], got %s", genotypeAbbrev(data))
	}
	if len(pair) != 2 {
		return fmt.Errorf("edge: want a pair [\"op\", input], got %d elements in %s", len(pair), genotypeAbbrev(data))
	}
	var op string
	if err := json.Unmarshal(pair[0], &op); err != nil || bytes.Equal(bytes.TrimSpace(pair[0]), []byte("null")) {
		return fmt.Errorf("edge %s: operation must be a string", genotypeAbbrev(data))
	}
	in, err := genotypeJSONInt(pair[1])
	if err != nil {
		return fmt.Errorf("edge %s: input index must be an integer", genotypeAbbrev(data))
	}
	*e = Edge{Op: op, Input: in}
	return nil
}

// jsonInt parses a JSON number token that must be a plain integer.
func genotypeJSONInt(raw json.RawMessage) (int, error) {
	s := string(bytes.TrimSpace(raw))
	return strconv.Atoi(s) // rejects fractions, exponents, strings and null
}

func genotypeAbbrev(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

type genotypeJSON struct {
	Normal       []Edge `json:"normal"`
	NormalConcat []int  `json:"normal_concat"`
	Reduce       []Edge `json:"reduce"`
	ReduceConcat []int  `json:"reduce_concat"`
}

// MarshalJSON encodes g as {"normal": [["op", input], ...], "normal_concat":
// [...], "reduce": [...], "reduce_concat": [...]} (compact; FormatJSON gives
// the indented file form). It does not validate g.
func (g Genotype) MarshalJSON() ([]byte, error) {
	return json.Marshal(genotypeJSON(g))
}

// UnmarshalJSON decodes the JSON form. All four fields are required, unknown
// fields are rejected, and the result must pass Validate.
func (g *Genotype) UnmarshalJSON(data []byte) error {
	var raw struct {
		Normal       *[]Edge `json:"normal"`
		NormalConcat *[]int  `json:"normal_concat"`
		Reduce       *[]Edge `json:"reduce"`
		ReduceConcat *[]int  `json:"reduce_concat"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("genotype: %w", err)
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"normal", raw.Normal == nil},
		{"normal_concat", raw.NormalConcat == nil},
		{"reduce", raw.Reduce == nil},
		{"reduce_concat", raw.ReduceConcat == nil},
	} {
		if f.missing {
			return fmt.Errorf("genotype: missing field %q", f.name)
		}
	}
	out := Genotype{Normal: *raw.Normal, NormalConcat: *raw.NormalConcat, Reduce: *raw.Reduce, ReduceConcat: *raw.ReduceConcat}
	if err := out.Validate(); err != nil {
		return err
	}
	*g = out
	return nil
}

// FormatJSON returns g in the indented JSON form used for files: one edge
// pair per line, concat lists on one line, fields in a fixed order, and a
// final newline. The output is deterministic.
func (g Genotype) FormatJSON() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	writeJSONEdges(&b, "normal", g.Normal)
	b.WriteString(",\n")
	writeJSONInts(&b, "normal_concat", g.NormalConcat)
	b.WriteString(",\n")
	writeJSONEdges(&b, "reduce", g.Reduce)
	b.WriteString(",\n")
	writeJSONInts(&b, "reduce_concat", g.ReduceConcat)
	b.WriteString("\n}\n")
	return b.Bytes()
}

func writeJSONEdges(b *bytes.Buffer, key string, edges []Edge) {
	fmt.Fprintf(b, "  %q: [", key)
	for i, e := range edges {
		if i > 0 {
			b.WriteByte(',')
		}
		enc, _ := e.MarshalJSON() // cannot fail for a string and an int
		b.WriteString("\n    ")
		b.Write(enc)
	}
	if len(edges) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteByte(']')
}

func writeJSONInts(b *bytes.Buffer, key string, xs []int) {
	fmt.Fprintf(b, "  %q: [", key)
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// ParseGenotypeJSON decodes and validates the JSON form.
func ParseGenotypeJSON(data []byte) (Genotype, error) {
	var g Genotype
	if err := json.Unmarshal(data, &g); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

// SaveGenotype validates g and writes it to path in the FormatJSON form.
func SaveGenotype(path string, g Genotype) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return os.WriteFile(path, g.FormatJSON(), 0o644)
}
