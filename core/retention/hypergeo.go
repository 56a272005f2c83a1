package retention

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// powHyp returns (1−z)^A · ₂F₁(A, B; C; z) for 0 ≤ z < 1, the product every
// BG/NBD-family conditional expectation needs.
//
// With the Euler transformation ₂F₁(A,B;C;z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z)
// the product becomes (1−z)^(C−B) ₂F₁(C−A, C−B; C; z). In our use C−A and
// C−B do not grow with the customer's frequency x while C does, so the
// series converges quickly and without the huge terms the direct series
// has for frequent buyers. A term's sign changes only when C−A+n or C−B+n
// crosses zero, at most twice and only among the first terms, so the sum
// has no alternating cancellation.
//
// With no heterogeneity left in the dropout probability the fit runs off
// to huge a and b (seen on synthetic data: a ≈ 1.2e6, b ≈ 2.4e7). Then
// (1−z)^(C−B) underflows and the terms grow past float64 before they
// shrink: the sum is carried with a separate power-of-two scale and
// multiplied with the prefactor in logs, and the series runs past the
// largest term, near n ≈ (C−A)(C−B)z/C.
// If the series has not converged after that (z very close to 1), it
// falls back to gonum's Cephes-based mathext.Hypergeo, valid for |z| < 1.
//
// When C is huge and A small (those same runaway fits: C ≈ a + b in the
// millions, A = r + x), the Euler series needs about (C−A)(C−B)z/C —
// millions — of terms, a millisecond per call and minutes per run. The
// direct series then converges geometrically, its term ratio tending to
// (B/C)·z < 1, with all terms positive: it is summed instead.
func powHyp(A, B, C, z float64) float64 {
	if C > 1e4 && A > 0 && A < 100 && B > 0 && B < C {
		sum, term := 1.0, 1.0
		for n := 0; n < 100000; n++ {
			fn := float64(n)
			term *= (A + fn) * (B + fn) / ((C + fn) * (fn + 1)) * z
			sum += term
			if term <= 1e-16*sum {
				return math.Pow(1-z, A) * sum
			}
		}
	}
	return powHypEuler(A, B, C, z)
}

// powHypEuler is powHyp by the Euler-transformed series.
func powHypEuler(A, B, C, z float64) float64 {
	a, b := C-A, C-B
	logPre := b * math.Log1p(-z)
	maxTerms := 4000 + int(math.Min(4*math.Abs(a*b*z/C), 1e6))
	sum, term := 1.0, 1.0
	scale := 0 // sum and term are to be multiplied by 2^scale
	for n := 0; n < maxTerms; n++ {
		fn := float64(n)
		term *= (a + fn) * (b + fn) / ((C + fn) * (fn + 1)) * z
		sum += term
		if math.Abs(term) <= 1e-16*math.Abs(sum) {
			if scale == 0 {
				return math.Exp(logPre) * sum
			}
			frac, exp := math.Frexp(sum)
			return math.Exp(logPre+float64(exp+scale)*math.Ln2) * frac
		}
		if math.Abs(sum) > 0x1p500 {
			sum, term = math.Ldexp(sum, -500), math.Ldexp(term, -500)
			scale += 500
		}
	}
	return math.Pow(1-z, A) * mathext.Hypergeo(A, B, C, z)
}

// gonumHyp is gonum's ₂F₁, kept as the reference the series is tested
// against and as its fallback.
func gonumHyp(a, b, c, z float64) float64 { return mathext.Hypergeo(a, b, c, z) }
