package jobs_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// Published BG/NBD parameters for the CDNOW 1/10 sample, weekly units,
// calibration through 1997-09-30 (DESIGN §7; Fader, Hardie & Lee 2005).
var publishedBG = map[string]float64{"r": 0.2425945, "alpha": 4.413603, "a": 0.792922, "b": 2.425907}

func TestScoringCDNOWAsOfMatchesPublishedFit(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "cdnow")
	ids := loadCDNOW(t, env.DB, tn, nil)
	if len(ids) != 2357 {
		t.Fatalf("loaded %d customers, want 2357", len(ids))
	}
	// A customer whose only record is a credit note has no purchase day
	// to score: the run leaves them out and says so.
	refundOnly := core.NewID()
	if _, err := env.DB.Exec(`insert into `+tn.Schema+`.customers (id, name) values ($1, 'refund only')`, refundOnly); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`insert into `+tn.Schema+`.invoices (id, customer_id, number, kind, issued_on, currency, total, status)
		values ($1, $2, 'CN-1', 'credit_note', '1997-03-01', 'USD', -1500, 'paid')`, core.NewID(), refundOnly); err != nil {
		t.Fatal(err)
	}
	// A user's override of customer 2's forecast, which scoring must keep.
	if _, err := env.DB.Exec(`update `+tn.Schema+`.customers set forecast_override_at = '1997-12-24T00:00:00Z',
		forecast_override_by = $2, forecast_override_set = now() where id = $1`, ids[2], ids[1]); err != nil {
		t.Fatal(err)
	}
	startWorker(t, env, nil)
	c := newClient(t, env)
	ctx := tenanttest.Ctx(tn)
	asOf, _ := store.ParseRunDate("1997-09-30")
	run, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerCLI, AsOf: &asOf})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run, err = c.WaitRun(wctx, run.ID, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunDone {
		t.Fatalf("run %s: %s (%s)", run.ID, run.Status, run.Error)
	}
	if run.CustomersScored != 2357 {
		t.Errorf("customers scored = %d, want 2357", run.CustomersScored)
	}
	if n := count(t, env.DB, tn, `select count(*) from scores where run_id = $1`, run.ID); n != 2357 {
		t.Errorf("scores of the run = %d, want one for each of the 2357 customers", n)
	}
	if run.EffectiveAt == nil || !run.EffectiveAt.Equal(time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("effective at = %v, want the end of 1997-09-30 (UTC tenant)", run.EffectiveAt)
	}
	if n := count(t, env.DB, tn, `select count(*) from scores where customer_id = $1`, refundOnly); n != 0 {
		t.Errorf("the refund-only customer got %d score rows, want none", n)
	}
	var model struct {
		NoHistory int `json:"no_history"`
		BG        struct {
			Weeks  map[string]float64 `json:"weeks"`
			LogLik float64            `json:"log_lik"`
		} `json:"bg_nbd"`
	}
	if err := json.Unmarshal(run.Model, &model); err != nil {
		t.Fatalf("model %s: %v", run.Model, err)
	}
	if model.NoHistory != 1 {
		t.Errorf("run records %d customers without history, want 1 (the refund-only one)", model.NoHistory)
	}
	for k, want := range publishedBG {
		got := model.BG.Weeks[k]
		if rel := math.Abs(got-want) / want; rel > 1e-3 {
			t.Errorf("BG/NBD %s = %.7g, want %.7g within 0.1%% (rel err %.2g)", k, got, want, rel)
		}
	}
	if math.Abs(model.BG.LogLik-(-9582.429)) > 0.05 {
		t.Errorf("BG/NBD log-likelihood = %.4f, want -9582.429", model.BG.LogLik)
	}
	// Levels add up; the totals are recorded.
	l := run.Levels
	if l.Low.Customers+l.Medium.Customers+l.High.Customers != 2357 {
		t.Errorf("level counts %+v do not add up to 2357", l)
	}
	if run.CLVTotal != l.Low.CLV+l.Medium.CLV+l.High.CLV || run.CLVTotal <= 0 {
		t.Errorf("CLV total %d vs levels %+v", run.CLVTotal, l)
	}
	// Customer 1 of the sample: x=2 repeat purchases, so the model has
	// something to say; its score carries reasons and a forecast verdict.
	var reasons, verdict []byte
	if err := env.DB.QueryRow(`select reasons, forecast_verdict from `+tn.Schema+`.scores where customer_id = $1`, ids[1]).Scan(&reasons, &verdict); err != nil {
		t.Fatal(err)
	}
	var rs []map[string]any
	if err := json.Unmarshal(reasons, &rs); err != nil || len(rs) == 0 || rs[0]["text_en"] == "" {
		t.Errorf("customer 1 reasons = %s", reasons)
	}
	// The system forecast is then copied onto every customer; a user's
	// override stays as it was.
	waitForecastSync(t, c, ctx, run.ID)
	if n := count(t, env.DB, tn, `select count(*) from customers c join scores s on s.customer_id = c.id
		where (c.sales_forecast_at at time zone 'UTC')::date is distinct from (s.forecast_at at time zone 'UTC')::date
			or c.sales_forecast->>'risk_level' is distinct from s.forecast_verdict->>'risk_level'`); n != 0 {
		t.Errorf("%d customers carry another forecast than their score", n)
	}
	var override time.Time
	if err := env.DB.Get(&override, `select forecast_override_at from `+tn.Schema+`.customers where id = $1`, ids[2]); err != nil ||
		!override.Equal(time.Date(1997, 12, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("customer 2's override = %v, %v; want it untouched", override, err)
	}
	t.Logf("run: %d ms total timings %s; levels %+v", run.FinishedAt.Sub(*run.StartedAt).Milliseconds(), run.Timings, l)
}

func TestFiveRequestsMakeOneRunAndAFailedRunDoesNotBlock(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "clicks")
	loadCDNOW(t, env.DB, tn, nil)
	fail := make(chan bool, 10)
	w := startWorker(t, env, nil)
	jobs.SetScoreHook(w, func(ctx context.Context, run store.ScoringRun) error {
		select {
		case <-fail:
			return core.Invalid(map[string]string{"invoices": "cannot be scored"})
		default:
			return nil
		}
	})
	c := newClient(t, env)
	ctx := tenanttest.Ctx(tn)
	var runs []store.ScoringRun
	for range 5 {
		r, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI, Delay: jobs.APIDebounce})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		time.Sleep(150 * time.Millisecond)
	}
	for _, r := range runs[1:] {
		if r.ID != runs[0].ID {
			t.Fatalf("requests made runs %s and %s, want one", runs[0].ID, r.ID)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done, err := c.WaitRun(wctx, runs[0].ID, 100*time.Millisecond)
	if err != nil || done.Status != store.RunDone {
		t.Fatalf("run = %+v, %v", done, err)
	}
	if n := count(t, env.DB, tn, `select count(*) from scoring_runs`); n != 1 {
		t.Errorf("runs = %d, want 1", n)
	}

	// A run that fails ends failed at once, and the next request starts a
	// new run straight away.
	fail <- true
	bad, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	bad, err = c.WaitRun(wctx, bad.ID, 100*time.Millisecond)
	if err != nil || bad.Status != store.RunFailed || bad.Error == "" {
		t.Fatalf("failing run = %+v, %v; want failed with an error", bad, err)
	}
	next, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI})
	if err != nil || next.ID == bad.ID {
		t.Fatalf("request after the failure = %+v, %v; want a new run", next, err)
	}
	next, err = c.WaitRun(wctx, next.ID, 100*time.Millisecond)
	if err != nil || next.Status != store.RunDone {
		t.Fatalf("run after the failure = %+v, %v", next, err)
	}
}

