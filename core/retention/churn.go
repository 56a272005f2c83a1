package retention

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// RiskLevel buckets a churn risk.
type RiskLevel string

// Risk levels.
const (
	RiskLow    RiskLevel = "low"
	RiskMedium RiskLevel = "medium"
	RiskHigh   RiskLevel = "high"
)

// RiskThresholds are the level boundaries: low < Medium ≤ medium < High ≤
// high. DESIGN §7 defaults are 0.3 and 0.6; tenants may change them.
type RiskThresholds struct {
	Medium, High float64
}

// DefaultRiskThresholds are DESIGN §7's defaults.
var DefaultRiskThresholds = RiskThresholds{Medium: 0.3, High: 0.6}

// Level returns the level of risk under t.
func (t RiskThresholds) Level(risk float64) RiskLevel {
	switch {
	case risk >= t.High:
		return RiskHigh
	case risk >= t.Medium:
		return RiskMedium
	}
	return RiskLow
}

// Reason is one contribution to a churn score, strongest first in a
// score's list, worded for people in English and Persian.
type Reason struct {
	// Code identifies the driver ("recency", "overdue_invoices", …; for
	// the contract model "feature:<name>").
	Code string
	// Weight is the contribution on the log-odds scale, relative to a
	// typical customer of the tenant.
	Weight float64
	TextEN string
	TextFA string
}

// ChurnFeatures are the transaction model's inputs for one customer.
type ChurnFeatures struct {
	// PDead is 1 − P(alive) under MBG/NBD.
	PDead float64
	// ExpectedPurchases over the horizon (BG/NBD).
	ExpectedPurchases float64
	// DaysSinceLast and UsualGapDays give the recency ratio.
	DaysSinceLast int
	UsualGapDays  float64
	// SpendTrend is the recent daily spend rate relative to the earlier
	// one, minus 1, clipped to [−1, 1]: −0.4 means spending 40 % less.
	SpendTrend float64
	// Repeat is the number of repeat purchases; AgeDays the days since
	// the first purchase.
	Repeat  int
	AgeDays int
	// Side facts (snapshots, not history).
	OverdueInvoices int
	OpenTickets     int
	Satisfaction    *float64 // 1–5
}

// RecencyRatio is days since the last purchase ÷ the usual gap.
func (f ChurnFeatures) RecencyRatio() float64 {
	gap := f.UsualGapDays
	if !(gap > 0) {
		gap = 30
	}
	return float64(f.DaysSinceLast) / gap
}

// Learned transaction features, in this order. Besides DESIGN §7's list,
// the backtest also sees the summary the BG/NBD family is built on —
// log(1 + repeat purchases) and log(1 + days since the first purchase) —
// because a per-tenant logistic model can correct where the parametric
// model misfits a tenant: on CDNOW master it lifts the holdout AUC from
// 0.760 to 0.770 (TestCDNOWMasterBacktest).
const nTxFeatures = 6

var txFeatureCodes = [nTxFeatures]string{"p_dead", "expected_purchases", "recency", "spend_trend", "frequency", "age"}

func (f ChurnFeatures) vector() [nTxFeatures]float64 {
	return [nTxFeatures]float64{
		f.PDead,
		math.Log1p(f.ExpectedPurchases),
		math.Log1p(f.RecencyRatio()),
		-f.SpendTrend, // decline is positive
		math.Log1p(float64(f.Repeat)),
		math.Log1p(float64(f.AgeDays)),
	}
}

// Side-fact weights on the log-odds scale. Overdue invoices, open tickets
// and satisfaction are stored as current snapshots without history, so a
// backtest cannot learn them without leaking today into the past; they
// enter every model with these documented weights instead: each overdue
// invoice +0.35 (capped at 5), each open ticket +0.2 (capped at 10), and
// a satisfaction s on 1–5 adds 0.6 × (3 − s) (−1.2 … +1.2).
const (
	wOverdue      = 0.35
	wOpenTicket   = 0.2
	wSatisfaction = 0.6
)

