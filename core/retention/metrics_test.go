package retention

import (
	"math"
	"testing"
)

func TestROCAUCAndBrierByHand(t *testing.T) {
	// Positives score 0.9, 0.4, 0.4; negatives 0.4, 0.1. Pairs (pos, neg):
	// 0.9 beats both (2), each 0.4 ties 0.4 (½) and beats 0.1 (1):
	// (2 + 1.5 + 1.5) / 6 = 5/6.
	scores := []float64{0.9, 0.4, 0.4, 0.4, 0.1}
	pos := []bool{true, true, true, false, false}
	if got := ROCAUC(scores, pos); math.Abs(got-5.0/6) > 1e-12 {
		t.Errorf("AUC = %v, want 5/6", got)
	}
	if got := ROCAUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Errorf("AUC with one class = %v, want NaN", got)
	}
	// (0.1² + 0.6² + 0.6² + 0.4² + 0.1²) / 5 = (0.01 + 0.36 + 0.36 + 0.16 + 0.01) / 5 = 0.18
	if got := Brier(scores, pos); math.Abs(got-0.18) > 1e-12 {
		t.Errorf("Brier = %v, want 0.18", got)
	}
}

func TestStratifiedFoldsBalance(t *testing.T) {
	y := make([]bool, 103)
	for i := range y {
		y[i] = i%4 == 0 // 26 positives
	}
	folds := stratifiedFolds(y, 5, 1)
	var size, posN [5]int
	for i, f := range folds {
		size[f]++
		if y[i] {
			posN[f]++
		}
	}
	for f := 0; f < 5; f++ {
		if size[f] < 20 || size[f] > 21 || posN[f] < 5 || posN[f] > 6 {
			t.Errorf("fold %d: %d examples, %d positive; want 20–21 and 5–6", f, size[f], posN[f])
		}
	}
}
