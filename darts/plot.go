package darts

import (
	"bytes"
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	trainColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
	testColor  = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
)

// curvePoint is one epoch of a training or search run as the plots need it.
type curvePoint struct {
	Epoch                                  int
	TrainLoss, TrainAcc, EvalLoss, EvalAcc float64
}

// curvePlot is one panel: the train series and the held-out series (named
// evalName) against the epoch.
func curvePlot(title, ylabel, evalName string, ms []curvePoint, train, test func(curvePoint) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	for _, s := range []struct {
		name string
		f    func(curvePoint) float64
		c    color.Color
		dash bool
	}{{"train", train, trainColor, false}, {evalName, test, testColor, true}} {
		xys := make(plotter.XYs, len(ms))
		for i, m := range ms {
			xys[i].X, xys[i].Y = float64(m.Epoch), s.f(m)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color = s.c
		line.Width = vg.Points(1.5)
		if s.dash {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		points.Color = s.c
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2)
		if len(ms) > 60 {
			points.Radius = 0 // a line is enough for long runs
		}
		p.Add(line, points)
		p.Legend.Add(s.name, line)
	}
	p.Legend.Top = true
	if len(ms) == 1 { // give a single epoch some room
		p.X.Min, p.X.Max = float64(ms[0].Epoch)-1, float64(ms[0].Epoch)+1
	}
	return p, nil
}

// PlotCurves draws the loss and accuracy curves of a training run (two
// panels side by side) into dir/curves.svg and dir/curves.png.
func PlotCurves(ms []TrainMetrics, dir string) error {
	pts := make([]curvePoint, len(ms))
	for i, m := range ms {
		pts[i] = curvePoint{m.Epoch, m.TrainLoss, m.TrainAcc, m.TestLoss, m.TestAcc}
	}
	return plotCurves(pts, "test", dir)
}

// PlotSearchCurves draws the curves of a search run: the weights' training
// half against the α (validation) half.
func PlotSearchCurves(ms []EpochMetrics, dir string) error {
	pts := make([]curvePoint, len(ms))
	for i, m := range ms {
		pts[i] = curvePoint{m.Epoch, m.TrainLoss, m.TrainAcc, m.ValidLoss, m.ValidAcc}
	}
	return plotCurves(pts, "valid", dir)
}

func plotCurves(ms []curvePoint, evalName, dir string) error {
	if len(ms) == 0 {
		return fmt.Errorf("no epochs to plot")
	}
	lossP, err := curvePlot("loss", "cross-entropy", evalName, ms,
		func(m curvePoint) float64 { return m.TrainLoss }, func(m curvePoint) float64 { return m.EvalLoss })
	if err != nil {
		return err
	}
	accP, err := curvePlot("accuracy", "top-1 accuracy (%)", evalName, ms,
		func(m curvePoint) float64 { return m.TrainAcc }, func(m curvePoint) float64 { return m.EvalAcc })
	if err != nil {
		return err
	}
	// Leave room for the legends: above the loss curves (top right), below
	// the accuracy curves (bottom right).
	lossP.Y.Max += 0.15 * (lossP.Y.Max - lossP.Y.Min)
	accP.Y.Min -= 0.15 * (accP.Y.Max - accP.Y.Min)
	accP.Legend.Top = false
	plots := [][]*plot.Plot{{lossP, accP}}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 3,
		PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	width, height := 11*vg.Inch, 4.5*vg.Inch

	render := func(c vg.CanvasWriterTo) ([]byte, error) {
		dc := draw.New(c)
		canvases := plot.Align(plots, tiles, dc)
		for j, p := range plots[0] {
			p.Draw(canvases[0][j])
		}
		var b bytes.Buffer
		if _, err := c.WriteTo(&b); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	svg, err := render(vgsvg.New(width, height))
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "curves.svg"), svg); err != nil {
		return err
	}
	png, err := render(vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(100),
		vgimg.UseBackgroundColor(color.White))})
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "curves.png"), png)
}
