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

// ScoreRow is one customer's score as a run writes it into scores.
type ScoreRow struct {
	CustomerID        uuid.UUID
	Model             string
	Risk              float64
	RiskLevel         string
	Reasons           json.RawMessage
	PAlive            *float64
	ExpectedPurchases *float64
	ExpectedSpend     *int64
	// ForecastAt is the system's forecast of the next purchase (the user's
	// override, if any, is kept on the customer and wins where shown).
	ForecastAt       *time.Time
	ForecastVerdict  json.RawMessage
	CLV              int64
	R, F, M          int // 1–5; 0 for a customer without purchases
	Segment          string
	Health           *int
	HealthComponents json.RawMessage
	CrossSell        json.RawMessage
}

// RunResult is what a finished run records about itself.
type RunResult struct {
	CustomersScored int
	Model           json.RawMessage
	BacktestAUC     *float64
	Levels          RunLevels
	Timings         map[string]int64
	// VIPCLVThreshold is the CLV (minor units) at or above which a
	// customer is in the top CLV decile; 0 disables that rule.
	VIPCLVThreshold int64
}

// Alert is a rescue alert a run raises: one open task for the
// customer's owner (or the tenant's default assignee), with reasons and a
// suggested offer, and a line in the alert history.
type Alert struct {
	CustomerID uuid.UUID
	Kind       string // risk_high, forecast_passed, baseline
	Risk       float64
	RiskLevel  string
	Reasons    json.RawMessage
	Offer      json.RawMessage
	AssigneeID *uuid.UUID
	Title      string
	Body       string
	DueAt      time.Time
}

// ScoreWriter receives a run's scores. Rows are copied into a staging
// table as they come, so the caller never holds them all.
type ScoreWriter func(ScoreRow) error

var scoreCols = []string{"customer_id", "run_id", "computed_at", "model", "risk", "risk_level", "reasons", "p_alive",
	"expected_purchases", "expected_spend", "forecast_at", "forecast_verdict", "clv", "r", "f", "m", "segment",
	"health", "health_components", "cross_sell"}

