package retention

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// CustomerID identifies a customer within a tenant.
type CustomerID string

// Contract is one customer contract.
type Contract struct {
	Start time.Time
	// End is nil while the contract runs open-ended.
	End *time.Time
	// MonthlyValue is the contract's value per month in minor units.
	MonthlyValue int64
	// Type is the tenant's contract type ("monthly", "annual", …).
	Type string
	// Churned is an imported churn flag; nil derives it: the latest
	// contract ended more than 30 days before the scoring date without a
	// renewal.
	Churned *bool
}

// CustomerInput is everything scoring reads about one customer.
type CustomerInput struct {
	ID     CustomerID
	Status Status
	// Owner is the account owner (user id) who receives alerts.
	Owner string
	// Transactions are invoices (positive) and credit notes/refunds
	// (negative). Only those before Options.AsOf are used.
	Transactions []Transaction
	// Summary may replace Transactions when only a summary is stored; it
	// must be built with the same AsOf and Unit. Such customers are
	// scored but cannot take part in the churn backtest.
	Summary *Summary
	// Side facts, as of now.
	OverdueInvoices    int
	OpenTickets        int
	Satisfaction       *float64 // latest rating, 1–5
	PaymentPunctuality *float64 // share of invoices paid on time, 0–1
	// Specialties are the customer's industries and interests.
	Specialties []string
	// Categories are the product categories the customer has bought;
	// Baskets optionally the category sets of single orders.
	Categories []string
	Baskets    [][]string
	// Contracts feed the contract churn model and contract CLV.
	Contracts []Contract
	// Numeric and Categorical are tenant-defined features for the contract
	// model (custom fields).
	Numeric     map[string]float64
	Categorical map[string]string
}

// TenantInput is one tenant's customers and calendar.
type TenantInput struct {
	// Location is the tenant's time zone; purchases are its calendar days.
	Location  *time.Location
	Customers []CustomerInput
}

// Options configures a scoring run. Zero values take DESIGN §7 defaults.
type Options struct {
	// AsOf is the scoring moment: only data strictly before it is used.
	AsOf time.Time
	// Unit is the purchase models' time unit (default Days).
	Unit TimeUnit
	// HorizonDays is the forecast and churn horizon (default 90).
	HorizonDays int
	// CLV horizon and discounting (default 12 months at 1 % a month).
	CLV CLVOptions
	// Thresholds are the risk level boundaries (default 0.3 / 0.6).
	Thresholds RiskThresholds
	// CountFreeOrders counts zero-value order days as purchases (order
	// feeds like CDNOW); see SummaryOptions.
	CountFreeOrders bool
	// MaxReasons caps the reasons per score (default 3).
	MaxReasons int
	// CrossSellTop caps the suggestions per customer (default 3).
	CrossSellTop int
	// CrossSell tunes the association rules.
	CrossSell CrossSellOptions
	// Contract tunes the contract model; Seed fixes its folds.
	Contract ContractOptions
	// Workers bounds the goroutines scoring customers (default GOMAXPROCS).
	Workers int
	// MoneyScale is the number of minor units in one major unit of the
	// tenant's currency (100 for USD, 1 for IRR), used only to word money
	// in reasons; 0 or 1 words minor units as they are.
	MoneyScale int64
}

