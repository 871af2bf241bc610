package cells

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// WriteSVG draws the cell as a standalone SVG picture, the same graph as
// WriteDOT but laid out here without Graphviz: the inputs c_{k-2} and c_{k-1}
// on the left, the intermediate nodes in columns by depth (longest path from
// the inputs), the output c_{k} on the right. Edges are curves coloured by
// operation family and labelled with the operation; the edges into c_{k}
// (the concatenation) are dashed. A non-empty name is drawn as a title. The
// output depends only on the arguments.
func WriteSVG(w io.Writer, c CellGenotype, name string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("WriteSVG %s: %w", name, err)
	}
	l := newSVGLayout(c)
	l.assignLayers()
	l.orderLayers()
	l.assignY()
	l.assignX()
	l.assignPorts()
	l.buildPaths()
	return l.write(w, name)
}

// Drawing constants, in SVG user units (pixels).
const (
	svgNodeH      = 44.0  // height of every box
	svgIOW        = 78.0  // width of the input and output boxes
	svgNodeW      = 46.0  // width of an intermediate node box
	svgGapX       = 210.0 // horizontal room between columns, for labels
	svgGapY       = 50.0  // vertical room between boxes of a column
	svgGapDummy   = 16.0  // vertical room next to an edge passing a column
	svgMargin     = 16.0
	svgTitleH     = 30.0
	svgLabelFont  = 12.0
	svgLabelCharW = 7.23 // advance of a 12px monospace glyph (0.6 em, rounded up)
	svgLabelH     = 16.0
	svgPortStep   = 9.0  // distance between edge ends on one side of a box
	svgLeadStep   = 22.0 // distance between the two labelled edges into a node
)

const (
	svgKindInput = iota
	svgKindNode
	svgKindOutput
	svgKindDummy
)

type svgNode struct {
	kind   int
	state  int // state index for inputs and nodes
	layer  int
	x, y   float64 // centre
	w, h   float64
	preds  []int
	succs  []int
	order  float64 // sort key inside the layer
	weight float64
}

// svgChain is one drawn edge: from a real node through dummy nodes (one per
// column it passes) to a real node.
type svgChain struct {
	op       string // "" for the edges into c_{k}
	nodes    []int
	outPort  float64 // vertical offsets of the two ends from the box centres
	inPort   float64
	d        string     // SVG path data
	samples  []svgPoint // points on the path, for the bounds
	label    svgRect
	hasLabel bool
}

type svgPoint struct{ x, y float64 }

type svgRect struct{ x0, y0, x1, y1 float64 }

type svgLayout struct {
	cell   CellGenotype
	nodes  []svgNode
	chains []svgChain
	layers [][]int // node ids per layer, in drawing order (top to bottom)
	out    int     // id of the output node
}

func newSVGLayout(c CellGenotype) *svgLayout {
	steps := c.Steps()
	l := &svgLayout{cell: c}
	for s := 0; s < steps+2; s++ {
		k := svgKindNode
		w := svgNodeW
		if s < 2 {
			k, w = svgKindInput, svgIOW
		}
		l.nodes = append(l.nodes, svgNode{kind: k, state: s, w: w, h: svgNodeH, weight: 1})
	}
	l.out = len(l.nodes)
	l.nodes = append(l.nodes, svgNode{kind: svgKindOutput, state: -1, w: svgIOW, h: svgNodeH, weight: 1})
	for k, e := range c.Edges {
		l.chains = append(l.chains, svgChain{op: e.Op, nodes: []int{e.Input, k/2 + 2}})
	}
	for _, s := range c.Concat {
		l.chains = append(l.chains, svgChain{nodes: []int{s, l.out}})
	}
	return l
}