// waitForecastSync waits until the run has copied its forecasts onto the
// customers (its timings gain forecast_sync).
func waitForecastSync(t testing.TB, c *jobs.Client, ctx context.Context, id uuid.UUID) store.ScoringRun {
	t.Helper()
	var r store.ScoringRun
	waitFor(t, time.Minute, "the forecast copy", func() bool {
		var err error
		r, err = c.ScoringRun(ctx, id)
		return err == nil && strings.Contains(string(r.Timings), "forecast_sync")
	})
	return r
}

// A tenant larger than the fit sample is fitted on a random sample and
// then scored in full, batch by batch: every customer gets one score, the
// run says how it was fitted, and the first run's baseline still holds at
// most 20 alerts per owner.
func TestScoringFitsLargeTenantOnASample(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "sampled")
	n := generate(t, env.DB, tn, 3000)
	startWorker(t, env, func(cfg *jobs.WorkerConfig) { cfg.Scoring.FitSample, cfg.Scoring.BatchSize = 1000, 700 })
	c := newClient(t, env)
	ctx := tenanttest.Ctx(tn)
	run, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerCLI})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run, err = c.WaitRun(wctx, run.ID, 100*time.Millisecond)
	if err != nil || run.Status != store.RunDone {
		t.Fatalf("run = %s (%s), %v", run.Status, run.Error, err)
	}
	if run.CustomersScored != n {
		t.Errorf("customers scored = %d, want %d", run.CustomersScored, n)
	}
	if got := count(t, env.DB, tn, `select count(*) from scores where run_id = $1`, run.ID); got != n {
		t.Errorf("scores of the run = %d, want one for each of the %d customers", got, n)
	}
	l := run.Levels
	if l.Low.Customers+l.Medium.Customers+l.High.Customers != n {
		t.Errorf("level counts %+v do not add up to %d", l, n)
	}
	var model struct {
		Customers int `json:"customers"`
		Sample    *struct {
			Customers int     `json:"customers"`
			Of        int     `json:"of"`
			Fraction  float64 `json:"fraction"`
		} `json:"fit_sample"`
	}
	if err := json.Unmarshal(run.Model, &model); err != nil {
		t.Fatal(err)
	}
	if model.Customers != n || model.Sample == nil || model.Sample.Of != n {
		t.Fatalf("model records %d customers and sample %+v; want %d customers, fitted on a sample of them", model.Customers, model.Sample, n)
	}
	// 1000 of 3000 expected; a binomial draw stays well within ±200.
	if s := model.Sample.Customers; s < 800 || s > 1200 {
		t.Errorf("fit sample has %d customers, want about 1000", s)
	}
	if run.AlertsCreated > 20 {
		t.Errorf("first run created %d alerts for one (absent) owner, want at most 20", run.AlertsCreated)
	}
}
