// Command dwtable turns the output of the depthwise kernel benchmarks into
// the table of the kernels issue: the best GFLOP/s-cpu of every shape and
// pass over all the samples read (run the benchmarks with -count to take
// several), marking the cells that reach a target. `make bench-dw` runs
//
//	go test ./kernels/ -run '^$' -bench '^BenchmarkFMAPeak$|^BenchmarkStream$|^BenchmarkDepthwise$|^BenchmarkDepthwiseStride2$' \
//	    -benchtime=150ms -count=6 -kthreads=1 | go run ./bench/dwtable
//
// With BenchmarkFMAPeak in the run (`make bench-dw` includes it) the table
// also counts the cells at 40% of what the FMA probe measured on this host
// in the same run, beside the 40% of the nominal 116 GFLOP/s; with
// BenchmarkStream (included too) it lists the cells under the target
// against their memory roof (see roof).
//
// Lines that are not benchmark results pass through to stderr unread.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

var target = flag.Float64("target", 0.4*116, "GFLOP/s a cell must reach to count (default: 40% of the 116 GFLOP/s peak the issue states)")

// cell is one shape's best result per pass and, where the benchmark
// reports its compulsory traffic (GB/s), the pass's flops per byte and
// bytes per call.
type cell struct {
	name  string
	best  map[string]float64
	inten map[string]float64 // flops per byte of compulsory traffic
	bytes map[string]float64 // bytes of compulsory traffic per call
}

// table collects the best GFLOP/s-cpu per shape and pass, shapes in the
// order they first appear.
type table struct {
	cells []*cell
	index map[string]*cell
	probe float64 // best BenchmarkFMAPeak GFLOP/s read (0: none)
	// stream holds the BenchmarkStream runs: by name, the bytes a call
	// moves and the best GB/s-cpu.
	stream map[string]*streamRun
}

type streamRun struct{ bytes, rate float64 }

func newTable() *table {
	return &table{index: map[string]*cell{}, stream: map[string]*streamRun{}}
}

// addStream reads one line of BenchmarkStream output; it reports whether
// the line was one with GB/s and GB/s-cpu figures.
func (t *table) addStream(line string) bool {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[0], "BenchmarkStream/") {
		return false
	}
	x, ok := metric(f, "GB/s-cpu")
	bytes, okb := perCall(f, "GB/s")
	if !ok || !okb {
		return false
	}
	r := t.stream[f[0]]
	if r == nil {
		r = &streamRun{}
		t.stream[f[0]] = r
	}
	r.bytes = bytes
	r.rate = max(r.rate, x)
	return true
}

// perCall returns how much of a rate in G-units a second (GB/s: bytes,
// GFLOP/s: flops) a benchmark line's fields f give per call: the rate
// times ns/op.
func perCall(f []string, rate string) (float64, bool) {
	r, ok := metric(f, rate)
	ns, okn := metric(f, "ns/op")
	return r * ns, ok && okn
}

// streamRate returns the rate of the BenchmarkStream run whose bytes
// moved per call are nearest n (by ratio; the faster of two as near), the
// memory's or the cache's speed at that size; ok is false without stream
// runs. The runs move 2 and 3 times 1–64 MiB, so the nearest is within
// 1.25× of n from 2 to 192 MiB.
func (t *table) streamRate(n float64) (rate float64, ok bool) {
	best := math.Inf(1)
	for _, r := range t.stream {
		d := math.Abs(math.Log(r.bytes / n))
		switch {
		case d < best-1e-3:
			best, rate, ok = d, r.rate, true
		case d <= best+1e-3:
			rate = max(rate, r.rate)
		}
	}
	return rate, ok
}

// addProbe reads one line of BenchmarkFMAPeak output; it reports whether
// the line was one with a GFLOP/s figure.
func (t *table) addProbe(line string) bool {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[0], "BenchmarkFMAPeak") {
		return false
	}
	x, ok := metric(f, "GFLOP/s")
	if ok {
		t.probe = max(t.probe, x)
	}
	return ok
}

// metric returns the value a benchmark line's fields f give for unit (the
// last one, if the unit appears more than once).
func metric(f []string, unit string) (float64, bool) {
	v, ok := 0.0, false
	for i := 1; i+1 < len(f); i++ {
		if f[i+1] == unit {
			if x, err := strconv.ParseFloat(f[i], 64); err == nil {
				v, ok = x, true
			}
		}
	}
	return v, ok
}