// assignLayers puts each node one column right of its deepest input and
// splits edges that span several columns with dummy nodes.
func (l *svgLayout) assignLayers() {
	maxLayer := 0
	for s := 2; s < l.out; s++ {
		d := 0
		for k := 2 * (s - 2); k < 2*(s-2)+2; k++ {
			d = max(d, l.nodes[l.cell.Edges[k].Input].layer+1)
		}
		l.nodes[s].layer = d
		maxLayer = max(maxLayer, d)
	}
	l.nodes[l.out].layer = maxLayer + 1
	l.layers = make([][]int, maxLayer+2)
	for id := range l.nodes {
		l.layers[l.nodes[id].layer] = append(l.layers[l.nodes[id].layer], id)
	}
	for ci := range l.chains {
		ch := &l.chains[ci]
		u, v := ch.nodes[0], ch.nodes[1]
		path := []int{u}
		for layer := l.nodes[u].layer + 1; layer < l.nodes[v].layer; layer++ {
			id := len(l.nodes)
			l.nodes = append(l.nodes, svgNode{kind: svgKindDummy, state: -1, layer: layer, weight: 0.5})
			l.layers[layer] = append(l.layers[layer], id)
			path = append(path, id)
		}
		ch.nodes = append(path, v)
		for i := 0; i+1 < len(ch.nodes); i++ {
			a, b := ch.nodes[i], ch.nodes[i+1]
			l.nodes[a].succs = append(l.nodes[a].succs, b)
			l.nodes[b].preds = append(l.nodes[b].preds, a)
		}
	}
}

// orderLayers orders each column by the barycentre of its neighbours
// (a few down and up sweeps); the inputs keep c_{k-2} above c_{k-1}.
func (l *svgLayout) orderLayers() {
	pos := make([]float64, len(l.nodes))
	setPos := func() {
		for _, layer := range l.layers {
			for i, id := range layer {
				pos[id] = float64(i)
			}
		}
	}
	setPos()
	sweep := func(layer int, nb func(id int) []int) {
		ids := l.layers[layer]
		for _, id := range ids {
			n := nb(id)
			if len(n) == 0 {
				l.nodes[id].order = pos[id]
				continue
			}
			s := 0.0
			for _, m := range n {
				s += pos[m]
			}
			l.nodes[id].order = s / float64(len(n))
		}
		sort.SliceStable(ids, func(a, b int) bool { return l.nodes[ids[a]].order < l.nodes[ids[b]].order })
		for i, id := range ids {
			pos[id] = float64(i)
		}
	}
	preds := func(id int) []int { return l.nodes[id].preds }
	succs := func(id int) []int { return l.nodes[id].succs }
	for range 3 {
		for layer := 1; layer < len(l.layers); layer++ {
			sweep(layer, preds)
		}
		for layer := len(l.layers) - 2; layer >= 1; layer-- {
			sweep(layer, succs)
		}
	}
	for layer := 1; layer < len(l.layers); layer++ {
		sweep(layer, preds)
	}
}

func (l *svgLayout) sep(a, b int) float64 {
	na, nb := &l.nodes[a], &l.nodes[b]
	gap := svgGapY
	if na.kind == svgKindDummy || nb.kind == svgKindDummy {
		gap = svgGapDummy
	}
	return (na.h+nb.h)/2 + gap
}

// assignY gives every node a vertical position: each column is pulled
// towards its neighbours' positions while keeping its order and spacing
// (a weighted isotonic regression per column, alternating directions).
func (l *svgLayout) assignY() {
	for _, ids := range l.layers {
		y := 0.0
		for i, id := range ids {
			if i > 0 {
				y += l.sep(ids[i-1], id)
			}
			l.nodes[id].y = y
		}
		for _, id := range ids {
			l.nodes[id].y -= y / 2
		}
	}
	mean := func(ns []int) (float64, bool) {
		if len(ns) == 0 {
			return 0, false
		}
		s := 0.0
		for _, m := range ns {
			s += l.nodes[m].y
		}
		return s / float64(len(ns)), true
	}
	relax := func(layer int, both bool, down bool) {
		ids := l.layers[layer]
		desired := make([]float64, len(ids))
		for i, id := range ids {
			n := &l.nodes[id]
			var nb []int
			switch {
			case both:
				nb = append(slices.Clone(n.preds), n.succs...)
			case down:
				nb = n.preds
			default:
				nb = n.succs
			}
			if m, ok := mean(nb); ok {
				desired[i] = m
			} else {
				desired[i] = n.y
			}
		}
		l.placeColumn(ids, desired)
	}
	for range 4 {
		for layer := 1; layer < len(l.layers); layer++ {
			relax(layer, false, true)
		}
		for layer := len(l.layers) - 2; layer >= 0; layer-- {
			relax(layer, false, false)
		}
	}
	for range 2 {
		for layer := 0; layer < len(l.layers); layer++ {
			relax(layer, true, false)
		}
	}
}

