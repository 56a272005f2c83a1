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
// optimiser starts at p = q = γ = 1 on log-parameters.
func FitGammaGamma(obs []SpendObs) (GGFit, error) {
	var fit GGFit
	type grp struct {
		x        int
		lm, lx   float64 // log mean, log x
		m, w, fx float64
	}
	gs := make([]grp, 0, len(obs))
	for _, o := range obs {
		if o.X <= 0 {
			continue
		}
		if !(o.Mean > 0) {
			fit.ZeroValue++
			continue
		}
		fx := float64(o.X)
		gs = append(gs, grp{x: o.X, lm: math.Log(o.Mean), lx: math.Log(fx), m: o.Mean, w: 1, fx: fx})
	}
	fit.N = len(gs)
	if fit.N < 2 {
		return fit, ErrTooFewCustomers
	}
	// Spend is in whatever money unit the caller uses; a generic start for
	// γ on the same scale as the data (the mean spend) keeps the optimiser
	// well conditioned for cents as for dollars.
	var meanM float64
	for _, g := range gs {
		meanM += g.m
	}
	meanM /= float64(fit.N)
	n := float64(fit.N)
	eval := func(pr GGParams, grad []float64) float64 {
		p, q, v := pr.P, pr.Q, pr.Gamma
		lgq, _ := math.Lgamma(q)
		dgq := mathext.Digamma(q)
		lv := math.Log(v)
		var ll, gp, gq, gv float64
		for _, g := range gs {
			px := p * g.fx
			lg1, _ := math.Lgamma(px + q)
			lg2, _ := math.Lgamma(px)
			lxmv := math.Log(g.fx*g.m + v)
			ll += lg1 - lg2 - lgq + q*lv + (px-1)*g.lm + px*g.lx - (px+q)*lxmv
			if grad != nil {
				d1 := mathext.Digamma(px + q)
				gp += g.fx * (d1 - mathext.Digamma(px) + g.lm + g.lx - lxmv)
				gq += d1 - dgq + lv - lxmv
				gv += q/v - (px+q)/(g.fx*g.m+v)
			}
		}
		if grad != nil {
			grad[0], grad[1], grad[2] = gp, gq, gv
		}
		return ll
	}
	toP := func(x []float64) GGParams { return GGParams{math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2])} }
	var g [3]float64
	res, err := minimizeBFGS(func(x, grad []float64) float64 {
		p := toP(x)
		ll := eval(p, g[:])
		grad[0] = -g[0] * p.P / n
		grad[1] = -g[1] * p.Q / n
		grad[2] = -g[2] * p.Gamma / n
		f := -ll / n
		if math.IsNaN(f) {
			return math.Inf(1)
		}
		return f
	}, []float64{0, 0, math.Log(meanM)}, bfgsSettings{gradTol: 1e-10, maxIter: 2000})
	if err != nil {
		return fit, fmt.Errorf("fit gamma-gamma: %w", err)
	}
	fit.Params = toP(res.x)
	fit.LogLik = eval(fit.Params, nil)
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
