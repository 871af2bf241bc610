package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestTable reads real benchmark output (two samples of each pass, with
// the header and trailer lines go test prints) and checks the best of each
// cell, the bold marks and the count.
func TestTable(t *testing.T) {
	f, err := os.Open("../../testdata/bench/depthwise.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb := &table{index: map[string]*cell{}}
	sc := bufio.NewScanner(f)
	read := 0
	for sc.Scan() {
		if tb.add(sc.Text()) {
			read++
		}
	}
	if read != 12 {
		t.Fatalf("read %d results, want 12", read)
	}
	var out strings.Builder
	tb.write(&out, 46.4)
	want := `| shape | fwd | bwd input | bwd weight |
|---|---:|---:|---:|
| K3D1 32x32 C16 | 42.0 | **46.7** | **56.1** |
| stride 2, K5D1 32x32 C16 | 30.4 | 7.9 | 38.2 |

2 of 6 cells reach 46.4 GFLOP/s-cpu (best sample of each).
`
	if out.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	tb.write(&out, 30)
	if !strings.HasSuffix(out.String(), "5 of 6 cells reach 30.0 GFLOP/s-cpu (best sample of each).\n") {
		t.Fatalf("with a target of 30:\n%s", out.String())
	}
	// Probe lines: the best counts, and the cells at 40% of it are counted
	// (0.4·93.2 = 37.3: 46.7, 56.1, 38.2 and 42.0 reach it).
	for _, l := range []string{
		"BenchmarkFMAPeak-2   \t    2228\t    540192 ns/op\t        40.16 %peak\t        93.17 GFLOP/s\t       2 B/op\t       0 allocs/op",
		"BenchmarkFMAPeak-2   \t    2100\t    570000 ns/op\t        38.00 %peak\t        88.02 GFLOP/s\t       2 B/op\t       0 allocs/op",
	} {
		if !tb.addProbe(l) || tb.add(l) {
			t.Fatalf("probe line %q not read as the probe alone", l)
		}
	}
	out.Reset()
	tb.write(&out, 46.4)
	if !strings.HasSuffix(out.String(), "The FMA probe measured 93.2 GFLOP/s on this host in the same run; 4 of 6 cells reach 40% of it (37.3).\n") {
		t.Fatalf("with the probe:\n%s", out.String())
	}
}

// TestAddSkips checks that lines other than depthwise results with a
// GFLOP/s-cpu figure are not taken.
func TestAddSkips(t *testing.T) {
	tb := &table{index: map[string]*cell{}}
	for _, l := range []string{
		"goos: linux",
		"BenchmarkSgemm/256-2   10  1000 ns/op  80.0 GFLOP/s-cpu",
		"BenchmarkDepthwiseHot/S1K3D1/16x16/fwd-2  10  1000 ns/op  50.0 GFLOP/s-cpu",
		"BenchmarkDepthwise/K3D1/32x32/C16/fwd-2  10  1000 ns/op  50.0 GFLOP/s",
		"PASS",
	} {
		if tb.add(l) {
			t.Fatalf("took %q", l)
		}
	}
}
