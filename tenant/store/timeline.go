package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// ProfileRecentItems is how many recent records of each kind the profile
// shows; each kind's own list has the rest.
const ProfileRecentItems = 5

// ProfileTimelineItems is the size of the profile's first timeline page.
const ProfileTimelineItems = 20

// timelineBranches are the timeline's sources, one SELECT each, merged
// with UNION ALL: every branch yields (at, kind, id, title, actor_id) for
// customer $1, before the cursor ($2, $3), at most $4 rows, newest first.
// Days (invoices, payments, contracts, referrals) are placed at the start
// of the day in the tenant's time zone ($5). Tasks are the ones the
// reader reaches ($6–$9, taskSeen): no rescue alerts without scores:read.
var timelineBranches = []string{
	`select created_at as at, 'note' as kind, id, kind || ': ' || left(body, 140) as title, author_id as actor_id from notes where customer_id = $1`,
	`select created_at, 'task', id, title, created_by from tasks where customer_id = $1 and ` + taskSeen{}.cond(6),
	`select opened_at, 'ticket', id, subject, null::uuid from tickets where customer_id = $1`,
	`select (start_on::timestamp at time zone $5), 'contract', id, subject, null::uuid from contracts where customer_id = $1`,
	`select created_at, 'proposal', id, subject, null::uuid from proposals where customer_id = $1`,
	`select (issued_on::timestamp at time zone $5), case when kind = 'credit_note' then 'credit_note' else 'invoice' end, id, number, null::uuid from invoices where customer_id = $1`,
	`select (paid_on::timestamp at time zone $5), 'payment', id, case when invoice_number <> '' then invoice_number else method end, null::uuid from payments where customer_id = $1`,
	`select (referred_on::timestamp at time zone $5), case when referrer_id = $1 then 'referral_made' else 'referral_received' end, id, note, null::uuid from referrals where (referrer_id = $1 or referred_id = $1)`,
	`select issued_at, 'reward', id, kind || case when reason <> '' then ': ' || reason else '' end, issued_by from rewards where customer_id = $1`,
}

// timelineSQL merges the branches with keyset pagination on (at, id).
func timelineSQL() string {
	parts := make([]string, len(timelineBranches))
	for i, b := range timelineBranches {
		parts[i] = `(select * from (` + b + `) as x(at, kind, id, title, actor_id) where ($2::timestamptz is null or (x.at, x.id) < ($2, $3::uuid)) order by x.at desc, x.id desc limit $4)`
	}
	return `select at, kind, id, title, actor_id from (` + strings.Join(parts, " union all ") + `) t order by at desc, id desc limit $4`
}

// TimelinePage is one page of a customer's timeline, newest first.
type TimelinePage struct {
	Items      []core.TimelineEntry `json:"items"`
	NextCursor string               `json:"next_cursor"`
}

type timelineCursor struct {
	At time.Time `json:"at"`
	ID uuid.UUID `json:"id"`
}

// Timeline returns a page of the merged timeline of a customer the actor
// may see: notes, tasks, tickets, contracts, proposals, invoices and
// credit notes, payments, referrals made and received, rewards.
func (s *Store) Timeline(ctx context.Context, customerID uuid.UUID, cursor string, limit int) (TimelinePage, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return TimelinePage{}, err
	}
	seen, err := taskSeenOf(ctx)
	if err != nil {
		return TimelinePage{}, err
	}
	var p TimelinePage
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		p, err = timelinePage(ctx, tx, seen, customerID, cursor, lrLimit(limit))
		return err
	})
	return p, err
}

func timelinePage(ctx context.Context, tx *sqlx.Tx, seen taskSeen, customerID uuid.UUID, cursor string, limit int) (TimelinePage, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return TimelinePage{}, err
	}
	var at *time.Time
	var after uuid.UUID
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		var c timelineCursor
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil {
			return TimelinePage{}, core.Invalid(map[string]string{"cursor": "is not a cursor this timeline issued"})
		}
		at, after = &c.At, c.ID
	}
	var rows []struct {
		At      time.Time  `db:"at"`
		Kind    string     `db:"kind"`
		ID      uuid.UUID  `db:"id"`
		Title   string     `db:"title"`
		ActorID *uuid.UUID `db:"actor_id"`
	}
	if err := tx.SelectContext(ctx, &rows, timelineSQL(), append([]any{customerID, at, after, limit + 1, t.TimeZone}, seen.args()...)...); err != nil {
		return TimelinePage{}, fmt.Errorf("timeline: %w", err)
	}
	p := TimelinePage{Items: []core.TimelineEntry{}}
	for i, r := range rows {
		if i == limit {
			last := p.Items[limit-1]
			b, _ := json.Marshal(timelineCursor{At: last.At, ID: last.ID})
			p.NextCursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		p.Items = append(p.Items, core.TimelineEntry{At: r.At, Kind: r.Kind, ID: r.ID, Title: r.Title, ActorID: r.ActorID})
	}
	return p, nil
}

