package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const invoiceCols = `id, customer_id, number, kind, credit_of, issued_on, due_on, currency, total, paid_total, status, external_ref, created_at, updated_at`

const invoiceLineCols = `position, product, category, quantity, unit_price, amount`

// CreateInvoice stores an invoice (or credit note) with its lines. An
// invoice whose external_ref is known updates that invoice instead (an
// upsert), and a replay that changes nothing writes nothing. Payments that
// arrived earlier naming this invoice's number or external ref are linked
// to it, and the customer's facts follow in the same transaction. created
// reports whether a new invoice was made.
func (s *Store) CreateInvoice(ctx context.Context, u core.InvoiceUpdate) (inv core.Invoice, created bool, err error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return inv, false, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		inv, created, err = sc.createInvoice(ctx, tx, u)
		return err
	})
	return inv, created, err
}

func (sc lrScope) createInvoice(ctx context.Context, tx *sqlx.Tx, u core.InvoiceUpdate) (core.Invoice, bool, error) {
	var inv core.Invoice
	if u.ExternalRef != nil {
		ref := strings.TrimSpace(*u.ExternalRef)
		u.ExternalRef = &ref
	}
	existing, err := lrByRef(ctx, tx, "invoices", u.ExternalRef)
	if err != nil {
		return inv, false, err
	}
	if existing != nil {
		if err := sc.loadInvoice(ctx, tx, &inv, *existing, true); err != nil {
			return inv, false, err
		}
		return inv, false, sc.saveInvoice(ctx, tx, &inv, u, false)
	}
	inv = core.Invoice{ID: core.NewID(), Kind: "invoice", Status: "unpaid", Lines: []core.InvoiceLine{}}
	if u.Lines == nil && u.Total == nil {
		return inv, false, core.Invalid(map[string]string{"total": "give the total or the lines"})
	}
	return inv, true, sc.saveInvoice(ctx, tx, &inv, u, true)
}

// Invoice returns one invoice with its lines.
func (s *Store) Invoice(ctx context.Context, id uuid.UUID) (core.Invoice, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Invoice{}, err
	}
	var inv core.Invoice
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return sc.loadInvoice(ctx, tx, &inv, id, false)
	})
	return inv, err
}

// Invoices lists invoices, newest first; lines are left out.
func (s *Store) Invoices(ctx context.Context, f LinkFilter) (LinkPage[core.Invoice], error) {
	p, err := lrList[core.Invoice](ctx, s, "invoices", invoiceCols, f)
	for i := range p.Items {
		p.Items[i].Lines = []core.InvoiceLine{}
	}
	return p, err
}

// UpdateInvoice changes an invoice; lines, when given, replace all lines.
func (s *Store) UpdateInvoice(ctx context.Context, id uuid.UUID, u core.InvoiceUpdate) (core.Invoice, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Invoice{}, err
	}
	var inv core.Invoice
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.loadInvoice(ctx, tx, &inv, id, true); err != nil {
			return err
		}
		return sc.saveInvoice(ctx, tx, &inv, u, false)
	})
	return inv, err
}

// DeleteInvoice deletes an invoice; its payments stay, unlinked.
func (s *Store) DeleteInvoice(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "invoices", id)
}

func (sc lrScope) loadInvoice(ctx context.Context, tx *sqlx.Tx, inv *core.Invoice, id uuid.UUID, lock bool) error {
	if err := sc.getLinked(ctx, tx, inv, "invoices", invoiceCols, id, lock); err != nil {
		return err
	}
	inv.Lines = []core.InvoiceLine{}
	return tx.SelectContext(ctx, &inv.Lines, `select `+invoiceLineCols+` from invoice_lines where invoice_id = $1 order by position`, id)
}

