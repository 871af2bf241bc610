// Package goldencmp holds what the golden tests of several packages share
// when they compare results with the PyTorch reference files.
package goldencmp

import "math"

// RelErr is max|got−want| / max|want| over want's elements (the absolute
// difference when want is all zeros).
func RelErr(got, want []float32) float64 {
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}
