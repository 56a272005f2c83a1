package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// Scoring run statuses.
const (
	RunPending = "pending"
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Scoring run triggers.
const (
	TriggerAPI      = "api"
	TriggerCLI      = "cli"
	TriggerSchedule = "schedule"
	TriggerImport   = "import"
	TriggerDemo     = "demo"
)

// TaskScoringRun is the asynq task type that performs a scoring run. The
// store names it because the outbox row is written here, in the same
// transaction as the run; jobs registers the handler under the same name.
const TaskScoringRun = "scoring:run"

// ScoringRun is one scoring run of a tenant, as recorded in scoring_runs.
type ScoringRun struct {
	ID              uuid.UUID       `json:"id" db:"id"`
	Status          string          `json:"status" db:"status"`
	Trigger         string          `json:"trigger" db:"trigger"`
	Slot            *string         `json:"slot,omitempty" db:"slot"`
	AsOf            *RunDate        `json:"as_of,omitempty" db:"as_of"`
	EffectiveAt     *time.Time      `json:"effective_at,omitempty" db:"effective_at"`
	RequestedBy     *uuid.UUID      `json:"requested_by,omitempty" db:"requested_by"`
	RequestedAt     time.Time       `json:"requested_at" db:"requested_at"`
	StartedAt       *time.Time      `json:"started_at,omitempty" db:"started_at"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty" db:"finished_at"`
	Attempts        int             `json:"attempts" db:"attempts"`
	Error           string          `json:"error,omitempty" db:"error"`
	CustomersScored int             `json:"customers_scored" db:"customers_scored"`
	Model           json.RawMessage `json:"model" db:"model"`
	BacktestAUC     *float64        `json:"backtest_auc,omitempty" db:"backtest_auc"`
	Levels          RunLevels       `json:"levels" db:""`
	CLVTotal        int64           `json:"clv_total" db:"clv_total"`
	RevenueAtRisk   int64           `json:"revenue_at_risk" db:"revenue_at_risk"`
	Currency        string          `json:"currency" db:"currency"`
	AlertsCreated   int             `json:"alerts_created" db:"alerts_created"`
	Timings         json.RawMessage `json:"timings_ms" db:"timings"`
}

// RunLevels are a run's per-risk-level counts and totals (money in the
// tenant currency's minor units).
type RunLevels struct {
	Low    LevelTotals `json:"low" db:"low"`
	Medium LevelTotals `json:"medium" db:"medium"`
	High   LevelTotals `json:"high" db:"high"`
}

// LevelTotals are one risk level's customers, CLV and revenue at risk.
type LevelTotals struct {
	Customers     int   `json:"customers" db:"customers"`
	CLV           int64 `json:"clv" db:"clv"`
	RevenueAtRisk int64 `json:"revenue_at_risk" db:"revenue_at_risk"`
}

// Finished reports whether the run has ended, well or not.
func (r ScoringRun) Finished() bool { return r.Status == RunDone || r.Status == RunFailed }

// RunDate is a calendar day without a time zone (a Postgres date).
type RunDate struct{ time.Time }

// ParseRunDate reads YYYY-MM-DD.
func ParseRunDate(s string) (RunDate, error) {
	t, err := time.Parse(time.DateOnly, s)
	return RunDate{t}, err
}

func (d RunDate) String() string { return d.Format(time.DateOnly) }

// MarshalJSON writes YYYY-MM-DD.
func (d RunDate) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Scan reads a Postgres date.
func (d *RunDate) Scan(v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return fmt.Errorf("date: cannot scan %T", v)
	}
	d.Time = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return nil
}

// Start is the first instant of the day in loc.
func (d RunDate) Start(loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// RunRequest asks for a scoring run.
type RunRequest struct {
	Trigger string
	// AsOf scores as of the end of that day (tenant time zone): data on or
	// before it, nothing after.
	AsOf *RunDate
	// RequestedBy is the user who asked, if any.
	RequestedBy *uuid.UUID
	// Slot names a periodic slot (nightly:2026-12-03); a slot is acted on
	// once however often it is requested.
	Slot string
	// Delay debounces: the run waits this long before it may start, so
	// that a burst of requests joins one pending run.
	Delay time.Duration
}

// RunRequested is what RequestRun did.
type RunRequested struct {
	Run ScoringRun
	// Created is false when the request joined a run already pending (or
	// the slot already had its run).
	Created bool
	// Outbox is the outbox row to enqueue when Created.
	Outbox OutboxRow
}

// OutboxRow is a control.outbox row as its writer knows it.
type OutboxRow struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Kind      string
	Ref       uuid.UUID
	Queue     string
	Payload   json.RawMessage
	LockKey   string
	Attempt   int
	NotBefore time.Time
}

// RunPayload is the payload of a scoring:run task.
type RunPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RunID    uuid.UUID `json:"run_id"`
}

