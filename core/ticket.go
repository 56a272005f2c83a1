package core

import (
	"time"

	"github.com/google/uuid"
)

// Ticket statuses and priorities.
var (
	TicketStatuses   = []string{"open", "answered", "on_hold", "closed"}
	TicketPriorities = []string{"low", "normal", "high", "urgent"}
)

// Ticket is a support ticket of a customer.
type Ticket struct {
	ID             uuid.UUID  `json:"id" db:"id"`
	CustomerID     uuid.UUID  `json:"customer_id" db:"customer_id"`
	ContactID      *uuid.UUID `json:"contact_id" db:"contact_id"`
	Subject        string     `json:"subject" db:"subject"`
	Body           string     `json:"body" db:"body"`
	Status         string     `json:"status" db:"status"`
	Priority       string     `json:"priority" db:"priority"`
	PriorityReason string     `json:"priority_reason" db:"priority_reason"`
	Department     string     `json:"department" db:"department"`
	OpenedAt       time.Time  `json:"opened_at" db:"opened_at"`
	ClosedAt       *time.Time `json:"closed_at" db:"closed_at"`
	Satisfaction   *int16     `json:"satisfaction" db:"satisfaction"`
	ExternalRef    *string    `json:"external_ref" db:"external_ref"`
	CreatedAt      time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at" db:"updated_at"`
}

// TicketUpdate changes a ticket; nil fields stay as they are. It is also
// the body of a create, where Subject is required.
type TicketUpdate struct {
	ContactID      *uuid.UUID `json:"contact_id"`
	Subject        *string    `json:"subject"`
	Body           *string    `json:"body"`
	Status         *string    `json:"status"`
	Priority       *string    `json:"priority"`
	PriorityReason *string    `json:"priority_reason"`
	Department     *string    `json:"department"`
	OpenedAt       *time.Time `json:"opened_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	Satisfaction   *int16     `json:"satisfaction"`
	ExternalRef    *string    `json:"external_ref"`
}

// Apply writes u onto t. A status change to closed stamps ClosedAt (now,
// unless given); reopening clears it.
func (u TicketUpdate) Apply(t *Ticket, now time.Time) {
	setPtr(&t.Subject, u.Subject)
	setPtr(&t.Body, u.Body)
	setPtr(&t.Priority, u.Priority)
	setPtr(&t.PriorityReason, u.PriorityReason)
	setPtr(&t.Department, u.Department)
	setPtr(&t.OpenedAt, u.OpenedAt)
	if u.ContactID != nil {
		t.ContactID = idOrNil(*u.ContactID)
	}
	if u.Satisfaction != nil {
		s := *u.Satisfaction
		t.Satisfaction = &s
	}
	if u.ExternalRef != nil {
		t.ExternalRef = refOrNil(*u.ExternalRef)
	}
	if u.Status != nil {
		t.Status = *u.Status
	}
	if u.ClosedAt != nil {
		c := *u.ClosedAt
		t.ClosedAt = &c
	}
	if t.Status == "closed" && t.ClosedAt == nil {
		n := now
		t.ClosedAt = &n
	}
	if t.Status != "closed" {
		t.ClosedAt = nil
	}
}

// Validate checks a ticket before it is stored.
func (t *Ticket) Validate() error {
	f := recFields{}
	f.Required("subject", t.Subject, 500)
	f.MaxLen("body", t.Body, 100000)
	f.OneOf("status", t.Status, TicketStatuses)
	f.OneOf("priority", t.Priority, TicketPriorities)
	f.MaxLen("priority_reason", t.PriorityReason, 500)
	f.MaxLen("department", t.Department, 200)
	f.Ref("external_ref", t.ExternalRef)
	if t.Satisfaction != nil && (*t.Satisfaction < 1 || *t.Satisfaction > 5) {
		f["satisfaction"] = "must be between 1 and 5"
	}
	if t.ClosedAt != nil && t.ClosedAt.Before(t.OpenedAt) {
		f["closed_at"] = "must not be before opened_at"
	}
	return f.Err()
}
