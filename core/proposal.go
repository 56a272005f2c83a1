package core

import (
	"time"

	"github.com/google/uuid"
)

// Proposal statuses.
var ProposalStatuses = []string{"draft", "sent", "accepted", "declined", "expired"}

// Proposal is an offer made to a customer.
type Proposal struct {
	ID          uuid.UUID `json:"id" db:"id"`
	CustomerID  uuid.UUID `json:"customer_id" db:"customer_id"`
	Subject     string    `json:"subject" db:"subject"`
	Total       int64     `json:"total" db:"total"`
	Currency    string    `json:"currency" db:"currency"`
	Status      string    `json:"status" db:"status"`
	SentOn      *Date     `json:"sent_on" db:"sent_on"`
	OpenTill    *Date     `json:"open_till" db:"open_till"`
	ExternalRef *string   `json:"external_ref" db:"external_ref"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
	UpdatedAt   time.Time `json:"updated_at" db:"updated_at"`
}

// ProposalUpdate changes a proposal; it is also the body of a create,
// where subject and currency are required.
type ProposalUpdate struct {
	Subject     *string `json:"subject"`
	Total       *int64  `json:"total"`
	Currency    *string `json:"currency"`
	Status      *string `json:"status"`
	SentOn      *Date   `json:"sent_on"`
	OpenTill    *Date   `json:"open_till"`
	ExternalRef *string `json:"external_ref"`
}

// Apply writes u onto p.
func (u ProposalUpdate) Apply(p *Proposal) {
	setPtr(&p.Subject, u.Subject)
	setPtr(&p.Total, u.Total)
	setPtr(&p.Currency, u.Currency)
	setPtr(&p.Status, u.Status)
	p.SentOn = dateOrKeep(p.SentOn, u.SentOn)
	p.OpenTill = dateOrKeep(p.OpenTill, u.OpenTill)
	if u.ExternalRef != nil {
		p.ExternalRef = refOrNil(*u.ExternalRef)
	}
}

// Validate checks a proposal before it is stored.
func (p *Proposal) Validate() error {
	f := recFields{}
	f.Required("subject", p.Subject, 500)
	f.Currency("currency", p.Currency)
	f.OneOf("status", p.Status, ProposalStatuses)
	f.Ref("external_ref", p.ExternalRef)
	if p.Total < 0 {
		f["total"] = "must not be negative"
	}
	if p.SentOn != nil && p.OpenTill != nil && p.OpenTill.Before(p.SentOn.Time) {
		f["open_till"] = "must not be before sent_on"
	}
	return f.Err()
}

// dateOrKeep applies an optional date; a zero date (JSON null) clears it.
func dateOrKeep(cur *Date, u *Date) *Date {
	if u == nil {
		return cur
	}
	if u.IsZero() {
		return nil
	}
	d := *u
	return &d
}