func (o Options) withDefaults() Options {
	if o.Unit <= 0 {
		o.Unit = Days
	}
	if o.HorizonDays <= 0 {
		o.HorizonDays = 90
	}
	if o.Thresholds == (RiskThresholds{}) {
		o.Thresholds = DefaultRiskThresholds
	}
	if o.MaxReasons <= 0 {
		o.MaxReasons = 3
	}
	if o.CrossSellTop <= 0 {
		o.CrossSellTop = 3
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Model names carried by every score.
const (
	ModelTransaction = "transaction"
	ModelContract    = "contract"
	ModelNone        = "none" // no purchase and no contract: nothing to score
)

// Contract model features built from Contracts.
const (
	featTenure    = "tenure_months"
	featMonthly   = "monthly_value"
	featContracts = "contracts"
	featType      = "contract_type"
)

// Thresholds for choosing the contract model (DESIGN §7).
const (
	MinContracts      = 200
	MinContractChurns = 30
)

// ForecastVerdict is the sales forecast system's verdict: what the
// customer is expected to buy over the horizon, and the risk level.
type ForecastVerdict struct {
	HorizonDays int
	Purchases   float64
	// Spend is expected purchases × expected spend per purchase, in minor
	// units.
	Spend int64
	Level RiskLevel
}

// CustomerScore is one customer's scoring result.
type CustomerScore struct {
	ID CustomerID
	// Risk is the churn probability over the horizon; Level buckets it.
	Risk  float64
	Level RiskLevel
	// Reasons are the strongest contributions to Risk.
	Reasons []Reason
	// Model is "transaction", "contract" or "none".
	Model string
	// PAlive is P(alive) under MBG/NBD (0 for customers who never bought).
	PAlive float64
	// ExpectedPurchases is the BG/NBD expectation over HorizonDays.
	ExpectedPurchases float64
	// ExpectedSpend is the Gamma-Gamma expected value of one purchase, in
	// minor units.
	ExpectedSpend int64
	// ForecastAt is the sales forecast time: last purchase + (α+T)/(r+x);
	// nil when P(alive) < 0.1 or the customer never bought.
	ForecastAt      *time.Time
	ForecastVerdict ForecastVerdict
	// CLV in minor units over the CLV horizon.
	CLV int64
	// RFM quintiles (0 for customers who never bought) and segment.
	R, F, M int
	Segment Segment
	// Health 0–100 and its parts; HealthNoRisk is the variant shown to
	// roles that may not see scores.
	Health           int
	HealthComponents HealthComponents
	HealthNoRisk     int
	// UsualGapDays is the usual gap used for recency and alerts.
	UsualGapDays float64
	// DaysSinceLast counts days since the last purchase (−1 if none).
	DaysSinceLast int
	CrossSell     []Suggestion
}

// Result is a tenant's scoring run.
type Result struct {
	AsOf        time.Time
	Unit        TimeUnit
	HorizonDays int
	// Customers is the number scored; Buyers those with a purchase.
	Customers, Buyers int
	// BG (expected purchases, forecast) and MBG (P(alive)) are fitted on
	// all buyers, without standard errors (FitBG gives them); GG on repeat
	// buyers' mean repeat spend in minor units.
	// FitError explains missing fits (too few buyers; no repeat buyers for
	// the spend model, when expected spend falls back to each customer's
	// average purchase).
	BG, MBG  BGFit
	GG       GGFit
	FitError string
	// MedianUsualGap is the tenant's median usual gap (Unit).
	MedianUsualGap float64
	// Chosen is the churn model for customers with contracts:
	// "contract" when the contract model qualified, else "transaction".
	Chosen string
	// Transaction is the backtested transaction churn model.
	Transaction TransactionChurnModel
	// Contract is the contract model (nil unless chosen); ContractWhy
	// says why it was not chosen.
	Contract    *ContractModel
	ContractWhy string
	// Scores are in input order.
	Scores []CustomerScore
}

// ErrNoAsOf reports a scoring run without a scoring moment.
var ErrNoAsOf = errors.New("retention: Options.AsOf is required")

// Score runs the whole retention pipeline for one tenant: summaries, the
// purchase and spend models, the backtested churn model (and the contract
// model when the tenant has the history for it), CLV, RFM, health and
// cross-sell. It is a pure function of its input, so the scoring job can
// retry it freely. It is Fit on every customer followed by Model.Score of
// every customer.
func Score(in TenantInput, opts Options) (Result, error) {
	m, sums, err := fit(in, opts)
	if err != nil {
		return Result{}, err
	}
	res := m.Result()
	res.Scores = m.scoreSummaries(in.Customers, sums)
	return res, nil
}

// Model is a tenant's fitted retention models: the purchase and spend
// models, the churn model, the RFM scale, the cross-sell rules and the
// tenant's median usual gap. Fit it on all of a tenant's customers or on a
// random sample of them (its parameters are population-level), then score
// customers batch by batch with Score, so that memory is bounded by the
// fit population and one batch rather than by the tenant.
type Model struct {
	res Result // without scores
	sc  scorer
	E   int32
	rfm rfmScale
	// caches keep per-history work across Score calls, one per worker
	// goroutine; mu makes Score calls take turns with them.
	mu     sync.Mutex
	caches []*scoreCache
}

// Result returns the fit's description (parameters, fit quality, churn
// model, counts of the fit population); Scores is nil.
func (m *Model) Result() Result { return m.res }

// Fit fits a tenant's models on in.Customers (all customers, or a random
// sample of them). Customers and Buyers of its Result count that
// population.
func Fit(in TenantInput, opts Options) (*Model, error) {
	m, _, err := fit(in, opts)
	return m, err
}

// Score scores customers with the fitted models, in input order, on up to
// Options.Workers goroutines; concurrent calls take turns. Customers need not be part of the fit
// population; each is summarised as of the model's AsOf, with the model's
// trend window, and a one-time buyer takes the fit population's median
// usual gap.
func (m *Model) Score(customers []CustomerInput) ([]CustomerScore, error) {
	opts, unit := m.sc.opts, m.sc.unit
	sums := make([]Summary, len(customers))
	for i := range customers {
		c := &customers[i]
		if c.Summary != nil && len(c.Transactions) == 0 {
			if c.Summary.Unit != unit && c.Summary.Purchases > 0 {
				return nil, fmt.Errorf("customer %s: summary in %s, run in %s", c.ID, c.Summary.Unit, unit)
			}
			sums[i] = *c.Summary
		}
	}
	parallelChunks(len(customers), opts.Workers, func(_, lo, hi int) {
		var buf ledger
		for i := lo; i < hi; i++ {
			c := &customers[i]
			if c.Summary != nil && len(c.Transactions) == 0 {
				continue
			}
			buf = buildLedgerInto(buf[:0], c.Transactions, opts.AsOf, m.sc.loc)
			sums[i] = buf.summarize(m.E, unit, m.sc.window, opts.CountFreeOrders, m.sc.loc)
			if sums[i].Purchases > 0 && sums[i].X == 0 {
				sums[i].UsualGap = m.res.MedianUsualGap
			}
		}
	})
	return m.scoreSummaries(customers, sums), nil
}

// scoreSummaries scores customers whose summaries (usual gaps filled) are
// sums, in parallel chunks.
func (m *Model) scoreSummaries(customers []CustomerInput, sums []Summary) []CustomerScore {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.caches == nil {
		m.caches = make([]*scoreCache, max(1, m.sc.opts.Workers))
	}
	out := make([]CustomerScore, len(customers))
	parallelChunks(len(customers), m.sc.opts.Workers, func(w, lo, hi int) {
		cache := m.caches[w]
		if cache == nil || len(cache.hist) > maxCachedHistories {
			cache = newScoreCache()
			m.caches[w] = cache
		}
		for i := lo; i < hi; i++ {
			c := &customers[i]
			var r *RFMScore
			if sums[i].Purchases > 0 {
				v := m.rfm.score(sums[i])
				r = &v
			}
			cs := CrossSellInput{Categories: c.Categories, Specialties: c.Specialties, Baskets: c.Baskets}
			out[i] = m.sc.score(c, sums[i], r, cs, cache)
		}
	})
	return out
}

// maxCachedHistories bounds a worker's cache of per-history results
// (about 100 bytes each), so that memory stays bounded however many
// batches a Model scores.
const maxCachedHistories = 1 << 18

// rfmScale holds the fit population's buyers' recency, frequency and
// monetary values, sorted, so that any customer's quintiles are its rank
// among them. On the population itself this is exactly ScoreRFM.
type rfmScale struct {
	r, f []int // −days since last purchase; purchases
	m    []float64
}

func newRFMScale(sums []Summary) rfmScale {
	var s rfmScale
	for _, x := range sums {
		if x.Purchases > 0 {
			s.r = append(s.r, -x.DaysSinceLast)
			s.f = append(s.f, x.Purchases)
			s.m = append(s.m, float64(x.TotalSpend))
		}
	}
	slices.Sort(s.r)
	slices.Sort(s.f)
	slices.SortFunc(s.m, cmpFloat)
	return s
}

// score gives a buyer quintiles by rank: 1 + ⌊5k/n⌋ where k counts the
// population's values strictly worse (ties share their first rank, as in
// ScoreRFM).
func (s rfmScale) score(x Summary) RFMScore {
	n := len(s.r)
	if n == 0 {
		return RFMScore{R: 1, F: 1, M: 1, Segment: SegmentFor(1, 1, 1)}
	}
	q := func(k int) int { return min(5, 1+5*k/n) }
	kr, _ := slices.BinarySearch(s.r, -x.DaysSinceLast)
	kf, _ := slices.BinarySearch(s.f, x.Purchases)
	km, _ := slices.BinarySearchFunc(s.m, float64(x.TotalSpend), cmpFloat)
	r, f, m := q(kr), q(kf), q(km)
	return RFMScore{R: r, F: f, M: m, Segment: SegmentFor(r, f, m)}
}

// fit is Fit that also returns the population's summaries (usual gaps
// filled), which Score reuses.
func fit(in TenantInput, opts Options) (*Model, []Summary, error) {
	if opts.AsOf.IsZero() {
		return nil, nil, ErrNoAsOf
	}
	opts = opts.withDefaults()
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	unit := opts.Unit
	H := opts.HorizonDays
	E := lastObservedDay(opts.AsOf, loc)
	n := len(in.Customers)
	res := Result{AsOf: opts.AsOf, Unit: unit, HorizonDays: H, Customers: n, Chosen: ModelTransaction}

	// 1. Summaries today. The spend trend's recent window is the churn
	// model's label window, which depends on how far back history goes.
	ledgers := make([]ledger, n)
	sums := make([]Summary, n)
	for i := range in.Customers {
		c := &in.Customers[i]
		if c.Summary != nil && len(c.Transactions) == 0 {
			if c.Summary.Unit != unit && c.Summary.Purchases > 0 {
				return nil, nil, fmt.Errorf("customer %s: summary in %s, run in %s", c.ID, c.Summary.Unit, unit)
			}
			sums[i] = *c.Summary
		}
	}
	offsets := make([]int, n+1)
	for i := range in.Customers {
		offsets[i+1] = offsets[i] + len(in.Customers[i].Transactions)
	}
	days := make([]dayNet, offsets[n])
	firsts := make([]int32, max(1, opts.Workers))
	for i := range firsts {
		firsts[i] = E + 1 // also for chunks that do not run
	}
	parallelChunks(n, opts.Workers, func(w, lo, hi int) {
		first := E + 1
		for i := lo; i < hi; i++ {
			c := &in.Customers[i]
			if c.Summary != nil && len(c.Transactions) == 0 {
				continue
			}
			ledgers[i] = buildLedgerInto(days[offsets[i]:offsets[i]:offsets[i+1]], c.Transactions, opts.AsOf, loc)
			for _, dn := range ledgers[i] {
				if dn.isPurchase(opts.CountFreeOrders) {
					first = min(first, dn.day)
					break
				}
			}
		}
		firsts[w] = first
	})
	firstDay := E + 1
	for _, f := range firsts {
		firstDay = min(firstDay, f)
	}
	W, _ := churnWindow(E, firstDay, H)
	if W < minChurnWindow {
		W = H // default weights: score over the full horizon
	}
	parallelChunks(n, opts.Workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if l := ledgers[i]; l != nil {
				sums[i] = l.summarize(E, unit, W, opts.CountFreeOrders, loc)
			}
		}
	})
	res.MedianUsualGap = FillUsualGaps(sums)

	// 2. The backtest runs beside today's fits: they share nothing but the
	// read-only ledgers, and on two cores this halves the wall time.
	var btWG sync.WaitGroup
	btWG.Add(1)
	go func() {
		defer btWG.Done()
		res.Transaction = backtestTxChurn(ledgers, E, firstDay, H, unit, opts.CountFreeOrders, loc)
	}()

	// 4. Contract model when the tenant qualifies, also beside the fits.
	contracts, churns := 0, 0
	var examples []ContractExample
	for _, c := range in.Customers {
		if len(c.Contracts) == 0 {
			continue
		}
		contracts += len(c.Contracts)
		ex, known := ContractExampleFor(c, opts.AsOf)
		if !known {
			continue
		}
		if ex.Churned {
			churns++
		}
		examples = append(examples, ex)
	}
	if contracts < MinContracts || churns < MinContractChurns {
		res.ContractWhy = fmt.Sprintf("%d contracts and %d churn events; the contract model needs %d and %d", contracts, churns, MinContracts, MinContractChurns)
	} else {
		btWG.Add(1)
		go func() {
			defer btWG.Done()
			cm, err := FitContractModel(examples, opts.Contract)
			if err != nil {
				res.ContractWhy = err.Error()
				return
			}
			res.Contract = cm
			res.Chosen = ModelContract
		}()
	}

	// 5. The RFM scale and cross-sell need only today's summaries and
	// categories: they too run beside the fits.
	var rfm rfmScale
	var cs *CrossSellModel
	btWG.Add(1)
	go func() {
		defer btWG.Done()
		rfm = newRFMScale(sums)
		csIn := make([]CrossSellInput, n)
		for i, c := range in.Customers {
			csIn[i] = CrossSellInput{Categories: c.Categories, Specialties: c.Specialties, Baskets: c.Baskets}
		}
		cs = BuildCrossSell(csIn, opts.CrossSell)
	}()

	// 3. Purchase and spend models on today's data.
	bg, mbg, gg, err, ggErr := fitPurchaseModels(sums, unit, true)
	fitsOK := err == nil
	if err := errors.Join(err, ggErr); err != nil {
		res.FitError = err.Error()
	}
	res.BG, res.MBG, res.GG = bg, mbg, gg
	for _, s := range sums {
		if s.Purchases > 0 {
			res.Buyers++
		}
	}
	btWG.Wait()

	m := &Model{res: res, E: E, rfm: rfm}
	m.sc = scorer{opts: opts, loc: loc, unit: unit, fitsOK: fitsOK, ggOK: ggErr == nil, bg: bg, mbg: mbg, gg: gg,
		tx: &m.res.Transaction, contract: m.res.Contract, window: W, cs: cs}
	return m, sums, nil
}

