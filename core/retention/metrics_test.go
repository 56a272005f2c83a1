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

// A NaN score (a degenerate feature) used to stop the tie scan from
// advancing: ROCAUC never returned and the scoring run hung.
func TestROCAUCWithNaNScoresReturns(t *testing.T) {
	nan := math.NaN()
	got := ROCAUC([]float64{nan, 0.9, nan, 0.1}, []bool{true, true, false, false})
	// NaNs rank lowest and tie: positive ranks 1.5 (NaN) and 4 (0.9) → (5.5 − 3) / 4.
	if want := 0.625; math.Abs(got-want) > 1e-12 {
		t.Errorf("ROCAUC with NaN scores = %v, want %v", got, want)
	}
}

// With a and b in the millions the hypergeometric series overflows; the
// expectation must stay finite and match the limit with p = a/(a+b) fixed.
func TestExpectedPurchasesWithHugeAB(t *testing.T) {
	h := History{X: 2, Tx: 20, T: 40}
	huge := BGFit{Variant: BGNBD, Unit: Weeks, Params: BGParams{R: 0.5, Alpha: 4.5, A: 3.3e6, B: 5.3e6}}
	big := BGFit{Variant: BGNBD, Unit: Weeks, Params: BGParams{R: 0.5, Alpha: 4.5, A: 3.3e3, B: 5.3e3}}
	for _, v := range []Variant{BGNBD, MBGNBD} {
		huge.Variant, big.Variant = v, v
		e, ref := huge.ExpectedPurchases(h, 13), big.ExpectedPurchases(h, 13)
		if math.IsNaN(e) || math.IsInf(e, 0) || e <= 0 {
			t.Fatalf("%v: expected purchases with a, b ≈ 1e6 = %v, want a positive number", v, e)
		}
		if math.Abs(e/ref-1) > 0.01 {
			t.Errorf("%v: expected purchases %v with a, b ≈ 1e6, %v with a, b ≈ 1e3 (same a/(a+b)); want within 1%%", v, e, ref)
		}
	}
}

// For the runaway fits (a, b in the millions) powHyp sums the direct
// series, which converges in tens of terms; it must agree with the Euler
// series, which needs millions.
func TestPowHypDirectMatchesEulerForHugeC(t *testing.T) {
	for _, c := range []struct{ A, B, C, z float64 }{
		{0.64, 5.57e6 + 3, 3.08e6 + 5.57e6 + 2, 0.7},
		{2.64, 5.3e4, 8.6e4, 0.95},
		{8.5, 2.4e7, 2.5e7, 0.3},
	} {
		got, want := powHyp(c.A, c.B, c.C, c.z), powHypEuler(c.A, c.B, c.C, c.z)
		if relErr(got, want) > 1e-9 {
			t.Errorf("powHyp(%v) = %.12g, Euler series %.12g", c, got, want)
		}
	}
}
