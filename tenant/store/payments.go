package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const paymentCols = `id, customer_id, invoice_id, invoice_number, invoice_ref, amount, currency, paid_on, method, transaction_id, external_ref, created_at, updated_at`

// CreatePayment records a payment. It names its invoice by id, number or
// external ref; an invoice that does not exist yet is linked when it comes
// (CreateInvoice). A payment whose external_ref is known updates that
// payment instead, and a replay that changes nothing writes nothing.
func (s *Store) CreatePayment(ctx context.Context, u core.PaymentUpdate) (p core.Payment, created bool, err error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return p, false, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		p, created, err = sc.createPayment(ctx, tx, u)
		return err
	})
	return p, created, err
}

func (sc lrScope) createPayment(ctx context.Context, tx *sqlx.Tx, u core.PaymentUpdate) (core.Payment, bool, error) {
	var p core.Payment
	if u.ExternalRef != nil {
		ref := strings.TrimSpace(*u.ExternalRef)
		u.ExternalRef = &ref
	}
	existing, err := lrByRef(ctx, tx, "payments", u.ExternalRef)
	if err != nil {
		return p, false, err
	}
	if existing != nil {
		if err := sc.getPayment(ctx, tx, &p, *existing, true); err != nil {
			return p, false, err
		}
		return p, false, sc.savePayment(ctx, tx, &p, u, false)
	}
	p = core.Payment{ID: core.NewID()}
	return p, true, sc.savePayment(ctx, tx, &p, u, true)
}

// getPayment loads a payment the actor may see. A payment not yet linked
// to any customer is visible only to unscoped actors.
func (sc lrScope) getPayment(ctx context.Context, tx *sqlx.Tx, p *core.Payment, id uuid.UUID, lock bool) error {
	return sc.getLinked(ctx, tx, p, "payments", paymentCols, id, lock)
}

// Payment returns one payment.
func (s *Store) Payment(ctx context.Context, id uuid.UUID) (core.Payment, error) {
	var p core.Payment
	err := s.lrReadOne(ctx, &p, "payments", paymentCols, id)
	return p, err
}

// Payments lists payments, newest first.
func (s *Store) Payments(ctx context.Context, f LinkFilter) (LinkPage[core.Payment], error) {
	return lrList[core.Payment](ctx, s, "payments", paymentCols, f)
}

// UpdatePayment changes a payment.
func (s *Store) UpdatePayment(ctx context.Context, id uuid.UUID, u core.PaymentUpdate) (core.Payment, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Payment{}, err
	}
	var p core.Payment
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getPayment(ctx, tx, &p, id, true); err != nil {
			return err
		}
		return sc.savePayment(ctx, tx, &p, u, false)
	})
	return p, err
}

// DeletePayment deletes a payment; its invoice and customer facts follow.
func (s *Store) DeletePayment(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "payments", id)
}

func (sc lrScope) savePayment(ctx context.Context, tx *sqlx.Tx, p *core.Payment, u core.PaymentUpdate, isNew bool) error {
	before := *p
	oldCustomer := p.CustomerID
	if u.InvoiceNumber != nil {
		v := strings.TrimSpace(*u.InvoiceNumber)
		u.InvoiceNumber = &v
	}
	if u.InvoiceRef != nil {
		v := strings.TrimSpace(*u.InvoiceRef)
		u.InvoiceRef = &v
	}
	u.Apply(p)
	if err := p.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *p) {
		return nil
	}
	// Resolve the invoice: by id, else by number or external ref.
	var inv struct {
		ID         uuid.UUID `db:"id"`
		CustomerID uuid.UUID `db:"customer_id"`
		Currency   string    `db:"currency"`
	}
	var err error
	switch {
	case p.InvoiceID != nil:
		err = tx.GetContext(ctx, &inv, `select id, customer_id, currency from invoices where id = $3 and `+lrScopeCond("customer_id"), sc.args(*p.InvoiceID)...)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Invalid(map[string]string{"invoice_id": "no such invoice"})
		}
	case p.InvoiceNumber != "" || p.InvoiceRef != "":
		err = tx.GetContext(ctx, &inv, `select id, customer_id, currency from invoices
			where (number = $1 and $1 <> '') or (external_ref = $2 and $2 <> '') order by (number = $1) desc limit 1`, p.InvoiceNumber, p.InvoiceRef)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // not there yet: linked when it comes
		}
	}
	if err != nil {
		return err
	}
	if inv.ID != uuid.Nil {
		f := map[string]string{}
		if inv.Currency != p.Currency {
			f["currency"] = "must be the invoice's currency (" + inv.Currency + ")"
		}
		if p.CustomerID != nil && *p.CustomerID != inv.CustomerID {
			f["customer_id"] = "the invoice belongs to another customer"
		}
		if len(f) > 0 {
			return core.Invalid(f)
		}
		id, cust := inv.ID, inv.CustomerID
		p.InvoiceID, p.CustomerID = &id, &cust
	}
	if p.CustomerID != nil && (oldCustomer == nil || *oldCustomer != *p.CustomerID) {
		if err := sc.customerVisible(ctx, tx, *p.CustomerID); err != nil {
			return core.Invalid(map[string]string{"customer_id": "no such customer"})
		}
	}
	if p.CustomerID == nil && sc.own {
		return core.Invalid(map[string]string{"customer_id": "is required"})
	}
	err = tx.GetContext(ctx, p, `insert into payments (id, customer_id, invoice_id, invoice_number, invoice_ref, amount, currency, paid_on, method, transaction_id, external_ref)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		on conflict (id) do update set customer_id = excluded.customer_id, invoice_id = excluded.invoice_id,
			invoice_number = excluded.invoice_number, invoice_ref = excluded.invoice_ref, amount = excluded.amount,
			currency = excluded.currency, paid_on = excluded.paid_on, method = excluded.method,
			transaction_id = excluded.transaction_id, external_ref = excluded.external_ref, updated_at = now()
		returning `+paymentCols,
		p.ID, p.CustomerID, p.InvoiceID, p.InvoiceNumber, p.InvoiceRef, p.Amount, p.Currency, p.PaidOn, p.Method, p.TransactionID, p.ExternalRef)
	if err != nil {
		return lrUnique(err, "external_ref already used")
	}
	var ids []uuid.UUID
	if p.CustomerID != nil {
		ids = append(ids, *p.CustomerID)
	}
	if oldCustomer != nil && (p.CustomerID == nil || *oldCustomer != *p.CustomerID) {
		ids = append(ids, *oldCustomer)
	}
	return RecomputeFactsTx(ctx, tx, ids)
}
