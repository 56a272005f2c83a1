package retention

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

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
	// the Hessian is not positive definite; zero when not computed (Score
	// skips them: call FitBG for them).
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

// groupHistories collapses identical histories, in order of first
// appearance (a hash map, not a sort: grouping is on the scoring path).
func groupHistories(h []History) []histGroup {
	index := make(map[History]int32, len(h)/2)
	g := make([]histGroup, 0, len(h)/2)
	for _, v := range h {
		if i, ok := index[v]; ok {
			g[i].w++
			continue
		}
		index[v] = int32(len(g))
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
	xs      []int // distinct x, in order of first appearance
	xIndex  []int // per group, index into xs
	// Summaries built from calendar days take few distinct t_x and T
	// values, so log(α + t) is computed once per distinct value per
	// evaluation, not once per group.
	tVals       []float64
	txIdx, TIdx []int32
	logAT       []float64 // log(α + tVals[k]), refilled per evaluation
	lgBden      []float64 // per distinct x: log(b + x − 1 + shift)
	// per-distinct-x caches, refilled on every evaluation
	lgX, dgRX, dgABX  []float64
	lgB, dgBX         []float64
	tgRX, tgABX, tgBX []float64
}

func newBGObjective(v Variant, groups []histGroup) *bgObjective {
	o := &bgObjective{variant: v, groups: groups, xIndex: make([]int, len(groups))}
	xi := map[int]int{}
	for i, g := range groups {
		k, ok := xi[g.x]
		if !ok {
			k = len(o.xs)
			xi[g.x] = k
			o.xs = append(o.xs, g.x)
		}
		o.xIndex[i] = k
	}
	k := len(o.xs)
	o.lgX, o.dgRX, o.dgABX = make([]float64, k), make([]float64, k), make([]float64, k)
	o.lgB, o.dgBX = make([]float64, k), make([]float64, k)
	o.lgBden = make([]float64, k)
	o.tgRX, o.tgABX, o.tgBX = make([]float64, k), make([]float64, k), make([]float64, k)
	idx := map[float64]int32{}
	at := func(v float64) int32 {
		if i, ok := idx[v]; ok {
			return i
		}
		i := int32(len(o.tVals))
		idx[v] = i
		o.tVals = append(o.tVals, v)
		return i
	}
	o.txIdx, o.TIdx = make([]int32, len(groups)), make([]int32, len(groups))
	for i, g := range groups {
		o.txIdx[i], o.TIdx[i] = at(g.tx), at(g.T)
	}
	o.logAT = make([]float64, len(o.tVals))
	return o
}

// eval returns LL and fills grad (d LL / d(r, α, a, b)) when grad != nil
// and the Hessian of LL when hess != nil (which needs grad).
func (o *bgObjective) eval(p BGParams, grad []float64, hess *[4][4]float64) float64 {
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	lgr, _ := math.Lgamma(r)
	lgab, _ := math.Lgamma(a + b)
	lgb, _ := math.Lgamma(b)
	// shift is 0 for BG/NBD and 1 for MBG/NBD: the beta terms use b+x
	// (BG) or b+x+1 (MBG).
	shift := 0.0
	if o.variant == MBGNBD {
		shift = 1
	}
	wantGrad := grad != nil
	wantHess := hess != nil && wantGrad
	var dgr, dgab, dgb, tgr, tgab, tgb float64
	if wantGrad {
		dgr, dgab, dgb = mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	}
	if wantHess {
		tgr, tgab, tgb = trigamma(r), trigamma(a+b), trigamma(b)
	}
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
		if wantHess {
			o.tgRX[i] = trigamma(r+fx) - tgr
			tg3 := trigamma(a + b + fx + shift)
			o.tgABX[i] = tgab - tg3
			o.tgBX[i] = tgab + trigamma(b+fx+shift) - tgb - tg3
		}
		if bd := b + fx - 1 + shift; bd > 0 {
			o.lgBden[i] = math.Log(bd)
		}
	}
	for k, v := range o.tVals {
		o.logAT[k] = math.Log(al + v)
	}
	var ll, gr, gal, ga, gb, wsum float64
	var h [4][4]float64
	nChunks := (len(o.groups) + bgChunk - 1) / bgChunk
	parts := make([]bgPartial, max(nChunks, 1))
	if nChunks <= 1 {
		parts[0] = o.accumulate(p, shift, 0, len(o.groups), wantGrad, wantHess)
	} else {
		// A million customers spread over many chunks: use every core.
		var wg sync.WaitGroup
		next := make(chan int, nChunks)
		for c := 0; c < nChunks; c++ {
			next <- c
		}
		close(next)
		for w := 0; w < min(runtime.GOMAXPROCS(0), nChunks); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range next {
					parts[c] = o.accumulate(p, shift, c*bgChunk, min(len(o.groups), (c+1)*bgChunk), wantGrad, wantHess)
				}
			}()
		}
		wg.Wait()
	}
	for _, pt := range parts {
		ll += pt.ll
		gr += pt.gr
		gal += pt.gal
		ga += pt.ga
		gb += pt.gb
		wsum += pt.wsum
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				h[i][j] += pt.h[i][j]
			}
		}
	}
	if wantGrad {
		grad[0], grad[1], grad[2], grad[3] = gr, gal, ga, gb
	}
	if wantHess {
		// r·log α in A1
		h[0][1] += wsum / al
		h[1][1] -= wsum * r / (al * al)
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				hess[i][j], hess[j][i] = h[i][j], h[i][j]
			}
		}
	}
	return ll
}

