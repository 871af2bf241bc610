//go:build !noasm

package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/cpu"
)

// TestMeasure runs every loop briefly: each instruction must execute
// (the table is generated, and a wrong operand would fault here rather
// than in a benchmark run) and get a finite, positive time and its row.
func TestMeasure(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2 and FMA: the loops cannot run here")
	}
	var out bytes.Buffer
	rows := measure(&out, 1000, 1)
	if len(rows) != len(table) {
		t.Fatalf("%d rows, want %d", len(rows), len(table))
	}
	for _, r := range rows {
		for _, v := range []float64{r.with, r.alone} {
			if !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("%s: time %v", r.name, v)
			}
		}
		if !strings.Contains(out.String(), "| "+r.name+" |") {
			t.Errorf("%s: no row in the table", r.name)
		}
	}
}

// TestWatch runs the mode probe briefly: at least one probe, and its
// summary line.
func TestWatch(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2 and FMA: the loops cannot run here")
	}
	var out bytes.Buffer
	slow, total := watch(&out, time.Millisecond, 0)
	if total < 1 || slow < 0 || slow > total {
		t.Fatalf("watch: %d slow of %d", slow, total)
	}
	if !strings.Contains(out.String(), "probes slow") {
		t.Fatalf("no summary line in %q", out.String())
	}
}
