package retention

import (
	"math"
	"math/big"
	"testing"
)

// bigPowHyp is (1−z)^(C−B) · ₂F₁(C−A, C−B; C; z) summed in 256-bit floats,
// whose exponent range holds terms far beyond float64's; the prefactor is
// exp(log) split into mantissa and power of two.
func bigPowHyp(A, B, C, z float64) float64 {
	const prec = 256
	a, b := C-A, C-B
	sum := new(big.Float).SetPrec(prec).SetFloat64(1)
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	eps := new(big.Float).SetPrec(prec).SetFloat64(1e-30)
	for n := 0; n < 10_000_000; n++ {
		fn := float64(n)
		f := new(big.Float).SetPrec(prec).SetFloat64((a + fn) * (b + fn) * z)
		f.Quo(f, new(big.Float).SetPrec(prec).SetFloat64((C+fn)*(fn+1)))
		term.Mul(term, f)
		sum.Add(sum, term)
		rel := new(big.Float).Quo(new(big.Float).Abs(term), new(big.Float).Abs(sum))
		if rel.Cmp(eps) < 0 {
			break
		}
	}
	log2Pre := b * math.Log1p(-z) / math.Ln2
	e := math.Floor(log2Pre)
	pre := new(big.Float).SetPrec(prec).SetMantExp(new(big.Float).SetFloat64(math.Exp2(log2Pre-e)), int(e))
	v, _ := sum.Mul(sum, pre).Float64()
	return v
}

// TestPowHypExtremeParameters: fits of data without heterogeneity in the
// dropout probability have huge a and b; the expectation must stay finite
// and match a 256-bit evaluation of the same series (it was NaN, which
// made every risk and CLV of such a tenant 0).
func TestPowHypExtremeParameters(t *testing.T) {
	cases := []struct{ A, B, C, z float64 }{
		// BG/NBD: A = r+x, B = b+x, C = a+b+x−1, z = t/(α+T+t) — from a
		// run on the synthetic bench tenant (r 100.6, α 2770, a 1.158e6,
		// b 2.397e7, x 68, T 260 weeks, t 13 weeks).
		{100.6 + 68, 2.397e7 + 68, 1.158e6 + 2.397e7 + 67, 13 / (2770 + 260 + 13.0)},
		{100.6 + 3, 2.397e7 + 3, 1.158e6 + 2.397e7 + 2, 13 / (2770 + 40 + 13.0)},
		{12 + 5, 4e5 + 5, 3e4 + 4e5 + 4, 0.05},
	}
	for _, c := range cases {
		got := powHyp(c.A, c.B, c.C, c.z)
		want := bigPowHyp(c.A, c.B, c.C, c.z)
		if math.IsNaN(got) || math.IsInf(got, 0) || !(want > 0) || relErr(got, want) > 1e-8 {
			t.Errorf("powHyp(%v) = %.12g, 256-bit %.12g", c, got, want)
		}
	}
	f := BGFit{Variant: BGNBD, Params: BGParams{R: 100.6, Alpha: 2770, A: 1.158e6, B: 2.397e7}}
	h := History{X: 68, Tx: 215, T: 260}
	if e := f.ExpectedPurchases(h, 13); !(e > 0 && e < 13) {
		t.Errorf("expected purchases %v with extreme parameters, want a positive finite number", e)
	}
}
