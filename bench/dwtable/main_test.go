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
	tb := newTable()
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
	tb := newTable()
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

// TestRoofs reads real BenchmarkStream lines and depthwise lines with
// GB/s (this host, 2026-11-28) and checks the roof of each cell under the
// target: flops per byte (GFLOP/s ÷ GB/s of the line) times the GB/s-cpu
// of the stream run that moves the nearest number of bytes.
func TestRoofs(t *testing.T) {
	tb := newTable()
	for _, l := range []string{
		"BenchmarkStream/64MiB/scale-2         \t      18\t   9781372 ns/op\t        13.72 GB/s\t        13.76 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/64MiB/axpy-2          \t      18\t  10217416 ns/op\t        19.70 GB/s\t        19.65 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/32MiB/scale-2         \t      30\t   5302596 ns/op\t        12.66 GB/s\t        12.68 GB/s-cpu\t     177 B/op\t       0 allocs/op",
		"BenchmarkStream/32MiB/axpy-2          \t      38\t   4454566 ns/op\t        22.60 GB/s\t        22.85 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/16MiB/scale-2         \t      76\t   1992163 ns/op\t        16.84 GB/s\t        16.59 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/16MiB/axpy-2          \t      86\t   2044769 ns/op\t        24.61 GB/s\t        24.85 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/8MiB/scale-2          \t     330\t    645028 ns/op\t        26.01 GB/s\t        26.05 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/8MiB/axpy-2           \t     271\t    620418 ns/op\t        40.56 GB/s\t        41.01 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/4MiB/scale-2          \t    1137\t    146666 ns/op\t        57.20 GB/s\t        57.60 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/4MiB/axpy-2           \t    1298\t    142346 ns/op\t        88.40 GB/s\t        89.13 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/2MiB/scale-2          \t    2492\t     63233 ns/op\t        66.33 GB/s\t        67.11 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/2MiB/axpy-2           \t    2684\t     63613 ns/op\t        98.90 GB/s\t        99.45 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/1MiB/scale-2          \t    5425\t     32034 ns/op\t        65.47 GB/s\t        66.06 GB/s-cpu\t       0 B/op\t       0 allocs/op",
		"BenchmarkStream/1MiB/axpy-2           \t    5650\t     32287 ns/op\t        97.43 GB/s\t        99.86 GB/s-cpu\t       0 B/op\t       0 allocs/op",
	} {
		if !tb.addStream(l) || tb.add(l) || tb.addProbe(l) {
			t.Fatalf("stream line %q not read as a stream line alone", l)
		}
	}
	if len(tb.stream) != 14 {
		t.Fatalf("read %d stream runs, want 14", len(tb.stream))
	}
	var out strings.Builder
	tb.write(&out, 46.4) // no depthwise cells: no roof section
	if strings.Contains(out.String(), "roof") {
		t.Fatalf("roofs without cells:\n%s", out.String())
	}
	for _, l := range []string{
		// 13.0 MiB a call: nearest, 4 MiB Axpy (12 MiB, 89.13 GB/s).
		"BenchmarkDepthwiseStride2/K3D1/32x32/C16/bwdin-2       \t     471\t    276847 ns/op\t        14.69 %peak\t        14.95 %peak-cpu\t        49.24 GB/s\t        17.04 GFLOP/s\t        17.34 GFLOP/s-cpu\t       0 B/op\t       0 allocs/op",
		// 32 MiB a call: 16 MiB Scale (32 MiB, 16.59 GB/s).
		"BenchmarkDepthwise/K3D1/32x32/C64/bwdw-2 \t 100\t 2352000 ns/op\t 31.0 %peak\t 31.2 %peak-cpu\t 14.27 GB/s\t 32.10 GFLOP/s\t 32.30 GFLOP/s-cpu\t 0 B/op\t 0 allocs/op",
		// At the target: not listed.
		"BenchmarkDepthwise/K3D1/32x32/C64/fwd-2 \t 100\t 1600000 ns/op\t 40.0 %peak\t 40.0 %peak-cpu\t 20.97 GB/s\t 47.18 GFLOP/s\t 47.20 GFLOP/s-cpu\t 0 B/op\t 0 allocs/op",
	} {
		if !tb.add(l) {
			t.Fatalf("line %q not read", l)
		}
	}
	out.Reset()
	tb.write(&out, 46.4)
	got := out.String()
	for _, want := range []string{
		"| stride 2, K3D1 32x32 C16 bwdin | 17.3 | 13 | 0.35 | 89.1 | 30.8 | 56% |\n",
		"| K3D1 32x32 C64 bwdw | 32.3 | 32 | 2.25 | 16.6 | 37.3 | 87% |\n",
		"2 of these 2 cells have a roof under 46.4.\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("roofs:\n%s\nmissing %q", got, want)
		}
	}
	if strings.Contains(got, "C64 fwd |") {
		t.Fatalf("a cell at the target listed:\n%s", got)
	}
}