// CompleteRun writes a run's scores and alerts and ends the run, all in one
// transaction scoped to the tenant: rows from produce are COPYed into a
// temporary staging table and upserted into scores in one statement (on a
// tenant's first run, when scores is empty, COPYed straight into it), tickets
// of VIP and top-decile customers are raised to at least high, alerts
// become rescue tasks (never a second open one per customer), and the run
// is marked done with its outbox row. A crash anywhere leaves nothing
// half-written, so a retried run scores every customer once. The system
// forecast is copied onto customers afterwards by SyncForecasts.
//
// alerts is called after the scores are staged, so the caller may decide
// them while producing rows. It returns the run as recorded.
func (s *Store) CompleteRun(ctx context.Context, runID uuid.UUID, produce func(ScoreWriter) error, alerts func() []Alert, res func() RunResult) (ScoringRun, error) {
	var out ScoringRun
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := noJIT(ctx, tx); err != nil {
			return err
		}
		cur, err := getRun(ctx, tx, runID)
		if err != nil {
			return err
		}
		if cur.Status != RunRunning {
			return &core.Error{Code: core.CodeConflict, Message: fmt.Sprintf("scoring run is %s, not running", cur.Status)}
		}
		// A tenant's first scores go straight into scores: nothing can
		// conflict, and staging would write and read every row once more.
		// Later runs stage the rows and upsert them in one statement.
		var direct bool
		if err := tx.GetContext(ctx, &direct, `select not exists (select 1 from scores)`); err != nil {
			return err
		}
		target := "scores"
		if !direct {
			target = "scoring_stage"
			if _, err := tx.ExecContext(ctx, `create temp table scoring_stage (like scores) on commit drop`); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, pq.CopyIn(target, scoreCols...))
		if err != nil {
			return err
		}
		now := time.Now()
		phase := map[string]int64{}
		mark := now
		lap := func(name string) {
			phase[name] = time.Since(mark).Milliseconds()
			mark = time.Now()
		}
		n := 0
		err = produce(func(r ScoreRow) error {
			n++
			_, err := stmt.ExecContext(ctx, r.CustomerID, runID, now, r.Model, r.Risk, r.RiskLevel, jsonOr(r.Reasons, "[]"),
				r.PAlive, r.ExpectedPurchases, r.ExpectedSpend, r.ForecastAt, jsonOrNil(r.ForecastVerdict), r.CLV,
				smallOrNil(r.R), smallOrNil(r.F), smallOrNil(r.M), r.Segment, r.Health, jsonOr(r.HealthComponents, "{}"), jsonOr(r.CrossSell, "[]"))
			return err
		})
		if err != nil {
			stmt.Close()
			return err
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			stmt.Close()
			return fmt.Errorf("copy scores: %w", err)
		}
		if err := stmt.Close(); err != nil {
			return err
		}
		lap("write_copy")
		// (No write_upsert timing on a direct write.)
		if !direct {
			if _, err := tx.ExecContext(ctx, `
			insert into scores select * from scoring_stage
			on conflict (customer_id) do update set
				run_id = excluded.run_id, computed_at = excluded.computed_at, model = excluded.model,
				risk = excluded.risk, risk_level = excluded.risk_level, reasons = excluded.reasons,
				p_alive = excluded.p_alive, expected_purchases = excluded.expected_purchases,
				expected_spend = excluded.expected_spend, forecast_at = excluded.forecast_at,
				forecast_verdict = excluded.forecast_verdict, clv = excluded.clv,
				r = excluded.r, f = excluded.f, m = excluded.m, segment = excluded.segment,
				health = excluded.health, health_components = excluded.health_components,
				cross_sell = excluded.cross_sell`); err != nil {
				return fmt.Errorf("upsert scores: %w", err)
			}
			lap("write_upsert")
		}
		result := res()
		// VIP service (DESIGN §1), by the statement ticket writes share.
		if _, err := raiseTicketsForVIP(ctx, tx, result.VIPCLVThreshold, nil); err != nil {
			return err
		}
		lap("write_vip_tickets")
		created, err := insertAlerts(ctx, tx, runID, alerts())
		if err != nil {
			return err
		}
		lap("write_alerts")
		l := result.Levels
		for k, v := range result.Timings {
			phase[k] = v
		}
		tim, _ := json.Marshal(phase)
		if _, err := tx.ExecContext(ctx, `
			update scoring_runs set status = 'done', finished_at = clock_timestamp(), error = '',
				customers_scored = $2, model = $3, backtest_auc = $4,
				low_customers = $5, medium_customers = $6, high_customers = $7,
				low_clv = $8, medium_clv = $9, high_clv = $10,
				low_revenue_at_risk = $11, medium_revenue_at_risk = $12, high_revenue_at_risk = $13,
				clv_total = $16, revenue_at_risk = $17,
				alerts_created = $14, timings = $15, vip_clv_threshold = $18
			where id = $1`, runID, n, jsonOr(result.Model, "{}"), result.BacktestAUC,
			l.Low.Customers, l.Medium.Customers, l.High.Customers, l.Low.CLV, l.Medium.CLV, l.High.CLV,
			l.Low.RevenueAtRisk, l.Medium.RevenueAtRisk, l.High.RevenueAtRisk, created, tim,
			l.Low.CLV+l.Medium.CLV+l.High.CLV, l.Low.RevenueAtRisk+l.Medium.RevenueAtRisk+l.High.RevenueAtRisk,
			vipThreshold(result.VIPCLVThreshold)); err != nil {
			return err
		}
		if err := outboxClose(ctx, tx, TaskScoringRun, runID); err != nil {
			return err
		}
		out, err = getRun(ctx, tx, runID)
		return err
	})
	return out, err
}

