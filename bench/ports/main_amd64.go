//go:build !noasm

// Command ports measures what the vector instructions of the kernels cost
// next to FMAs on this machine, the question the stride-2 depthwise
// kernels turn on (bench/README.md, "Twelfth session"). For each
// instruction it times a loop of eight independent FMAs and eight of the
// instruction (independent too), the eight alone, and eight FMAs alone.
// Taking the FMA loop as 4 cycles (two FMAs a cycle), it prints how many
// of the instruction issue a cycle alone, the cycles of the mixed loop,
// and how many FMAs each instance displaces there: 0 where it runs on
// pipes the FMAs leave free, 2 where it holds both FMA pipes for a cycle.
//
// Usage:
//
//	go run ./bench/ports [-n iterations] [-rounds R]
//
// Each loop runs R times, in turn with the others, and keeps its fastest
// run; no performance counters are needed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"
)

func main() {
	n := flag.Int("n", 10_000_000, "iterations of each loop per run")
	rounds := flag.Int("rounds", 9, "runs of each loop (the fastest is kept)")
	watchFor := flag.Duration("watch", 0, "instead of the table, probe the host's mode for this long (e.g. 60s): see watch")
	flag.Parse()
	if *n < 1 || *rounds < 1 || *watchFor < 0 {
		fmt.Fprintln(os.Stderr, "ports: -n and -rounds must be at least 1, -watch not negative")
		os.Exit(2)
	}
	if *watchFor > 0 {
		watch(os.Stdout, *watchFor, 200*time.Millisecond)
		return
	}
	measure(os.Stdout, *n, *rounds)
}

// mixName is the table row that watch times against the FMA loop: eight
// FMAs with eight loads and eight VANDPS, the mix of the kernels.
const mixName = "VMOVUPS load and VANDPS, a pair"

// watch probes, every step for d, how long the mixed loop takes against
// the FMA loop timed right before it (the best of three of each, 2^18
// iterations), and prints a line of one mark a probe ('.' fast, 'S' slow:
// over 5.5 cycles for 8 FMAs, where the quiet host measures about 4.5)
// and the share of slow probes. On the VM of bench/README.md the mixed
// loop ran either at 4.2–4.6 cycles or at 6.4–8.3, switching every few
// seconds, while the FMA loop kept its speed: something else on the host
// takes a share of the core's issue and load bandwidth, which an
// FMA-only probe (BenchmarkFMAPeak) does not see. Kernel timings taken in
// a slow spell run up to 1.7 times longer.
func watch(w io.Writer, d, step time.Duration) (slow, total int) {
	var mix func(int, *float32)
	for _, t := range table {
		if t.name == mixName {
			mix = t.with
		}
	}
	buf := loopBuf()
	const n = 1 << 18
	var line []byte
	for end := time.Now().Add(d); total == 0 || time.Now().Before(end); total++ {
		var bf, bm time.Duration
		for r := 0; r < 3; r++ {
			t0 := time.Now()
			loopFMA(n, &buf[0])
			t1 := time.Now()
			mix(n, &buf[0])
			t2 := time.Now()
			if x := t1.Sub(t0); bf == 0 || x < bf {
				bf = x
			}
			if x := t2.Sub(t1); bm == 0 || x < bm {
				bm = x
			}
		}
		mark := byte('.')
		if 4*float64(bm) > 5.5*float64(bf) {
			mark = 'S'
			slow++
		}
		line = append(line, mark)
		time.Sleep(step)
	}
	fmt.Fprintf(w, "%s\n%d of %d probes slow (the mixed loop over 5.5 cycles for 8 FMAs)\n", line, slow, total)
	return slow, total
}

// row is one instruction's measurement in cycles, the FMA loop taken as 4.
type row struct {
	name        string
	with, alone float64
}

// measure times every loop and writes the table to w. The rounds take
// every loop in turn, so that a slow spell of the host (a busy SMT
// sibling of the vCPU) meets them all, and each loop keeps its fastest
// run.
func measure(w io.Writer, n, rounds int) []row {
	buf := loopBuf()
	best := func(b *float64, f func(int, *float32)) {
		t0 := time.Now()
		f(n, &buf[0])
		if d := time.Since(t0).Seconds(); *b == 0 || d < *b {
			*b = d
		}
	}
	var fma float64
	rows := make([]row, len(table))
	for r := 0; r < rounds; r++ {
		for i, t := range table {
			rows[i].name = t.name
			best(&fma, loopFMA)
			best(&rows[i].with, t.with)
			best(&rows[i].alone, t.alone)
		}
	}
	for i := range rows {
		rows[i].with *= 4 / fma
		rows[i].alone *= 4 / fma
	}
	fmt.Fprintf(w, "FMA loop: %.3f ns an iteration (8 FMAs, taken as 4 cycles: %.2f GHz)\n\n", 1e9*fma/float64(n), 4/(1e9*fma/float64(n)))
	fmt.Fprintln(w, "| instruction | alone, per cycle | 8 FMAs + 8 of it, cycles | FMA slots each |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for i := range rows {
		r := &rows[i]
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f |\n", r.name, 8/r.alone, r.with, max(0, (r.with-4)*2/8))
	}
	return rows
}

// loopBuf returns the buffer the loops load from: 64-byte aligned, at
// least 32 floats (the loads reach 96 bytes in), all ones.
func loopBuf() []float32 {
	raw := make([]float32, 48)
	buf := raw[(64-uintptr(unsafe.Pointer(&raw[0]))%64)%64/4:]
	for i := range buf {
		buf[i] = 1
	}
	return buf
}
