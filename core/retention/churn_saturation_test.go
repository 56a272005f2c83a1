package retention

import (
	"math/rand/v2"
	"testing"
)

// TestTxChurnDoesNotSaturateOnANearConstantFeature: when P(dead) hardly
// varies in the backtest (the online retailer: a ≈ 0.004), a customer whose
// P(dead) differs today must not be pushed to a risk of exactly 0 or 1 —
// the other features still speak. Before the guard every retail customer
// scored 0.000.
func TestTxChurnDoesNotSaturateOnANearConstantFeature(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var feats []ChurnFeatures
	var lapsed []bool
	for i := range 2000 {
		days := 10 + rng.IntN(300)
		f := ChurnFeatures{
			PDead:             0.001 + 1e-9*rng.Float64(),
			ExpectedPurchases: rng.Float64() * 3,
			DaysSinceLast:     days,
			UsualGapDays:      30,
			Repeat:            rng.IntN(10),
			AgeDays:           200 + i%100,
		}
		feats = append(feats, f)
		lapsed = append(lapsed, days > 120 && rng.Float64() < 0.8)
	}
	m := fitTxChurn(feats, lapsed)
	for _, pdead := range []float64{0.0005, 0.01, 0.5} {
		f := feats[0]
		f.PDead = pdead
		risk, _ := m.Score(f, 90, 3)
		if risk < 0.01 || risk > 0.99 {
			t.Errorf("P(dead) %.4f outside the backtest's range: risk %.6f, want the other features to keep it off 0 and 1", pdead, risk)
		}
	}
	// The model still separates recent from lapsed customers.
	recent, old := feats[0], feats[0]
	recent.DaysSinceLast, old.DaysSinceLast = 10, 300
	rr, _ := m.Score(recent, 90, 3)
	ro, _ := m.Score(old, 90, 3)
	if ro <= rr {
		t.Errorf("risk after 300 days %.3f ≤ after 10 days %.3f", ro, rr)
	}
}