// insertAlerts creates one rescue task per alert unless the customer
// already has an open one (tasks_one_open_rescue), and records each alert
// that made a task in the history. It returns how many it created.
func insertAlerts(ctx context.Context, tx *sqlx.Tx, runID uuid.UUID, alerts []Alert) (int, error) {
	created := 0
	for start := 0; start < len(alerts); start += 1000 {
		end := min(start+1000, len(alerts))
		batch := alerts[start:end]
		var taskIDs, customers []uuid.UUID
		var titles, bodies, details []string
		var assignees []sql.NullString
		var dues []string
		for _, a := range batch {
			taskIDs = append(taskIDs, core.NewID())
			customers = append(customers, a.CustomerID)
			titles = append(titles, a.Title)
			bodies = append(bodies, a.Body)
			d, _ := json.Marshal(map[string]any{"run_id": runID, "kind": a.Kind, "risk": a.Risk, "risk_level": a.RiskLevel,
				"reasons": json.RawMessage(jsonOr(a.Reasons, "[]")), "offer": json.RawMessage(jsonOr(a.Offer, "{}"))})
			details = append(details, string(d))
			if a.AssigneeID != nil {
				assignees = append(assignees, sql.NullString{String: a.AssigneeID.String(), Valid: true})
			} else {
				assignees = append(assignees, sql.NullString{})
			}
			dues = append(dues, a.DueAt.Format(time.RFC3339Nano))
		}
		rows, err := tx.QueryContext(ctx, `
			insert into tasks (id, customer_id, title, body, due_at, assignee_id, status, source, details)
			select u.id, u.customer_id, u.title, u.body, u.due_at, u.assignee_id::uuid, 'open', 'rescue_alert', u.details::jsonb
			from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
				as u(id, customer_id, title, body, due_at, assignee_id, details)
			on conflict (customer_id) where source = 'rescue_alert' and status in ('open', 'snoozed') do nothing
			returning id, customer_id`,
			pq.Array(uuidStrings(taskIDs)), pq.Array(uuidStrings(customers)), pq.Array(titles), pq.Array(bodies),
			pq.Array(dues), pq.Array(assignees), pq.Array(details))
		if err != nil {
			return created, fmt.Errorf("create rescue tasks: %w", err)
		}
		made := map[uuid.UUID]uuid.UUID{}
		for rows.Next() {
			var tid, cid uuid.UUID
			if err := rows.Scan(&tid, &cid); err != nil {
				rows.Close()
				return created, err
			}
			made[cid] = tid
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return created, err
		}
		for _, a := range batch {
			tid, ok := made[a.CustomerID]
			if !ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `
				insert into alerts (id, customer_id, run_id, kind, risk, risk_level, reasons, offer, task_id, assignee_id)
				values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				core.NewID(), a.CustomerID, runID, a.Kind, a.Risk, a.RiskLevel, jsonOr(a.Reasons, "[]"), jsonOr(a.Offer, "{}"), tid, a.AssigneeID); err != nil {
				return created, fmt.Errorf("record alert: %w", err)
			}
			created++
		}
	}
	return created, nil
}

// vipThreshold is the recorded top-decile CLV: null when the run had none
// (only the VIP-group rule applies between runs).
func vipThreshold(v int64) any {
	if v <= 0 {
		return nil
	}
	return v
}

func uuidStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func jsonOr(b json.RawMessage, def string) string {
	if len(b) == 0 {
		return def
	}
	return string(b)
}

func jsonOrNil(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func smallOrNil(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

// SyncForecasts copies a finished run's system forecasts from scores onto
// customers (sales_forecast_at, sales_forecast; the override columns are
// the user's and stay as they are), batch customers per transaction, and
// returns how many customers it rewrote. customers carries nine indexes
// (two GIN), so this is the costliest write of a run: it happens after the
// run's own transaction, so scores show as soon as they are written, and a
// row is rewritten only when what a person sees changes (the forecast's day
// or the risk level). It is idempotent: if it is cut short, the next run
// (or a second call) completes it.
func (s *Store) SyncForecasts(ctx context.Context, runID uuid.UUID, batch int) (int, error) {
	if batch <= 0 {
		batch = 20000
	}
	after, total := uuid.Nil, 0
	for {
		var hi uuid.NullUUID
		var n int64
		err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
			if err := noJIT(ctx, tx); err != nil {
				return err
			}
			err := tx.GetContext(ctx, &hi, `select customer_id from (
				select customer_id from scores where customer_id > $1 order by customer_id limit $2) b
				order by customer_id desc limit 1`, after, batch)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			if !hi.Valid {
				return nil
			}
			res, err := tx.ExecContext(ctx, `
				update customers c set sales_forecast_at = s.forecast_at, sales_forecast = s.forecast_verdict
				from scores s
				where s.customer_id > $1 and s.customer_id <= $2 and s.run_id = $3 and c.id = s.customer_id
					and ((c.sales_forecast_at at time zone 'UTC')::date is distinct from (s.forecast_at at time zone 'UTC')::date
						or c.sales_forecast->>'risk_level' is distinct from s.forecast_verdict->>'risk_level'
						or (c.sales_forecast is null) <> (s.forecast_verdict is null))`, after, hi.UUID, runID)
			if err != nil {
				return fmt.Errorf("write forecasts: %w", err)
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil || !hi.Valid {
			return total, err
		}
		total += int(n)
		after = hi.UUID
	}
}

// AddRunTiming records one more phase timing (milliseconds) on a run.
func (s *Store) AddRunTiming(ctx context.Context, runID uuid.UUID, phase string, ms int64) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `update scoring_runs set timings = timings || jsonb_build_object($2::text, $3::bigint) where id = $1`, runID, phase, ms)
		return err
	})
}