// parallelChunks runs f(w, lo, hi) over [0, n) split into at most workers
// contiguous chunks, w numbering the chunk (one chunk when n is small: goroutines cost more than they save below
// a few thousand customers), and waits.
func parallelChunks(n, workers int, f func(w, lo, hi int)) {
	workers = max(1, min(workers, n/2000+1))
	if workers == 1 {
		f(0, 0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, lo, hi)
		}()
	}
	wg.Wait()
}

// fitPurchaseModels fits BG/NBD and MBG/NBD on buyers and, when withGG,
// Gamma-Gamma on repeat buyers (the backtest needs no spend model). err
// concerns the purchase models; ggErr only the spend model, whose absence
// (say, nobody bought twice yet) scoring survives with each customer's own
// average purchase.
func fitPurchaseModels(sums []Summary, unit TimeUnit, withGG bool) (bg, mbg BGFit, gg GGFit, err, ggErr error) {
	hist := make([]History, 0, len(sums))
	obs := make([]SpendObs, 0, len(sums))
	for _, s := range sums {
		if s.Purchases == 0 {
			continue
		}
		hist = append(hist, s.History())
		obs = append(obs, SpendObs{X: s.X, Mean: s.MeanRepeatSpend})
	}
	if len(hist) < minFitBuyers {
		err = fmt.Errorf("%w: %d buyers, the purchase models need %d", ErrTooFewCustomers, len(hist), minFitBuyers)
		return bg, mbg, gg, err, nil
	}
	var wg sync.WaitGroup
	var e1, e2 error
	// The fits are independent; on two cores this halves the wait.
	wg.Add(1)
	groups := groupHistories(hist)
	go func() { defer wg.Done(); mbg, e2 = fitBGGroups(MBGNBD, groups, unit, false, scoringGradTol) }()
	if withGG {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gg, ggErr = FitGammaGamma(obs)
			if ggErr != nil {
				ggErr = fmt.Errorf("spend model: %w", ggErr)
			}
		}()
	}
	bg, e1 = fitBGGroups(BGNBD, groups, unit, false, scoringGradTol)
	wg.Wait()
	return bg, mbg, gg, errors.Join(e1, e2), ggErr
}

