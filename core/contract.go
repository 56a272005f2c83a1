package core

import (
	"time"

	"github.com/google/uuid"
)

// Contract statuses.
var ContractStatuses = []string{"draft", "active", "ended", "cancelled", "renewed"}

// Contract is an agreement with a customer over a period.
type Contract struct {
	ID           uuid.UUID  `json:"id" db:"id"`
	CustomerID   uuid.UUID  `json:"customer_id" db:"customer_id"`
	Subject      string     `json:"subject" db:"subject"`
	Type         string     `json:"type" db:"type"`
	Value        int64      `json:"value" db:"value"`
	MonthlyValue int64      `json:"monthly_value" db:"monthly_value"`
	Currency     string     `json:"currency" db:"currency"`
	StartOn      Date       `json:"start_on" db:"start_on"`
	EndOn        *Date      `json:"end_on" db:"end_on"`
	Signed       bool       `json:"signed" db:"signed"`
	SignedAt     *time.Time `json:"signed_at" db:"signed_at"`
	RenewalOf    *uuid.UUID `json:"renewal_of" db:"renewal_of"`
	Status       string     `json:"status" db:"status"`
	Churned      *bool      `json:"churned" db:"churned"`
	ExternalRef  *string    `json:"external_ref" db:"external_ref"`
	CreatedAt    time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at" db:"updated_at"`
}

// ContractUpdate changes a contract; it is also the body of a create,
// where subject, currency and start_on are required.
type ContractUpdate struct {
	Subject      *string    `json:"subject"`
	Type         *string    `json:"type"`
	Value        *int64     `json:"value"`
	MonthlyValue *int64     `json:"monthly_value"`
	Currency     *string    `json:"currency"`
	StartOn      *Date      `json:"start_on"`
	EndOn        *Date      `json:"end_on"`
	Signed       *bool      `json:"signed"`
	SignedAt     *time.Time `json:"signed_at"`
	RenewalOf    *uuid.UUID `json:"renewal_of"`
	Status       *string    `json:"status"`
	Churned      *bool      `json:"churned"`
	ExternalRef  *string    `json:"external_ref"`
}

// Apply writes u onto c; signing stamps SignedAt (now, unless given).
func (u ContractUpdate) Apply(c *Contract, now time.Time) {
	setPtr(&c.Subject, u.Subject)
	setPtr(&c.Type, u.Type)
	setPtr(&c.Value, u.Value)
	setPtr(&c.MonthlyValue, u.MonthlyValue)
	setPtr(&c.Currency, u.Currency)
	setPtr(&c.StartOn, u.StartOn)
	if u.EndOn != nil {
		d := *u.EndOn
		c.EndOn = &d
		if d.IsZero() {
			c.EndOn = nil
		}
	}
	setPtr(&c.Signed, u.Signed)
	if u.SignedAt != nil {
		s := *u.SignedAt
		c.SignedAt = &s
	}
	if c.Signed && c.SignedAt == nil {
		n := now
		c.SignedAt = &n
	}
	if !c.Signed {
		c.SignedAt = nil
	}
	if u.RenewalOf != nil {
		c.RenewalOf = idOrNil(*u.RenewalOf)
	}
	setPtr(&c.Status, u.Status)
	if u.Churned != nil {
		v := *u.Churned
		c.Churned = &v
	}
	if u.ExternalRef != nil {
		c.ExternalRef = refOrNil(*u.ExternalRef)
	}
}

// Validate checks a contract before it is stored.
func (c *Contract) Validate() error {
	f := recFields{}
	f.Required("subject", c.Subject, 500)
	f.MaxLen("type", c.Type, 100)
	f.Currency("currency", c.Currency)
	f.OneOf("status", c.Status, ContractStatuses)
	f.Ref("external_ref", c.ExternalRef)
	if c.Value < 0 {
		f["value"] = "must not be negative"
	}
	if c.MonthlyValue < 0 {
		f["monthly_value"] = "must not be negative"
	}
	if c.StartOn.IsZero() {
		f["start_on"] = "is required"
	}
	if c.EndOn != nil && c.EndOn.Before(c.StartOn.Time) {
		f["end_on"] = "must not be before start_on"
	}
	if c.RenewalOf != nil && *c.RenewalOf == c.ID {
		f["renewal_of"] = "a contract cannot renew itself"
	}
	return f.Err()
}
