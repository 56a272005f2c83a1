package retention

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// History is the (x, t_x, T) triple of the BG/NBD family: x repeat
// purchases, the last at t_x, observed for T since the first purchase, all
// in one time unit.
type History struct {
	X  int
	Tx float64
	T  float64
}

// Variant selects the BG/NBD family member.
type Variant int

const (
	// BGNBD is the beta-geometric/NBD model of Fader, Hardie & Lee (2005):
	// a customer may drop out only after a repeat purchase, so every
	// one-time buyer has P(alive) = 1. Used for expected purchases and the
	// published CDNOW check.
	BGNBD Variant = iota
	// MBGNBD is the modified model of Batislam, Denizel & Filiztekin
	// (2007): a customer may also drop out right after the first purchase,
	// which makes P(alive) meaningful for one-time buyers. Used for churn.
	MBGNBD
)

// String names the variant as the literature does.
func (v Variant) String() string {
	if v == MBGNBD {
		return "MBG/NBD"
	}
	return "BG/NBD"
}

// BGParams are the four parameters shared by BG/NBD and MBG/NBD: purchase
// rates λ ~ Gamma(shape R, rate Alpha) per model time unit, dropout
// probabilities p ~ Beta(A, B).
type BGParams struct {
	R, Alpha, A, B float64
}

// BGFit is a fitted BG/NBD-family model.
type BGFit struct {
	Variant Variant
	Unit    TimeUnit
	Params  BGParams
	// SE are the standard errors of R, Alpha, A, B from the inverse of the
	// observed information (the Hessian of −LL at the optimum). NaN when
	// the Hessian is not positive definite.
	SE BGParams
	// LogLik is the maximised log-likelihood.
	LogLik float64
	// N is the number of customers; Distinct the number of distinct
	// histories the likelihood was evaluated on.
	N, Distinct int
	// Iterations and Evaluations describe the optimiser run.
	Iterations, Evaluations int
}

// ErrTooFewCustomers reports a fit attempted on too little data.
var ErrTooFewCustomers = errors.New("retention: too few customers to fit")

// histGroup is a distinct history with the number of customers sharing it.
// Grouping makes a fit cost O(distinct histories) instead of O(customers):
// many customers share first-purchase days and frequencies.
type histGroup struct {
	x     int
	tx, T float64
	w     float64
}

// groupHistories collapses identical histories.
func groupHistories(h []History) []histGroup {
	s := slices.Clone(h)
	slices.SortFunc(s, func(a, b History) int {
		if a.X != b.X {
			return a.X - b.X
		}
		if a.Tx != b.Tx {
			if a.Tx < b.Tx {
				return -1
			}
			return 1
		}
		if a.T < b.T {
			return -1
		}
		if a.T > b.T {
			return 1
		}
		return 0
	})
	var g []histGroup
	for _, v := range s {
		if n := len(g); n > 0 && g[n-1].x == v.X && g[n-1].tx == v.Tx && g[n-1].T == v.T {
			g[n-1].w++
			continue
		}
		g = append(g, histGroup{x: v.X, tx: v.Tx, T: v.T, w: 1})
	}
	return g
}

// bgObjective evaluates the log-likelihood of grouped histories and its
// gradient with respect to (r, α, a, b). Terms that depend only on x are
// computed once per distinct x.
type bgObjective struct {
	variant Variant
	groups  []histGroup
	xs      []int // distinct x in ascending order
	xIndex  []int // per group, index into xs
	// per-distinct-x caches, refilled on every evaluation
	lgX, dgRX, dgABX []float64
	lgB, dgBX        []float64
}

func newBGObjective(v Variant, groups []histGroup) *bgObjective {
	o := &bgObjective{variant: v, groups: groups, xIndex: make([]int, len(groups))}
	for i, g := range groups {
		if n := len(o.xs); n == 0 || o.xs[n-1] != g.x {
			o.xs = append(o.xs, g.x)
		}
		o.xIndex[i] = len(o.xs) - 1
	}
	k := len(o.xs)
	o.lgX, o.dgRX, o.dgABX = make([]float64, k), make([]float64, k), make([]float64, k)
	o.lgB, o.dgBX = make([]float64, k), make([]float64, k)
	return o
}

