package goldencmp

import "testing"

func TestRelErr(t *testing.T) {
	for _, c := range []struct {
		got, want []float32
		rel       float64
	}{
		{[]float32{1, 2}, []float32{1, 2}, 0},
		{[]float32{1, 2.5}, []float32{1, 2}, 0.25}, // 0.5 / 2
		{[]float32{-4, 0}, []float32{-2, 1}, 1},    // 2 / 2
		{[]float32{0.5, 0}, []float32{0, 0}, 0.5},  // absolute when want is 0
	} {
		if r := RelErr(c.got, c.want); r != c.rel {
			t.Errorf("RelErr(%v, %v) = %v, want %v", c.got, c.want, r, c.rel)
		}
	}
}