// bgPartial is one chunk's share of the log-likelihood, gradient and
// Hessian (upper triangle).
type bgPartial struct {
	ll, gr, gal, ga, gb, wsum float64
	h                         [4][4]float64
}

// accumulate sums groups [lo, hi) at p; the per-x and per-t tables must be
// filled for p.
func (o *bgObjective) accumulate(p BGParams, shift float64, lo, hi int, wantGrad, wantHess bool) bgPartial {
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	lal, la := math.Log(al), math.Log(a)
	var ll, gr, gal, ga, gb float64
	var h [4][4]float64 // upper triangle
	var wsum float64
	for gi := lo; gi < hi; gi++ {
		g := o.groups[gi]
		xi := o.xIndex[gi]
		fx := float64(g.x)
		rx := r + fx
		lT := o.logAT[o.TIdx[gi]]
		a3 := -rx * lT
		base := o.lgX[xi] + r*lal + o.lgB[xi]
		var l, w4 float64
		var lt, bden float64
		has4 := g.x > 0 || o.variant == MBGNBD
		if has4 {
			bden = b + fx - 1 + shift
			lt = o.logAT[o.txIdx[gi]]
			a4 := la - o.lgBden[xi] - rx*lt
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
		iT := 1 / (al + g.T)
		d3r, d3a := -lT, -rx*iT
		dr := o.dgRX[xi] + lal + w3*d3r
		dal := r/al + w3*d3a
		da := o.dgABX[xi]
		db := o.dgBX[xi]
		var d4r, d4al, d4a, d4b, it float64
		if has4 {
			it = 1 / (al + g.tx)
			d4r, d4al, d4a, d4b = -lt, -rx*it, 1/a, -1/bden
			dr += w4 * d4r
			dal += w4 * d4al
			da += w4 * d4a
			db += w4 * d4b
		}
		gr += g.w * dr
		gal += g.w * dal
		ga += g.w * da
		gb += g.w * db
		if !wantHess {
			continue
		}
		w := g.w
		wsum += w
		// per-x parts of A1 and A2
		h[0][0] += w * o.tgRX[xi]
		h[2][2] += w * o.tgABX[xi]
		h[2][3] += w * o.tgABX[xi]
		h[3][3] += w * o.tgBX[xi]
		// ∇²L = w3 ∇²A3 + w4 ∇²A4 + w3 w4 (∇A3 − ∇A4)(∇A3 − ∇A4)ᵀ
		h[0][1] += w * w3 * -iT
		h[1][1] += w * w3 * rx * iT * iT
		if has4 {
			h[0][1] += w * w4 * -it
			h[1][1] += w * w4 * rx * it * it
			h[2][2] += w * w4 * -(1 / (a * a))
			h[3][3] += w * w4 / (bden * bden)
			c := w * w3 * w4
			d := [4]float64{d3r - d4r, d3a - d4al, -d4a, -d4b}
			for i := 0; i < 4; i++ {
				for j := i; j < 4; j++ {
					h[i][j] += c * d[i] * d[j]
				}
			}
		}
	}
	return bgPartial{ll: ll, gr: gr, gal: gal, ga: ga, gb: gb, wsum: wsum, h: h}
}

// bgChunk is the number of groups one goroutine evaluates. Chunks are
// fixed-size and summed in order, so a fit gives the same bits whatever
// the number of cores.
const bgChunk = 32768

// trigamma is ψ₁(x) for x > 0: the recurrence ψ₁(x) = ψ₁(x+1) + 1/x² up
// to x ≥ 6, then the asymptotic series (error < 1e-12 there).
func trigamma(x float64) float64 {
	var r float64
	for x < 6 {
		r += 1 / (x * x)
		x++
	}
	ix := 1 / x
	ix2 := ix * ix
	return r + ix + ix2/2 + ix*ix2*(1.0/6-ix2*(1.0/30-ix2*(1.0/42-ix2/30)))
}

// FitBG fits a BG/NBD-family model to histories in unit by maximum
// likelihood. The optimiser (damped Newton with the analytic Hessian, on
// log-parameters so every parameter stays positive) starts from
// r = a = b = 1 and α = mean T / 10 — generic values, never a published
// answer.
func FitBG(v Variant, hist []History, unit TimeUnit) (BGFit, error) {
	return fitBG(v, hist, unit, true)
}

// fitBG is FitBG with the standard errors optional: scoring does not use
// them, and the numerical Hessian costs eight gradient evaluations.
func fitBG(v Variant, hist []History, unit TimeUnit, withSE bool) (BGFit, error) {
	if len(hist) < 2 {
		return BGFit{}, ErrTooFewCustomers
	}
	return fitBGGroups(v, groupHistories(hist), unit, withSE, 1e-9)
}

// fitBGGroups fits already grouped histories, so BG/NBD and MBG/NBD on
// the same customers share one grouping pass. It stops when the largest
// gradient component of the mean log-likelihood (in log-parameters) is
// below gradTol: 1e-9 for the published checks, 1e-7 for scoring, where
// the parameters are then good to about six digits and Newton saves its
// last pass over the data.
func fitBGGroups(v Variant, groups []histGroup, unit TimeUnit, withSE bool, gradTol float64) (BGFit, error) {
	obj := newBGObjective(v, groups)
	var n, meanT float64
	for _, g := range groups {
		n += g.w
		meanT += g.w * g.T
	}
	if n < 2 {
		return BGFit{}, ErrTooFewCustomers
	}
	// Scale α's start to the data: α is a time scale (1/rate), and starting
	// it at a tenth of the mean observation length keeps the first steps
	// sane whether T is in days or weeks. Still generic: it knows no answer.
	meanT /= n
	alpha0 := math.Max(meanT/10, 1e-3)
	x0 := []float64{0, math.Log(alpha0), 0, 0}
	toP := func(x []float64) BGParams {
		return BGParams{math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2]), math.Exp(x[3])}
	}
	var g [4]float64
	var h [4][4]float64
	res, err := minimizeNewton(func(x, grad []float64, hess []float64) float64 {
		p := toP(x)
		var hp *[4][4]float64
		if hess != nil {
			hp = &h
		}
		ll := obj.eval(p, g[:], hp)
		f := -ll / n
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return math.Inf(1)
		}
		pv := [4]float64{p.R, p.Alpha, p.A, p.B}
		for i := range pv {
			grad[i] = -g[i] * pv[i] / n // chain rule to log-parameters
		}
		if hess != nil {
			// d²/dφᵢdφⱼ with θ = e^φ: θᵢθⱼHᵢⱼ + δᵢⱼθᵢgᵢ
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					v := pv[i] * pv[j] * h[i][j]
					if i == j {
						v += pv[i] * g[i]
					}
					hess[i*4+j] = -v / n
				}
			}
		}
		return f
	}, x0, newtonSettings{gradTol: gradTol, maxIter: 200})
	if err != nil {
		return BGFit{}, fmt.Errorf("fit %s: %w", v, err)
	}
	p := toP(res.x)
	fit := BGFit{
		Variant: v, Unit: unit, Params: p,
		LogLik: obj.eval(p, nil, nil), N: int(n), Distinct: len(groups),
		Iterations: res.iterations, Evaluations: res.evaluations,
	}
	if math.IsNaN(fit.LogLik) || math.IsInf(fit.LogLik, 0) {
		return BGFit{}, fmt.Errorf("fit %s: likelihood not finite", v)
	}
	if withSE {
		fit.SE = bgStdErrors(obj, p)
	}
	return fit, nil
}

