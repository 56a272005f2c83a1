package retention

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// design is a feature matrix in compressed sparse rows. One-hot
// categoricals make most entries zero, so the Newton steps cost
// O(nnz per row²) instead of O(features²).
type design struct {
	p      int       // number of columns
	rowPtr []int     // len n+1
	col    []int32   // column of each stored value
	val    []float64 // stored values
}

func (d *design) rows() int { return len(d.rowPtr) - 1 }

// appendRow adds a row given as parallel column/value slices.
func (d *design) appendRow(cols []int32, vals []float64) {
	if len(d.rowPtr) == 0 {
		d.rowPtr = append(d.rowPtr, 0)
	}
	d.col = append(d.col, cols...)
	d.val = append(d.val, vals...)
	d.rowPtr = append(d.rowPtr, len(d.col))
}

// subset returns the rows idx of d (sharing nothing with d).
func (d *design) subset(idx []int) *design {
	nnz := 0
	for _, i := range idx {
		nnz += d.rowPtr[i+1] - d.rowPtr[i]
	}
	s := &design{p: d.p, rowPtr: make([]int, 1, len(idx)+1), col: make([]int32, 0, nnz), val: make([]float64, 0, nnz)}
	for _, i := range idx {
		a, b := d.rowPtr[i], d.rowPtr[i+1]
		s.col = append(s.col, d.col[a:b]...)
		s.val = append(s.val, d.val[a:b]...)
		s.rowPtr = append(s.rowPtr, len(s.col))
	}
	return s
}

// logit is a fitted logistic regression: P(y=1) = σ(b + w·x).
type logit struct {
	w []float64
	b float64
}

// linear returns b + w·x for row i of d.
func (m *logit) linear(d *design, i int) float64 {
	z := m.b
	for k := d.rowPtr[i]; k < d.rowPtr[i+1]; k++ {
		z += m.w[d.col[k]] * d.val[k]
	}
	return z
}

// dense is a row-major n×p matrix: the form the fits run on. The CSR
// design is compact to build and subset; the dense copy lets gonum's BLAS
// (assembly kernels) do the products, which is several times faster than
// an indexed loop and keeps race-detector builds fast as well.
type dense struct {
	n, p int
	x    []float64
}

// dense expands d.
func (d *design) dense() *dense {
	n := d.rows()
	m := &dense{n: n, p: d.p, x: make([]float64, n*d.p)}
	for i := 0; i < n; i++ {
		row := m.x[i*d.p : (i+1)*d.p]
		for k := d.rowPtr[i]; k < d.rowPtr[i+1]; k++ {
			row[d.col[k]] = d.val[k]
		}
	}
	return m
}

func (m *dense) general() blas64.General {
	return blas64.General{Rows: m.n, Cols: m.p, Stride: max(m.p, 1), Data: m.x}
}

