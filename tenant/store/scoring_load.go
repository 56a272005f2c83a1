package store

import (
	"bytes"
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
// in batches of at most batch customers (in id order), with data on or
// before lastDay (the cut-off's calendar day in the tenant's time zone)
// and ticket facts before cutoff. Memory is bounded by the batch: fn owns
// each slice. All batches are read in one read-only transaction.
//
// Each table is read once, in full, through a cursor ordered by customer
// (a sequential scan and a sort in Postgres), and the cursors are merged
// here batch by batch. Reading a batch's id range from each table instead
// costs a random heap page per row, because a customer's invoices are
// scattered over the table: at a million customers that was 0.4 s per
// 10,000 customers for the purchase days alone, most of the run.
func (s *Store) LoadScoringInputs(ctx context.Context, cutoff time.Time, lastDay time.Time, batch int, fn func([]ScoringInput) error) error {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	return tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return loadScoring(ctx, tx, scoringQuery{cutoff: cutoff, day: lastDay.Format(time.DateOnly), currency: t.Currency}, batch, fn)
	})
}

// ScoringSample says what LoadScoringSample read.
type ScoringSample struct {
	// Customers is the tenant's number of customers.
	Customers int
	// Sampled is false when the tenant has no more than the sample size
	// of customers and all of them were read.
	Sampled bool
	// Fraction is the share of customers drawn and Seed the hash seed.
	Fraction float64
	Seed     int64
}

// LoadScoringSample streams to fn, in batches like LoadScoringInputs, a
// random sample of about size of the tenant's customers — or every
// customer when the tenant has no more than size of them. A customer is
// drawn when a seeded hash of its id falls below the sampling fraction:
// independent of age, name or id order, the same customers in every table,
// and the same again for the same seed (a retried run fits on the same
// customers). It is how a scoring run fits its models on a large tenant
// without holding the whole tenant.
func (s *Store) LoadScoringSample(ctx context.Context, cutoff time.Time, lastDay time.Time, size int, seed int64, batch int, fn func([]ScoringInput) error) (ScoringSample, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return ScoringSample{}, err
	}
	out := ScoringSample{Seed: seed}
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &out.Customers, `select count(*) from customers`); err != nil {
			return err
		}
		q := scoringQuery{cutoff: cutoff, day: lastDay.Format(time.DateOnly), currency: t.Currency}
		if size > 0 && out.Customers > size {
			out.Sampled = true
			out.Fraction = float64(size) / float64(out.Customers)
			q.sample, q.seed = int64(out.Fraction*sampleBuckets+0.5), seed
		}
		return loadScoring(ctx, tx, q, batch, fn)
	})
	return out, err
}

// sampleBuckets is the resolution of the sampling hash.
const sampleBuckets = 1 << 20

// scoringQuery is what a scoring load reads: data on or before day (ticket
// facts before cutoff) in the tenant's currency, and, when sample > 0, only
// customers whose hash with seed falls in the first sample of
// sampleBuckets buckets.
type scoringQuery struct {
	cutoff   time.Time
	day      string
	currency string
	sample   int64
	seed     int64
}

// where returns the sampling condition on col (empty without sampling),
// numbering its parameters after args, and the arguments.
func (q scoringQuery) where(col string, args []any) (string, []any) {
	if q.sample <= 0 {
		return "", args
	}
	n := len(args)
	return fmt.Sprintf(" and (hashtextextended(%s::text, $%d) & %d) < $%d", col, n+1, sampleBuckets-1, n+2), append(args, q.seed, q.sample)
}

// factQuery is one per-customer fact read by a scoring load: its first
// column is the customer id, rows come ordered by it, and {sample:col}
// marks where the sampling condition goes.
type factQuery struct {
	sql  string
	args func(q scoringQuery) []any
	scan func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error)
}

