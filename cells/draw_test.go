package cells

import (
	"bytes"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRenderSVGFiles writes pictures of the built-in genotypes and of a
// random 6-step cell for inspection, e.g.
//
//	DARTS_SVG_DIR=/tmp/svg go test ./cells -run RenderSVG
//	rsvg-convert /tmp/svg/DARTS_V2_normal.svg -o normal.png
func TestRenderSVGFiles(t *testing.T) {
	dir := os.Getenv("DARTS_SVG_DIR")
	if dir == "" {
		t.Skip("set DARTS_SVG_DIR to write example pictures there")
	}
	for _, name := range []string{"DARTS_V1", "DARTS_V2", "PC_DARTS", "PDARTS"} {
		g, _ := Builtin(name)
		for _, cell := range []struct {
			kind string
			c    CellGenotype
		}{{"normal", g.NormalCell()}, {"reduce", g.ReduceCell()}} {
			var b bytes.Buffer
			if err := WriteSVG(&b, cell.c, name+" "+cell.kind); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+"_"+cell.kind+".svg"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteSVG(&b, randomCellGenotype(rand.New(rand.NewPCG(5, 6)), 6), "random 6 steps"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "random6.svg"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteDOT(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDOT(&b, mustBuiltin(t, "DARTS_V2").NormalCell(), "normal"); err != nil {
		t.Fatal(err)
	}
	want := `digraph "normal" {
	rankdir=LR;
	node [style=filled, shape=rect, fontsize=20, height=0.5, width=0.5, penwidth=2, fontname="times"];
	edge [fontsize=20, fontname="times"];
	"c_{k-2}" [fillcolor=darkseagreen2];
	"c_{k-1}" [fillcolor=darkseagreen2];
	"0" [fillcolor=lightblue];
	"1" [fillcolor=lightblue];
	"2" [fillcolor=lightblue];
	"3" [fillcolor=lightblue];
	"c_{k-2}" -> "0" [label="sep_conv_3x3", fillcolor=gray];
	"c_{k-1}" -> "0" [label="sep_conv_3x3", fillcolor=gray];
	"c_{k-2}" -> "1" [label="sep_conv_3x3", fillcolor=gray];
	"c_{k-1}" -> "1" [label="sep_conv_3x3", fillcolor=gray];
	"c_{k-1}" -> "2" [label="sep_conv_3x3", fillcolor=gray];
	"c_{k-2}" -> "2" [label="skip_connect", fillcolor=gray];
	"c_{k-2}" -> "3" [label="skip_connect", fillcolor=gray];
	"0" -> "3" [label="dil_conv_3x3", fillcolor=gray];
	"c_{k}" [fillcolor=palegoldenrod];
	"0" -> "c_{k}" [fillcolor=gray];
	"1" -> "c_{k}" [fillcolor=gray];
	"2" -> "c_{k}" [fillcolor=gray];
	"3" -> "c_{k}" [fillcolor=gray];
}
`
	if b.String() != want {
		t.Errorf("WriteDOT =\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := WriteDOT(&b, mustBuiltin(t, "PDARTS").ReduceCell(), `say "hi" \o/`); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `digraph "say \"hi\" \\o/" {`) {
		t.Errorf("name not quoted: %s", strings.SplitN(b.String(), "\n", 2)[0])
	}

	if dot, err := exec.LookPath("dot"); err == nil {
		for _, n := range BuiltinNames() {
			g := mustBuiltin(t, n)
			var src bytes.Buffer
			if err := WriteDOT(&src, g.ReduceCell(), n); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(dot, "-Tsvg")
			cmd.Stdin = &src
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: dot: %v\n%s", n, err, out)
			}
		}
	}

	bad := mustBuiltin(t, "DARTS_V2").NormalCell()
	bad.Edges = bad.Edges[:3]
	if err := WriteDOT(io.Discard, bad, "x"); err == nil || !strings.Contains(err.Error(), "odd number of edges") {
		t.Errorf("invalid cell: err = %v", err)
	}
}

// randomCell returns a valid cell with the given number of steps.
func randomCellGenotype(rng *rand.Rand, steps int) CellGenotype {
	var c CellGenotype
	for i := range steps {
		for range 2 {
			c.Edges = append(c.Edges, Edge{Primitives[1+rng.IntN(NumPrimitives-1)], rng.IntN(i + 2)})
		}
	}
	for s := 2; s < steps+2; s++ {
		if rng.IntN(3) > 0 || s == steps+1 {
			c.Concat = append(c.Concat, s)
		}
	}
	return c
}

type svgDoc struct {
	edgePaths int
	labels    []string
	boxes     int
	title     string
	w, h      string
	viewBox   string
	rootXMLNS string
}

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var d svgDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var textClass string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if el.Name.Local != "svg" {
					t.Fatalf("root element %s", el.Name.Local)
				}
				d.rootXMLNS, d.w, d.h, d.viewBox = el.Name.Space, attr["width"], attr["height"], attr["viewBox"]
			}
			stack = append(stack, el.Name.Local)
			switch el.Name.Local {
			case "path":
				if attr["marker-end"] != "" {
					d.edgePaths++
				}
			case "rect":
				if attr["stroke"] == "#333" {
					d.boxes++
				}
			case "text":
				textClass = attr["font-family"]
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "title" {
				d.title = string(el)
			}
			if len(stack) > 0 && stack[len(stack)-1] == "text" && strings.Contains(textClass, "Mono") {
				d.labels = append(d.labels, string(el))
			}
		}
	}
	return d
}

func TestWriteSVG(t *testing.T) {
	for _, n := range BuiltinNames() {
		g := mustBuiltin(t, n)
		for _, c := range []CellGenotype{g.NormalCell(), g.ReduceCell()} {
			var b bytes.Buffer
			if err := WriteSVG(&b, c, n+" <cell> & \"more\""); err != nil {
				t.Fatal(err)
			}
			d := parseSVG(t, b.Bytes())
			if d.rootXMLNS != "http://www.w3.org/2000/svg" || d.viewBox == "" || d.w == "" {
				t.Errorf("%s: root svg element: %+v", n, d)
			}
			if d.title != n+" <cell> & \"more\"" {
				t.Errorf("%s: title %q", n, d.title)
			}
			if d.edgePaths != len(c.Edges)+len(c.Concat) {
				t.Errorf("%s: %d edge paths, want %d", n, d.edgePaths, len(c.Edges)+len(c.Concat))
			}
			if d.boxes != c.Steps()+3 {
				t.Errorf("%s: %d boxes, want %d", n, d.boxes, c.Steps()+3)
			}
			var ops []string
			for _, e := range c.Edges {
				ops = append(ops, e.Op)
			}
			slices.Sort(ops)
			slices.Sort(d.labels)
			if !slices.Equal(ops, d.labels) {
				t.Errorf("%s: labels %v, want %v", n, d.labels, ops)
			}
			var again bytes.Buffer
			_ = WriteSVG(&again, c, n+" <cell> & \"more\"")
			if !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Errorf("%s: WriteSVG is not deterministic", n)
			}
		}
	}
	bad := mustBuiltin(t, "DARTS_V2").ReduceCell()
	bad.Concat = []int{7}
	if err := WriteSVG(io.Discard, bad, "x"); err == nil || !strings.Contains(err.Error(), "concat entry 7") {
		t.Errorf("invalid cell: err = %v", err)
	}
}

// Layout invariants: boxes do not overlap, labels overlap neither boxes nor
// each other, and every edge runs left to right.
func TestSVGLayoutInvariants(t *testing.T) {
	var cells []CellGenotype
	for _, n := range BuiltinNames() {
		g := mustBuiltin(t, n)
		cells = append(cells, g.NormalCell(), g.ReduceCell())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 60 {
		cells = append(cells, randomCellGenotype(rng, 1+i%7))
	}
	overlap := func(a, b svgRect) bool {
		return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
	}
	for ci, c := range cells {
		var b bytes.Buffer
		if err := WriteSVG(&b, c, ""); err != nil {
			t.Fatal(err)
		}
		parseSVG(t, b.Bytes())
		l := newSVGLayout(c)
		l.assignLayers()
		l.orderLayers()
		l.assignY()
		l.assignX()
		l.assignPorts()
		l.buildPaths()
		var boxes []svgRect
		for _, n := range l.nodes {
			if n.kind != svgKindDummy {
				boxes = append(boxes, svgRect{n.x - n.w/2, n.y - n.h/2, n.x + n.w/2, n.y + n.h/2})
			}
		}
		for i := range boxes {
			for j := range i {
				if overlap(boxes[i], boxes[j]) {
					t.Errorf("cell %d (%v): boxes %d and %d overlap", ci, c, i, j)
				}
			}
		}
		var labels []svgRect
		for _, ch := range l.chains {
			if ch.op == "" {
				continue
			}
			if !ch.hasLabel {
				t.Errorf("cell %d: edge %s without label", ci, ch.op)
			}
			for _, bx := range boxes {
				if overlap(ch.label, bx) {
					t.Errorf("cell %d (%v): label %s overlaps a box", ci, c, ch.op)
				}
			}
			for _, o := range labels {
				if overlap(ch.label, o) {
					t.Errorf("cell %d (%v): labels overlap", ci, c)
				}
			}
			labels = append(labels, ch.label)
			for i := 1; i < len(ch.samples); i++ {
				if ch.samples[i].x < ch.samples[i-1].x-1e-9 {
					t.Errorf("cell %d: edge %s runs right to left", ci, ch.op)
					break
				}
			}
		}
	}
}
