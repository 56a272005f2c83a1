package core

import (
	"time"

	"github.com/google/uuid"
)

// Payment is money received. It may arrive before its invoice: then it
// names the invoice by number or external ref and the store links it when
// the invoice comes.
type Payment struct {
	ID            uuid.UUID  `json:"id" db:"id"`
	CustomerID    *uuid.UUID `json:"customer_id" db:"customer_id"`
	InvoiceID     *uuid.UUID `json:"invoice_id" db:"invoice_id"`
	InvoiceNumber string     `json:"invoice_number" db:"invoice_number"`
	InvoiceRef    string     `json:"invoice_ref" db:"invoice_ref"`
	Amount        int64      `json:"amount" db:"amount"`
	Currency      string     `json:"currency" db:"currency"`
	PaidOn        Date       `json:"paid_on" db:"paid_on"`
	Method        string     `json:"method" db:"method"`
	TransactionID string     `json:"transaction_id" db:"transaction_id"`
	ExternalRef   *string    `json:"external_ref" db:"external_ref"`
	CreatedAt     time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at" db:"updated_at"`
}

// PaymentUpdate changes a payment; it is also the body of a create, where
// amount, currency, paid_on and one of customer_id, invoice_id,
// invoice_number or invoice_ref are required.
type PaymentUpdate struct {
	CustomerID    *uuid.UUID `json:"customer_id"`
	InvoiceID     *uuid.UUID `json:"invoice_id"`
	InvoiceNumber *string    `json:"invoice_number"`
	InvoiceRef    *string    `json:"invoice_ref"`
	Amount        *int64     `json:"amount"`
	Currency      *string    `json:"currency"`
	PaidOn        *Date      `json:"paid_on"`
	Method        *string    `json:"method"`
	TransactionID *string    `json:"transaction_id"`
	ExternalRef   *string    `json:"external_ref"`
}

// Apply writes u onto p.
func (u PaymentUpdate) Apply(p *Payment) {
	if u.CustomerID != nil {
		p.CustomerID = idOrNil(*u.CustomerID)
	}
	if u.InvoiceID != nil {
		p.InvoiceID = idOrNil(*u.InvoiceID)
	}
	setPtr(&p.InvoiceNumber, u.InvoiceNumber)
	setPtr(&p.InvoiceRef, u.InvoiceRef)
	setPtr(&p.Amount, u.Amount)
	setPtr(&p.Currency, u.Currency)
	setPtr(&p.PaidOn, u.PaidOn)
	setPtr(&p.Method, u.Method)
	setPtr(&p.TransactionID, u.TransactionID)
	if u.ExternalRef != nil {
		p.ExternalRef = refOrNil(*u.ExternalRef)
	}
}

// Validate checks a payment before it is stored.
func (p *Payment) Validate() error {
	f := recFields{}
	if p.Amount <= 0 {
		f["amount"] = "must be positive (minor units)"
	}
	f.Currency("currency", p.Currency)
	if p.PaidOn.IsZero() {
		f["paid_on"] = "is required"
	}
	if p.CustomerID == nil && p.InvoiceID == nil && p.InvoiceNumber == "" && p.InvoiceRef == "" {
		f["invoice_number"] = "name the customer or the invoice (customer_id, invoice_id, invoice_number or invoice_ref)"
	}
	f.MaxLen("invoice_number", p.InvoiceNumber, 100)
	f.MaxLen("invoice_ref", p.InvoiceRef, 200)
	f.MaxLen("method", p.Method, 100)
	f.MaxLen("transaction_id", p.TransactionID, 200)
	f.Ref("external_ref", p.ExternalRef)
	return f.Err()
}