// eval returns LL and fills grad (d LL / d(r, α, a, b)) when grad != nil.
func (o *bgObjective) eval(p BGParams, grad []float64) float64 {
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	lgr, _ := math.Lgamma(r)
	lgab, _ := math.Lgamma(a + b)
	lgb, _ := math.Lgamma(b)
	dgr, dgab, dgb := mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	// shift is 0 for BG/NBD and 1 for MBG/NBD: the beta terms use b+x
	// (BG) or b+x+1 (MBG).
	shift := 0.0
	if o.variant == MBGNBD {
		shift = 1
	}
	wantGrad := grad != nil
	for i, x := range o.xs {
		fx := float64(x)
		l1, _ := math.Lgamma(r + fx)
		l2, _ := math.Lgamma(b + fx + shift)
		l3, _ := math.Lgamma(a + b + fx + shift)
		o.lgX[i] = l1 - lgr
		o.lgB[i] = lgab + l2 - lgb - l3
		if wantGrad {
			o.dgRX[i] = mathext.Digamma(r+fx) - dgr
			dg3 := mathext.Digamma(a + b + fx + shift)
			o.dgABX[i] = dgab - dg3
			o.dgBX[i] = dgab + mathext.Digamma(b+fx+shift) - dgb - dg3
		}
	}
	lal, la := math.Log(al), math.Log(a)
	var ll, gr, gal, ga, gb float64
	for gi, g := range o.groups {
		xi := o.xIndex[gi]
		fx := float64(g.x)
		rx := r + fx
		lT := math.Log(al + g.T)
		a3 := -rx * lT
		base := o.lgX[xi] + r*lal + o.lgB[xi]
		var l, w4 float64
		var lt, bden float64
		has4 := g.x > 0 || o.variant == MBGNBD
		if has4 {
			bden = b + fx - 1 + shift
			lt = math.Log(al + g.tx)
			a4 := la - math.Log(bden) - rx*lt
			// log-sum-exp of A3 and A4
			if a3 > a4 {
				e := math.Exp(a4 - a3)
				l = a3 + math.Log1p(e)
				w4 = e / (1 + e)
			} else {
				e := math.Exp(a3 - a4)
				l = a4 + math.Log1p(e)
				w4 = 1 / (1 + e)
			}
		} else {
			l = a3
		}
		ll += g.w * (base + l)
		if !wantGrad {
			continue
		}
		w3 := 1 - w4
		dr := o.dgRX[xi] + lal - w3*lT
		dal := r/al - w3*rx/(al+g.T)
		da := o.dgABX[xi]
		db := o.dgBX[xi]
		if has4 {
			dr -= w4 * lt
			dal -= w4 * rx / (al + g.tx)
			da += w4 / a
			db -= w4 / bden
		}
		gr += g.w * dr
		gal += g.w * dal
		ga += g.w * da
		gb += g.w * db
	}
	if wantGrad {
		grad[0], grad[1], grad[2], grad[3] = gr, gal, ga, gb
	}
	return ll
}

// FitBG fits a BG/NBD-family model to histories in unit by maximum
// likelihood. The optimiser (BFGS on log-parameters, so every parameter
// stays positive) starts from r = α = a = b = 1 — generic values, never a
// published answer — scaled so that α matches the unit of the data.
func FitBG(v Variant, hist []History, unit TimeUnit) (BGFit, error) {
	if len(hist) < 2 {
		return BGFit{}, ErrTooFewCustomers
	}
	groups := groupHistories(hist)
	obj := newBGObjective(v, groups)
	n := float64(len(hist))
	// Scale α's start to the data: α is a time scale (1/rate), and starting
	// it at the mean observation length keeps BFGS's first steps sane
	// whether T is in days or weeks. Still generic: it knows no answer.
	meanT := 0.0
	for _, h := range hist {
		meanT += h.T
	}
	meanT /= n
	alpha0 := math.Max(meanT/10, 1e-3)
	x0 := []float64{0, math.Log(alpha0), 0, 0}
	toP := func(x []float64) BGParams {
		return BGParams{math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2]), math.Exp(x[3])}
	}
	var g [4]float64
	lastX := make([]float64, 4)
	var lastF float64
	var lastG [4]float64
	valid := false
	evalAt := func(x []float64) (float64, [4]float64) {
		if valid && slices.Equal(x, lastX) {
			return lastF, lastG
		}
		p := toP(x)
		ll := obj.eval(p, g[:])
		f := -ll / n
		var gg [4]float64
		pv := [4]float64{p.R, p.Alpha, p.A, p.B}
		for i := range gg {
			gg[i] = -g[i] * pv[i] / n // chain rule to log-parameters
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Inf(1)
		}
		copy(lastX, x)
		lastF, lastG, valid = f, gg, true
		return f, gg
	}
	res, err := minimizeBFGS(func(x, grad []float64) float64 {
		f, gg := evalAt(x)
		copy(grad, gg[:])
		return f
	}, x0, bfgsSettings{gradTol: 1e-9, maxIter: 1000})
	if err != nil {
		return BGFit{}, fmt.Errorf("fit %s: %w", v, err)
	}
	p := toP(res.x)
	fit := BGFit{
		Variant: v, Unit: unit, Params: p,
		LogLik: obj.eval(p, nil), N: len(hist), Distinct: len(groups),
		Iterations: res.iterations, Evaluations: res.evaluations,
	}
	if math.IsNaN(fit.LogLik) || math.IsInf(fit.LogLik, 0) {
		return BGFit{}, fmt.Errorf("fit %s: likelihood not finite", v)
	}
	fit.SE = bgStdErrors(obj, p)
	return fit, nil
}

