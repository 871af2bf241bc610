package cells

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ParseGenotype reads a genotype written in the notation of the original
// Python code, as printed by its train_search.py and stored in its
// genotypes.py:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...],
//	         normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=range(2, 6))
//
// Accepted variations: single or double quotes; tuples or lists for the
// pairs; concat as a list, range(a, b), range(b) or list(range(...));
// keyword or positional (normal, normal_concat, reduce, reduce_concat)
// arguments in any layout of whitespace and newlines; trailing commas; '#'
// comments; and a leading assignment "NAME = " (so a line copied from
// genotypes.py or a search log works). The result must pass Validate.
func ParseGenotype(s string) (Genotype, error) {
	p := &pyParser{src: s}
	g, err := p.genotype()
	if err != nil {
		return Genotype{}, err
	}
	if err := g.Validate(); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

type pyParser struct {
	src string
	pos int
}

func (p *pyParser) errorf(format string, args ...any) error {
	line, col := 1, 1
	for _, r := range p.src[:p.pos] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("genotype: line %d col %d: %s", line, col, fmt.Sprintf(format, args...))
}

// skip skips whitespace and '#' comments.
func (p *pyParser) skip() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '\n' || p.src[p.pos+1] == '\r'):
			p.pos += 2 // explicit line continuation
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (p *pyParser) peek() byte {
	p.skip()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *pyParser) describeNext() string {
	p.skip()
	if p.pos >= len(p.src) {
		return "end of input"
	}
	rest := p.src[p.pos:]
	if i := strings.IndexAny(rest, "\n"); i >= 0 {
		rest = rest[:i]
	}
	if len(rest) > 20 {
		rest = rest[:20] + "..."
	}
	return strconv.Quote(rest)
}

func (p *pyParser) expect(c byte) error {
	if p.peek() != c {
		return p.errorf("expected %q, found %s", c, p.describeNext())
	}
	p.pos++
	return nil
}

func pyIdentByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// ident reads an identifier, or returns "" without moving.
func (p *pyParser) ident() string {
	p.skip()
	start := p.pos
	for p.pos < len(p.src) && pyIdentByte(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *pyParser) genotype() (Genotype, error) {
	start := p.pos
	name := p.ident()
	if name != "Genotype" && name != "" && p.peek() == '=' {
		p.pos++ // NAME = Genotype(...)
		start = p.pos
		name = p.ident()
	}
	if name != "Genotype" {
		p.pos = start
		return Genotype{}, p.errorf("expected Genotype(...), found %s", p.describeNext())
	}
	if err := p.expect('('); err != nil {
		return Genotype{}, err
	}
	fields := []string{"normal", "normal_concat", "reduce", "reduce_concat"}
	var g Genotype
	seen := map[string]bool{}
	positional := 0
	for p.peek() != ')' {
		if p.peek() == 0 {
			return Genotype{}, p.errorf("unterminated Genotype(: expected ')'")
		}
		// keyword=value or a positional value
		save := p.pos
		field := p.ident()
		if field != "" && p.peek() == '=' {
			p.pos++
			if !slices.Contains(fields, field) {
				p.pos = save
				return Genotype{}, p.errorf("unknown field %q (want %s)", field, strings.Join(fields, ", "))
			}
		} else {
			p.pos = save
			if len(seen) > positional {
				return Genotype{}, p.errorf("positional argument after keyword argument")
			}
			if positional >= len(fields) {
				return Genotype{}, p.errorf("too many arguments: Genotype has %d fields", len(fields))
			}
			field = fields[positional]
			positional++
		}
		if seen[field] {
			return Genotype{}, p.errorf("field %q given twice", field)
		}
		seen[field] = true
		var err error
		switch field {
		case "normal":
			g.Normal, err = p.edgeList()
		case "reduce":
			g.Reduce, err = p.edgeList()
		case "normal_concat":
			g.NormalConcat, err = p.intSeq()
		case "reduce_concat":
			g.ReduceConcat, err = p.intSeq()
		}
		if err != nil {
			return Genotype{}, err
		}
		if p.peek() == ',' {
			p.pos++
		} else if p.peek() != ')' {
			return Genotype{}, p.errorf("expected ',' or ')', found %s", p.describeNext())
		}
	}
	p.pos++ // ')'
	for _, f := range fields {
		if !seen[f] {
			return Genotype{}, p.errorf("missing field %q", f)
		}
	}
	if p.peek() != 0 {
		return Genotype{}, p.errorf("unexpected text after Genotype(...): %s", p.describeNext())
	}
	return g, nil
}

// openList accepts '[' or '(' and returns the matching closer.
func (p *pyParser) openList(what string) (byte, error) {
	switch p.peek() {
	case '[':
		p.pos++
		return ']', nil
	case '(':
		p.pos++
		return ')', nil
	}
	return 0, p.errorf("expected %s, found %s", what, p.describeNext())
}

// sequence parses elements separated by commas up to closer, allowing a
// trailing comma.
func (p *pyParser) sequence(closer byte, elem func() error) error {
	for {
		if p.peek() == closer {
			p.pos++
			return nil
		}
		if err := elem(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case closer:
		default:
			return p.errorf("expected ',' or %q, found %s", closer, p.describeNext())
		}
	}
}

func (p *pyParser) edgeList() ([]Edge, error) {
	closer, err := p.openList("a list of ('op', input) pairs")
	if err != nil {
		return nil, err
	}
	edges := []Edge{}
	err = p.sequence(closer, func() error {
		c, err := p.openList("an ('op', input) pair")
		if err != nil {
			return err
		}
		op, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(','); err != nil {
			return err
		}
		in, err := p.integer()
		if err != nil {
			return err
		}
		if p.peek() == ',' { // ('op', 0,) is still a pair in Python
			p.pos++
		}
		if err := p.expect(c); err != nil {
			return err
		}
		edges = append(edges, Edge{Op: op, Input: in})
		return nil
	})
	return edges, err
}

func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted operation name, found %s", p.describeNext())
	}
	start := p.pos + 1
	end := strings.IndexByte(p.src[start:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	s := p.src[start : start+end]
	if strings.ContainsAny(s, "\\\n") {
		return "", p.errorf("unsupported string %s: escapes and newlines are not allowed", p.src[p.pos:start+end+1])
	}
	p.pos = start + end + 1
	return s, nil
}

func (p *pyParser) integer() (int, error) {
	p.skip()
	start := p.pos
	if p.pos < len(p.src) && (p.src[p.pos] == '-' || p.src[p.pos] == '+') {
		p.pos++
	}
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil {
		p.pos = start
		return 0, p.errorf("expected an integer, found %s", p.describeNext())
	}
	return n, nil
}

// intSeq parses [a, b, ...], (a, b, ...), range(a, b), range(b) or
// list(range(...)).
func (p *pyParser) intSeq() ([]int, error) {
	save := p.pos
	switch name := p.ident(); name {
	case "list":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		xs, err := p.intSeq()
		if err != nil {
			return nil, err
		}
		return xs, p.expect(')')
	case "range":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		var args []int
		err := p.sequence(')', func() error {
			n, err := p.integer()
			args = append(args, n)
			return err
		})
		if err != nil {
			return nil, err
		}
		var lo, hi int
		switch len(args) {
		case 1:
			hi = args[0]
		case 2:
			lo, hi = args[0], args[1]
		default:
			return nil, p.errorf("range takes 1 or 2 arguments here, got %d", len(args))
		}
		if hi-lo > 1<<16 {
			return nil, p.errorf("range(%d, %d) too long", lo, hi)
		}
		xs := []int{}
		for i := lo; i < hi; i++ {
			xs = append(xs, i)
		}
		return xs, nil
	case "":
	default:
		p.pos = save
		return nil, p.errorf("expected a list of node indices or range(...), found %s", p.describeNext())
	}
	closer, err := p.openList("a list of node indices or range(...)")
	if err != nil {
		return nil, err
	}
	xs := []int{}
	err = p.sequence(closer, func() error {
		n, err := p.integer()
		xs = append(xs, n)
		return err
	})
	return xs, err
}

// LoadGenotype resolves a genotype argument (a command-line flag value, a
// configuration entry). In order, arg may be:
//
//   - the name of a built-in genotype (BuiltinNames; case-insensitive, '-'
//     may stand for '_'), e.g. DARTS_V2;
//   - the Python notation itself, e.g. "Genotype(normal=[...], ...)", or the
//     JSON form itself, starting with '{';
//   - the path of a file holding either form.
//
// Every error names arg.
func LoadGenotype(arg string) (Genotype, error) {
	s := strings.TrimSpace(arg)
	if s == "" {
		return Genotype{}, fmt.Errorf("genotype argument is empty: want a built-in name (%s), a JSON file or Genotype(...)", strings.Join(BuiltinNames(), ", "))
	}
	if g, ok := Builtin(s); ok {
		return g, nil
	}
	if strings.HasPrefix(s, "{") {
		g, err := ParseGenotypeJSON([]byte(s))
		if err != nil {
			return Genotype{}, fmt.Errorf("genotype argument %s: %w", genotypeAbbrev([]byte(s)), err)
		}
		return g, nil
	}
	if strings.Contains(s, "Genotype(") {
		g, err := ParseGenotype(s)
		if err != nil {
			return Genotype{}, fmt.Errorf("genotype argument %s: %w", genotypeAbbrev([]byte(s)), err)
		}
		return g, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Genotype{}, fmt.Errorf("genotype %q: not a built-in name (%s), not Genotype(...) or JSON text, and no such file", arg, strings.Join(BuiltinNames(), ", "))
		}
		return Genotype{}, fmt.Errorf("genotype %q: %w", arg, err)
	}
	text := bytes.TrimSpace(data)
	var g Genotype
	if bytes.HasPrefix(text, []byte("{")) {
		g, err = ParseGenotypeJSON(text)
	} else {
		g, err = ParseGenotype(string(text))
	}
	if err != nil {
		return Genotype{}, fmt.Errorf("genotype file %s: %w", arg, err)
	}
	return g, nil
}