// scoringGradTol is the purchase models' convergence threshold in
// scoring (see fitBGGroups).
const scoringGradTol = 1e-7

// minFitBuyers is the fewest buyers the purchase models are fitted on;
// below it the parameters would be noise.
const minFitBuyers = 20

// churnWindow is the churn label window: the horizon when at least two
// horizons of history precede the scoring date, otherwise half the
// available history, so the backtest cut-off still has as much history
// before it as the window after it. span is the history in days.
func churnWindow(E, firstDay int32, H int) (W, span int) {
	span = max(int(E-firstDay+1), 0)
	W = H
	if span < 2*H {
		W = span / 2
	}
	return W, span
}

// minChurnWindow is the shortest label window worth learning from; below
// it the documented default weights apply.
const minChurnWindow = 14

// backtestTxChurn learns the transaction churn model: features at a past
// cut-off from data before it, label = no purchase in the window after
// (churnWindow).
func backtestTxChurn(ledgers []ledger, E, firstDay int32, H int, unit TimeUnit, countFree bool, loc *time.Location) TransactionChurnModel {
	W, span := churnWindow(E, firstDay, H)
	if W < minChurnWindow {
		m := defaultTxModel(fmt.Sprintf("only %d days of history before the scoring date", span))
		m.WindowDays = H
		return m
	}
	c := E - int32(W)
	sums := make([]Summary, 0, len(ledgers))
	idx := make([]int, 0, len(ledgers))
	for i, l := range ledgers {
		if len(l) == 0 {
			continue
		}
		s := l.summarize(c, unit, W, countFree, loc)
		if s.Purchases == 0 {
			continue
		}
		sums = append(sums, s)
		idx = append(idx, i)
	}
	FillUsualGaps(sums)
	lapsed := make([]bool, len(sums))
	nLapsed := 0
	for k, i := range idx {
		lapsed[k] = ledgers[i].purchasesBetween(c+1, E, countFree) == 0
		if lapsed[k] {
			nLapsed++
		}
	}
	cut := dayStart(c+1, loc)
	if len(sums) < MinChurnCustomers || nLapsed < MinChurnLapsed || nLapsed == len(sums) {
		m := defaultTxModel(fmt.Sprintf("backtest has %d customers and %d lapsed; learning needs %d and %d", len(sums), nLapsed, MinChurnCustomers, MinChurnLapsed))
		m.TrainCutoff, m.WindowDays, m.NTrain, m.NLapsed = cut, W, len(sums), nLapsed
		return m
	}
	bg, mbg, _, err, _ := fitPurchaseModels(sums, unit, false)
	if err != nil {
		m := defaultTxModel("backtest fit failed: " + err.Error())
		m.TrainCutoff, m.WindowDays = cut, W
		return m
	}
	feats := make([]ChurnFeatures, len(sums))
	wUnits := unit.FromDays(float64(W))
	for k, s := range sums {
		h := s.History()
		feats[k] = ChurnFeatures{
			PDead:             1 - mbg.PAlive(h),
			ExpectedPurchases: bg.ExpectedPurchases(h, wUnits),
			DaysSinceLast:     s.DaysSinceLast,
			UsualGapDays:      unit.ToDays(s.UsualGap),
			SpendTrend:        spendTrend(s),
			Repeat:            s.X,
			AgeDays:           int(unit.ToDays(s.T) + 0.5),
		}
	}
	m := fitTxChurn(feats, lapsed)
	m.TrainCutoff, m.WindowDays, m.NTrain, m.NLapsed = cut, W, len(sums), nLapsed
	return m
}

