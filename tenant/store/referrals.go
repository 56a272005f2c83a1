package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const referralCols = `id, referrer_id, referred_id, referred_on, status, note, generated, created_at`

// referralVisible: a referral hangs off both of its customers, so an
// own-records actor sees it when either is theirs.
const referralVisible = `(` + `not $1::boolean or referrer_id in (select id from customers where owner_id = $2::uuid)
	or referred_id in (select id from customers where owner_id = $2::uuid))`

// CreateReferral records that one customer referred another. Both must be
// customers the actor can see; a pair can be recorded once (409).
func (s *Store) CreateReferral(ctx context.Context, u core.ReferralUpdate) (core.Referral, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Referral{}, err
	}
	r := core.Referral{ID: core.NewID(), Status: "pending", ReferredOn: lrToday(ctx)}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		return sc.saveReferral(ctx, tx, &r, u, true)
	})
	return r, err
}

// Referral returns one referral.
func (s *Store) Referral(ctx context.Context, id uuid.UUID) (core.Referral, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Referral{}, err
	}
	var r core.Referral
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error { return sc.getReferral(ctx, tx, &r, id, false) })
	return r, err
}

func (sc lrScope) getReferral(ctx context.Context, tx *sqlx.Tx, r *core.Referral, id uuid.UUID, lock bool) error {
	q := `select ` + referralCols + ` from referrals where id = $3 and ` + referralVisible
	if lock {
		q += ` for update`
	}
	err := tx.GetContext(ctx, r, q, sc.args(id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "referral not found")
	}
	return err
}

// ReferralFilter selects referrals: of one customer (made or received,
// or either), by status.
type ReferralFilter struct {
	CustomerID *uuid.UUID
	// Role is "made", "received" or "" for both.
	Role   string
	Status []string
	Cursor string
	Limit  int
}

// Referrals lists referrals, newest first.
func (s *Store) Referrals(ctx context.Context, f ReferralFilter) (LinkPage[core.Referral], error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return LinkPage[core.Referral]{}, err
	}
	var cursor *uuid.UUID
	if f.Cursor != "" {
		id, err := lrDecodeCursor(f.Cursor)
		if err != nil {
			return LinkPage[core.Referral]{}, err
		}
		cursor = &id
	}
	limit := lrLimit(f.Limit)
	p := LinkPage[core.Referral]{Items: []core.Referral{}}
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if f.CustomerID != nil {
			if err := sc.customerVisible(ctx, tx, *f.CustomerID); err != nil {
				return err
			}
		}
		return tx.SelectContext(ctx, &p.Items, `select `+referralCols+` from referrals where `+referralVisible+`
			and ($3::uuid is null or ($4 <> 'received' and referrer_id = $3) or ($4 <> 'made' and referred_id = $3))
			and (cardinality($5::text[]) = 0 or status = any($5))
			and ($6::uuid is null or id < $6)
			order by id desc limit $7`, sc.args(f.CustomerID, f.Role, pq.Array(lrNonNil(f.Status)), cursor, limit+1)...)
	})
	if err != nil {
		return LinkPage[core.Referral]{}, err
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.NextCursor = lrEncodeCursor(p.Items[limit-1].ID)
	}
	return p, nil
}

// UpdateReferral changes a referral.
func (s *Store) UpdateReferral(ctx context.Context, id uuid.UUID, u core.ReferralUpdate) (core.Referral, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Referral{}, err
	}
	var r core.Referral
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getReferral(ctx, tx, &r, id, true); err != nil {
			return err
		}
		return sc.saveReferral(ctx, tx, &r, u, false)
	})
	return r, err
}

// DeleteReferral deletes a referral.
func (s *Store) DeleteReferral(ctx context.Context, id uuid.UUID) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from referrals where id = $3 and `+referralVisible, sc.args(id)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.CodeNotFound, "referral not found")
		}
		return nil
	})
}

func (sc lrScope) saveReferral(ctx context.Context, tx *sqlx.Tx, r *core.Referral, u core.ReferralUpdate, isNew bool) error {
	before := *r
	u.Apply(r)
	if err := r.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *r) {
		return nil
	}
	f := map[string]string{}
	if r.ReferrerID != before.ReferrerID {
		if sc.customerVisible(ctx, tx, r.ReferrerID) != nil {
			f["referrer_id"] = "no such customer"
		}
	}
	if r.ReferredID != before.ReferredID {
		if sc.customerVisible(ctx, tx, r.ReferredID) != nil {
			f["referred_id"] = "no such customer"
		}
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	err := tx.GetContext(ctx, r, `insert into referrals (id, referrer_id, referred_id, referred_on, status, note, generated)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (id) do update set referrer_id = excluded.referrer_id, referred_id = excluded.referred_id,
			referred_on = excluded.referred_on, status = excluded.status, note = excluded.note
		returning `+referralCols, r.ID, r.ReferrerID, r.ReferredID, r.ReferredOn, r.Status, r.Note, r.Generated)
	return lrUnique(err, "this referral is already recorded")
}

// lrToday is today in the tenant's time zone.
func lrToday(ctx context.Context) core.Date {
	loc := time.UTC
	if t, err := core.TenantFrom(ctx); err == nil {
		if l, err := time.LoadLocation(t.TimeZone); err == nil {
			loc = l
		}
	}
	n := time.Now().In(loc)
	return core.NewDate(n.Year(), n.Month(), n.Day())
}
