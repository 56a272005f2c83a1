package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// ScoringInput is one customer as a scoring run sees it: the purchase
// history and side facts before the run's cut-off, and what the previous
// run left (for the alert decision).
type ScoringInput struct {
	ID        uuid.UUID
	Name      string
	OwnerID   *uuid.UUID
	Status    string
	VIP       bool
	CreatedAt time.Time
	// Days are the net invoice amounts (credit notes included, signed) of
	// each issue day on or before the cut-off day, ascending, in the
	// tenant's currency (amounts in other currencies cannot be added to
	// them without an exchange rate, so they are left out).
	Days []DayAmount
	// Overdue invoices at the cut-off and their outstanding amount.
	OverdueInvoices int
	OverdueAmount   int64
	// DueInvoices counts invoices due before the cut-off; OnTimeInvoices
	// those of them paid in full by their due date (payment punctuality).
	DueInvoices    int
	OnTimeInvoices int
	// OpenTickets were open at the cut-off; RecentTickets were opened in
	// the 90 days before it; Satisfaction is the latest rating (0 = none).
	OpenTickets   int
	RecentTickets int
	Satisfaction  int
	// Contracts started on or before the cut-off day.
	Contracts       []ScoringContract
	ValueAddedDeals int
	Specialties     []string
	// Categories the customer has bought (invoice line categories).
	Categories []string
	// Referrals the customer made.
	Referrals int
	// Prev is what the customer's current score said, nil if never scored.
	Prev *PrevScore
	// ForecastOverrideAt is a user's override of the forecast, if set.
	ForecastOverrideAt *time.Time
	// OpenRescue reports an open rescue task for the customer.
	OpenRescue bool
}

// PrevScore is the part of a customer's last score the alert decision
// compares against.
type PrevScore struct {
	RunAt        time.Time // the previous run's effective instant
	Level        string
	PAlive       float64
	ForecastAt   *time.Time
	UsualGapDays float64
}

// ScoringContract is one contract as scoring sees it.
type ScoringContract struct {
	Start        time.Time
	End          *time.Time
	MonthlyValue int64
	Type         string
	Churned      *bool
}

// DayAmount is one issue day's net amount in minor units.
type DayAmount struct {
	Day    time.Time // midnight UTC of the calendar day
	Amount int64
}

// LoadScoringInputs streams every customer of the context's tenant to fn
// in batches of at most batch customers (keyset order by id), with data on
// or before lastDay (the cut-off's calendar day in the tenant's time zone)
// and ticket facts before cutoff. Memory is bounded by the batch: fn owns
// each slice. All batches are read in one read-only transaction.
func (s *Store) LoadScoringInputs(ctx context.Context, cutoff time.Time, lastDay time.Time, batch int, fn func([]ScoringInput) error) error {
	if batch <= 0 {
		batch = 10000
	}
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	day := lastDay.Format(time.DateOnly)
	return tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := noJIT(ctx, tx); err != nil {
			return err
		}
		return loadAll(ctx, tx, cutoff, day, t.Currency, batch, fn)
	})
}

func loadAll(ctx context.Context, tx *sqlx.Tx, cutoff time.Time, day, currency string, batch int, fn func([]ScoringInput) error) error {
	after := uuid.Nil
	for {
		in, err := loadCustomerBatch(ctx, tx, customerSel{after: after, limit: batch})
		if err != nil {
			return err
		}
		if len(in) == 0 {
			return nil
		}
		if err := loadBatchFacts(ctx, tx, in, customerSel{}, cutoff, day, currency); err != nil {
			return err
		}
		after = in[len(in)-1].ID
		if err := fn(in); err != nil {
			return err
		}
		if len(in) < batch {
			return nil
		}
	}
}

// ScoringSample says what LoadScoringSample read.
type ScoringSample struct {
	// Customers is the tenant's number of customers.
	Customers int
	// Sampled is false when the tenant has no more than the sample size
	// of customers and all of them were read.
	Sampled bool
	// Percent is the Bernoulli sampling rate and Seed its seed.
	Percent float64
	Seed    float64
}