// bgStdErrors inverts the numerical Hessian of −LL (central differences of
// the analytic gradient) in the natural parameters.
func bgStdErrors(obj *bgObjective, p BGParams) BGParams {
	pv := [4]float64{p.R, p.Alpha, p.A, p.B}
	h := mat.NewSymDense(4, nil)
	var gp, gm [4]float64
	for j := 0; j < 4; j++ {
		step := 1e-5 * pv[j]
		up, dn := pv, pv
		up[j] += step
		dn[j] -= step
		obj.eval(BGParams{up[0], up[1], up[2], up[3]}, gp[:])
		obj.eval(BGParams{dn[0], dn[1], dn[2], dn[3]}, gm[:])
		for i := 0; i <= j; i++ {
			// −d²LL: symmetrise the two one-sided estimates
			v := -(gp[i] - gm[i]) / (2 * step)
			if i == j {
				h.SetSym(i, j, v)
			} else {
				h.SetSym(i, j, (h.At(i, j)+v)/2)
			}
		}
		for i := j + 1; i < 4; i++ {
			h.SetSym(i, j, -(gp[i]-gm[i])/(2*step))
		}
	}
	nan := math.NaN()
	var ch mat.Cholesky
	if !ch.Factorize(h) {
		return BGParams{nan, nan, nan, nan}
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return BGParams{nan, nan, nan, nan}
	}
	return BGParams{math.Sqrt(inv.At(0, 0)), math.Sqrt(inv.At(1, 1)), math.Sqrt(inv.At(2, 2)), math.Sqrt(inv.At(3, 3))}
}

// logOdds returns log(a/(b+x−1+shift)) + (r+x)·log((α+T)/(α+t_x)), the log
// of the ratio "dead since last purchase" : "still alive" in the P(alive)
// formulas.
func (f BGFit) logOdds(h History) (float64, bool) {
	p := f.Params
	fx := float64(h.X)
	den := p.B + fx - 1
	if f.Variant == MBGNBD {
		den = p.B + fx
	} else if h.X == 0 {
		return 0, false
	}
	return math.Log(p.A/den) + (p.R+fx)*(math.Log(p.Alpha+h.T)-math.Log(p.Alpha+h.Tx)), true
}

// PAlive is the probability that a customer with history h has not dropped
// out by T. Under BG/NBD it is 1 for every one-time buyer; use MBG/NBD for
// churn.
func (f BGFit) PAlive(h History) float64 {
	lo, ok := f.logOdds(h)
	if !ok {
		return 1
	}
	if lo > 0 {
		e := math.Exp(-lo)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(lo))
}

// ExpectedPurchases is E[Y(t) | x, t_x, T]: the expected number of
// purchases in the next t model time units (Fader, Hardie & Lee 2005 eq. 10;
// Batislam et al. 2007 for MBG/NBD).
func (f BGFit) ExpectedPurchases(h History, t float64) float64 {
	if t <= 0 {
		return 0
	}
	p := f.Params
	fx := float64(h.X)
	z := t / (p.Alpha + h.T + t)
	a := p.A
	if math.Abs(a-1) < 1e-9 {
		a = 1 + 1e-9 // removable singularity of the closed form
	}
	var first, ph float64
	A := p.R + fx
	if f.Variant == MBGNBD {
		first = (a + p.B + fx) / (a - 1)
		ph = powHyp(A, p.B+fx+1, a+p.B+fx, z)
	} else {
		first = (a + p.B + fx - 1) / (a - 1)
		ph = powHyp(A, p.B+fx, a+p.B+fx-1, z)
	}
	return first * (1 - ph) * f.PAlive(h)
}

// ForecastGap is the customer's expected time to the next purchase, the
// inverse of the posterior mean purchase rate: (α + T)/(r + x), in the
// model unit.
func (f BGFit) ForecastGap(h History) float64 {
	return (f.Params.Alpha + h.T) / (f.Params.R + float64(h.X))
}