// fitLogit maximises Σ log-likelihood − (lambda/2)·‖w‖² (the intercept is
// not penalised), optionally warm-started from init, until no coefficient
// moves by more than tol. It is Newton's method with Hessian reuse: the
// Hessian XᵀWX costs p times a gradient, so a factorised Hessian is kept
// while it still contracts the step quickly and rebuilt when it stops
// doing so or a step fails to lower the loss. Unlike stochastic methods it
// gives the same answer on every run.
func fitLogit(X *dense, y []bool, lambda float64, init *logit, tol float64) logit {
	p := X.p
	m := logit{w: make([]float64, p)}
	if init != nil {
		copy(m.w, init.w)
		m.b = init.b
	} else {
		pos := 0
		for _, v := range y {
			if v {
				pos++
			}
		}
		r := (float64(pos) + 0.5) / (float64(len(y)) + 1)
		m.b = math.Log(r / (1 - r))
	}
	q := p + 1 // intercept stored last
	ws := newLogitWork(X)
	L := make([]float64, q*q)
	g := make([]float64, q)
	step := make([]float64, q)
	trial := logit{w: make([]float64, p)}
	gn := make([]float64, q)
	loss := ws.lossGrad(X, y, lambda, &m, g)
	needH := true
	prevStep := math.Inf(1)
	for it := 0; it < 200; it++ {
		if needH {
			ws.hessian(X, lambda, L)
			if !cholesky(L, q) {
				ws.hessian(X, lambda+1e-6, L)
				for j := 0; j < q; j++ {
					L[j*q+j] += 1e-8
				}
				if !cholesky(L, q) {
					break
				}
			}
			needH = false
			prevStep = math.Inf(1)
		}
		cholSolve(L, g, step, q)
		size := maxAbs(step)
		if size < tol {
			break // no coefficient would move by more than tol
		}
		// Backtrack until the loss does not rise (it rarely needs to).
		t := 1.0
		var newLoss float64
		for ls := 0; ; ls++ {
			for j := 0; j < p; j++ {
				trial.w[j] = m.w[j] - t*step[j]
			}
			trial.b = m.b - t*step[p]
			newLoss = ws.lossGrad(X, y, lambda, &trial, gn)
			if newLoss <= loss+1e-12*math.Abs(loss) || ls == 30 {
				break
			}
			t /= 2
		}
		if t < 1 {
			needH = true // the stored curvature overshot: refresh it
		}
		copy(m.w, trial.w)
		m.b = trial.b
		g, gn = gn, g
		improved := loss - newLoss
		loss = newLoss
		if size > 0.25*prevStep {
			needH = true // contracting too slowly for a stale Hessian
		}
		prevStep = size
		if improved >= 0 && improved < 1e-12*math.Max(1, loss) && size < 1e-4 {
			break
		}
	}
	return m
}

// logitWork holds the per-row buffers of one fit. pr and w are the
// probabilities and weights at the last lossGrad point, which is where
// hessian evaluates: the accepted step's point.
type logitWork struct {
	z, r, pr, sw []float64
	xs           []float64 // √w-scaled rows for the Hessian
	hp           []float64 // p×p
}

func newLogitWork(X *dense) *logitWork {
	return &logitWork{z: make([]float64, X.n), r: make([]float64, X.n), pr: make([]float64, X.n),
		sw: make([]float64, X.n), hp: make([]float64, X.p*X.p)}
}

// lossGrad returns the penalised negative log-likelihood at m and fills g
// with its gradient (intercept last).
func (ws *logitWork) lossGrad(X *dense, y []bool, lambda float64, m *logit, g []float64) float64 {
	p := X.p
	for i := range ws.z {
		ws.z[i] = m.b
	}
	if p > 0 {
		blas64.Gemv(blas.NoTrans, 1, X.general(), blas64.Vector{N: p, Data: m.w, Inc: 1}, 1, blas64.Vector{N: X.n, Data: ws.z, Inc: 1})
	}
	var loss, sumR float64
	for i, z := range ws.z {
		// one exp serves both the probability and the loss
		e := math.Exp(-math.Abs(z))
		l1 := math.Log1p(e)
		var pr float64
		if z >= 0 {
			pr = 1 / (1 + e)
		} else {
			pr = e / (1 + e)
		}
		ws.pr[i] = pr
		r := pr
		if y[i] {
			loss += l1 + math.Max(-z, 0)
			r = pr - 1
		} else {
			loss += l1 + math.Max(z, 0)
		}
		ws.r[i] = r
		sumR += r
	}
	if p > 0 {
		blas64.Gemv(blas.Trans, 1, X.general(), blas64.Vector{N: X.n, Data: ws.r, Inc: 1}, 0, blas64.Vector{N: p, Data: g[:p], Inc: 1})
	}
	g[p] = sumR
	for j := 0; j < p; j++ {
		g[j] += lambda * m.w[j]
		loss += lambda / 2 * m.w[j] * m.w[j]
	}
	return loss
}