// LoadScoringSample streams to fn, in batches like LoadScoringInputs, a
// random sample of about size of the tenant's customers (each one drawn
// independently with the same probability, TABLESAMPLE BERNOULLI, so the
// sample is unbiased by age or id; repeatable with seed, so that a
// retried run fits on the same customers) — or every customer when the
// tenant has no more than size of them. It is how a scoring run fits its
// models on a large tenant without holding the whole tenant.
func (s *Store) LoadScoringSample(ctx context.Context, cutoff time.Time, lastDay time.Time, size int, seed float64, batch int, fn func([]ScoringInput) error) (ScoringSample, error) {
	if batch <= 0 {
		batch = 10000
	}
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return ScoringSample{}, err
	}
	day := lastDay.Format(time.DateOnly)
	out := ScoringSample{Seed: seed}
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := noJIT(ctx, tx); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out.Customers, `select count(*) from customers`); err != nil {
			return err
		}
		if size <= 0 || out.Customers <= size {
			return loadAll(ctx, tx, cutoff, day, t.Currency, batch, fn)
		}
		out.Sampled = true
		out.Percent = 100 * float64(size) / float64(out.Customers)
		var ids []uuid.UUID
		rows, err := tx.QueryContext(ctx, `select id from customers tablesample bernoulli ($1) repeatable ($2) order by id`, out.Percent, seed)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for len(ids) > 0 {
			part := ids[:min(batch, len(ids))]
			ids = ids[len(part):]
			sel := customerSel{ids: uuidStrings(part)}
			in, err := loadCustomerBatch(ctx, tx, sel)
			if err != nil {
				return err
			}
			if len(in) == 0 {
				continue
			}
			if err := loadBatchFacts(ctx, tx, in, sel, cutoff, day, t.Currency); err != nil {
				return err
			}
			if err := fn(in); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// noJIT turns JIT compilation off for the rest of the transaction. The
// scoring statements run once per batch over a few thousand rows: their
// cost estimates cross jit_above_cost, and compiling took 110 ms of a
// 560 ms batch query (EXPLAIN ANALYZE, 100k-customer tenant) for no gain.
func noJIT(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `select set_config('jit', 'off', true)`)
	return err
}

// customerSel selects a batch of customers: the next limit after the id
// after (keyset), or the listed ids.
type customerSel struct {
	after uuid.UUID
	limit int
	ids   []string
}

