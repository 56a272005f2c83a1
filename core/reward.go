package core

import (
	"time"

	"github.com/google/uuid"
)

// Reward kinds.
var RewardKinds = []string{"discount", "credit", "gift", "points", "cash"}

// Reward is one entry of the ledger of rewards given to customers.
type Reward struct {
	ID         uuid.UUID  `json:"id" db:"id"`
	CustomerID uuid.UUID  `json:"customer_id" db:"customer_id"`
	ReferralID *uuid.UUID `json:"referral_id" db:"referral_id"`
	Kind       string     `json:"kind" db:"kind"`
	Amount     int64      `json:"amount" db:"amount"`
	Currency   string     `json:"currency" db:"currency"`
	Reason     string     `json:"reason" db:"reason"`
	IssuedAt   time.Time  `json:"issued_at" db:"issued_at"`
	IssuedBy   *uuid.UUID `json:"issued_by" db:"issued_by"`
	Generated  bool       `json:"generated" db:"generated"`
}

// RewardUpdate changes a reward; it is also the body of a create, where
// kind and currency are required.
type RewardUpdate struct {
	ReferralID *uuid.UUID `json:"referral_id"`
	Kind       *string    `json:"kind"`
	Amount     *int64     `json:"amount"`
	Currency   *string    `json:"currency"`
	Reason     *string    `json:"reason"`
	IssuedAt   *time.Time `json:"issued_at"`
}

// Apply writes u onto r.
func (u RewardUpdate) Apply(r *Reward) {
	if u.ReferralID != nil {
		r.ReferralID = idOrNil(*u.ReferralID)
	}
	setPtr(&r.Kind, u.Kind)
	setPtr(&r.Amount, u.Amount)
	setPtr(&r.Currency, u.Currency)
	setPtr(&r.Reason, u.Reason)
	setPtr(&r.IssuedAt, u.IssuedAt)
}

// Validate checks a reward before it is stored.
func (r *Reward) Validate() error {
	f := recFields{}
	f.OneOf("kind", r.Kind, RewardKinds)
	f.Currency("currency", r.Currency)
	f.MaxLen("reason", r.Reason, 2000)
	if r.Amount < 0 {
		f["amount"] = "must not be negative"
	}
	return f.Err()
}
