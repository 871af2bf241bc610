package cells

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const genotypeFixtureDir = "../testdata/genotypes"

func mustBuiltin(t *testing.T, name string) Genotype {
	t.Helper()
	g, ok := Builtin(name)
	if !ok {
		t.Fatalf("Builtin(%q) not found", name)
	}
	return g
}

func TestPrimitives(t *testing.T) {
	want := []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
		"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}
	if len(Primitives) != NumPrimitives || len(want) != NumPrimitives {
		t.Fatalf("len(Primitives) = %d, NumPrimitives = %d", len(Primitives), NumPrimitives)
	}
	for i, p := range want {
		if Primitives[i] != p || PrimitiveIndex(p) != i {
			t.Errorf("Primitives[%d] = %q, PrimitiveIndex(%q) = %d", i, Primitives[i], p, PrimitiveIndex(p))
		}
	}
	if PrimitiveIndex("sep_conv_7x7") != -1 || Primitives[PrimitiveIndex(OpNone)] != "none" {
		t.Error("PrimitiveIndex of an unknown name or of none is wrong")
	}
}

func TestBuiltinsValidate(t *testing.T) {
	names := BuiltinNames()
	want := []string{"DARTS", "DARTS_V1", "DARTS_V2", "PC_DARTS", "PDARTS"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("BuiltinNames() = %v, want %v", names, want)
	}
	for _, n := range names {
		g := mustBuiltin(t, n)
		if err := g.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if g.NormalCell().Steps() != 4 || g.ReduceCell().Steps() != 4 {
			t.Errorf("%s: want 4 steps per cell", n)
		}
	}
	if !mustBuiltin(t, "DARTS").Equal(mustBuiltin(t, "DARTS_V2")) {
		t.Error("DARTS != DARTS_V2")
	}
	for _, alias := range []string{"darts_v2", "Darts-V2", " DARTS_V2 "} {
		if g, ok := Builtin(alias); !ok || !g.Equal(mustBuiltin(t, "DARTS_V2")) {
			t.Errorf("Builtin(%q) does not give DARTS_V2", alias)
		}
	}
	if _, ok := Builtin("NASNet"); ok {
		t.Error("Builtin(NASNet) found")
	}
	// Builtin returns copies.
	g := mustBuiltin(t, "DARTS_V1")
	g.Normal[0].Op = "max_pool_3x3"
	g.NormalConcat[0] = 5
	if h := mustBuiltin(t, "DARTS_V1"); h.Normal[0].Op != "sep_conv_3x3" || h.NormalConcat[0] != 2 {
		t.Error("modifying a Builtin result changed the built-in genotype")
	}
}

