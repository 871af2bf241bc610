package cells

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Node names of a cell drawing, as in the original visualize.py.
const (
	drawPrev2  = "c_{k-2}"
	drawPrev1  = "c_{k-1}"
	drawOutput = "c_{k}"
)

// stateName returns the drawing name of state s: the two cell inputs, then
// the intermediate nodes numbered from 0.
func drawStateName(s int) string {
	switch s {
	case 0:
		return drawPrev2
	case 1:
		return drawPrev1
	}
	return strconv.Itoa(s - 2)
}

// WriteDOT writes the cell as a Graphviz digraph named name, with the nodes,
// colours and attributes of the original visualize.py: inputs c_{k-2} and
// c_{k-1}, intermediate nodes 0..steps-1, output c_{k}, left to right, each
// edge labelled with its operation. Unlike the original, only the nodes in
// Concat are drawn feeding c_{k} (the same picture for DARTS genotypes,
// whose concat lists every node). Render with e.g. `dot -Tpdf`.
func WriteDOT(w io.Writer, c CellGenotype, name string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("WriteDOT %s: %w", name, err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(name))
	bw.WriteString("\trankdir=LR;\n")
	bw.WriteString("\tnode [style=filled, shape=rect, fontsize=20, height=0.5, width=0.5, penwidth=2, fontname=\"times\"];\n")
	bw.WriteString("\tedge [fontsize=20, fontname=\"times\"];\n")
	fmt.Fprintf(bw, "\t%s [fillcolor=darkseagreen2];\n", dotQuote(drawPrev2))
	fmt.Fprintf(bw, "\t%s [fillcolor=darkseagreen2];\n", dotQuote(drawPrev1))
	steps := c.Steps()
	for i := range steps {
		fmt.Fprintf(bw, "\t%s [fillcolor=lightblue];\n", dotQuote(strconv.Itoa(i)))
	}
	for k, e := range c.Edges {
		fmt.Fprintf(bw, "\t%s -> %s [label=%s, fillcolor=gray];\n",
			dotQuote(drawStateName(e.Input)), dotQuote(drawStateName(k/2+2)), dotQuote(e.Op))
	}
	fmt.Fprintf(bw, "\t%s [fillcolor=palegoldenrod];\n", dotQuote(drawOutput))
	for _, s := range c.Concat {
		fmt.Fprintf(bw, "\t%s -> %s [fillcolor=gray];\n", dotQuote(drawStateName(s)), dotQuote(drawOutput))
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// dotQuote returns s as a DOT double-quoted string.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
