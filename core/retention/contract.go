package retention

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// ContractExample is one customer as the contract model sees it: numeric
// and categorical features and, for training, whether they churned.
type ContractExample struct {
	// Numeric features; a missing key or NaN is a missing value.
	Numeric map[string]float64
	// Categorical features; an empty value is its own level "".
	Categorical map[string]string
	// Churned is the label: the contract ended without renewal within 30
	// days, or an imported churn flag.
	Churned bool
}

// ContractOptions tunes the contract model.
type ContractOptions struct {
	// Lambdas is the L2 grid searched by cross-validation (default 0.1, 1,
	// 10, 100: from nearly unregularised to strongly shrunk).
	Lambdas []float64
	// Folds is the number of inner cross-validation folds (default 3).
	Folds int
	// Seed fixes the fold shuffle so refits are reproducible.
	Seed uint64
}

func (o ContractOptions) withDefaults() ContractOptions {
	if len(o.Lambdas) == 0 {
		o.Lambdas = []float64{100, 10, 1, 0.1} // large first: warm starts flow towards weaker penalties
	}
	if o.Folds < 2 {
		o.Folds = 3
	}
	return o
}

// ContractModel is a fitted, calibrated contract churn model.
type ContractModel struct {
	// Lambda is the L2 strength chosen by cross-validation.
	Lambda float64
	// CVAUC is the inner cross-validated ROC AUC at Lambda, and CVLogLoss
	// its mean log loss.
	CVAUC, CVLogLoss float64
	// N and Churned count the training examples and churn events.
	N, Churned int
	// Missing counts the training examples missing each numeric feature;
	// they are imputed at the mean and flagged by an indicator column.
	Missing map[string]int

	enc   *encoder
	model logit
	cal   platt
}

// table is a set of examples decoded once: numerics in a dense matrix
// (NaN = missing) and categoricals as level indices. Cross-validation
// builds it once and derives every fold's design from it without touching
// the examples' maps again.
type table struct {
	numeric, categorical []string
	levels               [][]string // per categorical, sorted vocabulary
	num                  []float64  // n × len(numeric)
	cat                  []int32    // n × len(categorical)
	y                    []bool
}

func newTable(ex []ContractExample) *table {
	tb := &table{}
	numSet, catSet := map[string]bool{}, map[string]bool{}
	for _, x := range ex {
		for k := range x.Numeric {
			numSet[k] = true
		}
		for k := range x.Categorical {
			catSet[k] = true
		}
	}
	for k := range numSet {
		tb.numeric = append(tb.numeric, k)
	}
	for k := range catSet {
		tb.categorical = append(tb.categorical, k)
	}
	sort.Strings(tb.numeric)
	sort.Strings(tb.categorical)
	vocab := make([]map[string]int32, len(tb.categorical))
	for j, name := range tb.categorical {
		set := map[string]bool{}
		for _, x := range ex {
			set[x.Categorical[name]] = true
		}
		lv := make([]string, 0, len(set))
		for k := range set {
			lv = append(lv, k)
		}
		sort.Strings(lv)
		tb.levels = append(tb.levels, lv)
		vocab[j] = make(map[string]int32, len(lv))
		for i, l := range lv {
			vocab[j][l] = int32(i)
		}
	}
	k, m := len(tb.numeric), len(tb.categorical)
	tb.num = make([]float64, len(ex)*k)
	tb.cat = make([]int32, len(ex)*m)
	tb.y = make([]bool, len(ex))
	for i, x := range ex {
		for j, name := range tb.numeric {
			v, ok := x.Numeric[name]
			if !ok {
				v = math.NaN()
			}
			tb.num[i*k+j] = v
		}
		for j, name := range tb.categorical {
			tb.cat[i*m+j] = vocab[j][x.Categorical[name]]
		}
		tb.y[i] = x.Churned
	}
	return tb
}

// encoder turns examples into standardised numerics plus one-hot levels.
// Its statistics come from training rows only.
type encoder struct {
	numeric     []string
	mean, sd    []float64
	missingCol  []int // per numeric: indicator column or -1
	categorical []string
	levels      []map[string]int // per categorical: level → column
	levelCol    [][]int32        // per categorical: vocabulary index → column
	colMean     []float64        // training mean of each column, for reasons
	colName     []string
	colFeature  []int // column → feature index (numerics first, then categoricals)
	p           int
}

