package retention

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GGParams are the Gamma-Gamma spend model's parameters (Fader & Hardie
// 2013, Hardie note 025): a transaction's value is Gamma(P, ν), and ν is
// Gamma(Q, Gamma) across customers.
type GGParams struct {
	P, Q, Gamma float64
}

// GGFit is a fitted Gamma-Gamma model.
type GGFit struct {
	Params GGParams
	// LogLik is the maximised log-likelihood of the mean repeat spends,
	// in the money unit they were given in.
	LogLik float64
	// N is the number of customers fitted (x > 0 and positive mean spend);
	// ZeroValue counts repeat buyers left out because their mean repeat
	// spend was ≤ 0 (the model's support is positive).
	N, ZeroValue int
	Iterations   int
}

// SpendObs is one repeat buyer's number of repeat purchases and their mean
// value.
type SpendObs struct {
	X    int
	Mean float64
}

// FitGammaGamma fits the Gamma-Gamma model to the repeat buyers among obs
// (X > 0). Customers with no repeat purchase carry no spend information and
// are skipped; repeat buyers whose mean is ≤ 0 are skipped and counted. The
// optimiser (damped Newton, analytic Hessian, log-parameters) starts at
// p = q = 1 and γ = the mean spend, generic values on the data's scale.
func FitGammaGamma(obs []SpendObs) (GGFit, error) {
	var fit GGFit
	type cust struct {
		xi     int     // index into xs
		lm, lx float64 // log mean, log x
		m, fx  float64
	}
	// Terms in lgamma/digamma depend on x only: compute them once per
	// distinct x per evaluation.
	var xs []int
	xIndex := map[int]int{}
	cs := make([]cust, 0, len(obs))
	for _, o := range obs {
		if o.X <= 0 {
			continue
		}
		if !(o.Mean > 0) {
			fit.ZeroValue++
			continue
		}
		xi, ok := xIndex[o.X]
		if !ok {
			xi = len(xs)
			xIndex[o.X] = xi
			xs = append(xs, o.X)
		}
		fx := float64(o.X)
		cs = append(cs, cust{xi: xi, lm: math.Log(o.Mean), lx: math.Log(fx), m: o.Mean, fx: fx})
	}
	fit.N = len(cs)
	if fit.N < 2 {
		return fit, fmt.Errorf("%w: %d repeat buyers with positive spend", ErrTooFewCustomers, fit.N)
	}
	// Spend is in whatever money unit the caller uses; a generic start for
	// γ on the same scale as the data (the mean spend) keeps the optimiser
	// well conditioned for cents as for dollars.
	var meanM float64
	for _, c := range cs {
		meanM += c.m
	}
	meanM /= float64(fit.N)
	n := float64(fit.N)
	lgX := make([]float64, len(xs))  // lgamma(px+q) − lgamma(px)
	dgX := make([]float64, len(xs))  // digamma(px+q)
	dgPX := make([]float64, len(xs)) // digamma(px)
	tgX := make([]float64, len(xs))  // trigamma(px+q)
	tgPX := make([]float64, len(xs)) // trigamma(px)
	eval := func(pr GGParams, grad []float64, hess *[3][3]float64) float64 {
		p, q, v := pr.P, pr.Q, pr.Gamma
		lgq, _ := math.Lgamma(q)
		dgq := mathext.Digamma(q)
		lv := math.Log(v)
		for i, x := range xs {
			px := p * float64(x)
			l1, _ := math.Lgamma(px + q)
			l2, _ := math.Lgamma(px)
			lgX[i] = l1 - l2
			if grad != nil {
				dgX[i] = mathext.Digamma(px + q)
				dgPX[i] = mathext.Digamma(px)
			}
			if hess != nil {
				tgX[i] = trigamma(px + q)
				tgPX[i] = trigamma(px)
			}
		}
		var ll, gp, gq, gv float64
		var h [3][3]float64
		for _, c := range cs {
			px := p * c.fx
			xmv := c.fx*c.m + v
			lxmv := math.Log(xmv)
			ll += lgX[c.xi] - lgq + q*lv + (px-1)*c.lm + px*c.lx - (px+q)*lxmv
			if grad != nil {
				d1 := dgX[c.xi]
				gp += c.fx * (d1 - dgPX[c.xi] + c.lm + c.lx - lxmv)
				gq += d1 - dgq + lv - lxmv
				gv += q/v - (px+q)/xmv
			}
			if hess != nil {
				t1 := tgX[c.xi]
				ix := 1 / xmv
				h[0][0] += c.fx * c.fx * (t1 - tgPX[c.xi])
				h[0][1] += c.fx * t1
				h[0][2] -= c.fx * ix
				h[1][1] += t1
				h[1][2] += 1/v - ix
				h[2][2] += -q/(v*v) + (px+q)*ix*ix
			}
		}
		if grad != nil {
			grad[0], grad[1], grad[2] = gp, gq, gv
		}
		if hess != nil {
			h[1][1] -= n * trigamma(q)
			for i := 0; i < 3; i++ {
				for j := i; j < 3; j++ {
					hess[i][j], hess[j][i] = h[i][j], h[i][j]
				}
			}
		}
		return ll
	}
	toP := func(x []float64) GGParams { return GGParams{math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2])} }
	var g [3]float64
	var hh [3][3]float64
	res, err := minimizeNewton(func(x, grad, hess []float64) float64 {
		p := toP(x)
		var hp *[3][3]float64
		if hess != nil {
			hp = &hh
		}
		ll := eval(p, g[:], hp)
		f := -ll / n
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return math.Inf(1)
		}
		pv := [3]float64{p.P, p.Q, p.Gamma}
		for i := range pv {
			grad[i] = -g[i] * pv[i] / n
		}
		if hess != nil {
			for i := 0; i < 3; i++ {
				for j := 0; j < 3; j++ {
					v := pv[i] * pv[j] * hh[i][j]
					if i == j {
						v += pv[i] * g[i]
					}
					hess[i*3+j] = -v / n
				}
			}
		}
		return f
	}, []float64{0, 0, math.Log(meanM)}, newtonSettings{gradTol: 1e-10, maxIter: 200})
	if err != nil {
		return fit, fmt.Errorf("fit gamma-gamma: %w", err)
	}
	fit.Params = toP(res.x)
	fit.LogLik = eval(fit.Params, nil, nil)
	fit.Iterations = res.iterations
	return fit, nil
}

// ConditionalSpend is E[M | x, mean]: the expected value of a future
// transaction, a weighted average of the population mean and the customer's
// own mean repeat spend. For x = 0 it is the population mean.
func (f GGFit) ConditionalSpend(x int, mean float64) float64 {
	p, q, v := f.Params.P, f.Params.Q, f.Params.Gamma
	if x <= 0 || !(mean > 0) {
		return f.PopulationMean()
	}
	px := p * float64(x)
	return p * (v + float64(x)*mean) / (px + q - 1)
}

// PopulationMean is pγ/(q − 1), the expected transaction value of a
// customer about whom nothing is known (infinite when q ≤ 1).
func (f GGFit) PopulationMean() float64 {
	if f.Params.Q <= 1 {
		return math.Inf(1)
	}
	return f.Params.P * f.Params.Gamma / (f.Params.Q - 1)
}
