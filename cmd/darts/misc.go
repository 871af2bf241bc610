package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/darts-go/darts/cells"
	"github.com/darts-go/darts/kernels"
)

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", "info\n\nPrints the detected CPU, its caches and cores, and which implementation\n(AVX2+FMA assembly or pure Go) each kernel uses. DARTS_NOASM=1 forces pure Go.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprint(stdout, kernels.Report())
	return nil
}

func cmdGenotype(args []string, stdout, stderr io.Writer) error {
	out := ""
	asJSON := false
	fs := newFlagSet("genotype", "genotype [flags] NAME|FILE|'Genotype(...)'\n\nPrints a genotype (a built-in name: "+fmt.Sprint(cells.BuiltinNames())+",\na genotype.json, or the Python notation) and optionally draws its cells.", stderr)
	fs.StringVar(&out, "out", "", "directory to write normal/reduce .svg and .dot pictures and genotype.json into (default: print only)")
	fs.BoolVar(&asJSON, "json", false, "print the JSON form instead of the Python notation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("genotype: give exactly one genotype (name, file or Genotype(...) text)")
	}
	g, err := cells.LoadGenotype(fs.Arg(0))
	if err != nil {
		return err
	}
	if asJSON {
		stdout.Write(g.FormatJSON())
	} else {
		fmt.Fprintln(stdout, g)
	}
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	for _, c := range []struct {
		name string
		cell cells.CellGenotype
	}{{"normal", g.NormalCell()}, {"reduce", g.ReduceCell()}} {
		for ext, write := range map[string]func(io.Writer, cells.CellGenotype, string) error{".svg": cells.WriteSVG, ".dot": cells.WriteDOT} {
			p := filepath.Join(out, c.name+ext)
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			if err := write(f, c.cell, c.name); err != nil {
				f.Close()
				return fmt.Errorf("%s: %w", p, err)
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	if err := cells.SaveGenotype(filepath.Join(out, "genotype.json"), g); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s/{normal,reduce}.{svg,dot} and genotype.json\n", out)
	return nil
}