func loadCustomerBatch(ctx context.Context, tx *sqlx.Tx, sel customerSel) ([]ScoringInput, error) {
	where, args := `c.id > $1 order by c.id limit $2`, []any{sel.after, sel.limit}
	if sel.ids != nil {
		where, args = `c.id = any($1::uuid[]) order by c.id`, []any{pq.Array(sel.ids)}
	}
	rows, err := tx.QueryContext(ctx, `
		select c.id, c.name, c.owner_id, c.status, c.created_at, c.value_added_deals, c.forecast_override_at,
			exists (select 1 from customer_groups cg join groups g on g.id = cg.group_id where cg.customer_id = c.id and g.is_vip),
			exists (select 1 from tasks t where t.customer_id = c.id and t.source = 'rescue_alert' and t.status in ('open', 'snoozed')),
			r.effective_at, s.risk_level, s.p_alive, s.forecast_at, (s.forecast_verdict->>'usual_gap_days')::float8
		from customers c
			left join scores s on s.customer_id = c.id
			left join scoring_runs r on r.id = s.run_id
		where `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]ScoringInput, 0, max(sel.limit, len(sel.ids)))
	for rows.Next() {
		var c ScoringInput
		var owner uuid.NullUUID
		var override, prevAt, prevForecast sql.NullTime
		var prevLevel sql.NullString
		var prevAlive, prevGap sql.NullFloat64
		if err := rows.Scan(&c.ID, &c.Name, &owner, &c.Status, &c.CreatedAt, &c.ValueAddedDeals, &override, &c.VIP, &c.OpenRescue,
			&prevAt, &prevLevel, &prevAlive, &prevForecast, &prevGap); err != nil {
			return nil, err
		}
		if prevAt.Valid && prevLevel.Valid {
			c.Prev = &PrevScore{RunAt: prevAt.Time, Level: prevLevel.String, PAlive: prevAlive.Float64, UsualGapDays: prevGap.Float64}
			if prevForecast.Valid {
				t := prevForecast.Time
				c.Prev.ForecastAt = &t
			}
		}
		if owner.Valid {
			id := owner.UUID
			c.OwnerID = &id
		}
		if override.Valid {
			t := override.Time
			c.ForecastOverrideAt = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// loadBatchFacts fills the history and side facts of one batch. A keyset
// batch is a contiguous id range, so every query is an index range scan; a
// sample's batch (sel.ids) is matched by id as well.
func loadBatchFacts(ctx context.Context, tx *sqlx.Tx, in []ScoringInput, sel customerSel, cutoff time.Time, day, currency string) error {
	lo, hi := in[0].ID, in[len(in)-1].ID
	// $1 and $2 are the batch's id range in every query; a sample's batch
	// also names its ids, as the last parameter.
	only := func(col string, args []any) (string, []any) {
		if sel.ids == nil {
			return "", args
		}
		return fmt.Sprintf(" and %s = any($%d::uuid[])", col, len(args)+1), append(args, pq.Array(sel.ids))
	}
	idx := make(map[uuid.UUID]int, len(in))
	for i := range in {
		idx[in[i].ID] = i
	}
	// Purchase days.
	extra, args := only("customer_id", []any{lo, hi, day, currency})
	rows, err := tx.QueryContext(ctx, `
		select customer_id, issued_on, sum(total)::bigint from invoices
		where customer_id between $1 and $2 and issued_on <= $3 and status <> 'cancelled' and currency = $4`+extra+`
		group by 1, 2 order by 1, 2`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var d time.Time
		var amt int64
		if err := rows.Scan(&id, &d, &amt); err != nil {
			rows.Close()
			return err
		}
		if i, ok := idx[id]; ok {
			in[i].Days = append(in[i].Days, DayAmount{Day: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), Amount: amt})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Invoices due and overdue at the cut-off.
	if err := scanInto(ctx, tx, idx, in, only, `
		select i.customer_id, count(*), count(*) filter (where i.status in ('unpaid', 'partial', 'overdue')),
			coalesce(sum(i.total - i.paid_total) filter (where i.status in ('unpaid', 'partial', 'overdue')), 0)::bigint,
			count(*) filter (where i.status = 'paid' and not exists (
				select 1 from payments p where p.invoice_id = i.id and p.paid_on > i.due_on))
		from invoices i
		where i.customer_id between $1 and $2 and i.kind = 'invoice' and i.due_on < $3 and i.issued_on <= $3 and i.status <> 'cancelled'{only:i.customer_id}
		group by 1`, []any{lo, hi, day}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var due, overdue, onTime int
		var amt int64
		err := rows.Scan(&id, &due, &overdue, &amt, &onTime)
		return id, func(c *ScoringInput) {
			c.DueInvoices, c.OverdueInvoices, c.OverdueAmount, c.OnTimeInvoices = due, overdue, amt, onTime
		}, err
	}); err != nil {
		return err
	}
	// Tickets: open at the cut-off, opened in the 90 days before, latest rating.
	if err := scanInto(ctx, tx, idx, in, only, `
		select customer_id,
			count(*) filter (where closed_at is null or closed_at >= $3),
			count(*) filter (where opened_at >= $3 - interval '90 days'),
			coalesce((array_agg(satisfaction order by coalesce(closed_at, opened_at) desc) filter (where satisfaction is not null))[1], 0)
		from tickets
		where customer_id between $1 and $2 and opened_at < $3{only:customer_id}
		group by 1`, []any{lo, hi, cutoff}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var open, recent, sat int
		err := rows.Scan(&id, &open, &recent, &sat)
		return id, func(c *ScoringInput) { c.OpenTickets, c.RecentTickets, c.Satisfaction = open, recent, sat }, err
	}); err != nil {
		return err
	}
	// Contracts started by the cut-off day, oldest first.
	if err := scanInto(ctx, tx, idx, in, only, `
		select customer_id, start_on, end_on, monthly_value, type, churned
		from contracts
		where customer_id between $1 and $2 and start_on <= $3 and status not in ('draft', 'cancelled'){only:customer_id}
		order by customer_id, start_on`, []any{lo, hi, day}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var k ScoringContract
		var end sql.NullTime
		var churned sql.NullBool
		err := rows.Scan(&id, &k.Start, &end, &k.MonthlyValue, &k.Type, &churned)
		if end.Valid {
			t := end.Time
			k.End = &t
		}
		if churned.Valid {
			b := churned.Bool
			k.Churned = &b
		}
		return id, func(c *ScoringInput) { c.Contracts = append(c.Contracts, k) }, err
	}); err != nil {
		return err
	}
	// Specialties.
	if err := scanInto(ctx, tx, idx, in, only, `
		select cs.customer_id, array_agg(s.name order by s.name)
		from customer_specialties cs join specialties s on s.id = cs.specialty_id
		where cs.customer_id between $1 and $2{only:cs.customer_id} group by 1`, []any{lo, hi}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var names []string
		err := rows.Scan(&id, pq.Array(&names))
		return id, func(c *ScoringInput) { c.Specialties = names }, err
	}); err != nil {
		return err
	}
	// Categories bought.
	if err := scanInto(ctx, tx, idx, in, only, `
		select i.customer_id, array_agg(distinct l.category)
		from invoices i join invoice_lines l on l.invoice_id = i.id
		where i.customer_id between $1 and $2 and i.issued_on <= $3 and i.kind = 'invoice' and l.category <> '' and l.amount > 0{only:i.customer_id}
		group by 1`, []any{lo, hi, day}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var cats []string
		err := rows.Scan(&id, pq.Array(&cats))
		return id, func(c *ScoringInput) { c.Categories = cats }, err
	}); err != nil {
		return err
	}
	// Referrals made.
	return scanInto(ctx, tx, idx, in, only, `
		select referrer_id, count(*) from referrals
		where referrer_id between $1 and $2 and referred_on <= $3 and status <> 'cancelled'{only:referrer_id}
		group by 1`, []any{lo, hi, day}, func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
		var id uuid.UUID
		var n int
		err := rows.Scan(&id, &n)
		return id, func(c *ScoringInput) { c.Referrals = n }, err
	})
}

// scanInto runs a per-customer aggregate whose first column is the
// customer id; scan reads the row into locals and returns the customer id
// and how to apply the values to that customer's input.
//
// The query marks with {only:column} where a sample's batch narrows the id
// range to its ids.
func scanInto(ctx context.Context, tx *sqlx.Tx, idx map[uuid.UUID]int, in []ScoringInput,
	only func(col string, args []any) (string, []any), q string, args []any,
	scan func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error)) error {
	if i := strings.Index(q, "{only:"); i >= 0 {
		j := i + strings.Index(q[i:], "}")
		var extra string
		extra, args = only(q[i+len("{only:"):j], args)
		q = q[:i] + extra + q[j+1:]
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		id, apply, err := scan(rows)
		if err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			apply(&in[i])
		}
	}
	return rows.Err()
}