// Default transaction-model weights for tenants with too little history
// (< MinChurnCustomers customers or < MinChurnLapsed lapsed in the
// backtest): log-odds = −1 + 2.5·(1 − P(alive)) − 1·log(1 + expected
// purchases) + 1·log(1 + recency ratio) + 0.5·spend decline, frequency
// and age left out (their effect differs between tenants). They
// reproduce the textbook reading: a customer silent for three usual gaps
// with P(alive) 0.3 scores about 0.8; a recent regular about 0.15.
var defaultTxWeights = [nTxFeatures]float64{2.5, -1, 1, 0.5, 0, 0}

const defaultTxIntercept = -1.0

// Minimum backtest sizes for learning a tenant's own weights.
const (
	MinChurnCustomers = 200
	MinChurnLapsed    = 30
)

// TransactionChurnModel is the per-tenant transaction churn model.
type TransactionChurnModel struct {
	// Default is true when documented default weights are used; Why says
	// what was missing.
	Default bool
	Why     string
	// TrainCutoff is the backtest cut-off (start of the label window) and
	// WindowDays the label window: no purchase within it = lapsed.
	TrainCutoff time.Time
	WindowDays  int
	// NTrain and NLapsed count backtest customers and those who lapsed.
	NTrain, NLapsed int
	// BacktestAUC is the ROC AUC on a held-out stratified third of the
	// backtest customers, with weights fitted on the other two thirds (NaN
	// with default weights).
	BacktestAUC float64
	// Intercept and Weights are on standardised features; Mean and SD
	// standardise them (Mean 0, SD 1 with default weights). Feature order:
	// 1 − P(alive), log(1 + expected purchases), log(1 + recency ratio),
	// spend decline, log(1 + repeat purchases), log(1 + age in days).
	Intercept float64
	Weights   [nTxFeatures]float64
	Mean, SD  [nTxFeatures]float64
}

func defaultTxModel(why string) TransactionChurnModel {
	return TransactionChurnModel{
		Default: true, Why: why, BacktestAUC: math.NaN(),
		Intercept: defaultTxIntercept, Weights: defaultTxWeights,
		SD: [nTxFeatures]float64{1, 1, 1, 1, 1, 1},
	}
}