// placeColumn sets the y of ids (in order) as close as possible to desired
// (least squares, weighted by node kind) subject to the minimum spacing.
func (l *svgLayout) placeColumn(ids []int, desired []float64) {
	n := len(ids)
	off := make([]float64, n)
	for i := 1; i < n; i++ {
		off[i] = off[i-1] + l.sep(ids[i-1], ids[i])
	}
	// Pool adjacent violators on t = desired - off, nondecreasing.
	type block struct {
		sum, w float64
		count  int
	}
	var blocks []block
	for i := range n {
		wt := l.nodes[ids[i]].weight
		blocks = append(blocks, block{sum: (desired[i] - off[i]) * wt, w: wt, count: 1})
		for len(blocks) > 1 {
			a, b := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if a.sum/a.w <= b.sum/b.w {
				break
			}
			blocks = blocks[:len(blocks)-2]
			blocks = append(blocks, block{sum: a.sum + b.sum, w: a.w + b.w, count: a.count + b.count})
		}
	}
	i := 0
	for _, b := range blocks {
		z := b.sum / b.w
		for range b.count {
			l.nodes[ids[i]].y = z + off[i]
			i++
		}
	}
}

// assignX places the columns left to right.
func (l *svgLayout) assignX() {
	x := 0.0
	for li, ids := range l.layers {
		cw := 0.0
		for _, id := range ids {
			cw = max(cw, l.nodes[id].w)
		}
		if li > 0 {
			x += svgGapX + cw/2
		} else {
			x = cw / 2
		}
		for _, id := range ids {
			l.nodes[id].x = x
			if l.nodes[id].kind == svgKindDummy {
				l.nodes[id].w = cw
			}
		}
		x += cw / 2
	}
}

// assignPorts spreads the edge ends on each side of a box, ordered by the
// vertical position of the other end, so that edges do not cross at a box.
func (l *svgLayout) assignPorts() {
	type end struct {
		chain int
		y     float64
		y2    float64
	}
	outs := make(map[int][]end)
	ins := make(map[int][]end)
	for ci, ch := range l.chains {
		first, second := ch.nodes[0], ch.nodes[1]
		last, before := ch.nodes[len(ch.nodes)-1], ch.nodes[len(ch.nodes)-2]
		outs[first] = append(outs[first], end{ci, l.nodes[second].y, l.nodes[last].y})
		ins[last] = append(ins[last], end{ci, l.nodes[before].y, l.nodes[first].y})
	}
	spread := func(ends []end, maxStep float64, set func(ci int, off float64)) {
		sort.SliceStable(ends, func(a, b int) bool {
			if ends[a].y != ends[b].y {
				return ends[a].y < ends[b].y
			}
			return ends[a].y2 < ends[b].y2
		})
		n := len(ends)
		step := maxStep
		if n > 1 {
			step = math.Min(maxStep, (svgNodeH-10)/float64(n-1))
		}
		for i, e := range ends {
			set(e.chain, (float64(i)-float64(n-1)/2)*step)
		}
	}
	for id := range l.nodes {
		spread(outs[id], svgPortStep, func(ci int, off float64) { l.chains[ci].outPort = off })
		inStep := svgPortStep
		if l.nodes[id].kind == svgKindNode {
			inStep = svgLeadStep // room for the two labels on the lead-ins
		}
		spread(ins[id], inStep, func(ci int, off float64) { l.chains[ci].inPort = off })
	}
}