// ScoringLockKey is the advisory lock a scoring handler holds for the
// duration of a tenant's run, so that one tenant's runs never overlap.
func ScoringLockKey(tenantID uuid.UUID) string { return "scoring:" + tenantID.String() }

var validTriggers = map[string]bool{TriggerAPI: true, TriggerCLI: true, TriggerSchedule: true, TriggerImport: true, TriggerDemo: true}

// RequestRun records a request for a scoring run. At most one run is
// pending per tenant: a request while one is pending joins it (the unique
// index scoring_runs_one_pending backs this up); a request while a run is
// running or after one failed creates a new pending run. A new run's
// outbox row is written in the same transaction, so the request cannot be
// lost between Postgres and Redis.
func (s *Store) RequestRun(ctx context.Context, req RunRequest) (RunRequested, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return RunRequested{}, err
	}
	if !validTriggers[req.Trigger] {
		return RunRequested{}, core.Invalid(map[string]string{"trigger": "unknown trigger"})
	}
	var out RunRequested
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		// Serialise this tenant's requests: the check and the insert below
		// must not interleave with another request's.
		if _, err := tx.ExecContext(ctx, `select pg_advisory_xact_lock(hashtextextended('gomato.scoring.request:' || $1::text, 0))`, t.ID); err != nil {
			return err
		}
		if req.Slot != "" {
			var ref uuid.UUID
			err := tx.GetContext(ctx, &ref, `select ref from control.schedule_slots where tenant_id = $1 and slot = $2`, t.ID, req.Slot)
			if err == nil {
				r, err := getRun(ctx, tx, ref)
				out = RunRequested{Run: r}
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var pendingID uuid.UUID
		err := tx.GetContext(ctx, &pendingID, `select id from scoring_runs where status = 'pending'`)
		switch {
		case err == nil:
			r, err := getRun(ctx, tx, pendingID)
			if err != nil {
				return err
			}
			if !sameDate(r.AsOf, req.AsOf) {
				return &core.Error{Code: core.CodeConflict, Message: "a run for another as-of date is already waiting; request again when it has started",
					Fields: map[string]string{"as_of": "another run is pending"}}
			}
			out = RunRequested{Run: r}
		case errors.Is(err, sql.ErrNoRows):
			id := core.NewID()
			var asOf any
			if req.AsOf != nil {
				asOf = req.AsOf.String()
			}
			var slot any
			if req.Slot != "" {
				slot = req.Slot
			}
			if _, err := tx.ExecContext(ctx, `insert into scoring_runs (id, trigger, slot, as_of, requested_by) values ($1, $2, $3, $4, $5)`,
				id, req.Trigger, slot, asOf, req.RequestedBy); err != nil {
				return scoringMapUnique(err, "a scoring run is already pending")
			}
			payload, _ := json.Marshal(RunPayload{TenantID: t.ID, RunID: id})
			row := OutboxRow{ID: core.NewID(), TenantID: t.ID, Kind: TaskScoringRun, Ref: id, Queue: "default",
				Payload: payload, LockKey: ScoringLockKey(t.ID), Attempt: 1}
			if err := tx.GetContext(ctx, &row.NotBefore, `
				insert into control.outbox (id, tenant_id, kind, ref, queue, payload, lock_key, not_before)
				values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8)) returning not_before`,
				row.ID, row.TenantID, row.Kind, row.Ref, row.Queue, []byte(row.Payload), row.LockKey, req.Delay.Seconds()); err != nil {
				return fmt.Errorf("write outbox: %w", err)
			}
			r, err := getRun(ctx, tx, id)
			if err != nil {
				return err
			}
			out = RunRequested{Run: r, Created: true, Outbox: row}
		default:
			return err
		}
		if req.Slot != "" {
			if _, err := tx.ExecContext(ctx, `insert into control.schedule_slots (tenant_id, slot, ref) values ($1, $2, $3)`, t.ID, req.Slot, out.Run.ID); err != nil {
				return err
			}
			if out.Run.Slot == nil {
				if _, err := tx.ExecContext(ctx, `update scoring_runs set slot = $2 where id = $1 and slot is null`, out.Run.ID, req.Slot); err != nil {
					return err
				}
				out.Run.Slot = &req.Slot
			}
		}
		return nil
	})
	return out, err
}

func sameDate(a, b *RunDate) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(b.Time)
}

// ScoringRun returns one scoring run of the context's tenant.
func (s *Store) ScoringRun(ctx context.Context, id uuid.UUID) (ScoringRun, error) {
	var r ScoringRun
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		r, err = getRun(ctx, tx, id)
		return err
	})
	return r, err
}

// ScoringRunFilter pages through runs, newest first.
type ScoringRunFilter struct {
	Limit int
	// After is the cursor: the id of the last run of the previous page.
	After *uuid.UUID
	// Status filters when not empty.
	Status string
}

