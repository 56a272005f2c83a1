package core

import (
	"time"

	"github.com/google/uuid"
)

// Referral statuses.
var ReferralStatuses = []string{"pending", "qualified", "rewarded", "cancelled"}

// Referral records that one customer brought another.
type Referral struct {
	ID         uuid.UUID `json:"id" db:"id"`
	ReferrerID uuid.UUID `json:"referrer_id" db:"referrer_id"`
	ReferredID uuid.UUID `json:"referred_id" db:"referred_id"`
	ReferredOn Date      `json:"referred_on" db:"referred_on"`
	Status     string    `json:"status" db:"status"`
	Note       string    `json:"note" db:"note"`
	Generated  bool      `json:"generated" db:"generated"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

// ReferralUpdate changes a referral; it is also the body of a create,
// where referrer_id and referred_id are required.
type ReferralUpdate struct {
	ReferrerID *uuid.UUID `json:"referrer_id"`
	ReferredID *uuid.UUID `json:"referred_id"`
	ReferredOn *Date      `json:"referred_on"`
	Status     *string    `json:"status"`
	Note       *string    `json:"note"`
}

// Apply writes u onto r.
func (u ReferralUpdate) Apply(r *Referral) {
	setPtr(&r.ReferrerID, u.ReferrerID)
	setPtr(&r.ReferredID, u.ReferredID)
	setPtr(&r.ReferredOn, u.ReferredOn)
	setPtr(&r.Status, u.Status)
	setPtr(&r.Note, u.Note)
}

// Validate checks a referral before it is stored.
func (r *Referral) Validate() error {
	f := recFields{}
	if r.ReferrerID == uuid.Nil {
		f["referrer_id"] = "is required"
	}
	if r.ReferredID == uuid.Nil {
		f["referred_id"] = "is required"
	}
	if r.ReferrerID != uuid.Nil && r.ReferrerID == r.ReferredID {
		f["referred_id"] = "a customer cannot refer itself"
	}
	if r.ReferredOn.IsZero() {
		f["referred_on"] = "is required"
	}
	f.OneOf("status", r.Status, ReferralStatuses)
	f.MaxLen("note", r.Note, 2000)
	return f.Err()
}