// buildPaths turns every chain into an SVG path: Bézier curves with
// horizontal tangents between columns, straight runs through the columns it
// passes and, for an operation edge, a straight lead-in to the node it feeds
// that carries the label. The curve is also sampled, for the bounds.
func (l *svgLayout) buildPaths() {
	// An edge passing a column runs straight from as far left as the
	// longest lead-in starts, so that it never cuts through the labels.
	passLead := 0.0
	for _, ch := range l.chains {
		if ch.op != "" {
			passLead = max(passLead, svgLabelWidth(ch.op)+16)
		}
	}
	for ci := range l.chains {
		ch := &l.chains[ci]
		var pts []svgPoint // alternating exit (right side) / entry (left side) points
		for i, id := range ch.nodes {
			n := l.nodes[id]
			switch {
			case i == 0:
				pts = append(pts, svgPoint{n.x + n.w/2, n.y + ch.outPort})
			case i == len(ch.nodes)-1:
				pts = append(pts, svgPoint{n.x - n.w/2, n.y + ch.inPort})
			default:
				pts = append(pts, svgPoint{n.x - n.w/2 - passLead, n.y}, svgPoint{n.x + n.w/2, n.y})
			}
		}
		end := pts[len(pts)-1]
		if ch.op != "" {
			lw := svgLabelWidth(ch.op)
			lead := lw + 16
			pts[len(pts)-1] = svgPoint{end.x - lead, end.y}
			c := svgPoint{end.x - lead/2 - 5, end.y}
			ch.label = svgRect{c.x - lw/2, c.y - svgLabelH/2, c.x + lw/2, c.y + svgLabelH/2}
			ch.hasLabel = true
		}
		var d strings.Builder
		fmt.Fprintf(&d, "M%s,%s", svgNum(pts[0].x), svgNum(pts[0].y))
		for i := 0; i+1 < len(pts); i += 2 {
			a, b := pts[i], pts[i+1]
			if i > 0 {
				fmt.Fprintf(&d, " L%s,%s", svgNum(a.x), svgNum(a.y))
			}
			dx := (b.x - a.x) / 2
			seg := [4]svgPoint{a, {a.x + dx, a.y}, {b.x - dx, b.y}, b}
			fmt.Fprintf(&d, " C%s,%s %s,%s %s,%s", svgNum(seg[1].x), svgNum(seg[1].y), svgNum(seg[2].x), svgNum(seg[2].y), svgNum(b.x), svgNum(b.y))
			for k := 0; k <= 16; k++ {
				ch.samples = append(ch.samples, svgBezier(seg, float64(k)/16))
			}
		}
		if ch.op != "" {
			fmt.Fprintf(&d, " L%s,%s", svgNum(end.x), svgNum(end.y))
			ch.samples = append(ch.samples, end)
		}
		ch.d = d.String()
	}
}

func svgBezier(s [4]svgPoint, t float64) svgPoint {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return svgPoint{
		a*s[0].x + b*s[1].x + c*s[2].x + d*s[3].x,
		a*s[0].y + b*s[1].y + c*s[2].y + d*s[3].y,
	}
}

func svgLabelWidth(op string) float64 { return float64(len(op))*svgLabelCharW + 8 }

// opColor gives each operation family a colour (colour-blind friendly
// tones); unknown names get a neutral grey.
func svgOpColor(op string) string {
	switch op {
	case "":
		return "#8c8c8c"
	case "skip_connect":
		return "#555555"
	case "max_pool_3x3":
		return "#b8600b"
	case "avg_pool_3x3":
		return "#c49a00"
	case "sep_conv_3x3":
		return "#1f63b4"
	case "sep_conv_5x5":
		return "#0f3c78"
	case "dil_conv_3x3":
		return "#8a3fb0"
	case "dil_conv_5x5":
		return "#5e2483"
	}
	return "#444444"
}

func svgNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func svgEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writes to a strings.Builder cannot fail
	return b.String()
}