var scoringFacts = []factQuery{
	{ // Purchase days: net amount per issue day.
		sql: `select customer_id, issued_on, sum(total)::bigint from invoices
			where issued_on <= $1 and status <> 'cancelled' and currency = $2{sample:customer_id}
			group by 1, 2 order by 1, 2`,
		args: func(q scoringQuery) []any { return []any{q.day, q.currency} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var d time.Time
			var amt int64
			err := rows.Scan(&id, &d, &amt)
			day := DayAmount{Day: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), Amount: amt}
			return id, func(c *ScoringInput) { c.Days = append(c.Days, day) }, err
		},
	},
	{ // Invoices due and overdue at the cut-off.
		sql: `select i.customer_id, count(*), count(*) filter (where i.status in ('unpaid', 'partial', 'overdue')),
				coalesce(sum(i.total - i.paid_total) filter (where i.status in ('unpaid', 'partial', 'overdue')), 0)::bigint,
				count(*) filter (where i.status = 'paid' and not exists (
					select 1 from payments p where p.invoice_id = i.id and p.paid_on > i.due_on))
			from invoices i
			where i.kind = 'invoice' and i.due_on < $1 and i.issued_on <= $1 and i.status <> 'cancelled'{sample:i.customer_id}
			group by 1 order by 1`,
		args: func(q scoringQuery) []any { return []any{q.day} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var due, overdue, onTime int
			var amt int64
			err := rows.Scan(&id, &due, &overdue, &amt, &onTime)
			return id, func(c *ScoringInput) {
				c.DueInvoices, c.OverdueInvoices, c.OverdueAmount, c.OnTimeInvoices = due, overdue, amt, onTime
			}, err
		},
	},
	{ // Tickets: open at the cut-off, opened in the 90 days before, latest rating.
		sql: `select customer_id,
				count(*) filter (where closed_at is null or closed_at >= $1),
				count(*) filter (where opened_at >= $1 - interval '90 days'),
				coalesce((array_agg(satisfaction order by coalesce(closed_at, opened_at) desc) filter (where satisfaction is not null))[1], 0)
			from tickets
			where opened_at < $1{sample:customer_id}
			group by 1 order by 1`,
		args: func(q scoringQuery) []any { return []any{q.cutoff} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var open, recent, sat int
			err := rows.Scan(&id, &open, &recent, &sat)
			return id, func(c *ScoringInput) { c.OpenTickets, c.RecentTickets, c.Satisfaction = open, recent, sat }, err
		},
	},
	{ // Contracts started by the cut-off day, oldest first.
		sql: `select customer_id, start_on, end_on, monthly_value, type, churned
			from contracts
			where start_on <= $1 and status not in ('draft', 'cancelled'){sample:customer_id}
			order by customer_id, start_on`,
		args: func(q scoringQuery) []any { return []any{q.day} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
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
		},
	},
	{ // Specialties.
		sql: `select cs.customer_id, array_agg(s.name order by s.name)
			from customer_specialties cs join specialties s on s.id = cs.specialty_id
			where true{sample:cs.customer_id}
			group by 1 order by 1`,
		args: func(q scoringQuery) []any { return nil },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var names []string
			err := rows.Scan(&id, pq.Array(&names))
			return id, func(c *ScoringInput) { c.Specialties = names }, err
		},
	},
	{ // Categories bought.
		sql: `select i.customer_id, array_agg(distinct l.category)
			from invoices i join invoice_lines l on l.invoice_id = i.id
			where i.issued_on <= $1 and i.kind = 'invoice' and l.category <> '' and l.amount > 0{sample:i.customer_id}
			group by 1 order by 1`,
		args: func(q scoringQuery) []any { return []any{q.day} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var cats []string
			err := rows.Scan(&id, pq.Array(&cats))
			return id, func(c *ScoringInput) { c.Categories = cats }, err
		},
	},
	{ // Referrals made.
		sql: `select referrer_id, count(*) from referrals
			where referred_on <= $1 and status <> 'cancelled'{sample:referrer_id}
			group by 1 order by 1`,
		args: func(q scoringQuery) []any { return []any{q.day} },
		scan: func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error) {
			var id uuid.UUID
			var n int
			err := rows.Scan(&id, &n)
			return id, func(c *ScoringInput) { c.Referrals = n }, err
		},
	},
}

// customersSQL reads the customers with what the last run said; VIP
// membership and open rescue tasks come from hashed joins, not from a
// subquery per customer.
const customersSQL = `
	select c.id, c.name, c.owner_id, c.status, c.created_at, c.value_added_deals, c.forecast_override_at,
		v.customer_id is not null, o.customer_id is not null,
		r.effective_at, s.risk_level, s.p_alive, s.forecast_at, (s.forecast_verdict->>'usual_gap_days')::float8
	from customers c
		left join scores s on s.customer_id = c.id
		left join scoring_runs r on r.id = s.run_id
		left join (select distinct cg.customer_id from customer_groups cg join groups g on g.id = cg.group_id where g.is_vip) v
			on v.customer_id = c.id
		left join (select distinct customer_id from tasks where source = 'rescue_alert' and status in ('open', 'snoozed')) o
			on o.customer_id = c.id
	where true{sample:c.id}
	order by c.id`

