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
// If the series has not converged after maxTerms terms (z very close to 1),
// it falls back to gonum's Cephes-based mathext.Hypergeo, valid for |z| < 1.
func powHyp(A, B, C, z float64) float64 {
	a, b := C-A, C-B
	pre := math.Pow(1-z, b)
	const maxTerms = 4000
	sum, term := 1.0, 1.0
	for n := 0; n < maxTerms; n++ {
		fn := float64(n)
		term *= (a + fn) * (b + fn) / ((C + fn) * (fn + 1)) * z
		sum += term
		if math.Abs(term) <= 1e-16*math.Abs(sum) {
			return pre * sum
		}
	}
	return math.Pow(1-z, A) * mathext.Hypergeo(A, B, C, z)
}

// gonumHyp is gonum's ₂F₁, kept as the reference the series is tested
// against and as its fallback.
func gonumHyp(a, b, c, z float64) float64 { return mathext.Hypergeo(a, b, c, z) }
