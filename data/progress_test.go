package data

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock returns a clock function and a way to move it forward.
func fakeClock() (func() time.Time, func(time.Duration)) {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return t }, func(d time.Duration) { t = t.Add(d) }
}

func newTestProgress(w *bytes.Buffer, total int, label string, tty bool) (*Progress, func(time.Duration)) {
	p := NewProgress(w, total, label)
	now, advance := fakeClock()
	p.now, p.start, p.last, p.tty = now, now(), now(), tty
	return p, advance
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p, advance := newTestProgress(&buf, 1000, "epoch 3", false)
	if p.tty {
		t.Fatal("a buffer counts as a terminal")
	}
	for i := 1; i <= 10; i++ {
		advance(time.Second)
		p.Update(i*50, "loss 2.1")
	}
	// 10 s elapsed: lines at 5 s and 10 s only.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %q", len(lines), buf.String())
	}
	if want := "epoch 3:  50% 500/1000  50.00/s  ETA 0:10  loss 2.1"; lines[1] != want {
		t.Errorf("line %q, want %q", lines[1], want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("carriage return in plain output")
	}
	advance(10 * time.Second)
	p.Update(1000, "loss 1.9")
	buf.Reset()
	p.Done()
	p.Done()
	p.Update(5, "")
	if want := "epoch 3: 100% 1000/1000  50.00/s  in 0:20  loss 1.9\n"; buf.String() != want {
		t.Errorf("final %q, want %q", buf.String(), want)
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p, advance := newTestProgress(&buf, 200<<20, "download x.tar.gz", true)
	p.Bytes()
	advance(2 * time.Second)
	p.Update(50<<20, "")
	first := buf.String()
	// The bar takes what the numbers leave of 79 columns.
	want := "\rdownload x.tar.gz [====>           ]  25% 52.4 MB/209.7 MB  26.2 MB/s  ETA 0:06"
	if first != want {
		t.Errorf("first draw %q, want %q", first, want)
	}
	// Redraws are rate-limited.
	advance(10 * time.Millisecond)
	p.Update(51<<20, "")
	if buf.String() != first {
		t.Error("redrawn within 100 ms")
	}
	advance(time.Second)
	p.Update(100<<20, "extra words")
	if !strings.HasPrefix(buf.String()[len(first):], "\rdownload x.tar.gz [=======>       ]  50% 104.9 MB/209.7 MB  34.8 MB/s  ETA 0:03") {
		t.Errorf("second draw %q", buf.String()[len(first):])
	}
	buf.Reset()
	p.Abort()
	if buf.String() != "\n" {
		t.Errorf("abort wrote %q", buf.String())
	}

	// A shorter line blanks the rest of the previous one; long lines are
	// cut to the terminal width.
	buf.Reset()
	q, advance := newTestProgress(&buf, 0, "steps", true)
	advance(time.Second)
	q.Update(3, strings.Repeat("x", 200))
	if l := len(strings.TrimPrefix(buf.String(), "\r")); l != 79 {
		t.Errorf("line of %d characters, want 79", l)
	}
	buf.Reset()
	advance(time.Second)
	q.Update(4, "")
	if got := buf.String(); got != "\rsteps 4  2.00/s"+strings.Repeat(" ", 79-len("steps 4  2.00/s")) {
		t.Errorf("redraw %q", got)
	}
	buf.Reset()
	q.Done()
	if got := buf.String(); !strings.HasPrefix(got, "\rsteps 4  2.00/s  in 0:02") || !strings.HasSuffix(got, "\n") {
		t.Errorf("done %q", got)
	}
}

func TestProgressNilAndFormats(t *testing.T) {
	p := NewProgress(nil, 10, "x")
	p.Update(3, "y")
	p.Done()
	var nilp *Progress
	nilp.Update(1, "")
	nilp.Done()
	for _, tc := range []struct {
		got, want string
	}{
		{formatBytes(999), "999 B"},
		{formatBytes(1500), "1.5 kB"},
		{formatBytes(170498071), "170.5 MB"},
		{formatDuration(59 * time.Second), "0:59"},
		{formatDuration(61*time.Minute + 5*time.Second), "1:01:05"},
		{formatDuration(-time.Second), "0:00"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