// fetchRows is how many rows one FETCH reads from a fact cursor.
const fetchRows = 20000

// loadScoring opens a cursor on the customers and one per fact, and hands
// fn batches of customers with their facts merged in. The cursors are
// planned for reading to the end (a sequential scan and a sort beat a
// random heap access per row), with room to sort in memory.
func loadScoring(ctx context.Context, tx *sqlx.Tx, q scoringQuery, batch int, fn func([]ScoringInput) error) error {
	if batch <= 0 {
		batch = 10000
	}
	if _, err := tx.ExecContext(ctx, `select set_config('jit', 'off', true), set_config('cursor_tuple_fraction', '1', true),
		set_config('work_mem', '64MB', true)`); err != nil {
		return err
	}
	sampled := func(sqlText string, args []any) (string, []any) {
		i := strings.Index(sqlText, "{sample:")
		if i < 0 {
			return sqlText, args
		}
		j := i + strings.Index(sqlText[i:], "}")
		cond, args := q.where(sqlText[i+len("{sample:"):j], args)
		return sqlText[:i] + cond + sqlText[j+1:], args
	}
	text, args := sampled(customersSQL, nil)
	if _, err := tx.ExecContext(ctx, `declare scoring_customers no scroll cursor for `+text, args...); err != nil {
		return fmt.Errorf("open customers cursor: %w", err)
	}
	facts := make([]*factCursor, len(scoringFacts))
	for i, f := range scoringFacts {
		name := fmt.Sprintf("scoring_fact_%d", i)
		text, args := sampled(f.sql, f.args(q))
		if _, err := tx.ExecContext(ctx, `declare `+name+` no scroll cursor for `+text, args...); err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		facts[i] = &factCursor{name: name, scan: f.scan}
	}
	for {
		in, err := fetchCustomers(ctx, tx, batch)
		if err != nil {
			return err
		}
		if len(in) == 0 {
			return nil
		}
		idx := make(map[uuid.UUID]int, len(in))
		for i := range in {
			idx[in[i].ID] = i
		}
		hi := in[len(in)-1].ID
		for _, f := range facts {
			if err := f.applyUpTo(ctx, tx, hi, idx, in); err != nil {
				return err
			}
		}
		if err := fn(in); err != nil {
			return err
		}
		if len(in) < batch {
			return nil
		}
	}
}

func fetchCustomers(ctx context.Context, tx *sqlx.Tx, n int) ([]ScoringInput, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`fetch %d from scoring_customers`, n))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]ScoringInput, 0, n)
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

// factCursor reads one fact query in customer order, keeping the rows it
// has fetched beyond the current batch for the next one.
type factCursor struct {
	name    string
	scan    func(rows *sql.Rows) (uuid.UUID, func(*ScoringInput), error)
	pending []pendingFact
	next    int
	done    bool
}

type pendingFact struct {
	id    uuid.UUID
	apply func(*ScoringInput)
}

// applyUpTo applies every row of customers up to hi (inclusive, in the
// uuid order Postgres sorts by: bytewise) to the batch.
func (f *factCursor) applyUpTo(ctx context.Context, tx *sqlx.Tx, hi uuid.UUID, idx map[uuid.UUID]int, in []ScoringInput) error {
	for {
		for ; f.next < len(f.pending); f.next++ {
			p := &f.pending[f.next]
			if bytes.Compare(p.id[:], hi[:]) > 0 {
				return nil
			}
			if i, ok := idx[p.id]; ok {
				p.apply(&in[i])
			}
		}
		if f.done {
			return nil
		}
		if err := f.fetch(ctx, tx); err != nil {
			return err
		}
	}
}

func (f *factCursor) fetch(ctx context.Context, tx *sqlx.Tx) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`fetch %d from %s`, fetchRows, f.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	f.pending, f.next = f.pending[:0], 0
	for rows.Next() {
		id, apply, err := f.scan(rows)
		if err != nil {
			return err
		}
		f.pending = append(f.pending, pendingFact{id, apply})
	}
	if len(f.pending) < fetchRows {
		f.done = true
	}
	return rows.Err()
}

// noJIT turns JIT compilation off for the rest of the transaction: the
// scoring statements' cost estimates cross jit_above_cost, and compiling
// took 110 ms of a 560 ms batch query (EXPLAIN ANALYZE, 100k-customer
// tenant) for no gain.
func noJIT(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `select set_config('jit', 'off', true)`)
	return err
}