// linkedProfile fills the linked records' sections of a profile inside
// the profile's transaction: recent records of every kind, referrals
// received, and the timeline's first page. Tasks are the ones the reader
// reaches (seen), as in the tasks list.
func linkedProfile(ctx context.Context, tx *sqlx.Tx, seen taskSeen, id uuid.UUID, p *core.Profile) error {
	p.Recent = core.EmptyRecent()
	type summary struct {
		ID       uuid.UUID `db:"id"`
		Title    string    `db:"title"`
		Status   string    `db:"status"`
		Amount   *int64    `db:"amount"`
		Currency *string   `db:"currency"`
		At       time.Time `db:"at"`
	}
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	sections := []struct {
		kind string
		dst  *[]core.RecordSummary
		q    string
	}{
		{"note", &p.Recent.Notes, `select id, left(body, 140) as title, kind as status, null::bigint as amount, null::text as currency, created_at as at from notes where customer_id = $1 order by created_at desc, id desc`},
		{"task", &p.Recent.Tasks, `select id, title, status, null::bigint, null::text, created_at from tasks where customer_id = $1 and ` + seen.cond(5) + ` order by created_at desc, id desc`},
		{"ticket", &p.Recent.Tickets, `select id, subject, status, null::bigint, null::text, opened_at from tickets where customer_id = $1 order by opened_at desc, id desc`},
		{"contract", &p.Recent.Contracts, `select id, subject, status, value, currency, start_on::timestamp at time zone $2 from contracts where customer_id = $1 order by start_on desc, id desc`},
		{"proposal", &p.Recent.Proposals, `select id, subject, status, total, currency, created_at from proposals where customer_id = $1 order by created_at desc, id desc`},
		{"invoice", &p.Recent.Invoices, `select id, number, status, total, currency, issued_on::timestamp at time zone $2 from invoices where customer_id = $1 order by issued_on desc, id desc`},
		{"payment", &p.Recent.Payments, `select id, case when invoice_number <> '' then invoice_number else method end, '' as status, amount, currency, paid_on::timestamp at time zone $2 from payments where customer_id = $1 order by paid_on desc, id desc`},
		{"referral", &p.Recent.Referrals, `select r.id, case when r.referrer_id = $1 then 'made' else 'received' end
				|| case when not $3::boolean or c.owner_id = $4::uuid then ': ' || c.name else '' end, r.status, null::bigint, null::text, r.referred_on::timestamp at time zone $2
			from referrals r join customers c on c.id = case when r.referrer_id = $1 then r.referred_id else r.referrer_id end
			where r.referrer_id = $1 or r.referred_id = $1 order by r.referred_on desc, r.id desc`},
		{"reward", &p.Recent.Rewards, `select id, kind || case when reason <> '' then ': ' || reason else '' end, kind, amount, currency, issued_at from rewards where customer_id = $1 order by issued_at desc, id desc`},
	}
	// One round trip for every section: each branch takes its newest few.
	var parts []string
	dst := map[string]*[]core.RecordSummary{}
	for _, s := range sections {
		dst[s.kind] = s.dst
		parts = append(parts, fmt.Sprintf(`(select '%s' as kind, * from (%s limit %d) as s(id, title, status, amount, currency, at))`, s.kind, s.q, ProfileRecentItems))
	}
	var rows []struct {
		Kind string `db:"kind"`
		summary
	}
	// The other customer's name ($3, $4) only when the actor may see it;
	// tasks the reader reaches ($5–$8).
	if err := tx.SelectContext(ctx, &rows, strings.Join(parts, " union all "), append([]any{id, t.TimeZone, sc.own, sc.user}, seen.args()...)...); err != nil {
		return fmt.Errorf("recent records: %w", err)
	}
	// UNION ALL promises no order: newest first within each kind.
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].At.Equal(rows[j].At) {
			return rows[i].At.After(rows[j].At)
		}
		return rows[i].ID.String() > rows[j].ID.String()
	})
	for _, r := range rows {
		rs := core.RecordSummary{ID: r.ID, Kind: r.Kind, Title: r.Title, Status: r.Status, At: r.At}
		if r.Amount != nil && r.Currency != nil {
			rs.Amount = &core.Money{Amount: *r.Amount, Currency: *r.Currency}
		}
		*dst[r.Kind] = append(*dst[r.Kind], rs)
	}
	if err := tx.GetContext(ctx, &p.Counts.ReferralsReceived, `select count(*) from referrals where referred_id = $1`, id); err != nil {
		return err
	}
	page, err := timelinePage(ctx, tx, seen, id, "", ProfileTimelineItems)
	if err != nil {
		return err
	}
	p.Timeline, p.TimelineNextCursor = page.Items, page.NextCursor
	return nil
}
