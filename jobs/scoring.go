package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/retention"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// ScoringConfig tunes scoring runs.
type ScoringConfig struct {
	// BatchSize bounds how many customers are read from Postgres at once
	// (default 10,000).
	BatchSize int
	// Unit is the purchase models' time unit (default weeks, the unit of
	// the published CDNOW figures; the models are scale-free).
	Unit retention.TimeUnit
	// MaxAttempts bounds how often one run is started (crashes and
	// transient errors included) before it is failed (default 5).
	MaxAttempts int
	// FitSample bounds how many customers the models are fitted on
	// (default 200,000): a tenant with more is fitted on a random sample
	// of about that many and then scored in full, batch by batch; a
	// negative value fits every tenant in full.
	FitSample int
}

func (c *ScoringConfig) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 10000
	}
	if c.Unit <= 0 {
		c.Unit = retention.Weeks
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.FitSample == 0 {
		c.FitSample = 200000
	}
}

// handleScoringRun performs one scoring run. It holds the tenant's scoring
// lock (a Postgres session lock, released by Postgres if this process
// dies) for the whole run, so one tenant's runs never overlap; a second
// delivery of the same task while the first runs is told it is busy and
// retried; a delivery after the run ended does nothing. A transient error
// releases the run for asynq's retry; an invalid run, or one that has used
// its attempts, is failed so that the next request starts afresh.
func (w *Worker) handleScoringRun(ctx context.Context, t *asynq.Task) error {
	var p store.RunPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.RunID == uuid.Nil {
		return fmt.Errorf("scoring:run payload without a run id: %w", asynq.SkipRetry)
	}
	tn, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	lock, ok, err := tryLock(ctx, w.cfg.DB, store.ScoringLockKey(tn.ID))
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	defer lock.release()
	run, claimed, err := w.store.ClaimRun(ctx, p.RunID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return fmt.Errorf("scoring run %s: %w", p.RunID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if !claimed {
		return nil // already done or failed: a duplicate delivery
	}
	if run.Attempts > w.cfg.Scoring.MaxAttempts {
		err := fmt.Errorf("gave up after %d attempts (last error: %s)", run.Attempts-1, run.Error)
		if ferr := w.store.FailRun(ctx, run.ID, err); ferr != nil {
			return ferr
		}
		return fmt.Errorf("scoring run %s: %w: %w", run.ID, err, asynq.SkipRetry)
	}
	err = w.score(ctx, tn, run)
	if err == nil {
		return nil
	}
	// Shutting down: leave the run running; asynq requeues the task.
	if ctx.Err() != nil {
		_ = w.store.ReleaseRun(context.WithoutCancel(ctx), run.ID, err)
		return err
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	code := core.ErrorCode(err)
	if code == core.CodeInvalid || code == core.CodeNotFound || retried >= maxRetry || run.Attempts >= w.cfg.Scoring.MaxAttempts {
		if ferr := w.store.FailRun(ctx, run.ID, err); ferr != nil {
			return ferr
		}
		return fmt.Errorf("scoring run %s failed: %w: %w", run.ID, err, asynq.SkipRetry)
	}
	if rerr := w.store.ReleaseRun(ctx, run.ID, err); rerr != nil {
		w.cfg.Log.Error("release scoring run", "run_id", run.ID, "err", rerr)
	}
	return err
}

// score fits the tenant's models and writes the scores, alerts and run
// record in one transaction (CompleteRun). A tenant of at most
// FitSample customers is read once, fitted in full and scored from
// memory; a larger one is fitted on a random sample of FitSample
// customers (the models' parameters describe the population, so a large
// random sample pins them down) and then read again in batches, which
// are scored and written as they come, so memory is bounded by the sample
// and a few batches, not by the tenant. Reading, scoring and writing
// overlap (one goroutine each).
func (w *Worker) score(ctx context.Context, tn core.Tenant, run store.ScoringRun) error {
	loc, err := time.LoadLocation(tn.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	eff := *run.EffectiveAt
	lastLocal := eff.Add(-time.Nanosecond).In(loc)
	lastDay := time.Date(lastLocal.Year(), lastLocal.Month(), lastLocal.Day(), 0, 0, 0, 0, time.UTC)
	settings := w.scoringSettings(ctx)
	cfg := w.cfg.Scoring

	timings := map[string]int64{}
	start := time.Now()
	var fitIn []retention.CustomerInput
	var kept [][]store.ScoringInput
	sample, err := w.store.LoadScoringSample(ctx, eff, lastDay, cfg.FitSample, sampleSeed(run.ID), cfg.BatchSize, func(batch []store.ScoringInput) error {
		for i := range batch {
			fitIn = append(fitIn, modelInput(&batch[i], loc))
		}
		kept = append(kept, batch)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load customers: %w", err)
	}
	timings["load_fit_population"] = time.Since(start).Milliseconds()

	start = time.Now()
	model, err := retention.Fit(retention.TenantInput{Location: loc, Customers: fitIn},
		retention.Options{AsOf: eff, Unit: cfg.Unit, CountFreeOrders: true, Thresholds: settings.thresholds})
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	timings["fit"] = time.Since(start).Milliseconds()
	// What the scoring pass reads: the customers already in memory, or the
	// whole tenant again, batch by batch.
	source := func(ctx context.Context, fn func([]store.ScoringInput, []retention.CustomerInput) error) error {
		off := 0
		for _, b := range kept {
			if err := fn(b, fitIn[off:off+len(b)]); err != nil {
				return err
			}
			off += len(b)
		}
		return nil
	}
	if sample.Sampled {
		fitIn, kept = nil, nil // the sample has done its work
		source = func(ctx context.Context, fn func([]store.ScoringInput, []retention.CustomerInput) error) error {
			return w.store.LoadScoringInputs(ctx, eff, lastDay, cfg.BatchSize, func(b []store.ScoringInput) error {
				in := make([]retention.CustomerInput, len(b))
				for i := range b {
					in[i] = modelInput(&b[i], loc)
				}
				return fn(b, in)
			})
		}
	}

	if w.scoreHook != nil {
		if err := w.scoreHook(ctx, run); err != nil {
			return err
		}
	}
	firstRun, err := w.store.FirstScoringRun(ctx, run.ID)
	if err != nil {
		return err
	}
	acc := newRunAcc(eff, firstRun, settings, tn.Locale)
	unit := model.Result().Unit
	start = time.Now()
	_, err = w.store.CompleteRun(ctx, run.ID, func(write store.ScoreWriter) error {
		return pipeline(ctx, source, func(raw []store.ScoringInput, in []retention.CustomerInput) ([]store.ScoreRow, error) {
			scores, err := model.Score(in)
			if err != nil {
				return nil, err
			}
			rows := make([]store.ScoreRow, 0, len(scores))
			for i := range scores {
				s := &scores[i]
				acc.add(s, &raw[i])
				// A customer with no purchase day and no contract (e.g.
				// only credit notes) has no history to estimate a risk
				// from: no score row rather than an invented one; the run
				// counts them as no_history.
				if s.Model == retention.ModelNone {
					continue
				}
				rows = append(rows, scoreRow(s, raw[i].ID, unit, tn.Currency))
			}
			return rows, nil
		}, write)
	}, acc.result, func() store.RunResult {
		timings["score_and_write"] = time.Since(start).Milliseconds()
		return store.RunResult{Model: modelJSON(model.Result(), acc, sample), BacktestAUC: backtestAUC(model.Result()),
			Levels: acc.levels, Timings: timings, VIPCLVThreshold: topDecile(acc.clvs)}
	})
	if err != nil {
		return err
	}
	// The run is done and its scores are visible; now the copy of the
	// system forecast on each customer. A failure here does not undo the
	// run: the next run completes the copy.
	start = time.Now()
	n, err := w.store.SyncForecasts(ctx, run.ID, cfg.BatchSize)
	if err != nil {
		w.cfg.Log.Error("copy forecasts onto customers; the next run completes it", "run_id", run.ID, "err", err)
		return nil
	}
	if err := w.store.AddRunTiming(ctx, run.ID, "forecast_sync", time.Since(start).Milliseconds()); err != nil {
		w.cfg.Log.Warn("record forecast sync timing", "run_id", run.ID, "err", err)
	}
	w.cfg.Log.Info("forecasts copied onto customers", "run_id", run.ID, "customers", n, "ms", time.Since(start).Milliseconds())
	return nil
}

// sampleSeed derives the fit sample's seed from the run, so a retried run
// fits on the same customers.
func sampleSeed(id uuid.UUID) int64 {
	h := fnv.New64a()
	h.Write(id[:])
	return int64(h.Sum64() >> 1)
}

// pipeline reads batches from source, turns each into score rows with
// score, and hands the rows to write, the three stages overlapping: while
// one batch is written the next is scored and the one after is read.
// Memory holds at most a few batches. The first error stops all stages.
func pipeline(ctx context.Context, source func(context.Context, func([]store.ScoringInput, []retention.CustomerInput) error) error,
	score func([]store.ScoringInput, []retention.CustomerInput) ([]store.ScoreRow, error), write store.ScoreWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		raw []store.ScoringInput
		in  []retention.CustomerInput
	}
	loaded := make(chan batch, 1)
	scored := make(chan []store.ScoreRow, 1)
	errs := make(chan error, 2)
	go func() {
		defer close(loaded)
		errs <- source(ctx, func(raw []store.ScoringInput, in []retention.CustomerInput) error {
			select {
			case loaded <- batch{raw, in}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	go func() {
		defer close(scored)
		errs <- func() error {
			for b := range loaded {
				rows, err := score(b.raw, b.in)
				if err != nil {
					return err
				}
				select {
				case scored <- rows:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}()
	}()
	var werr error
	for rows := range scored {
		if werr != nil {
			continue // drain, so the stages above can finish
		}
		for i := range rows {
			if werr = write(rows[i]); werr != nil {
				cancel()
				break
			}
		}
	}
	e1, e2 := <-errs, <-errs
	if werr != nil {
		return werr
	}
	// The stage that failed first cancelled nothing itself: report its
	// error rather than the other's context error.
	for _, e := range []error{e1, e2} {
		if e != nil && !errors.Is(e, context.Canceled) {
			return e
		}
	}
	return errors.Join(e1, e2)
}

// runAcc gathers, batch by batch, what the run records beside the scores:
// per-level counts and totals, the CLVs for the VIP decile, counts, and
// the alerts (on a first run, the baseline of the most valuable high-risk
// customers per owner, kept as they stream by).
type runAcc struct {
	eff      time.Time
	firstRun bool
	set      scoringSettings
	locale   string

	customers, buyers, noHistory int
	levels                       store.RunLevels
	clvs                         []int64
	alerts                       []store.Alert
	baseline                     *retention.BaselinePicker[store.Alert]
}

func newRunAcc(eff time.Time, firstRun bool, set scoringSettings, locale string) *runAcc {
	a := &runAcc{eff: eff, firstRun: firstRun, set: set, locale: locale}
	if firstRun {
		a.baseline = retention.NewBaselinePicker[store.Alert](retention.BaselineFirstRun)
	}
	return a
}

// add accounts for one customer's score, in load order.
func (a *runAcc) add(s *retention.CustomerScore, c *store.ScoringInput) {
	a.customers++
	if s.DaysSinceLast >= 0 {
		a.buyers++
	}
	if s.Model == retention.ModelNone {
		a.noHistory++
	} else {
		l := &a.levels.Low
		switch s.Level {
		case retention.RiskMedium:
			l = &a.levels.Medium
		case retention.RiskHigh:
			l = &a.levels.High
		}
		l.Customers++
		l.CLV += s.CLV
		l.RevenueAtRisk += int64(math.Round(s.Risk * float64(s.CLV)))
		a.clvs = append(a.clvs, s.CLV)
	}
	// The alert decision of DESIGN §7: on a tenant's first run, the
	// baseline; afterwards, events between the previous run and this one.
	// Customers with an open rescue task, legacy and inactive customers
	// never get one (the decision functions check, and Postgres enforces
	// one open rescue task per customer).
	if a.firstRun {
		owner := ""
		if c.OwnerID != nil {
			owner = c.OwnerID.String()
		}
		a.baseline.Offer(retention.BaselineCandidate{Owner: owner, Status: retention.Status(c.Status), AlertOpen: c.OpenRescue, Level: s.Level, CLV: s.CLV},
			func() store.Alert { return a.alert(s, c, "baseline") })
		return
	}
	cur := retention.AlertSnapshot{RunAt: a.eff, Level: s.Level, PAlive: s.PAlive, ForecastAt: s.ForecastAt, UsualGapDays: s.UsualGapDays}
	if c.ForecastOverrideAt != nil {
		cur.ForecastAt = c.ForecastOverrideAt // the user's forecast wins
	}
	var prev *retention.AlertSnapshot
	if p := c.Prev; p != nil {
		prev = &retention.AlertSnapshot{RunAt: p.RunAt, Level: retention.RiskLevel(p.Level), PAlive: p.PAlive,
			ForecastAt: p.ForecastAt, UsualGapDays: p.UsualGapDays}
	}
	why := retention.DecideAlert(retention.AlertInput{Status: retention.Status(c.Status), AlertOpen: c.OpenRescue, Previous: prev, Current: cur})
	if why != retention.AlertNone {
		a.alerts = append(a.alerts, a.alert(s, c, string(why)))
	}
}

// alert words one rescue alert.
func (a *runAcc) alert(s *retention.CustomerScore, c *store.ScoringInput, kind string) store.Alert {
	assignee := c.OwnerID
	if assignee == nil {
		assignee = a.set.defaultAssignee
	}
	offer := offerFor(s, c.Specialties)
	ob, _ := json.Marshal(offer)
	title, body := alertText(a.locale, c.Name, kind, s, offer)
	return store.Alert{CustomerID: c.ID, Kind: kind, Risk: s.Risk, RiskLevel: string(s.Level),
		Reasons: reasonsJSON(s.Reasons), Offer: ob, AssigneeID: assignee, Title: title, Body: body,
		DueAt: a.eff.Add(48 * time.Hour)}
}

// result is the run's alerts, once every customer has been seen.
func (a *runAcc) result() []store.Alert {
	if a.firstRun {
		return a.baseline.Picked()
	}
	return a.alerts
}

// modelInput turns a loaded customer into the retention pipeline's input.
func modelInput(c *store.ScoringInput, loc *time.Location) retention.CustomerInput {
	in := retention.CustomerInput{
		ID:              retention.CustomerID(c.ID.String()),
		Status:          retention.Status(c.Status),
		OverdueInvoices: c.OverdueInvoices,
		OpenTickets:     c.OpenTickets,
		Specialties:     c.Specialties,
		Categories:      c.Categories,
	}
	if c.OwnerID != nil {
		in.Owner = c.OwnerID.String()
	}
	in.Transactions = make([]retention.Transaction, len(c.Days))
	for i, d := range c.Days {
		in.Transactions[i] = retention.Transaction{At: time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, loc), Amount: d.Amount}
	}
	if c.Satisfaction > 0 {
		s := float64(c.Satisfaction)
		in.Satisfaction = &s
	}
	if c.DueInvoices > 0 {
		p := float64(c.OnTimeInvoices) / float64(c.DueInvoices)
		in.PaymentPunctuality = &p
	}
	for _, k := range c.Contracts {
		in.Contracts = append(in.Contracts, retention.Contract{Start: k.Start, End: k.End, MonthlyValue: k.MonthlyValue, Type: k.Type, Churned: k.Churned})
	}
	return in
}

// reasonJSON is how a reason is stored and shown.
type reasonJSON struct {
	Code   string  `json:"code"`
	Weight float64 `json:"weight"`
	TextEN string  `json:"text_en"`
	TextFA string  `json:"text_fa"`
}

func reasonsJSON(rs []retention.Reason) json.RawMessage {
	out := make([]reasonJSON, len(rs))
	for i, r := range rs {
		out[i] = reasonJSON{Code: r.Code, Weight: round(r.Weight, 4), TextEN: r.TextEN, TextFA: r.TextFA}
	}
	b, _ := json.Marshal(out)
	return b
}

// scoreRow turns a pipeline score into the row written to scores.
func scoreRow(s *retention.CustomerScore, id uuid.UUID, unit retention.TimeUnit, currency string) store.ScoreRow {
	r := store.ScoreRow{
		CustomerID: id, Model: s.Model, Risk: round(s.Risk, 6), RiskLevel: string(s.Level), Reasons: reasonsJSON(s.Reasons),
		ForecastAt: s.ForecastAt, CLV: s.CLV, R: s.R, F: s.F, M: s.M, Segment: string(s.Segment),
	}
	if s.DaysSinceLast >= 0 {
		pa, ep, es := round(s.PAlive, 6), round(s.ExpectedPurchases, 6), s.ExpectedSpend
		r.PAlive, r.ExpectedPurchases, r.ExpectedSpend = &pa, &ep, &es
	}
	v := s.ForecastVerdict
	r.ForecastVerdict, _ = json.Marshal(verdictJSON{
		HorizonDays: v.HorizonDays, Purchases: round(v.Purchases, 4),
		Spend: core.Money{Amount: v.Spend, Currency: currency}, RiskLevel: string(v.Level),
		UsualGapDays: round(s.UsualGapDays, 3), DaysSinceLast: s.DaysSinceLast,
	})
	h := s.Health
	r.Health = &h
	hc := s.HealthComponents
	r.HealthComponents, _ = json.Marshal(healthJSON{
		Payment: round(hc.Payment, 4), Support: round(hc.Support, 4), Engagement: round(hc.Engagement, 4), Retention: round(hc.Retention, 4),
		Weights:      healthWeights{Payment: hc.WPayment, Support: hc.WSupport, Engagement: hc.WEngagement, Retention: hc.WRetention},
		HealthNoRisk: s.HealthNoRisk,
	})
	cs := make([]crossSellJSON, len(s.CrossSell))
	for i, x := range s.CrossSell {
		cs[i] = crossSellJSON{Category: x.Category, Score: round(x.Score, 4), Lift: round(x.Lift, 4), Source: x.Source, Because: x.Because}
	}
	r.CrossSell, _ = json.Marshal(cs)
	return r
}

// verdictJSON is the stored sales forecast verdict: expected purchases
// and spend over the horizon, the risk level, and the usual gap the alert
// decision compares against on the next run.
type verdictJSON struct {
	HorizonDays   int        `json:"horizon_days"`
	Purchases     float64    `json:"purchases"`
	Spend         core.Money `json:"spend"`
	RiskLevel     string     `json:"risk_level"`
	UsualGapDays  float64    `json:"usual_gap_days"`
	DaysSinceLast int        `json:"days_since_last"`
}

// healthJSON is the stored health breakdown (components 0–1, weights
// summing to 1, and the score without the risk component for roles that
// may not see scores).
type healthJSON struct {
	Payment      float64       `json:"payment"`
	Support      float64       `json:"support"`
	Engagement   float64       `json:"engagement"`
	Retention    float64       `json:"retention"`
	Weights      healthWeights `json:"weights"`
	HealthNoRisk int           `json:"health_no_risk"`
}

type healthWeights struct {
	Payment    float64 `json:"payment"`
	Support    float64 `json:"support"`
	Engagement float64 `json:"engagement"`
	Retention  float64 `json:"retention"`
}

type crossSellJSON struct {
	Category string  `json:"category"`
	Score    float64 `json:"score"`
	Lift     float64 `json:"lift"`
	Source   string  `json:"source"`
	Because  string  `json:"because"`
}

// bgJSON describes a BG/NBD-family fit in its unit and in weeks, the unit
// of the published figures.
func bgJSON(f retention.BGFit) map[string]any {
	perWeek := 7 / f.Unit.DaysPer()
	return map[string]any{
		"variant": f.Variant.String(), "unit": f.Unit.String(),
		"r": f.Params.R, "alpha": f.Params.Alpha, "a": f.Params.A, "b": f.Params.B,
		"weeks":   map[string]float64{"r": f.Params.R, "alpha": f.Params.Alpha / perWeek, "a": f.Params.A, "b": f.Params.B},
		"log_lik": f.LogLik, "customers": f.N, "distinct": f.Distinct, "iterations": f.Iterations,
		"se": map[string]float64{"r": nanToZero(f.SE.R), "alpha": nanToZero(f.SE.Alpha), "a": nanToZero(f.SE.A), "b": nanToZero(f.SE.B)},
	}
}

// modelJSON records the run's model parameters and fit quality, the
// customers scored (no_history: left unscored for want of any purchase day
// or contract) and, when the models were fitted on a sample, the sample.
func modelJSON(res retention.Result, acc *runAcc, sample store.ScoringSample) json.RawMessage {
	m := map[string]any{
		"as_of": res.AsOf, "unit": res.Unit.String(), "horizon_days": res.HorizonDays,
		"customers": acc.customers, "buyers": acc.buyers, "median_usual_gap": res.MedianUsualGap,
		"churn_model": res.Chosen, "no_history": acc.noHistory,
	}
	if sample.Sampled {
		m["fit_sample"] = map[string]any{"customers": res.Customers, "buyers": res.Buyers, "of": sample.Customers,
			"method": "seeded hash of the customer id", "fraction": sample.Fraction, "seed": sample.Seed,
			"note": "purchase, spend and churn models, RFM scale, cross-sell rules and median usual gap fitted on a random sample; every customer scored"}
	}
	if res.FitError != "" {
		m["fit_error"] = res.FitError
	} else {
		m["bg_nbd"] = bgJSON(res.BG)
		m["mbg_nbd"] = bgJSON(res.MBG)
		m["gamma_gamma"] = map[string]any{"p": res.GG.Params.P, "q": res.GG.Params.Q, "gamma": res.GG.Params.Gamma,
			"log_lik": res.GG.LogLik, "customers": res.GG.N, "zero_value": res.GG.ZeroValue}
	}
	tx := res.Transaction
	m["transaction_churn"] = map[string]any{"default_weights": tx.Default, "why": tx.Why, "train_cutoff": tx.TrainCutoff,
		"window_days": tx.WindowDays, "train": tx.NTrain, "lapsed": tx.NLapsed, "backtest_auc": nanToZero(tx.BacktestAUC)}
	if res.Contract != nil {
		m["contract_churn"] = map[string]any{"lambda": res.Contract.Lambda, "cv_auc": res.Contract.CVAUC,
			"cv_log_loss": res.Contract.CVLogLoss, "train": res.Contract.N, "churned": res.Contract.Churned}
	} else if res.ContractWhy != "" {
		m["contract_churn_skipped"] = res.ContractWhy
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return b
}

func backtestAUC(res retention.Result) *float64 {
	if res.Contract != nil {
		v := res.Contract.CVAUC
		return &v
	}
	v := res.Transaction.BacktestAUC
	if math.IsNaN(v) || res.Transaction.Default {
		return nil
	}
	return &v
}

// topDecile is the CLV at or above which a customer is in the top tenth
// by CLV (0 when nobody has a positive CLV).
func topDecile(clvs []int64) int64 {
	pos := make([]int64, 0, len(clvs))
	for _, v := range clvs {
		if v > 0 {
			pos = append(pos, v)
		}
	}
	if len(pos) == 0 {
		return 0
	}
	slices.Sort(pos)
	// The top decile of all customers, not only those with positive CLV.
	k := len(clvs) - (len(clvs)+9)/10
	k -= len(clvs) - len(pos)
	if k < 0 {
		k = 0
	}
	return pos[k]
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// scoringSettings are the tenant settings scoring reads, with defaults.
type scoringSettings struct {
	thresholds      retention.RiskThresholds
	defaultAssignee *uuid.UUID
}

// scoringSettings reads the tenant's risk thresholds and default assignee
// (tenant settings); anything missing or unreadable falls back to the
// defaults of DESIGN §7.
func (w *Worker) scoringSettings(ctx context.Context) scoringSettings {
	s := scoringSettings{thresholds: retention.DefaultRiskThresholds}
	st, err := tenant.LoadSettings(ctx, w.cfg.DB)
	if err != nil {
		w.cfg.Log.Warn("tenant settings; scoring with the defaults", "err", err)
		return s
	}
	if st.RiskMedium > 0 && st.RiskHigh > st.RiskMedium && st.RiskHigh <= 1 {
		s.thresholds = retention.RiskThresholds{Medium: st.RiskMedium, High: st.RiskHigh}
	}
	s.defaultAssignee = st.DefaultAssignee
	return s
}

// offer is the suggested offer on a rescue task: the strongest cross-sell
// suggestion, and the specialties it can be framed around.
type offer struct {
	Category    string   `json:"category,omitempty"`
	Because     string   `json:"because,omitempty"`
	Source      string   `json:"source,omitempty"`
	Specialties []string `json:"specialties,omitempty"`
}

func offerFor(s *retention.CustomerScore, specialties []string) offer {
	o := offer{Specialties: specialties}
	if len(s.CrossSell) > 0 {
		x := s.CrossSell[0]
		o.Category, o.Because, o.Source = x.Category, x.Because, x.Source
	}
	return o
}

// alertText words a rescue task in the tenant's language.
func alertText(locale, name, kind string, s *retention.CustomerScore, o offer) (title, body string) {
	var b strings.Builder
	if locale == "fa" {
		title = "نجات مشتری: " + name
		b.WriteString("دلایل:\n")
		for _, r := range s.Reasons {
			b.WriteString("• " + r.TextFA + "\n")
		}
		if o.Category != "" {
			b.WriteString("پیشنهاد: " + o.Category + "\n")
		}
		if len(o.Specialties) > 0 {
			b.WriteString("تخصص‌ها: " + strings.Join(o.Specialties, "، ") + "\n")
		}
		return title, b.String()
	}
	title = "Rescue " + name
	switch kind {
	case "forecast_passed":
		title += ": expected purchase is overdue"
	default:
		title += ": churn risk is high"
	}
	b.WriteString("Reasons:\n")
	for _, r := range s.Reasons {
		b.WriteString("• " + r.TextEN + "\n")
	}
	if o.Category != "" {
		fmt.Fprintf(&b, "Suggested offer: %s", o.Category)
		if o.Because != "" {
			fmt.Fprintf(&b, " (%s)", o.Because)
		}
		b.WriteString("\n")
	}
	if len(o.Specialties) > 0 {
		b.WriteString("Specialties: " + strings.Join(o.Specialties, ", ") + "\n")
	}
	return title, b.String()
}
