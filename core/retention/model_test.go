package retention

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// Fitting once and scoring batch by batch is what Score does in one go:
// the same scores, customer by customer.
func TestModelScoresBatchesLikeScore(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	in, _ := cdnowMasterTenant(t)
	opts := Options{AsOf: cdnowCalEnd, CountFreeOrders: true}
	want, err := Score(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Fit(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Result(); got.BG != want.BG || got.MedianUsualGap != want.MedianUsualGap || got.Scores != nil {
		t.Fatalf("Fit's result differs from Score's: BG %+v vs %+v, median gap %v vs %v", got.BG.Params, want.BG.Params, got.MedianUsualGap, want.MedianUsualGap)
	}
	const batch = 1000
	for lo := 0; lo < len(in.Customers); lo += batch {
		hi := min(lo+batch, len(in.Customers))
		got, err := m.Score(in.Customers[lo:hi])
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want.Scores[lo+i]) {
				t.Fatalf("customer %s scored in a batch:\n%+v\nscored by Score:\n%+v", in.Customers[lo+i].ID, got[i], want.Scores[lo+i])
			}
		}
	}
}

// A large tenant's models may be fitted on a random sample: the purchase
// models' parameters describe the population, so a sample's fit differs
// from the full fit by no more than its own sampling error.
func TestFitOnRandomSampleAgreesWithFullFit(t *testing.T) {
	t.Parallel()
	truth := BGParams{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	hist := simulateBG(5, 100000, truth)
	rng := rand.New(rand.NewPCG(5, 6))
	asOf := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([]CustomerInput, len(hist))
	var sample []CustomerInput
	var sampleHist []History
	for i, h := range hist {
		spend := int64(500 + rng.IntN(2000))
		s := &Summary{Purchases: h.X + 1, X: h.X, Tx: h.Tx, T: h.T, Unit: Weeks, DaysSinceLast: int((h.T - h.Tx) * 7),
			TotalSpend: spend * int64(h.X+1), TotalRepeatSpend: spend * int64(h.X)}
		if h.X > 0 {
			s.MeanRepeatSpend = float64(spend)
			s.UsualGap = h.Tx / float64(h.X)
		}
		all[i] = CustomerInput{ID: CustomerID(strconv.Itoa(i)), Status: StatusActive, Summary: s}
		if rng.Float64() < 0.3 {
			sample = append(sample, all[i])
			sampleHist = append(sampleHist, h)
		}
	}
	opts := Options{AsOf: asOf, Unit: Weeks}
	full, err := Fit(TenantInput{Customers: all}, opts)
	if err != nil {
		t.Fatal(err)
	}
	part, err := Fit(TenantInput{Customers: sample}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The sample fit's standard errors bound how far it may sit from the
	// full fit (the difference's variance is below the sample's).
	withSE, err := FitBG(BGNBD, sampleHist, Weeks)
	if err != nil {
		t.Fatal(err)
	}
	f, p := full.Result(), part.Result()
	if p.Customers != len(sample) || f.Customers != len(all) {
		t.Fatalf("fit populations %d and %d, want %d and %d", p.Customers, f.Customers, len(sample), len(all))
	}
	fp, pp, se := f.BG.Params, p.BG.Params, withSE.SE
	for _, c := range []struct {
		name           string
		full, part, se float64
	}{{"r", fp.R, pp.R, se.R}, {"alpha", fp.Alpha, pp.Alpha, se.Alpha}, {"a", fp.A, pp.A, se.A}, {"b", fp.B, pp.B, se.B}} {
		z := (c.part - c.full) / c.se
		t.Logf("BG/NBD %s: full %.4f, 30%% sample %.4f ± %.4f (z = %+.2f)", c.name, c.full, c.part, c.se, z)
		if !(math.Abs(z) <= 3) {
			t.Errorf("BG/NBD %s from the sample = %.4f, full fit %.4f: %.1f standard errors apart", c.name, c.part, c.full, z)
		}
	}
	// The spend model and the population figures agree closely too.
	if rel := math.Abs(p.GG.Params.P*p.GG.Params.Gamma/(p.GG.Params.Q-1)/(f.GG.Params.P*f.GG.Params.Gamma/(f.GG.Params.Q-1)) - 1); rel > 0.02 {
		t.Errorf("Gamma-Gamma mean spend from the sample differs from the full fit's by %.1f%%", 100*rel)
	}
	if rel := math.Abs(p.MedianUsualGap/f.MedianUsualGap - 1); rel > 0.05 {
		t.Errorf("median usual gap %.4f from the sample, %.4f from all", p.MedianUsualGap, f.MedianUsualGap)
	}
	// Scoring everyone with the sample's models gives nearly the same
	// P(alive) as with the full fit.
	a, err := full.Score(all[:5000])
	if err != nil {
		t.Fatal(err)
	}
	b, err := part.Score(all[:5000])
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, math.Abs(a[i].PAlive-b[i].PAlive))
	}
	t.Logf("largest P(alive) difference over 5,000 customers: %.4f", worst)
	if worst > 0.05 {
		t.Errorf("P(alive) from the sample's models differs by up to %.3f", worst)
	}
}
