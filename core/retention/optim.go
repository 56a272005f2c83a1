package retention

import (
	"errors"
	"math"
)

// optResult is an optimiser's outcome.
type optResult struct {
	x                       []float64
	f                       float64
	iterations, evaluations int
}

// errNotFinite reports an objective that is not finite at the start.
var errNotFinite = errors.New("objective not finite at start")

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		if v := math.Abs(v); v > m {
			m = v
		}
	}
	return m
}

// newtonSettings bounds a Newton minimisation.
type newtonSettings struct {
	gradTol float64
	maxIter int
}

// minimizeNewton minimises fgh, which returns f, fills the gradient and,
// when hess is non-nil, the row-major Hessian. Each step solves
// (H + μI)d = −g with the smallest μ ≥ 0 (from 0, then growing tenfold)
// that makes the matrix positive definite, so far from the optimum it
// degrades gracefully towards gradient descent and near it converges
// quadratically: a handful of iterations where BFGS needed 25–35 here,
// each costing one pass over the data. It is small and deterministic;
// gonum/optimize would also pull golang.org/x/tools into the module graph
// through its CMA-ES code, which core may not depend on.
func minimizeNewton(fgh func(x, grad, hess []float64) float64, x0 []float64, s newtonSettings) (optResult, error) {
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	H := make([]float64, n*n)
	f := fgh(x, g, H)
	evals := 1
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return optResult{}, errNotFinite
	}
	L := make([]float64, n*n)
	d := make([]float64, n)
	negG := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	Hn := make([]float64, n*n)
	iter := 0
	for ; iter < s.maxIter; iter++ {
		if maxAbs(g) <= s.gradTol {
			break
		}
		for i := range negG {
			negG[i] = -g[i]
		}
		mu := 0.0
		var diagMax float64
		for i := 0; i < n; i++ {
			diagMax = math.Max(diagMax, math.Abs(H[i*n+i]))
		}
		for tries := 0; ; tries++ {
			copy(L, H)
			for i := 0; i < n; i++ {
				L[i*n+i] += mu
			}
			if cholesky(L, n) {
				break
			}
			if mu == 0 {
				mu = 1e-6 * math.Max(diagMax, 1e-8)
			} else {
				mu *= 10
			}
			if tries > 60 {
				return optResult{x: x, f: f, iterations: iter, evaluations: evals}, nil
			}
		}
		cholSolve(L, negG, d, n)
		step := 1.0
		if m := maxAbs(d); m > 2 {
			step = 2 / m // at most a factor e² per step in log-parameters
		}
		slope := dot(d, g)
		ok := false
		var fn float64
		for ls := 0; ls < 50; ls++ {
			for i := range xn {
				xn[i] = x[i] + step*d[i]
			}
			fn = fgh(xn, gn, Hn)
			evals++
			if !math.IsNaN(fn) && !math.IsInf(fn, 0) && fn <= f+1e-4*step*slope {
				ok = true
				break
			}
			step *= 0.5
		}
		if !ok {
			break // no decrease possible at machine precision
		}
		done := math.Abs(f-fn) <= 1e-15*math.Max(1, math.Abs(f)) && maxAbs(d)*step < 1e-10
		copy(x, xn)
		copy(g, gn)
		copy(H, Hn)
		f = fn
		if done {
			break
		}
	}
	return optResult{x: x, f: f, iterations: iter, evaluations: evals}, nil
}
