// Command dwtable turns the output of the depthwise kernel benchmarks into
// the table of the kernels issue: the best GFLOP/s-cpu of every shape and
// pass over all the samples read (run the benchmarks with -count to take
// several), marking the cells that reach a target. `make bench-dw` runs
//
//	go test ./kernels/ -run '^$' -bench '^BenchmarkFMAPeak$|^BenchmarkDepthwise$|^BenchmarkDepthwiseStride2$' \
//	    -benchtime=150ms -count=6 -kthreads=1 | go run ./bench/dwtable
//
// With BenchmarkFMAPeak in the run (`make bench-dw` includes it) the table
// also counts the cells at 40% of what the FMA probe measured on this host
// in the same run, beside the 40% of the nominal 116 GFLOP/s.
//
// Lines that are not benchmark results pass through to stderr unread.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

var target = flag.Float64("target", 0.4*116, "GFLOP/s a cell must reach to count (default: 40% of the 116 GFLOP/s peak the issue states)")

// cell is one shape's best result per pass.
type cell struct {
	name string
	best map[string]float64
}

// table collects the best GFLOP/s-cpu per shape and pass, shapes in the
// order they first appear.
type table struct {
	cells []*cell
	index map[string]*cell
	probe float64 // best BenchmarkFMAPeak GFLOP/s read (0: none)
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
		c = &cell{name: shape, best: map[string]float64{}}
		t.index[shape] = c
		t.cells = append(t.cells, c)
	}
	c.best[pass] = max(c.best[pass], v)
	return true
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
}

func main() {
	flag.Parse()
	t := &table{index: map[string]*cell{}}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if !t.add(sc.Text()) && !t.addProbe(sc.Text()) {
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
