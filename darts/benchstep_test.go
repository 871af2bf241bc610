package darts

import (
	"math"
	"testing"
)

// TestBenchStepOrders runs the "orders" mode on a tiny supernet: each timed
// iteration yields a first- and a second-order time and their ratio, and
// the reported figures are the medians of those.
func TestBenchStepOrders(t *testing.T) {
	r, err := BenchStep(StepBenchConfig{InitChannels: 4, Layers: 3, BatchSize: 2, Iters: 3, Warmup: 1, Mode: "orders", Seed: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OrderRatios) != 3 || !(r.FirstOrderMS > 0 && r.SecondOrderMS > 0) {
		t.Fatalf("orders: first %v ms, second %v ms, ratios %v", r.FirstOrderMS, r.SecondOrderMS, r.OrderRatios)
	}
	if r.OrderRatio != median(r.OrderRatios) {
		t.Fatalf("order_ratio %v is not the median of %v", r.OrderRatio, r.OrderRatios)
	}
	// The second-order step does the first order's work and more.
	if r.OrderRatio <= 1 {
		t.Errorf("second/first-order ratio %v ≤ 1", r.OrderRatio)
	}
	for _, m := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(m.v); math.Abs(got-m.want) > 0 {
			t.Errorf("median(%v) = %v, want %v", m.v, got, m.want)
		}
	}
}