// ScoringRuns lists the tenant's scoring runs, newest first (ids are UUIDv7, so
// id order is request order).
func (s *Store) ScoringRuns(ctx context.Context, f ScoringRunFilter) ([]ScoringRun, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []ScoringRun
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, `select `+runCols+` from scoring_runs
			where ($1::uuid is null or id < $1) and ($2 = '' or status = $2)
			order by id desc limit $3`, f.After, f.Status, f.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

const runCols = `id, status, trigger, slot, as_of, effective_at, requested_by, requested_at, started_at, finished_at,
	attempts, error, customers_scored, model, backtest_auc,
	low_customers, medium_customers, high_customers, low_clv, medium_clv, high_clv,
	low_revenue_at_risk, medium_revenue_at_risk, high_revenue_at_risk,
	clv_total, revenue_at_risk, currency, alerts_created, timings`

func scanRun(row interface{ Scan(...any) error }) (ScoringRun, error) {
	var r ScoringRun
	var model, timings []byte
	err := row.Scan(&r.ID, &r.Status, &r.Trigger, &r.Slot, &r.AsOf, &r.EffectiveAt, &r.RequestedBy, &r.RequestedAt, &r.StartedAt, &r.FinishedAt,
		&r.Attempts, &r.Error, &r.CustomersScored, &model, &r.BacktestAUC,
		&r.Levels.Low.Customers, &r.Levels.Medium.Customers, &r.Levels.High.Customers,
		&r.Levels.Low.CLV, &r.Levels.Medium.CLV, &r.Levels.High.CLV,
		&r.Levels.Low.RevenueAtRisk, &r.Levels.Medium.RevenueAtRisk, &r.Levels.High.RevenueAtRisk,
		&r.CLVTotal, &r.RevenueAtRisk, &r.Currency, &r.AlertsCreated, &timings)
	r.Model, r.Timings = model, timings
	return r, err
}

func getRun(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (ScoringRun, error) {
	r, err := scanRun(tx.QueryRowxContext(ctx, `select `+runCols+` from scoring_runs where id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &core.Error{Code: core.CodeNotFound, Message: "scoring run not found"}
	}
	return r, err
}

// ClaimRun marks a run running and returns it, with its effective instant
// fixed on the first claim (so a retried run scores the same data). A run
// that has already ended is returned unchanged with claimed false: the
// task was a duplicate delivery. The caller must hold the tenant's scoring
// lock (ScoringLockKey).
func (s *Store) ClaimRun(ctx context.Context, id uuid.UUID) (r ScoringRun, claimed bool, err error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return r, false, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		cur, err := getRun(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Finished() {
			r = cur
			return nil
		}
		eff := time.Now()
		if cur.EffectiveAt != nil {
			eff = *cur.EffectiveAt
		} else if cur.AsOf != nil {
			// As of a day means with that whole day's data: the cut-off is
			// the start of the next day in the tenant's time zone.
			eff = cur.AsOf.Start(loc).AddDate(0, 0, 1)
		}
		if _, err := tx.ExecContext(ctx, `update scoring_runs set status = 'running', started_at = now(), attempts = attempts + 1,
			effective_at = $2, currency = $3 where id = $1`, id, eff, t.Currency); err != nil {
			return err
		}
		r, err = getRun(ctx, tx, id)
		claimed = true
		return err
	})
	return r, claimed, err
}

// ReleaseRun puts a running run back to wait for a retry after a
// transient failure, recording the error. It stays running (not pending),
// so new requests create a new run instead of joining one that is failing.
func (s *Store) ReleaseRun(ctx context.Context, id uuid.UUID, cause error) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `update scoring_runs set error = $2 where id = $1 and status = 'running'`, id, scoringTruncate(cause.Error(), 2000))
		return err
	})
}

// FailRun ends a run as failed and closes its outbox row, in one
// transaction: the next request starts a new run at once.
func (s *Store) FailRun(ctx context.Context, id uuid.UUID, cause error) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `update scoring_runs set status = 'failed', finished_at = now(), error = $2
			where id = $1 and status in ('pending', 'running')`, id, scoringTruncate(cause.Error(), 2000)); err != nil {
			return err
		}
		return outboxClose(ctx, tx, TaskScoringRun, id)
	})
}

// closeOutbox marks the outbox row of (kind, ref) done; call it in the
// transaction that finishes the work.
func outboxClose(ctx context.Context, tx *sqlx.Tx, kind string, ref uuid.UUID) error {
	_, err := tx.ExecContext(ctx, `update control.outbox set status = 'done', done_at = now() where kind = $1 and ref = $2 and status = 'pending'`, kind, ref)
	return err
}

func scoringTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func scoringMapUnique(err error, msg string) error {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &core.Error{Code: core.CodeConflict, Message: msg, Err: err}
	}
	return err
}

// FirstScoringRun reports whether no run of the tenant but runID has ever
// finished: that run sets the alert baseline.
func (s *Store) FirstScoringRun(ctx context.Context, runID uuid.UUID) (bool, error) {
	var done bool
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &done, `select exists (select 1 from scoring_runs where status = 'done' and id <> $1)`, runID)
	})
	return !done, err
}