// hessian fills the lower triangle of H (q×q, q = p+1, intercept last)
// with XᵀWX + λI at the probabilities of the last lossGrad call.
func (ws *logitWork) hessian(X *dense, lambda float64, H []float64) {
	p, q := X.p, X.p+1
	if ws.xs == nil {
		ws.xs = make([]float64, len(X.x))
	}
	var sw float64
	for i, pr := range ws.pr {
		w := pr * (1 - pr)
		if w < 1e-12 {
			w = 1e-12
		}
		ws.sw[i] = w
		sw += w
		floats.ScaleTo(ws.xs[i*p:(i+1)*p], math.Sqrt(w), X.x[i*p:(i+1)*p])
	}
	for i := range H {
		H[i] = 0
	}
	if p > 0 {
		blas64.Syrk(blas.Trans, 1, blas64.General{Rows: X.n, Cols: p, Stride: p, Data: ws.xs}, 0,
			blas64.Symmetric{Uplo: blas.Lower, N: p, Stride: p, Data: ws.hp})
		// intercept row: Σ wᵢ xᵢⱼ
		blas64.Gemv(blas.Trans, 1, X.general(), blas64.Vector{N: X.n, Data: ws.sw, Inc: 1}, 0, blas64.Vector{N: p, Data: H[p*q : p*q+p], Inc: 1})
	}
	for i := 0; i < p; i++ {
		copy(H[i*q:i*q+i+1], ws.hp[i*p:i*p+i+1])
		H[i*q+i] += lambda
	}
	H[p*q+p] = sw
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// cholesky factorises the symmetric positive definite A (n×n row-major,
// lower triangle read) in place into L with A = LLᵀ.
func cholesky(A []float64, n int) bool {
	for j := 0; j < n; j++ {
		rj := A[j*n : j*n+j]
		s := A[j*n+j]
		for _, v := range rj {
			s -= v * v
		}
		if !(s > 0) {
			return false
		}
		ljj := math.Sqrt(s)
		A[j*n+j] = ljj
		for i := j + 1; i < n; i++ {
			ri := A[i*n : i*n+j]
			t := A[i*n+j]
			for k, v := range ri {
				t -= v * rj[k]
			}
			A[i*n+j] = t / ljj
		}
	}
	return true
}

// cholSolve solves LLᵀx = b for the factor from cholesky.
func cholSolve(L, b, x []float64, n int) {
	for i := 0; i < n; i++ {
		t := b[i]
		for k := 0; k < i; k++ {
			t -= L[i*n+k] * x[k]
		}
		x[i] = t / L[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		t := x[i]
		for k := i + 1; k < n; k++ {
			t -= L[k*n+i] * x[k]
		}
		x[i] = t / L[i*n+i]
	}
}

// stratifiedFolds assigns each example to one of k folds so that every fold
// holds the same share of positives. The shuffle is seeded, so a tenant's
// model is reproducible run to run.
func stratifiedFolds(y []bool, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))
	fold := make([]int, len(y))
	var pos, neg []int
	for i, v := range y {
		if v {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	off := 0
	for _, grp := range [][]int{pos, neg} {
		rng.Shuffle(len(grp), func(i, j int) { grp[i], grp[j] = grp[j], grp[i] })
		for j, i := range grp {
			fold[i] = (j + off) % k
		}
		off += len(grp) % k // keep fold sizes balanced across classes
	}
	return fold
}

// platt is a one-dimensional logistic recalibration p = σ(A·z + B) of a
// linear score z (Platt 1999), fitted on out-of-fold scores so that a
// shrunken, regularised model still states honest probabilities.
type platt struct{ A, B float64 }

func fitPlatt(z []float64, y []bool) platt {
	d := &design{p: 1, rowPtr: make([]int, 1, len(z)+1)}
	for _, v := range z {
		d.appendRow([]int32{0}, []float64{v})
	}
	m := fitLogit(d.dense(), y, 1e-6, nil, 1e-6)
	return platt{A: m.w[0], B: m.b}
}

func (c platt) prob(z float64) float64 { return sigmoid(c.A*z + c.B) }