// saveInvoice applies u to inv and writes it when anything changed.
func (sc lrScope) saveInvoice(ctx context.Context, tx *sqlx.Tx, inv *core.Invoice, u core.InvoiceUpdate, isNew bool) error {
	before := *inv
	before.Lines = make([]core.InvoiceLine, len(inv.Lines))
	copy(before.Lines, inv.Lines)
	oldCustomer := inv.CustomerID
	if u.Number != nil {
		n := strings.TrimSpace(*u.Number)
		u.Number = &n
	}
	u.Apply(inv)
	if err := inv.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *inv) {
		return nil
	}
	if inv.CustomerID != oldCustomer {
		if err := sc.customerVisible(ctx, tx, inv.CustomerID); err != nil {
			return core.Invalid(map[string]string{"customer_id": "no such customer"})
		}
	}
	if inv.CreditOf != nil {
		var cust uuid.UUID
		err := tx.GetContext(ctx, &cust, `select customer_id from invoices where id = $1`, *inv.CreditOf)
		if err != nil || cust != inv.CustomerID {
			return core.Invalid(map[string]string{"credit_of": "must name an invoice of the same customer"})
		}
	}
	var linked int
	if !isNew {
		// A paid invoice's currency cannot change under its payments.
		if err := tx.GetContext(ctx, &linked, `select count(*) from payments where invoice_id = $1 and currency <> $2`, inv.ID, inv.Currency); err != nil {
			return err
		}
		if linked > 0 {
			return core.Invalid(map[string]string{"currency": "the invoice has payments in another currency"})
		}
	}
	err := tx.GetContext(ctx, inv, `insert into invoices (id, customer_id, number, kind, credit_of, issued_on, due_on, currency, total, status, external_ref)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		on conflict (id) do update set customer_id = excluded.customer_id, number = excluded.number, kind = excluded.kind,
			credit_of = excluded.credit_of, issued_on = excluded.issued_on, due_on = excluded.due_on, currency = excluded.currency,
			total = excluded.total, status = excluded.status, external_ref = excluded.external_ref, updated_at = now()
		returning `+invoiceCols,
		inv.ID, inv.CustomerID, inv.Number, inv.Kind, inv.CreditOf, inv.IssuedOn, inv.DueOn, inv.Currency, inv.Total, inv.Status, inv.ExternalRef)
	if err != nil {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23505" && strings.Contains(pe.Constraint, "number") {
			return &core.Error{Code: core.CodeConflict, Message: "invoice number already used", Fields: map[string]string{"number": "already used by another invoice"}, Err: err}
		}
		return lrUnique(err, "external_ref already used")
	}
	if isNew || u.Lines != nil {
		if err := lrWriteLines(ctx, tx, inv.ID, inv.Lines); err != nil {
			return err
		}
	}
	// Payments that came first and named this invoice.
	if _, err := tx.ExecContext(ctx, `update payments set invoice_id = $1, customer_id = $2, updated_at = now()
		where invoice_id is null and currency = $3 and (customer_id is null or customer_id = $2)
		  and ((invoice_number <> '' and invoice_number = $4) or (invoice_ref <> '' and invoice_ref = $5))`,
		inv.ID, inv.CustomerID, inv.Currency, inv.Number, lrDeref(inv.ExternalRef)); err != nil {
		return fmt.Errorf("link waiting payments: %w", err)
	}
	// Payments follow their invoice to another customer.
	if !isNew && inv.CustomerID != oldCustomer {
		if _, err := tx.ExecContext(ctx, `update payments set customer_id = $2, updated_at = now() where invoice_id = $1`, inv.ID, inv.CustomerID); err != nil {
			return err
		}
	}
	ids := []uuid.UUID{inv.CustomerID}
	if oldCustomer != uuid.Nil && oldCustomer != inv.CustomerID {
		ids = append(ids, oldCustomer)
	}
	if err := RecomputeFactsTx(ctx, tx, ids); err != nil {
		return err
	}
	// Re-read what the facts pass derived (paid total, status).
	return tx.GetContext(ctx, inv, `select `+invoiceCols+` from invoices where id = $1`, inv.ID)
}