// bgStdErrors inverts the analytic Hessian of −LL in the natural
// parameters (the observed information).
func bgStdErrors(obj *bgObjective, p BGParams) BGParams {
	var g [4]float64
	var hh [4][4]float64
	obj.eval(p, g[:], &hh)
	h := mat.NewSymDense(4, nil)
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			h.SetSym(i, j, -hh[i][j])
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
	first, ph := f.expectedParts(h.X, h.T, t)
	return first * (1 - ph) * f.PAlive(h)
}

// expectedParts splits E[Y(t)] = first × (1 − ph) × P(alive): first and
// ph depend on (x, T, t) only, not on t_x, so scoring caches them across
// customers who share x and T.
func (f BGFit) expectedParts(x int, T, t float64) (first, ph float64) {
	p := f.Params
	fx := float64(x)
	z := t / (p.Alpha + T + t)
	a := p.A
	if math.Abs(a-1) < 1e-9 {
		a = 1 + 1e-9 // removable singularity of the closed form
	}
	A := p.R + fx
	B, C := p.B+fx, a+p.B+fx-1
	if f.Variant == MBGNBD {
		B, C = p.B+fx+1, a+p.B+fx
	}
	ph = powHyp(A, B, C, z)
	if math.IsNaN(ph) || math.IsInf(ph, 0) {
		// a and b in the millions (a fit where every customer drops out
		// with the same probability) overflow the series; there
		// ₂F₁(A, B; C; z) tends to (1 − (B/C)z)^−A.
		ph = math.Pow((1-z)/(1-B/C*z), A)
	}
	return C / (a - 1), ph
}

// ForecastGap is the customer's expected time to the next purchase, the
// inverse of the posterior mean purchase rate: (α + T)/(r + x), in the
// model unit.
func (f BGFit) ForecastGap(h History) float64 {
	return (f.Params.Alpha + h.T) / (f.Params.R + float64(h.X))
}
