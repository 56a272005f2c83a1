package retention

import (
	"math"
	"slices"
)

// ROCAUC is the area under the ROC curve of scores for the positive labels:
// the probability that a random positive outranks a random negative, ties
// counted half (the Mann-Whitney statistic). NaN when a class is empty.
// NaN scores rank below every number and tie with each other.
func ROCAUC(scores []float64, positive []bool) float64 {
	n := len(scores)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpNaNFirst(scores[a], scores[b]) })
	var rankSum float64
	var nPos int
	for i := 0; i < n; {
		j := i + 1
		for j < n && cmpNaNFirst(scores[idx[j]], scores[idx[i]]) == 0 {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				rankSum += avg
				nPos++
			}
		}
		i = j
	}
	nNeg := n - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	fp := float64(nPos)
	return (rankSum - fp*(fp+1)/2) / (fp * float64(nNeg))
}

// cmpNaNFirst orders floats with NaN below every number (a total order,
// unlike <, so sorting and tie runs stay consistent).
func cmpNaNFirst(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Brier is the mean squared difference between predicted probabilities and
// outcomes (0 perfect, 0.25 for always guessing one half).
func Brier(probs []float64, positive []bool) float64 {
	if len(probs) == 0 {
		return math.NaN()
	}
	var s float64
	for i, p := range probs {
		y := 0.0
		if positive[i] {
			y = 1
		}
		s += (p - y) * (p - y)
	}
	return s / float64(len(probs))
}

// sigmoid is the logistic function, stable for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