func lrWriteLines(ctx context.Context, tx *sqlx.Tx, invoiceID uuid.UUID, lines []core.InvoiceLine) error {
	if _, err := tx.ExecContext(ctx, `delete from invoice_lines where invoice_id = $1`, invoiceID); err != nil {
		return err
	}
	if len(lines) == 0 {
		return nil
	}
	var b strings.Builder
	args := make([]any, 0, len(lines)*8)
	b.WriteString(`insert into invoice_lines (id, invoice_id, position, product, category, quantity, unit_price, amount) values `)
	for i, l := range lines {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, core.NewID(), invoiceID, l.Position, l.Product, l.Category, l.Quantity, l.UnitPrice, l.Amount)
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}

func lrDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RecomputeCustomerFacts recomputes invoice statuses and paid totals and
// the customers' denormalised facts from their invoices, payments and
// tickets. ids nil means every customer of the tenant (bulk loads call it
// after COPY).
func (s *Store) RecomputeCustomerFacts(ctx context.Context, ids []uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if ids == nil {
			return lrRecompute(ctx, tx, nil, true)
		}
		return RecomputeFactsTx(ctx, tx, ids)
	})
}

// RecomputeFactsTx is RecomputeCustomerFacts inside a caller's
// tenant-scoped transaction, for writers that change invoices, payments or
// tickets: the facts change in the same transaction as the rows.
//
// An invoice's paid total is its payments plus the credit notes that
// correct it (credit_of), so a credited invoice is settled.
//
// Definitions (DESIGN §7): purchases are days with a positive net amount
// over invoices and credit notes that are not cancelled (a credit note
// reduces its day; a day that nets to zero or less is no purchase).
// Money totals count only rows in the tenant's currency, since amounts in
// different currencies do not add up. An open invoice (not paid, not
// cancelled, positive) is overdue once its due day is before today in the
// tenant's time zone.
func RecomputeFactsTx(ctx context.Context, tx *sqlx.Tx, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	return lrRecompute(ctx, tx, ids, false)
}

