package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const rewardCols = `id, customer_id, referral_id, kind, amount, currency, reason, issued_at, issued_by, generated`

// CreateReward issues a reward to a customer the actor can see; the
// issuer is the actor.
func (s *Store) CreateReward(ctx context.Context, customerID uuid.UUID, u core.RewardUpdate) (core.Reward, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Reward{}, err
	}
	r := core.Reward{ID: core.NewID(), CustomerID: customerID, IssuedAt: lrMicro(time.Now()), IssuedBy: sc.author()}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		return sc.saveReward(ctx, tx, &r, u, true)
	})
	return r, err
}

// Reward returns one reward.
func (s *Store) Reward(ctx context.Context, id uuid.UUID) (core.Reward, error) {
	var r core.Reward
	err := s.lrReadOne(ctx, &r, "rewards", rewardCols, id)
	return r, err
}

// Rewards lists rewards, newest first (Status filters on the kind).
func (s *Store) Rewards(ctx context.Context, f LinkFilter) (LinkPage[core.Reward], error) {
	return lrList[core.Reward](ctx, s, "rewards", rewardCols, f)
}

// UpdateReward changes a reward.
func (s *Store) UpdateReward(ctx context.Context, id uuid.UUID, u core.RewardUpdate) (core.Reward, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Reward{}, err
	}
	var r core.Reward
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getLinked(ctx, tx, &r, "rewards", rewardCols, id, true); err != nil {
			return err
		}
		return sc.saveReward(ctx, tx, &r, u, false)
	})
	return r, err
}

// DeleteReward deletes a reward.
func (s *Store) DeleteReward(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "rewards", id)
}

func (sc lrScope) saveReward(ctx context.Context, tx *sqlx.Tx, r *core.Reward, u core.RewardUpdate, isNew bool) error {
	r.IssuedAt = lrMicro(r.IssuedAt)
	before := *r
	u.Apply(r)
	r.IssuedAt = lrMicro(r.IssuedAt)
	if err := r.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *r) {
		return nil
	}
	if r.ReferralID != nil {
		var n int
		if err := tx.GetContext(ctx, &n, `select count(*) from referrals where id = $1 and (referrer_id = $2 or referred_id = $2)`, *r.ReferralID, r.CustomerID); err != nil {
			return err
		}
		if n == 0 {
			return core.Invalid(map[string]string{"referral_id": "must be a referral the customer took part in"})
		}
	}
	return tx.GetContext(ctx, r, `insert into rewards (id, customer_id, referral_id, kind, amount, currency, reason, issued_at, issued_by, generated)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		on conflict (id) do update set referral_id = excluded.referral_id, kind = excluded.kind, amount = excluded.amount,
			currency = excluded.currency, reason = excluded.reason, issued_at = excluded.issued_at
		returning `+rewardCols, r.ID, r.CustomerID, r.ReferralID, r.Kind, r.Amount, r.Currency, r.Reason, r.IssuedAt, r.IssuedBy, r.Generated)
}