func (l *svgLayout) write(w io.Writer, name string) error {
	// Bounds of everything drawn.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(r svgRect) {
		minX, minY = math.Min(minX, r.x0), math.Min(minY, r.y0)
		maxX, maxY = math.Max(maxX, r.x1), math.Max(maxY, r.y1)
	}
	for _, n := range l.nodes {
		grow(svgRect{n.x - n.w/2, n.y - n.h/2, n.x + n.w/2, n.y + n.h/2})
	}
	for _, ch := range l.chains {
		for _, p := range ch.samples {
			grow(svgRect{p.x, p.y, p.x, p.y})
		}
		if ch.hasLabel {
			grow(ch.label)
		}
	}
	top := svgMargin
	if name != "" {
		top += svgTitleH
	}
	dx, dy := svgMargin-minX, top-minY
	width, height := maxX-minX+2*svgMargin, maxY-minY+top+svgMargin
	if name != "" {
		width = math.Max(width, float64(len(name))*9+2*svgMargin)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">`+"\n",
		svgNum(width), svgNum(height), svgNum(width), svgNum(height))
	if name != "" {
		fmt.Fprintf(bw, "<title>%s</title>\n", svgEscape(name))
	}
	// One arrowhead marker per colour used.
	var colors []string
	for _, ch := range l.chains {
		if c := svgOpColor(ch.op); !slices.Contains(colors, c) {
			colors = append(colors, c)
		}
	}
	bw.WriteString("<defs>\n")
	for _, c := range colors {
		fmt.Fprintf(bw, `<marker id="arrow-%s" viewBox="0 0 10 8" refX="10" refY="4" markerWidth="10" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="%s"/></marker>`+"\n", c[1:], c)
	}
	bw.WriteString("</defs>\n")
	fmt.Fprintf(bw, `<rect x="0" y="0" width="%s" height="%s" fill="white"/>`+"\n", svgNum(width), svgNum(height))
	if name != "" {
		fmt.Fprintf(bw, `<text x="%s" y="%s" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="16" font-weight="bold" fill="#222">%s</text>`+"\n",
			svgNum(svgMargin), svgNum(svgMargin+16), svgEscape(name))
	}
	fmt.Fprintf(bw, `<g transform="translate(%s,%s)">`+"\n", svgNum(dx), svgNum(dy))

	// Edges.
	bw.WriteString(`<g fill="none" stroke-width="1.6">` + "\n")
	for _, ch := range l.chains {
		c := svgOpColor(ch.op)
		dash := ""
		if ch.op == "" {
			dash = ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(bw, `<path d="%s" stroke="%s"%s marker-end="url(#arrow-%s)"/>`+"\n", ch.d, c, dash, c[1:])
	}
	bw.WriteString("</g>\n")

	// Boxes.
	for _, n := range l.nodes {
		if n.kind == svgKindDummy {
			continue
		}
		fill, label, sub := "#add8e6", strconv.Itoa(n.state-2), "" // lightblue
		switch n.kind {
		case svgKindInput:
			fill, label, sub = "#b4eeb4", "c", "k-2" // darkseagreen2
			if n.state == 1 {
				sub = "k-1"
			}
		case svgKindOutput:
			fill, label, sub = "#eee8aa", "c", "k" // palegoldenrod
		}
		fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s" rx="5" fill="%s" stroke="#333" stroke-width="1.5"/>`+"\n",
			svgNum(n.x-n.w/2), svgNum(n.y-n.h/2), svgNum(n.w), svgNum(n.h), fill)
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" font-family="DejaVu Serif, Times New Roman, serif" font-size="18" fill="#111">%s`,
			svgNum(n.x), svgNum(n.y+6), label)
		if sub != "" {
			fmt.Fprintf(bw, `<tspan dy="5" font-size="12">%s</tspan>`, sub)
		}
		bw.WriteString("</text>\n")
	}

	// Labels on top.
	for _, ch := range l.chains {
		if !ch.hasLabel {
			continue
		}
		r := ch.label
		fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="white" fill-opacity="0.9"/>`+"\n",
			svgNum(r.x0), svgNum(r.y0), svgNum(r.x1-r.x0), svgNum(r.y1-r.y0))
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="middle" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%s" fill="%s">%s</text>`+"\n",
			svgNum((r.x0+r.x1)/2), svgNum((r.y0+r.y1)/2+4), svgNum(svgLabelFont), svgOpColor(ch.op), svgEscape(ch.op))
	}
	bw.WriteString("</g>\n</svg>\n")
	return bw.Flush()
}