// spendTrend compares the recent window's daily spend with the earlier
// daily rate: recent/earlier − 1, clipped to [−1, 1]; 0 without an earlier
// period to compare with.
func spendTrend(s Summary) float64 {
	if s.EarlierDays <= 0 || s.EarlierSpend <= 0 || s.TrendDays <= 0 {
		return 0
	}
	early := float64(s.EarlierSpend) / float64(s.EarlierDays)
	recent := float64(s.RecentSpend) / float64(s.TrendDays)
	return math.Max(-1, math.Min(1, recent/early-1))
}

// ContractExampleFor builds the contract model's view of a customer as of
// asOf, and whether its label is known (a contract that ended in the last
// 30 days without a churn flag may still be renewed, so it is left out of
// training).
func ContractExampleFor(c CustomerInput, asOf time.Time) (ContractExample, bool) {
	ex := ContractExample{Numeric: map[string]float64{}, Categorical: map[string]string{}}
	for k, v := range c.Numeric {
		ex.Numeric[k] = v
	}
	for k, v := range c.Categorical {
		ex.Categorical[k] = v
	}
	if len(c.Contracts) == 0 {
		return ex, false
	}
	first, latest := c.Contracts[0], c.Contracts[0]
	for _, k := range c.Contracts[1:] {
		if k.Start.Before(first.Start) {
			first = k
		}
		if k.Start.After(latest.Start) {
			latest = k
		}
	}
	end := asOf
	if latest.End != nil && latest.End.Before(asOf) {
		end = *latest.End
	}
	ex.Numeric[featTenure] = math.Max(0, end.Sub(first.Start).Hours()/24/daysPerMonth)
	ex.Numeric[featMonthly] = float64(latest.MonthlyValue)
	ex.Numeric[featContracts] = float64(len(c.Contracts))
	ex.Categorical[featType] = latest.Type
	switch {
	case latest.Churned != nil:
		ex.Churned = *latest.Churned
	case latest.End != nil && latest.End.Before(asOf.AddDate(0, 0, -30)):
		ex.Churned = true
	case latest.End != nil && latest.End.Before(asOf):
		return ex, false
	}
	return ex, true
}