// encoder computes standardisation and missing-value counts over rows.
func (tb *table) encoder(rows []int) (*encoder, map[string]int) {
	e := &encoder{numeric: tb.numeric, categorical: tb.categorical}
	k := len(tb.numeric)
	missing := map[string]int{}
	for fi, name := range tb.numeric {
		var s, ss float64
		var n int
		for _, i := range rows {
			v := tb.num[i*k+fi]
			if math.IsNaN(v) {
				missing[name]++
				continue
			}
			s += v
			ss += v * v
			n++
		}
		mean := 0.0
		if n > 0 {
			mean = s / float64(n)
		}
		sd := 1.0
		if n > 1 {
			if v := ss/float64(n) - mean*mean; v > 1e-24 {
				sd = math.Sqrt(v)
			}
		}
		e.mean = append(e.mean, mean)
		e.sd = append(e.sd, sd)
		e.colName = append(e.colName, name)
		e.colFeature = append(e.colFeature, fi)
		e.p++
	}
	for fi, name := range tb.numeric {
		if missing[name] > 0 {
			e.missingCol = append(e.missingCol, e.p)
			e.colName = append(e.colName, name+" missing")
			e.colFeature = append(e.colFeature, fi)
			e.p++
		} else {
			e.missingCol = append(e.missingCol, -1)
		}
	}
	for ci, name := range tb.categorical {
		m := map[string]int{}
		lc := make([]int32, len(tb.levels[ci]))
		for li, l := range tb.levels[ci] {
			m[l] = e.p
			lc[li] = int32(e.p)
			e.colName = append(e.colName, name+"="+l)
			e.colFeature = append(e.colFeature, len(tb.numeric)+ci)
			e.p++
		}
		e.levels = append(e.levels, m)
		e.levelCol = append(e.levelCol, lc)
	}
	return e, missing
}

// designOf encodes rows of tb. Columns are laid out numerics, missing
// indicators, levels; appending in that order keeps each CSR row sorted,
// which logitHessian relies on.
func (e *encoder) designOf(tb *table, rows []int) *design {
	k, m := len(tb.numeric), len(tb.categorical)
	d := &design{p: e.p, rowPtr: make([]int, 1, len(rows)+1),
		col: make([]int32, 0, len(rows)*(k+m)), val: make([]float64, 0, len(rows)*(k+m))}
	for _, i := range rows {
		for j := 0; j < k; j++ {
			if v := tb.num[i*k+j]; !math.IsNaN(v) {
				d.col = append(d.col, int32(j))
				d.val = append(d.val, (v-e.mean[j])/e.sd[j])
			} // else imputed at the mean: standardised value 0
		}
		for j := 0; j < k; j++ {
			if math.IsNaN(tb.num[i*k+j]) && e.missingCol[j] >= 0 {
				d.col = append(d.col, int32(e.missingCol[j]))
				d.val = append(d.val, 1)
			}
		}
		for j := 0; j < m; j++ {
			d.col = append(d.col, e.levelCol[j][tb.cat[i*m+j]])
			d.val = append(d.val, 1)
		}
		d.rowPtr = append(d.rowPtr, len(d.col))
	}
	return d
}

// encode appends one example as a row of d, for scoring.
func (e *encoder) encode(d *design, x ContractExample) {
	var cols []int32
	var vals []float64
	for i, name := range e.numeric {
		if v, ok := x.Numeric[name]; ok && !math.IsNaN(v) {
			cols = append(cols, int32(i))
			vals = append(vals, (v-e.mean[i])/e.sd[i])
		}
	}
	for i, name := range e.numeric {
		if v, ok := x.Numeric[name]; (!ok || math.IsNaN(v)) && e.missingCol[i] >= 0 {
			cols = append(cols, int32(e.missingCol[i]))
			vals = append(vals, 1)
		}
	}
	for i, name := range e.categorical {
		if c, ok := e.levels[i][x.Categorical[name]]; ok {
			cols = append(cols, int32(c))
			vals = append(vals, 1)
		}
	}
	d.appendRow(cols, vals)
}

// ErrTooFewChurnEvents reports a contract model asked for without enough
// history to learn from.
var ErrTooFewChurnEvents = errors.New("retention: too few contracts or churn events for the contract model")

// FitContractModel fits a regularised logistic regression on the examples:
// numerics standardised (missing values imputed at the mean and flagged),
// categoricals one-hot, the L2 strength chosen by stratified
// cross-validation log loss, and probabilities recalibrated (Platt) on the
// out-of-fold scores of the chosen strength.
func FitContractModel(ex []ContractExample, opts ContractOptions) (*ContractModel, error) {
	tb := newTable(ex)
	rows := make([]int, len(ex))
	for i := range rows {
		rows[i] = i
	}
	return fitContractRows(tb, rows, opts)
}

