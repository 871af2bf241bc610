package cells

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	for _, n := range BuiltinNames() {
		g := mustBuiltin(t, n)
		back, err := ParseGenotype(g.String())
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if !back.Equal(g) {
			t.Errorf("%s: round trip changed the genotype", n)
		}
	}
}

func TestParseVariants(t *testing.T) {
	want := mustBuiltin(t, "DARTS_V1")
	variants := map[string]string{
		"double quotes, range":                       `Genotype(normal=[("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_3x3", 1), ("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 2)], normal_concat=range(2, 6), reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 0), ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0)], reduce_concat=list(range(2,6)))`,
		"positional, lists, tabs":                    "Genotype(\t[['sep_conv_3x3',1],['sep_conv_3x3',0],['skip_connect',0],['sep_conv_3x3',1],['skip_connect',0],['sep_conv_3x3',1],['sep_conv_3x3',0],['skip_connect',2]],\r\n(2,3,4,5),\n[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',0),('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('avg_pool_3x3',0),],\n[2,3,4,5],)",
		"keywords reordered, log prefix":             "genotype = Genotype(reduce_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5])\n",
		"mixed positional and keyword, continuation": "Genotype([('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), \\\n ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], [2, 3, 4, 5], reduce_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)])",
	}
	for name, s := range variants {
		g, err := ParseGenotype(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !g.Equal(want) {
			t.Errorf("%s: got %v", name, g)
		}
	}
}

// The multi-line layout of the original genotypes.py (NASNet, AmoebaNet)
// parses; NASNet itself is outside the DARTS space and is rejected by
// validation, not by the parser.
func TestParseOriginalMultiline(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(genotypeFixtureDir, "darts_v2_multiline.py"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseGenotype(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if !g.Equal(mustBuiltin(t, "DARTS_V2")) {
		t.Errorf("got %v", g)
	}
	src, err = os.ReadFile(filepath.Join(genotypeFixtureDir, "nasnet.py"))
	if err != nil {
		t.Fatal(err)
	}
	p := &pyParser{src: string(src)}
	nas, err := p.genotype()
	if err != nil {
		t.Fatalf("NASNet does not parse: %v", err)
	}
	if len(nas.Normal) != 10 || len(nas.Reduce) != 10 || len(nas.NormalConcat) != 5 || nas.Reduce[6] != (Edge{"skip_connect", 3}) {
		t.Errorf("NASNet parsed wrongly: %v", nas)
	}
	if _, err := ParseGenotype(string(src)); err == nil || !strings.Contains(err.Error(), `reduce cell: edge 1 (into node 2): unknown operation "sep_conv_7x7"`) {
		t.Errorf("NASNet: err = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	v2 := mustBuiltin(t, "DARTS_V2").String()
	cases := []struct{ name, src, want string }{
		{"empty", "", "line 1 col 1: expected Genotype(...), found end of input"},
		{"other call", "Foo(normal=[])", `expected Genotype(...), found "Foo(normal=[])"`},
		{"unknown field", strings.Replace(v2, "normal_concat=", "normal_cat=", 1), `unknown field "normal_cat"`},
		{"duplicate field", strings.Replace(v2, "reduce_concat=", "normal_concat=", 1), `field "normal_concat" given twice`},
		{"missing field", strings.Replace(v2, ", reduce_concat=[2, 3, 4, 5]", "", 1), `missing field "reduce_concat"`},
		{"unterminated", strings.TrimSuffix(v2, ")"), "expected ',' or ')', found end of input"},
		{"unterminated after comma", "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)],", "unterminated Genotype(: expected ')'"},
		{"trailing text", v2 + " extra", `unexpected text after Genotype(...): "extra"`},
		{"unquoted op", strings.Replace(v2, "'dil_conv_3x3'", "dil_conv_3x3", 1), "expected a quoted operation name"},
		{"unterminated string", "Genotype(normal=[('sep_conv_3x3, 0)])", "unterminated string"},
		{"float index", strings.Replace(v2, "('dil_conv_3x3', 2)", "('dil_conv_3x3', 2.0)", 1), `line 1 col 183: expected ')', found ".0)], normal_concat=..."`},
		{"missing index", strings.Replace(v2, "('dil_conv_3x3', 2)", "('dil_conv_3x3')", 1), `expected ','`},
		{"bad concat", strings.Replace(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=xrange(2, 6)", 1), "expected a list of node indices or range(...)"},
		{"range args", strings.Replace(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6, 1)", 1), "range takes 1 or 2 arguments"},
		{"positional after keyword", "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)], [2])", "positional argument after keyword argument"},
		{"too many", "Genotype([], [], [], [], [])", "too many arguments"},
		{"validation", strings.Replace(v2, "('dil_conv_3x3', 2)", "('none', 2)", 1), `normal cell: edge 7 (into node 5): operation "none" is not allowed`},
		{"concat range", strings.Replace(v2, "reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(2, 7)", 1), "reduce cell: concat entry 6 out of range"},
		{"line numbers", "Genotype(\n  normal = [\n    ('sep_conv_3x3', 0),\n    ('sep_conv_3x3' 1),\n", "line 4 col 21: expected ',', found \"1),\""},
	}
	for _, c := range cases {
		_, err := ParseGenotype(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestLoadGenotype(t *testing.T) {
	v2 := mustBuiltin(t, "DARTS_V2")
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "arch.json")
	if err := os.WriteFile(jsonPath, v2.FormatJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	pyPath := filepath.Join(dir, "arch.txt")
	if err := os.WriteFile(pyPath, []byte("\n"+v2.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	compact, _ := v2.MarshalJSON()
	for _, arg := range []string{"DARTS_V2", "DARTS", "darts", jsonPath, pyPath, v2.String(), string(compact), "  " + v2.String() + "\n"} {
		g, err := LoadGenotype(arg)
		if err != nil {
			t.Errorf("LoadGenotype(%.40q): %v", arg, err)
			continue
		}
		if !g.Equal(v2) {
			t.Errorf("LoadGenotype(%.40q) = %v", arg, g)
		}
	}

	badJSON := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badJSON, []byte(`{"normal": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	badPy := filepath.Join(dir, "bad.py")
	if err := os.WriteFile(badPy, []byte("Genotype(normal=[('sep_conv_3x3', 0)"), 0o644); err != nil {
		t.Fatal(err)
	}
	errCases := []struct{ arg, want string }{
		{"DARTS_V3", `genotype "DARTS_V3": not a built-in name (DARTS, DARTS_V1, DARTS_V2, PC_DARTS, PDARTS), not Genotype(...) or JSON text, and no such file`},
		{filepath.Join(dir, "missing.json"), `genotype "` + filepath.Join(dir, "missing.json") + `": not a built-in name`},
		{badJSON, "genotype file " + badJSON + `: genotype: missing field "normal_concat"`},
		{badPy, "genotype file " + badPy + ": genotype: line 1 col 37"},
		{"Genotype(normal=[])", "genotype argument Genotype(normal=[]): genotype: line 1 col 20: missing field \"normal_concat\""},
		{`{"normal": 3}`, `genotype argument {"normal": 3}: genotype: json: cannot unmarshal`},
		{"", "genotype argument is empty"},
		{dir, "genotype \"" + dir + "\": read "},
	}
	for _, c := range errCases {
		_, err := LoadGenotype(c.arg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadGenotype(%q): err = %v, want it to contain %q", c.arg, err, c.want)
		}
	}
}