// hasRunningContract reports whether a contract has started and not ended
// by asOf.
func hasRunningContract(cs []Contract, asOf time.Time) bool {
	for _, k := range cs {
		if k.Start.Before(asOf) && (k.End == nil || k.End.After(asOf)) && (k.Churned == nil || !*k.Churned) {
			return true
		}
	}
	return false
}

// histCalc caches what depends only on a history: customers sharing (x,
// t_x, T) share these numbers.
type histCalc struct {
	pAlive, expected, discPurchases float64
}

// scorer holds a run's fitted models for per-customer scoring.
type scorer struct {
	opts     Options
	loc      *time.Location
	unit     TimeUnit
	fitsOK   bool
	ggOK     bool
	bg, mbg  BGFit
	gg       GGFit
	tx       *TransactionChurnModel
	contract *ContractModel
	window   int
	cs       *CrossSellModel
}

// scoreCache memoises per-history work within one worker.
type scoreCache struct {
	hist map[History]histCalc
	// parts of E[Y(t)] by (x, T): index 0 is the horizon, k the end of
	// month k of the CLV horizon.
	parts map[xtKey][]float64
	// worded reasons by code and shown numbers
	words map[wordingKey][2]string
}

type xtKey struct {
	x int
	T float64
}

func newScoreCache() *scoreCache {
	return &scoreCache{hist: map[History]histCalc{}, parts: map[xtKey][]float64{}, words: map[wordingKey][2]string{}}
}