// fitContractRows fits the contract model on rows of tb.
func fitContractRows(tb *table, rows []int, opts ContractOptions) (*ContractModel, error) {
	opts = opts.withDefaults()
	y := pick(tb.y, rows)
	churned := 0
	for _, v := range y {
		if v {
			churned++
		}
	}
	if churned < opts.Folds || len(y)-churned < opts.Folds {
		return nil, fmt.Errorf("%w: %d examples, %d churned", ErrTooFewChurnEvents, len(y), churned)
	}
	enc, missing := tb.encoder(rows)
	d := enc.designOf(tb, rows)
	folds := stratifiedFolds(y, opts.Folds, opts.Seed)
	type cvRes struct {
		logloss float64
		oof     []float64
	}
	res := make([]cvRes, len(opts.Lambdas))
	for i := range res {
		res[i].oof = make([]float64, len(y))
	}
	// Each λ's fit on the previous fold is a close starting point for the
	// next fold: the folds share two thirds of their data.
	prevFold := make([]*logit, len(opts.Lambdas))
	for f := 0; f < opts.Folds; f++ {
		var tr, te []int
		for i, k := range folds {
			if k == f {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		dtr, dte := d.subset(tr).dense(), d.subset(te)
		ytr := pick(y, tr)
		var warm *logit
		for li, lam := range opts.Lambdas {
			if prevFold[li] != nil {
				warm = prevFold[li]
			}
			// Only the held-out log loss matters here, which coefficients
			// good to 1e-3 give to about 1e-6: a looser stop saves steps.
			m := fitLogit(dtr, ytr, lam, warm, 1e-3)
			warm = &m
			prevFold[li] = &m
			for j, i := range te {
				z := m.linear(dte, j)
				res[li].oof[i] = z
				if y[i] {
					res[li].logloss += softplus(-z)
				} else {
					res[li].logloss += softplus(z)
				}
			}
		}
	}
	best := 0
	for li := range res {
		if res[li].logloss < res[best].logloss {
			best = li
		}
	}
	cm := &ContractModel{
		Lambda:    opts.Lambdas[best],
		CVAUC:     ROCAUC(res[best].oof, y),
		CVLogLoss: res[best].logloss / float64(len(y)),
		N:         len(y), Churned: churned, Missing: missing, enc: enc,
	}
	cm.cal = fitPlatt(res[best].oof, y)
	cm.model = fitLogit(d.dense(), y, cm.Lambda, prevFold[best], 1e-5)
	enc.colMean = make([]float64, enc.p)
	for k, c := range d.col {
		enc.colMean[c] += d.val[k]
	}
	for j := range enc.colMean {
		enc.colMean[j] /= float64(len(y))
	}
	return cm, nil
}

func pick[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = v[i]
	}
	return out
}

// Contribution is one feature's push on a contract score, on the log-odds
// scale relative to the average training customer.
type Contribution struct {
	Feature string
	// Value is the customer's value as text (a level, or a number).
	Value string
	// Number and TypicalNumber are the numeric value and training mean
	// (numerics only; Number is NaN when missing).
	Number, TypicalNumber float64
	// Typical is the training mean for numerics, empty for categoricals.
	Typical string
	Weight  float64
}

// Predict returns the calibrated churn probability of x and every
// feature's contribution, largest first.
func (m *ContractModel) Predict(x ContractExample) (float64, []Contribution) {
	d := &design{p: m.enc.p}
	m.enc.encode(d, x)
	z := m.model.linear(d, 0)
	// contribution of each column: w_j (x_j − mean_j); sum per feature
	nf := len(m.enc.numeric) + len(m.enc.categorical)
	contrib := make([]float64, nf)
	row := make(map[int32]float64, d.rowPtr[1])
	for k := d.rowPtr[0]; k < d.rowPtr[1]; k++ {
		row[d.col[k]] = d.val[k]
	}
	for j := 0; j < m.enc.p; j++ {
		contrib[m.enc.colFeature[j]] += m.model.w[j] * (row[int32(j)] - m.enc.colMean[j])
	}
	out := make([]Contribution, 0, nf)
	for fi, c := range contrib {
		var cb Contribution
		cb.Weight = c * m.cal.A // on the calibrated log-odds scale
		if fi < len(m.enc.numeric) {
			name := m.enc.numeric[fi]
			cb.Feature = name
			if v, ok := x.Numeric[name]; ok && !math.IsNaN(v) {
				cb.Value, cb.Number = trimFloat(v), v
			} else {
				cb.Value, cb.Number = "missing", math.NaN()
			}
			cb.Typical, cb.TypicalNumber = trimFloat(m.enc.mean[fi]), m.enc.mean[fi]
		} else {
			name := m.enc.categorical[fi-len(m.enc.numeric)]
			cb.Feature = name
			cb.Value = x.Categorical[name]
		}
		out = append(out, cb)
	}
	slices.SortStableFunc(out, func(a, b Contribution) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	return m.cal.prob(z), out
}

// Drivers lists the model's columns by absolute coefficient (on
// standardised numerics and 0/1 levels), largest first: the global
// drivers a tenant admin sees.
func (m *ContractModel) Drivers(n int) []Contribution {
	out := make([]Contribution, m.enc.p)
	for j := range out {
		out[j] = Contribution{Feature: m.enc.colName[j], Weight: m.model.w[j]}
	}
	slices.SortStableFunc(out, func(a, b Contribution) int {
		return cmpFloat(math.Abs(b.Weight), math.Abs(a.Weight))
	})
	if n > 0 && n < len(out) {
		out = out[:n]
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CVReport summarises a repeated stratified cross-validation.
type CVReport struct {
	// AUCs holds one ROC AUC per fold per repetition.
	AUCs []float64
	// MeanAUC, SDAUC, MinAUC and MaxAUC summarise AUCs.
	MeanAUC, SDAUC, MinAUC, MaxAUC float64
	// Brier is the mean Brier score of the calibrated probabilities over
	// all held-out folds.
	Brier float64
}

// CrossValidateContractModel estimates the contract model's out-of-sample
// quality by repeated stratified k-fold cross-validation. Each training
// fold runs the full fit, inner λ search and calibration included, so the
// estimate is honest about the whole procedure.
func CrossValidateContractModel(ex []ContractExample, folds, repeats int, opts ContractOptions) (CVReport, error) {
	tb := newTable(ex)
	y := tb.y
	var rep CVReport
	type job struct{ r, f int }
	type out struct {
		auc, brier float64
		n          int
		err        error
	}
	folds2 := make([][]int, repeats)
	for r := range folds2 {
		folds2[r] = stratifiedFolds(y, folds, opts.Seed+uint64(r)*7919+1)
	}
	results := make([]out, repeats*folds)
	// Folds are independent; running them on every core keeps a tenant's
	// validation run short. Results are stored by index, so the report does
	// not depend on scheduling.
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(runtime.GOMAXPROCS(0), len(results))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				var tr, te []int
				for i, k := range folds2[jb.r] {
					if k == jb.f {
						te = append(te, i)
					} else {
						tr = append(tr, i)
					}
				}
				o := &results[jb.r*folds+jb.f]
				m, err := fitContractRows(tb, tr, opts)
				if err != nil {
					o.err = err
					continue
				}
				d := m.enc.designOf(tb, te)
				probs := make([]float64, len(te))
				for j := range te {
					probs[j] = m.cal.prob(m.model.linear(d, j))
				}
				yte := pick(y, te)
				o.auc, o.brier, o.n = ROCAUC(probs, yte), Brier(probs, yte), len(te)
			}
		}()
	}
	for r := 0; r < repeats; r++ {
		for f := 0; f < folds; f++ {
			jobs <- job{r, f}
		}
	}
	close(jobs)
	wg.Wait()
	var brierSum float64
	var brierN int
	for _, o := range results {
		if o.err != nil {
			return rep, o.err
		}
		rep.AUCs = append(rep.AUCs, o.auc)
		brierSum += o.brier * float64(o.n)
		brierN += o.n
	}
	rep.MinAUC, rep.MaxAUC = math.Inf(1), math.Inf(-1)
	for _, a := range rep.AUCs {
		rep.MeanAUC += a
		rep.MinAUC = math.Min(rep.MinAUC, a)
		rep.MaxAUC = math.Max(rep.MaxAUC, a)
	}
	rep.MeanAUC /= float64(len(rep.AUCs))
	for _, a := range rep.AUCs {
		rep.SDAUC += (a - rep.MeanAUC) * (a - rep.MeanAUC)
	}
	if len(rep.AUCs) > 1 {
		rep.SDAUC = math.Sqrt(rep.SDAUC / float64(len(rep.AUCs)-1))
	}
	rep.Brier = brierSum / float64(brierN)
	return rep, nil
}