// fitTxChurn learns the weights from backtest features and labels.
func fitTxChurn(feats []ChurnFeatures, lapsed []bool) TransactionChurnModel {
	n := len(feats)
	var m TransactionChurnModel
	vecs := make([][nTxFeatures]float64, n)
	for i, f := range feats {
		vecs[i] = f.vector()
		for j, v := range vecs[i] {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(n)
	}
	for _, v := range vecs {
		for j := range v {
			m.SD[j] += (v[j] - m.Mean[j]) * (v[j] - m.Mean[j])
		}
	}
	for j := range m.SD {
		m.SD[j] = math.Sqrt(m.SD[j] / float64(n))
		// A feature (near) constant in the backtest carries no signal; a
		// tiny SD would blow today's small differences up into thousands of
		// standard deviations and saturate every risk at 0 or 1 (seen on
		// the online retailer, whose P(dead) hardly varies).
		if m.SD[j] < 1e-6*math.Max(1, math.Abs(m.Mean[j])) {
			m.SD[j] = 1
		}
	}
	d := &design{p: nTxFeatures, rowPtr: make([]int, 1, n+1),
		col: make([]int32, 0, n*nTxFeatures), val: make([]float64, 0, n*nTxFeatures)}
	cols := make([]int32, nTxFeatures)
	for j := range cols {
		cols[j] = int32(j)
	}
	row := make([]float64, nTxFeatures)
	for _, v := range vecs {
		for j := range v {
			row[j] = clampZ((v[j] - m.Mean[j]) / m.SD[j])
		}
		d.appendRow(cols, row)
	}
	// A light ridge (λ = 1 on thousands of rows) only keeps collinear
	// features (P(alive) and recency move together) from trading huge
	// opposite weights.
	lg := fitLogit(d.dense(), lapsed, 1, nil, 1e-4)
	m.Intercept = lg.b
	copy(m.Weights[:], lg.w)
	// Held-out AUC: a stratified third of the backtest customers scored by
	// weights fitted on the other two thirds, so the reported quality is
	// not the fit's own flattery (one extra fit, not k: scoring is on the
	// clock).
	folds := stratifiedFolds(lapsed, 3, 7)
	var tr, te []int
	for i, f := range folds {
		if f == 0 {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	hm := fitLogit(d.subset(tr).dense(), pick(lapsed, tr), 1, &lg, 1e-4)
	held := make([]float64, len(te))
	for j, i := range te {
		held[j] = hm.linear(d, i)
	}
	m.BacktestAUC = ROCAUC(held, pick(lapsed, te))
	return m
}

// maxTxTerms is the number of terms a transaction score can have.
const maxTxTerms = nTxFeatures + 3

// txTerm is one contribution before it is worded.
type txTerm struct {
	code string
	w    float64
}

// contributions returns each term's push on the log-odds, relative to
// the tenant's average customer for learned features and to "none" for
// side facts, and the total log-odds. The terms live in a fixed array so
// scoring a customer allocates only the reasons it keeps.
func (m *TransactionChurnModel) contributions(f ChurnFeatures) (float64, [maxTxTerms]txTerm, int) {
	var ts [maxTxTerms]txTerm
	v := f.vector()
	z := m.Intercept
	for j := range v {
		c := m.Weights[j] * clampZ((v[j]-m.Mean[j])/m.SD[j])
		z += c
		ts[j] = txTerm{txFeatureCodes[j], c}
	}
	k := nTxFeatures
	// Side facts add to the score as documented above.
	od := float64(min(max(f.OverdueInvoices, 0), 5)) * wOverdue
	tk := float64(min(max(f.OpenTickets, 0), 10)) * wOpenTicket
	z += od + tk
	ts[k], ts[k+1] = txTerm{"overdue_invoices", od}, txTerm{"open_tickets", tk}
	k += 2
	if f.Satisfaction != nil {
		s := wSatisfaction * (3 - math.Min(5, math.Max(1, *f.Satisfaction)))
		z += s
		ts[k] = txTerm{"satisfaction", s}
		k++
	}
	return z, ts, k
}

// clampZ bounds a standardised feature: today's customers may lie far
// outside the backtest's range, and a linear model must not extrapolate
// that into certainty.
func clampZ(z float64) float64 { return math.Max(-zLimit, math.Min(zLimit, z)) }

// zLimit is how many standard deviations a feature may move the score.
const zLimit = 6

// Score returns the churn probability over the model's window and the
// strongest reasons (at most maxReasons, only those raising the risk).
func (m *TransactionChurnModel) Score(f ChurnFeatures, horizonDays, maxReasons int) (float64, []Reason) {
	return m.score(f, horizonDays, maxReasons, nil)
}

// wordingKey identifies a reason's text: its code and the rounded numbers
// it shows. Many customers share them (the same frequency, the same days
// since the last purchase), so scoring words each one once per worker.
type wordingKey struct {
	code string
	a, b int64
}

func (m *TransactionChurnModel) score(f ChurnFeatures, horizonDays, maxReasons int, words map[wordingKey][2]string) (float64, []Reason) {
	z, ts, k := m.contributions(f)
	terms := ts[:k]
	// insertion sort, largest first: at most nine terms
	for i := 1; i < len(terms); i++ {
		for j := i; j > 0 && terms[j].w > terms[j-1].w; j-- {
			terms[j], terms[j-1] = terms[j-1], terms[j]
		}
	}
	var out []Reason
	for _, t := range terms {
		if t.w <= reasonFloor || len(out) == maxReasons {
			break
		}
		if out == nil {
			out = make([]Reason, 0, maxReasons)
		}
		r := Reason{Code: t.code, Weight: t.w}
		if words == nil {
			wordTxReason(&r, f, horizonDays)
		} else {
			key := reasonKey(t.code, f, horizonDays)
			if txt, ok := words[key]; ok {
				r.TextEN, r.TextFA = txt[0], txt[1]
			} else {
				wordTxReason(&r, f, horizonDays)
				words[key] = [2]string{r.TextEN, r.TextFA}
			}
		}
		out = append(out, r)
	}
	return sigmoid(z), out
}

// reasonKey identifies the numbers a reason shows by their exact values,
// so a cached text is always the text wordTxReason would write.
func reasonKey(code string, f ChurnFeatures, horizonDays int) wordingKey {
	k := wordingKey{code: code}
	bits := func(v float64) int64 { return int64(math.Float64bits(v)) }
	switch code {
	case "recency":
		k.a, k.b = int64(f.DaysSinceLast), bits(f.RecencyRatio())
	case "p_dead":
		k.a = bits(f.PDead)
	case "expected_purchases":
		k.a, k.b = bits(f.ExpectedPurchases), int64(horizonDays)
	case "spend_trend":
		k.a = bits(f.SpendTrend)
	case "frequency":
		k.a = int64(f.Repeat)
	case "age":
		k.a = int64(f.AgeDays)
	case "overdue_invoices":
		k.a = int64(f.OverdueInvoices)
	case "open_tickets":
		k.a = int64(f.OpenTickets)
	case "satisfaction":
		k.a = bits(*f.Satisfaction)
	}
	return k
}

// reasonFloor is the smallest log-odds push worth naming: below it a
// reason explains nothing.
const reasonFloor = 0.05

// topReasons keeps the positive contributions above the floor, strongest
// first, and words them.
func topReasons(rs []Reason, n int, word func(*Reason)) []Reason {
	out := rs[:0]
	for _, r := range rs {
		if r.Weight > reasonFloor {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Reason) int { return cmpFloat(b.Weight, a.Weight) })
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	for i := range out {
		word(&out[i])
	}
	return out
}

// wordTxReason writes a transaction reason in plain English and Persian
// with the customer's own numbers. It concatenates instead of using
// fmt: a tenant run words tens of thousands of reasons.
func wordTxReason(r *Reason, f ChurnFeatures, horizonDays int) {
	fa := persianDigits
	itoa := strconv.Itoa
	switch r.Code {
	case "recency":
		ratio := trimFloat(f.RecencyRatio())
		days := itoa(f.DaysSinceLast)
		r.TextEN = "no purchase for " + days + " days, " + ratio + "× the usual gap"
		r.TextFA = fa(days) + " روز بدون خرید، " + fa(ratio) + " برابر فاصلهٔ معمول"
	case "p_dead":
		pct := strconv.FormatFloat(100*(1-f.PDead), 'f', 0, 64)
		r.TextEN = "only " + pct + "% likely to still be an active buyer"
		r.TextFA = "احتمال فعال‌بودن فقط " + fa(pct) + "٪"
	case "expected_purchases":
		e := strconv.FormatFloat(f.ExpectedPurchases, 'f', 1, 64)
		h := itoa(horizonDays)
		r.TextEN = "only " + e + " purchases expected in the next " + h + " days"
		r.TextFA = "فقط " + fa(e) + " خرید در " + fa(h) + " روز آینده پیش‌بینی می‌شود"
	case "spend_trend":
		pct := strconv.FormatFloat(-100*f.SpendTrend, 'f', 0, 64)
		r.TextEN = "spending down " + pct + "% on the earlier rate"
		r.TextFA = "هزینه‌کرد " + fa(pct) + "٪ کمتر از قبل"
	case "frequency":
		n := itoa(f.Repeat)
		switch f.Repeat {
		case 0:
			r.TextEN = "no repeat purchase yet"
			r.TextFA = "هنوز هیچ خرید تکراری نداشته"
		case 1:
			r.TextEN = "only 1 repeat purchase so far"
			r.TextFA = "تاکنون فقط " + fa(n) + " خرید تکراری"
		default:
			r.TextEN = "only " + n + " repeat purchases so far"
			r.TextFA = "تاکنون فقط " + fa(n) + " خرید تکراری"
		}
	case "age":
		d := itoa(f.AgeDays)
		r.TextEN = "first purchase " + d + " days ago"
		r.TextFA = "اولین خرید " + fa(d) + " روز پیش"
	case "overdue_invoices":
		n := itoa(f.OverdueInvoices)
		r.TextEN = n + " overdue invoices"
		if f.OverdueInvoices == 1 {
			r.TextEN = "1 overdue invoice"
		}
		r.TextFA = fa(n) + " فاکتور سررسیدگذشته"
	case "open_tickets":
		n := itoa(f.OpenTickets)
		r.TextEN = n + " open tickets"
		if f.OpenTickets == 1 {
			r.TextEN = "1 open ticket"
		}
		r.TextFA = fa(n) + " تیکت باز"
	case "satisfaction":
		v := trimFloat(*f.Satisfaction)
		r.TextEN = "latest satisfaction " + v + " of 5"
		r.TextFA = "آخرین رضایت " + fa(v) + " از ۵"
	}
}

// wordContractReason words a contract-model contribution; moneyScale is
// the number of minor units in a major one, so that money reads as the
// tenant's currency (29.85, not 2985).
func wordContractReason(c Contribution, moneyScale int64) Reason {
	fa := persianDigits
	r := Reason{Code: "feature:" + c.Feature, Weight: c.Weight}
	switch c.Feature {
	case featTenure:
		unit := "months"
		if c.Value == "1" {
			unit = "month"
		}
		r.TextEN = fmt.Sprintf("customer for %s %s (typical %s)", c.Value, unit, c.Typical)
		r.TextFA = fmt.Sprintf("%s ماه مشتری (معمول %s)", fa(c.Value), fa(c.Typical))
	case featMonthly:
		if moneyScale > 1 && !math.IsNaN(c.Number) {
			c.Value = strconv.FormatFloat(c.Number/float64(moneyScale), 'f', 2, 64)
			c.Typical = strconv.FormatFloat(c.TypicalNumber/float64(moneyScale), 'f', 2, 64)
		}
		r.TextEN = fmt.Sprintf("monthly contract value %s (typical %s)", c.Value, c.Typical)
		r.TextFA = fmt.Sprintf("ارزش ماهانهٔ قرارداد %s (معمول %s)", fa(c.Value), fa(c.Typical))
	case featContracts:
		r.TextEN = fmt.Sprintf("%s contracts so far (typical %s)", c.Value, c.Typical)
		r.TextFA = fmt.Sprintf("%s قرارداد تاکنون (معمول %s)", fa(c.Value), fa(c.Typical))
	case featType:
		r.TextEN = fmt.Sprintf("contract type %q", c.Value)
		r.TextFA = fmt.Sprintf("نوع قرارداد «%s»", c.Value)
	default:
		if c.Typical != "" {
			r.TextEN = fmt.Sprintf("%s is %s (typical %s)", c.Feature, c.Value, c.Typical)
			r.TextFA = fmt.Sprintf("%s برابر %s است (معمول %s)", c.Feature, fa(c.Value), fa(c.Typical))
		} else {
			r.TextEN = fmt.Sprintf("%s: %s", c.Feature, c.Value)
			r.TextFA = fmt.Sprintf("%s: %s", c.Feature, c.Value)
		}
	}
	return r
}
