package data

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Progress is a one-line progress indicator. On a terminal it redraws one
// line in place with "\r": label, bar, percentage, count, rate, ETA and an
// extra text. Written to anything else (a file, a pipe) it prints a plain
// line at most every PlainInterval and a final line from Done, so logs stay
// short. A Progress with a nil writer does nothing. Its methods may be called
// from several goroutines.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	total    int
	label    string
	tty      bool
	bytes    bool
	columns  int
	start    time.Time
	last     time.Time // last output
	n        int
	extra    string
	prevLen  int // length of the line on screen (terminal)
	finished bool

	now           func() time.Time
	ttyInterval   time.Duration
	plainInterval time.Duration
}

// PlainInterval is the minimum time between two lines of a Progress that
// does not write to a terminal.
const PlainInterval = 5 * time.Second

// NewProgress returns a progress indicator for total steps (total <= 0 when
// unknown: no bar, percentage or ETA) written to w (nil for none).
func NewProgress(w io.Writer, total int, label string) *Progress {
	p := &Progress{
		w: w, total: total, label: label,
		tty:           isTerminal(w),
		columns:       80,
		now:           time.Now,
		ttyInterval:   100 * time.Millisecond,
		plainInterval: PlainInterval,
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c >= 20 {
		p.columns = c
	}
	p.start = p.now()
	p.last = p.start
	return p
}

// Bytes makes p show counts and rates as byte sizes (kB, MB, GB) and
// returns p.
func (p *Progress) Bytes() *Progress {
	p.mu.Lock()
	p.bytes = true
	p.mu.Unlock()
	return p
}

// Update records that n steps (not n more) are done; extra is shown after
// the numbers (e.g. "loss 1.234"). The output is redrawn when due.
func (p *Progress) Update(n int, extra string) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.n, p.extra = n, extra
	t := p.now()
	if p.tty {
		if p.prevLen == 0 || t.Sub(p.last) >= p.ttyInterval || (p.total > 0 && n >= p.total) {
			p.draw(p.line(t, false))
			p.last = t
		}
		return
	}
	if t.Sub(p.last) >= p.plainInterval {
		fmt.Fprintln(p.w, p.line(t, false))
		p.last = t
	}
}

// Done prints the final state (count, elapsed time, mean rate) and ends the
// line. Later calls do nothing.
func (p *Progress) Done() {
	p.finish(true)
}

// Abort ends the line on a terminal without a summary (for failures);
// elsewhere it prints nothing. Later calls do nothing.
func (p *Progress) Abort() {
	p.finish(false)
}

func (p *Progress) finish(summary bool) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if !summary {
		if p.tty && p.prevLen > 0 {
			fmt.Fprintln(p.w)
		}
		return
	}
	l := p.line(p.now(), true)
	if p.tty {
		p.draw(l)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintln(p.w, l)
}

// draw rewrites the terminal line, blanking what is left of a longer one.
func (p *Progress) draw(l string) {
	if k := utf8.RuneCountInString(l); k > p.columns-1 {
		r := []rune(l)
		l = string(r[:p.columns-1])
	}
	k := utf8.RuneCountInString(l)
	pad := ""
	if k < p.prevLen {
		pad = strings.Repeat(" ", p.prevLen-k)
	}
	fmt.Fprint(p.w, "\r"+l+pad)
	p.prevLen = k
}

// line formats the current state; final selects the summary form.
func (p *Progress) line(t time.Time, final bool) string {
	el := t.Sub(p.start)
	var st strings.Builder // the numbers
	frac := 0.0
	if p.total > 0 {
		frac = max(0, min(float64(p.n)/float64(p.total), 1))
		fmt.Fprintf(&st, "%3.0f%% %s/%s", 100*frac, p.count(p.n), p.count(p.total))
	} else {
		st.WriteString(p.count(p.n))
	}
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(p.n) / s
	}
	if rate > 0 {
		st.WriteString("  ")
		st.WriteString(p.rate(rate))
	}
	if final {
		st.WriteString("  in ")
		st.WriteString(formatDuration(el))
	} else if p.total > 0 && rate > 0 && p.n < p.total {
		st.WriteString("  ETA ")
		st.WriteString(formatDuration(time.Duration(float64(p.total-p.n) / rate * float64(time.Second))))
	}
	stats := st.String()

	var b strings.Builder
	b.WriteString(p.label)
	if !p.tty {
		b.WriteString(": ")
	} else {
		b.WriteByte(' ')
		if p.total > 0 {
			// The bar takes the room the numbers leave on the line.
			width := p.columns - 1 - utf8.RuneCountInString(p.label) - 4 - utf8.RuneCountInString(stats)
			width = max(10, min(width, 30))
			fill := int(frac * float64(width))
			b.WriteByte('[')
			b.WriteString(strings.Repeat("=", fill))
			if fill < width {
				b.WriteByte('>')
				b.WriteString(strings.Repeat(" ", width-fill-1))
			}
			b.WriteString("] ")
		}
	}
	b.WriteString(stats)
	if p.extra != "" {
		b.WriteString("  ")
		b.WriteString(p.extra)
	}
	return b.String()
}

func (p *Progress) count(n int) string {
	if p.bytes {
		return formatBytes(float64(n))
	}
	return strconv.Itoa(n)
}

func (p *Progress) rate(r float64) string {
	if p.bytes {
		return formatBytes(r) + "/s"
	}
	if r >= 100 {
		return fmt.Sprintf("%.0f/s", r)
	}
	return fmt.Sprintf("%.2f/s", r)
}

// formatBytes writes a size with a decimal unit: "512 B", "1.5 kB",
// "162.6 MB".
func formatBytes(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	u := 0
	for n >= 1000 && u < len(units)-1 {
		n /= 1000
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[u])
}

// formatDuration writes "m:ss" or "h:mm:ss".
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// isTerminal reports whether w is an *os.File on a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