// add reads one benchmark line; it reports whether the line was a depthwise
// result with a GFLOP/s-cpu figure.
func (t *table) add(line string) bool {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[0], "BenchmarkDepthwise") {
		return false
	}
	parts := strings.Split(f[0], "/")
	if len(parts) < 5 {
		return false
	}
	pass := parts[len(parts)-1]
	if i := strings.LastIndexByte(pass, '-'); i > 0 {
		pass = pass[:i] // the -GOMAXPROCS suffix
	}
	shape := strings.Join(parts[1:len(parts)-1], " ")
	if parts[0] == "BenchmarkDepthwiseStride2" {
		shape = "stride 2, " + shape
	} else if parts[0] != "BenchmarkDepthwise" {
		return false
	}
	v, ok := metric(f, "GFLOP/s-cpu")
	if !ok || v < 0 {
		return false
	}
	c := t.index[shape]
	if c == nil {
		c = &cell{name: shape, best: map[string]float64{}, inten: map[string]float64{}, bytes: map[string]float64{}}
		t.index[shape] = c
		t.cells = append(t.cells, c)
	}
	c.best[pass] = max(c.best[pass], v)
	// GFLOP/s and GB/s of one line share the timing: the flops and bytes
	// of a call, and their ratio the pass's flops per byte.
	flops, okf := perCall(f, "GFLOP/s")
	bytes, okb := perCall(f, "GB/s")
	if okf && okb && bytes > 0 {
		c.inten[pass] = flops / bytes
		c.bytes[pass] = bytes
	}
	return true
}

// roof returns the memory roof of pass p of c in GFLOP/s-cpu: its flops
// per byte times the streaming rate bw at the bytes it moves
// (streamRate); ok is false without the figures.
func (t *table) roof(c *cell, p string) (roof, bw float64, ok bool) {
	in, have := c.inten[p]
	if !have {
		return 0, 0, false
	}
	bw, have = t.streamRate(c.bytes[p])
	if !have {
		return 0, 0, false
	}
	return in * bw, bw, true
}

// write prints the markdown table and the count of cells at or above goal.
func (t *table) write(w io.Writer, goal float64) {
	passes := []string{"fwd", "bwdin", "bwdw"}
	fmt.Fprintf(w, "| shape | fwd | bwd input | bwd weight |\n|---|---:|---:|---:|\n")
	n, ok := 0, 0
	for _, c := range t.cells {
		fmt.Fprintf(w, "| %s |", c.name)
		for _, p := range passes {
			v, have := c.best[p]
			switch {
			case !have:
				fmt.Fprintf(w, " – |")
				continue
			case v >= goal:
				fmt.Fprintf(w, " **%.1f** |", v)
				ok++
			default:
				fmt.Fprintf(w, " %.1f |", v)
			}
			n++
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%d of %d cells reach %.1f GFLOP/s-cpu (best sample of each).\n", ok, n, goal)
	if t.probe > 0 {
		pg, pok := 0.4*t.probe, 0
		for _, c := range t.cells {
			for _, v := range c.best {
				if v >= pg {
					pok++
				}
			}
		}
		fmt.Fprintf(w, "The FMA probe measured %.1f GFLOP/s on this host in the same run; %d of %d cells reach 40%% of it (%.1f).\n",
			t.probe, pok, n, pg)
	}
	t.writeRoofs(w, passes, goal)
}

// writeRoofs lists the cells under goal against their memory roof (see
// roof), when the run had BenchmarkStream and the passes report GB/s.
func (t *table) writeRoofs(w io.Writer, passes []string, goal float64) {
	type row struct {
		name                 string
		v, mib, in, bw, roof float64
	}
	var rows []row
	under := 0
	for _, c := range t.cells {
		for _, p := range passes {
			v, have := c.best[p]
			if !have || v >= goal {
				continue
			}
			r, bw, ok := t.roof(c, p)
			if !ok {
				continue
			}
			rows = append(rows, row{c.name + " " + p, v, c.bytes[p] / (1 << 20), c.inten[p], bw, r})
			if r < goal {
				under++
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCells under %.1f against their memory roof: flops per byte of compulsory traffic × the GB/s-cpu of the BenchmarkStream run that moves the nearest number of bytes a call.\n\n", goal)
	fmt.Fprintf(w, "| cell | GFLOP/s-cpu | MiB a call | flops/byte | stream GB/s | roof | of roof |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.1f | %.0f | %.2f | %.1f | %.1f | %.0f%% |\n", r.name, r.v, r.mib, r.in, r.bw, r.roof, 100*r.v/r.roof)
	}
	fmt.Fprintf(w, "\n%d of these %d cells have a roof under %.1f.\n", under, len(rows), goal)
}

func main() {
	flag.Parse()
	t := newTable()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if !t.add(sc.Text()) && !t.addProbe(sc.Text()) && !t.addStream(sc.Text()) {
			fmt.Fprintln(os.Stderr, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "dwtable: reading stdin:", err)
		os.Exit(1)
	}
	if len(t.cells) == 0 {
		fmt.Fprintln(os.Stderr, "dwtable: no BenchmarkDepthwise results with GFLOP/s-cpu on stdin (run the benchmarks with -kthreads=1)")
		os.Exit(1)
	}
	t.write(os.Stdout, *target)
}
