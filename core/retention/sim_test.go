package retention

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gammaRand draws Gamma(shape, rate) by Marsaglia & Tsang (2000), with the
// usual U^(1/shape) boost for shape < 1.
func gammaRand(rng *rand.Rand, shape, rate float64) float64 {
	if shape < 1 {
		u := rng.Float64()
		return gammaRand(rng, shape+1, rate) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v / rate
		}
	}
}

// simulateBG draws n customer histories from the BG/NBD process: λ ~
// Gamma(r, α), p ~ Beta(a, b); purchases arrive as a Poisson process and
// after each repeat purchase the customer leaves with probability p.
// First purchases are spread uniformly over the first 12 weeks and
// everyone is observed to week 52.
func simulateBG(seed uint64, n int, p BGParams) []History {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]History, n)
	for i := range out {
		lam := gammaRand(rng, p.R, p.Alpha)
		g1 := gammaRand(rng, p.A, 1)
		drop := g1 / (g1 + gammaRand(rng, p.B, 1))
		T := 52 - 12*rng.Float64()
		var t, tx float64
		x := 0
		for {
			t += rng.ExpFloat64() / lam
			if t > T {
				break
			}
			x++
			tx = t
			if rng.Float64() < drop {
				break
			}
		}
		out[i] = History{X: x, Tx: tx, T: T}
	}
	return out
}

func TestBGNBDRecoversSimulatedParameters(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	truth := BGParams{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	for _, seed := range []uint64{1, 2, 3} {
		hist := simulateBG(seed, 20000, truth)
		fit, err := FitBG(BGNBD, hist, Weeks)
		if err != nil {
			t.Fatal(err)
		}
		got := [4]float64{fit.Params.R, fit.Params.Alpha, fit.Params.A, fit.Params.B}
		se := [4]float64{fit.SE.R, fit.SE.Alpha, fit.SE.A, fit.SE.B}
		want := [4]float64{truth.R, truth.Alpha, truth.A, truth.B}
		for i, name := range []string{"r", "alpha", "a", "b"} {
			z := (got[i] - want[i]) / se[i]
			t.Logf("seed %d: %s = %.4f ± %.4f (true %.4f, z = %+.2f)", seed, name, got[i], se[i], want[i], z)
			if !(math.Abs(z) <= 3) {
				t.Errorf("seed %d: %s = %.4f, true %.4f, %.1f standard errors away", seed, name, got[i], want[i], z)
			}
		}
	}
}

func TestPowHypMatchesGonum(t *testing.T) {
	// (1−z)^A ₂F₁(A,B;C;z) by our transformed series against gonum's
	// Cephes implementation on the direct form, inside its validity domain.
	cases := []struct{ A, B, C, z float64 }{
		{0.2426, 2.4259, 2.2188, 0.3},
		{2.2426, 4.4259, 4.2188, 0.47},
		{10.24, 12.43, 12.22, 0.2},
		{0.5, -0.2, 1.8, 0.8},
		{30.2, 32.4, 32.2, 0.6},
		{1.3, 2.1, 3.4, 0.95},
	}
	for _, c := range cases {
		got := powHyp(c.A, c.B, c.C, c.z)
		want := math.Pow(1-c.z, c.A) * gonumHyp(c.A, c.B, c.C, c.z)
		if relErr(got, want) > 1e-9 {
			t.Errorf("powHyp(%v) = %.12g, gonum %.12g", c, got, want)
		}
	}
}

func TestMBGNBDPAliveForOneTimeBuyers(t *testing.T) {
	sums, _ := cdnowSampleSummaries(t)
	hist := make([]History, len(sums))
	for i, s := range sums {
		hist[i] = s.History()
	}
	bg, err := FitBG(BGNBD, hist, Weeks)
	if err != nil {
		t.Fatal(err)
	}
	mbg, err := FitBG(MBGNBD, hist, Weeks)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MBG/NBD %+v LL %.3f", mbg.Params, mbg.LogLik)
	oneTime := History{X: 0, Tx: 0, T: 38}
	if got := bg.PAlive(oneTime); got != 1 {
		t.Errorf("BG/NBD P(alive) of a one-time buyer = %v, want exactly 1", got)
	}
	if got := mbg.PAlive(oneTime); !(got > 0 && got < 1) {
		t.Errorf("MBG/NBD P(alive) of a one-time buyer = %v, want strictly between 0 and 1", got)
	}
	// A recent repeat buyer is more likely alive than one silent for long.
	recent, stale := History{X: 3, Tx: 37, T: 38}, History{X: 3, Tx: 5, T: 38}
	if !(mbg.PAlive(recent) > mbg.PAlive(stale)) {
		t.Errorf("P(alive) recent %v ≤ stale %v", mbg.PAlive(recent), mbg.PAlive(stale))
	}
	// Expected purchases grow with the horizon and agree between forms at t→0.
	if e1, e2 := mbg.ExpectedPurchases(recent, 10), mbg.ExpectedPurchases(recent, 20); !(e2 > e1 && e1 > 0) {
		t.Errorf("expected purchases not increasing: %v, %v", e1, e2)
	}
}

func TestChunkedLikelihoodMatchesSinglePass(t *testing.T) {
	hist := simulateBG(11, 3*bgChunk+17, BGParams{R: 0.3, Alpha: 5, A: 0.9, B: 2})
	for _, v := range []Variant{BGNBD, MBGNBD} {
		o := newBGObjective(v, groupHistories(hist))
		if len(o.groups) <= bgChunk {
			t.Fatalf("only %d groups: the chunked path is not exercised", len(o.groups))
		}
		p := BGParams{R: 0.4, Alpha: 3, A: 0.7, B: 2.5}
		var g [4]float64
		var h [4][4]float64
		ll := o.eval(p, g[:], &h) // chunked, in parallel
		shift := 0.0
		if v == MBGNBD {
			shift = 1
		}
		one := o.accumulate(p, shift, 0, len(o.groups), true, true) // one pass, tables from eval
		if relErr(ll, one.ll) > 1e-12 || relErr(g[0], one.gr) > 1e-9 || relErr(g[3], one.gb) > 1e-9 {
			t.Errorf("%v: chunked LL %v grad %v, single pass %v (%v, %v)", v, ll, g, one.ll, one.gr, one.gb)
		}
	}
}