func lrRecompute(ctx context.Context, tx *sqlx.Tx, ids []uuid.UUID, all bool) error {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	today := time.Now().In(loc).Format(time.DateOnly)
	strIDs := make([]string, len(ids))
	for i, id := range ids {
		strIDs[i] = id.String()
	}
	// Invoice paid totals and statuses first; the customer facts read them.
	_, err = tx.ExecContext(ctx, `
		with target as (
			select i.id, i.total, i.status, i.due_on, i.paid_total
			from invoices i
			where $3 or i.customer_id = any($1::uuid[])),
		paid as (
			select p.invoice_id as id, sum(p.amount) as amount
			from payments p join target on target.id = p.invoice_id
			group by p.invoice_id),
		credited as (
			select cn.credit_of as id, sum(cn.total) as amount
			from invoices cn join target on target.id = cn.credit_of
			where cn.status <> 'cancelled'
			group by cn.credit_of),
		sums as (
			select target.*, coalesce(paid.amount, 0) - coalesce(credited.amount, 0) as paid
			from target left join paid on paid.id = target.id left join credited on credited.id = target.id),
		next as (
			select id, paid, case
				when status = 'cancelled' then 'cancelled'
				when paid >= total then 'paid'
				when due_on < $2::date then 'overdue'
				when paid > 0 then 'partial'
				else 'unpaid' end as status
			from sums)
		update invoices i set paid_total = next.paid, status = next.status, updated_at = now()
		from next
		where i.id = next.id and (i.paid_total, i.status) is distinct from (next.paid, next.status)`,
		pq.Array(strIDs), today, all)
	if err != nil {
		return fmt.Errorf("recompute invoice statuses: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		with target as (
			select id from customers where $2 or id = any($1::uuid[])),
		days as (
			select d.customer_id, min(d.day) as first_on, max(d.day) as last_on
			from (
				select i.customer_id, i.issued_on as day
				from invoices i join target on target.id = i.customer_id
				where i.status <> 'cancelled'
				group by i.customer_id, i.issued_on
				having sum(i.total) > 0) d
			group by d.customer_id),
		inv as (
			select i.customer_id,
				sum(i.total) as invoiced,
				coalesce(sum(i.total - i.paid_total) filter (where i.status in ('unpaid', 'partial', 'overdue')), 0) as outstanding,
				coalesce(sum(i.total - i.paid_total) filter (where i.status = 'overdue'), 0) as overdue,
				count(*) filter (where i.status = 'overdue') as overdue_n
			from invoices i join target on target.id = i.customer_id
			where i.status <> 'cancelled' and i.currency = $3
			group by i.customer_id),
		pay as (
			select p.customer_id, sum(p.amount) as paid
			from payments p join target on target.id = p.customer_id
			where p.currency = $3
			group by p.customer_id),
		tk as (
			select t.customer_id, count(*) as n
			from tickets t join target on target.id = t.customer_id
			where t.status <> 'closed'
			group by t.customer_id),
		f as (
			select target.id, days.first_on, days.last_on,
				coalesce(inv.invoiced, 0) as invoiced, coalesce(pay.paid, 0) as paid,
				coalesce(inv.outstanding, 0) as outstanding, coalesce(inv.overdue, 0) as overdue,
				coalesce(inv.overdue_n, 0) as overdue_n, coalesce(tk.n, 0) as open_n
			from target
			left join days on days.customer_id = target.id
			left join inv on inv.customer_id = target.id
			left join pay on pay.customer_id = target.id
			left join tk on tk.customer_id = target.id)
		update customers c set
			first_purchase_on = f.first_on, last_purchase_on = f.last_on,
			invoiced_total = f.invoiced, paid_total = f.paid, outstanding_total = f.outstanding,
			overdue_total = f.overdue, overdue_invoices = f.overdue_n, open_tickets = f.open_n
		from f
		where c.id = f.id and (c.first_purchase_on, c.last_purchase_on, c.invoiced_total, c.paid_total,
			c.outstanding_total, c.overdue_total, c.overdue_invoices, c.open_tickets)
			is distinct from (f.first_on, f.last_on, f.invoiced, f.paid, f.outstanding, f.overdue, f.overdue_n, f.open_n)`,
		pq.Array(strIDs), all, t.Currency)
	if err != nil {
		return fmt.Errorf("recompute customer facts: %w", err)
	}
	return nil
}

// CustomerFacts are a customer's denormalised facts as stored.
type CustomerFacts struct {
	FirstPurchaseOn  *core.Date `json:"first_purchase_on" db:"first_purchase_on"`
	LastPurchaseOn   *core.Date `json:"last_purchase_on" db:"last_purchase_on"`
	InvoicedTotal    int64      `json:"invoiced_total" db:"invoiced_total"`
	PaidTotal        int64      `json:"paid_total" db:"paid_total"`
	OutstandingTotal int64      `json:"outstanding_total" db:"outstanding_total"`
	OverdueTotal     int64      `json:"overdue_total" db:"overdue_total"`
	OverdueInvoices  int        `json:"overdue_invoices" db:"overdue_invoices"`
	OpenTickets      int        `json:"open_tickets" db:"open_tickets"`
}

// Facts returns a visible customer's denormalised facts.
func (s *Store) Facts(ctx context.Context, customerID uuid.UUID) (CustomerFacts, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return CustomerFacts{}, err
	}
	var f CustomerFacts
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &f, `select first_purchase_on, last_purchase_on, invoiced_total, paid_total,
			outstanding_total, overdue_total, overdue_invoices, open_tickets
			from customers c where c.id = $3 and `+lrScopeCond("c.id"), sc.args(customerID)...)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.CodeNotFound, "customer not found")
		}
		return err
	})
	return f, err
}