// The built-in values must match the published text kept in testdata.
func TestBuiltinsMatchSources(t *testing.T) {
	for file, name := range map[string]string{
		"darts_v1.py":           "DARTS_V1",
		"darts_v2.py":           "DARTS_V2",
		"darts_v2_multiline.py": "DARTS_V2",
		"pc_darts.py":           "PC_DARTS",
		"pdarts.py":             "PDARTS",
		"darts_v2.json":         "DARTS_V2",
	} {
		g, err := LoadGenotype(filepath.Join(genotypeFixtureDir, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if want := mustBuiltin(t, name); !g.Equal(want) {
			t.Errorf("%s:\n got %v\nwant %v", file, g, want)
		}
	}
}

func TestString(t *testing.T) {
	want := "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
	if got := mustBuiltin(t, "DARTS_V2").String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	// The original file's line is "DARTS_V2 = " + the same text.
	src, err := os.ReadFile(filepath.Join(genotypeFixtureDir, "darts_v2.py"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(src)) != "DARTS_V2 = "+want {
		t.Error("String() differs from the line in quark0/darts genotypes.py")
	}
	if got := (Edge{"skip_connect", 2}).String(); got != "('skip_connect', 2)" {
		t.Errorf("Edge.String() = %s", got)
	}
}

func TestValidateErrors(t *testing.T) {
	ok := func() Genotype { return mustBuiltin(t, "DARTS_V2") }
	cases := []struct {
		name   string
		modify func(g *Genotype)
		want   string
	}{
		{"unknown op", func(g *Genotype) { g.Normal[3].Op = "sep_conv_7x7" }, `normal cell: edge 3 (into node 3): unknown operation "sep_conv_7x7"`},
		{"none", func(g *Genotype) { g.Reduce[0].Op = "none" }, `reduce cell: edge 0 (into node 2): operation "none" is not allowed`},
		{"input too large", func(g *Genotype) { g.Normal[1].Input = 2 }, "normal cell: edge 1 (sep_conv_3x3 into node 2): input index 2 must be in [0, 2)"},
		{"input equal node", func(g *Genotype) { g.Reduce[7].Input = 5 }, "reduce cell: edge 7 (max_pool_3x3 into node 5): input index 5 must be in [0, 5)"},
		{"negative input", func(g *Genotype) { g.Normal[4].Input = -1 }, "input index -1 must be in [0, 4)"},
		{"odd edges", func(g *Genotype) { g.Normal = g.Normal[:7] }, "normal cell: odd number of edges (7)"},
		{"no edges", func(g *Genotype) { g.Reduce = nil }, "reduce cell: no edges"},
		{"concat high", func(g *Genotype) { g.NormalConcat = []int{2, 3, 4, 6} }, "normal cell: concat entry 6 out of range: intermediate nodes are [2, 6)"},
		{"concat input", func(g *Genotype) { g.ReduceConcat = []int{1, 2} }, "reduce cell: concat entry 1 out of range"},
		{"concat repeated", func(g *Genotype) { g.ReduceConcat = []int{2, 3, 3} }, "reduce cell: concat entry 3 repeated"},
		{"concat empty", func(g *Genotype) { g.NormalConcat = []int{} }, "normal cell: empty concat list"},
	}
	for _, c := range cases {
		g := ok()
		c.modify(&g)
		err := g.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// Smaller and larger cells are fine, and a concat subset too.
	small := Genotype{
		Normal: []Edge{{"skip_connect", 0}, {"sep_conv_3x3", 1}}, NormalConcat: []int{2},
		Reduce: []Edge{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"avg_pool_3x3", 0}}, ReduceConcat: []int{3},
	}
	if err := small.Validate(); err != nil {
		t.Errorf("small genotype: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, n := range BuiltinNames() {
		g := mustBuiltin(t, n)
		data, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		var back Genotype
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v\n%s", n, err, data)
		}
		if !back.Equal(g) {
			t.Errorf("%s: JSON round trip changed the genotype:\n%s", n, data)
		}
		back, err = ParseGenotypeJSON(g.FormatJSON())
		if err != nil || !back.Equal(g) {
			t.Errorf("%s: FormatJSON round trip: %v", n, err)
		}
	}
	compact, _ := json.Marshal(mustBuiltin(t, "DARTS_V2"))
	want := `{"normal":[["sep_conv_3x3",0],["sep_conv_3x3",1],["sep_conv_3x3",0],["sep_conv_3x3",1],["sep_conv_3x3",1],["skip_connect",0],["skip_connect",0],["dil_conv_3x3",2]],"normal_concat":[2,3,4,5],"reduce":[["max_pool_3x3",0],["max_pool_3x3",1],["skip_connect",2],["max_pool_3x3",1],["max_pool_3x3",0],["skip_connect",2],["skip_connect",2],["max_pool_3x3",1]],"reduce_concat":[2,3,4,5]}`
	if string(compact) != want {
		t.Errorf("json.Marshal =\n%s\nwant\n%s", compact, want)
	}
	// Inside another document.
	type config struct {
		Arch Genotype `json:"arch"`
	}
	doc, err := json.MarshalIndent(config{mustBuiltin(t, "PDARTS")}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	if err := json.Unmarshal(doc, &cfg); err != nil || !cfg.Arch.Equal(mustBuiltin(t, "PDARTS")) {
		t.Errorf("nested round trip: %v", err)
	}
}

func TestFormatJSONGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(genotypeFixtureDir, "darts_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustBuiltin(t, "DARTS_V2").FormatJSON(); string(got) != string(want) {
		t.Errorf("FormatJSON() =\n%s\nwant\n%s", got, want)
	}
	path := filepath.Join(t.TempDir(), "g.json")
	if err := SaveGenotype(path, mustBuiltin(t, "DARTS_V2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(want) {
		t.Error("SaveGenotype wrote something else than FormatJSON")
	}
	bad := mustBuiltin(t, "DARTS_V2")
	bad.Normal[0].Op = "none"
	if err := SaveGenotype(path, bad); err == nil {
		t.Error("SaveGenotype accepted an invalid genotype")
	}
}

func TestJSONErrors(t *testing.T) {
	good := string(mustBuiltin(t, "DARTS_V2").FormatJSON())
	cases := []struct{ name, doc, want string }{
		{"missing field", `{"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]], "normal_concat": [2], "reduce": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]]}`, `missing field "reduce_concat"`},
		{"unknown field", strings.Replace(good, `"normal_concat"`, `"extra": 1, "normal_concat"`, 1), `unknown field "extra"`},
		{"triple", strings.Replace(good, `["dil_conv_3x3", 2]`, `["dil_conv_3x3", 2, 1]`, 1), "got 3 elements"},
		{"object edge", strings.Replace(good, `["dil_conv_3x3", 2]`, `{"op": "dil_conv_3x3"}`, 1), "want a pair"},
		{"fractional input", strings.Replace(good, `["dil_conv_3x3", 2]`, `["dil_conv_3x3", 2.5]`, 1), "input index must be an integer"},
		{"string input", strings.Replace(good, `["dil_conv_3x3", 2]`, `["dil_conv_3x3", "2"]`, 1), "input index must be an integer"},
		{"number op", strings.Replace(good, `["dil_conv_3x3", 2]`, `[3, 2]`, 1), "operation must be a string"},
		{"unknown op", strings.Replace(good, `["dil_conv_3x3", 2]`, `["conv_7x1_1x7", 2]`, 1), `unknown operation "conv_7x1_1x7"`},
		{"bad index", strings.Replace(good, `["dil_conv_3x3", 2]`, `["dil_conv_3x3", 5]`, 1), "input index 5 must be in [0, 5)"},
		{"concat", strings.Replace(good, `"reduce_concat": [2, 3, 4, 5]`, `"reduce_concat": [2, 3, 4, 9]`, 1), "concat entry 9 out of range"},
		{"syntax", good[:40], "unexpected end"},
	}
	for _, c := range cases {
		_, err := ParseGenotypeJSON([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