func (sc *scorer) score(c *CustomerInput, s Summary, rfm *RFMScore, cs CrossSellInput, cache *scoreCache) CustomerScore {
	o := sc.opts
	out := CustomerScore{ID: c.ID, Model: ModelNone, DaysSinceLast: -1}
	out.UsualGapDays = sc.unit.ToDays(s.UsualGap)
	h := s.History()
	var hc histCalc
	bought := s.Purchases > 0
	if bought {
		out.DaysSinceLast = s.DaysSinceLast
		if rfm != nil {
			out.R, out.F, out.M, out.Segment = rfm.R, rfm.F, rfm.M, rfm.Segment
		}
	}
	if bought && sc.fitsOK {
		var ok bool
		if hc, ok = cache.hist[h]; !ok {
			k := xtKey{h.X, h.T}
			parts, ok := cache.parts[k]
			months := o.CLV.withDefaults().Months
			if !ok {
				// (first, ph) pairs: horizon, then months 1…M
				parts = make([]float64, 2*(months+1))
				parts[0], parts[1] = sc.bg.expectedParts(h.X, h.T, sc.unit.FromDays(float64(o.HorizonDays)))
				for m := 1; m <= months; m++ {
					parts[2*m], parts[2*m+1] = sc.bg.expectedParts(h.X, h.T, sc.unit.FromDays(float64(m)*daysPerMonth))
				}
				cache.parts[k] = parts
			}
			pa := sc.bg.PAlive(h)
			hc.pAlive = sc.mbg.PAlive(h)
			hc.expected = parts[0] * (1 - parts[1]) * pa
			// CLV = spend × Σ discounted monthly purchases; the sum depends
			// on the history only.
			hc.discPurchases = discountedPurchases(func(m float64) float64 {
				i := int(m)
				return parts[2*i] * (1 - parts[2*i+1]) * pa
			}, o.CLV)
			cache.hist[h] = hc
		}
		out.PAlive = hc.pAlive
		out.ExpectedPurchases = hc.expected
		// Without a spend model (no repeat buyers yet) or with a
		// population mean that does not exist (q ≤ 1), fall back to the
		// customer's own average purchase.
		spend := float64(s.TotalSpend) / float64(s.Purchases)
		if sc.ggOK {
			if v := sc.gg.ConditionalSpend(s.X, s.MeanRepeatSpend); !math.IsInf(v, 0) && !math.IsNaN(v) {
				spend = v
			}
		}
		out.ExpectedSpend = roundMoney(spend)
		out.CLV = roundMoney(spend * hc.discPurchases)
		if hc.pAlive >= 0.1 {
			gapDays := sc.unit.ToDays(sc.bg.ForecastGap(h))
			at := s.LastPurchase.Add(time.Duration(gapDays * float64(24*time.Hour)))
			out.ForecastAt = &at
		}
	}
	// Churn risk: the contract model for contract customers when chosen,
	// the transaction model for buyers.
	switch {
	case sc.contract != nil && len(c.Contracts) > 0:
		ex, _ := ContractExampleFor(*c, o.AsOf)
		p, contribs := sc.contract.Predict(ex)
		out.Risk, out.Model = p, ModelContract
		var rs []Reason
		for _, cb := range contribs {
			rs = append(rs, wordContractReason(cb, o.MoneyScale))
		}
		out.Reasons = topReasons(rs, o.MaxReasons, func(*Reason) {})
		latest := c.Contracts[0]
		for _, k := range c.Contracts[1:] {
			if k.Start.After(latest.Start) {
				latest = k
			}
		}
		out.CLV = ContractCLV(latest.MonthlyValue, p, o.HorizonDays, o.CLV)
	case bought:
		f := ChurnFeatures{
			PDead:           0.5,
			DaysSinceLast:   s.DaysSinceLast,
			UsualGapDays:    out.UsualGapDays,
			SpendTrend:      spendTrend(s),
			OverdueInvoices: c.OverdueInvoices,
			OpenTickets:     c.OpenTickets,
			Satisfaction:    c.Satisfaction,
			Repeat:          s.X,
			AgeDays:         int(sc.unit.ToDays(s.T) + 0.5),
		}
		if sc.fitsOK {
			f.PDead = 1 - hc.pAlive
			f.ExpectedPurchases = hc.expected
			if sc.window != o.HorizonDays {
				f.ExpectedPurchases = sc.bg.ExpectedPurchases(h, sc.unit.FromDays(float64(sc.window)))
			}
		}
		out.Risk, out.Reasons = sc.tx.score(f, sc.window, o.MaxReasons, cache.words)
		out.Model = ModelTransaction
	}
	if out.Model != ModelNone {
		out.Level = o.Thresholds.Level(out.Risk)
	}
	out.ForecastVerdict = ForecastVerdict{HorizonDays: o.HorizonDays, Purchases: out.ExpectedPurchases,
		Spend: roundMoney(out.ExpectedPurchases * float64(out.ExpectedSpend)), Level: out.Level}
	hin := HealthInput{
		PaymentPunctuality: c.PaymentPunctuality, OverdueInvoices: c.OverdueInvoices,
		OpenTickets: c.OpenTickets, Satisfaction: c.Satisfaction,
		HasPurchase: bought, DaysSinceLast: s.DaysSinceLast, UsualGapDays: out.UsualGapDays,
		ActiveContract: hasRunningContract(c.Contracts, o.AsOf),
	}
	out.HealthNoRisk, _ = Health(hin)
	if out.Model != ModelNone {
		r := out.Risk
		hin.Risk = &r
	}
	out.Health, out.HealthComponents = Health(hin)
	out.CrossSell = sc.cs.Suggest(cs, o.CrossSellTop)
	return out
}
