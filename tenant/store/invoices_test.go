package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// lrEnv is one test database with a tenant, its store and a context
// carrying the system actor.
type lrEnv struct {
	env *tenanttest.Env
	tn  core.Tenant
	st  *store.Store
	ctx context.Context
}

func newLREnv(t *testing.T) *lrEnv {
	t.Helper()
	env := tenanttest.New(t)
	tn := env.Tenant(t, "alpha")
	return &lrEnv{env: env, tn: tn, st: store.New(env.DB), ctx: tenanttest.Ctx(tn)}
}

// customer inserts a customer with plain SQL, so these tests do not
// depend on the customers store.
func (e *lrEnv) customer(t *testing.T, name string, owner *uuid.UUID) uuid.UUID {
	t.Helper()
	id := core.NewID()
	err := tenant.Tx(e.ctx, e.env.DB, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`insert into customers (id, name, owner_id) values ($1, $2, $3)`, id, name, owner)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *lrEnv) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	err := tenant.ReadTx(e.ctx, e.env.DB, func(tx *sqlx.Tx) error { return tx.Get(&n, q, args...) })
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func lrP[T any](v T) *T { return &v }

func lrQty(t *testing.T, s string) core.Quantity {
	q, err := core.ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func lrDay(s string) *core.Date {
	d, err := core.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func lrCode(t *testing.T, err error, want core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != want {
		t.Fatalf("error %v: code %s, want %s", err, got, want)
	}
}

// TestInvoicesPaymentsFacts follows one customer through invoices,
// payments, a credit note, a cancellation and tickets, checking invoice
// statuses and the customer's denormalised facts against figures worked
// out by hand.
func TestInvoicesPaymentsFacts(t *testing.T) {
	e := newLREnv(t)
	cust := e.customer(t, "شرکت نمونه\u200cای", nil)
	now := time.Now().UTC()
	today := core.NewDate(now.Year(), now.Month(), now.Day())
	in30 := core.Date{Time: today.AddDate(0, 0, 30)}

	// A payment arrives before its invoice, naming it by number.
	early, created, err := e.st.CreatePayment(e.ctx, core.PaymentUpdate{
		InvoiceNumber: lrP("INV-1"), Amount: lrP(int64(4000)), Currency: lrP("USD"), PaidOn: lrDay("2024-01-12"), Method: lrP("card"),
	})
	if err != nil || !created {
		t.Fatalf("early payment: %v (created %v)", err, created)
	}
	if early.InvoiceID != nil || early.CustomerID != nil {
		t.Fatalf("early payment linked to %v/%v before its invoice exists", early.InvoiceID, early.CustomerID)
	}

	// INV-1: 2 × 25.00 + 1.5 × 10.01 (15.015 → 15.02) = 65.02, due long ago.
	lines := []core.InvoiceLineData{
		{Product: "ماگ\u200cهای سفالی", Category: "آشپزخانه", Quantity: lrQty(t, "2"), UnitPrice: 2500},
		{Product: "Tea", Category: "Food", Quantity: lrQty(t, "۱٫۵"), UnitPrice: 1001},
	}
	inv1, created, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{
		CustomerID: &cust, Number: lrP("INV-1"), IssuedOn: lrDay("2024-01-10"), DueOn: lrDay("2024-02-10"),
		Currency: lrP("USD"), Lines: &lines, ExternalRef: lrP("acc-1"),
	})
	if err != nil || !created {
		t.Fatalf("invoice 1: %v", err)
	}
	if inv1.Total != 6502 || len(inv1.Lines) != 2 || inv1.Lines[1].Amount != 1502 {
		t.Fatalf("invoice 1 total %d lines %+v, want 6502 with a 1502 line", inv1.Total, inv1.Lines)
	}
	if inv1.PaidTotal != 4000 || inv1.Status != "overdue" {
		t.Fatalf("invoice 1 paid %d status %s, want 4000 overdue (the early payment linked)", inv1.PaidTotal, inv1.Status)
	}
	got, err := e.st.Payment(e.ctx, early.ID)
	if err != nil || got.InvoiceID == nil || *got.InvoiceID != inv1.ID || got.CustomerID == nil || *got.CustomerID != cust {
		t.Fatalf("early payment after the invoice came: %+v, %v", got, err)
	}

	// INV-2: 100.00 today, due in 30 days, paid 25.00 → partial.
	inv2, _, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{
		CustomerID: &cust, Number: lrP("INV-2"), IssuedOn: &today, DueOn: &in30, Currency: lrP("USD"), Total: lrP(int64(10000)),
	})
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := e.st.CreatePayment(e.ctx, core.PaymentUpdate{InvoiceID: &inv2.ID, Amount: lrP(int64(2500)), Currency: lrP("USD"), PaidOn: &today})
	if err != nil {
		t.Fatal(err)
	}
	// INV-3 on 2024-03-01, credited in full the same day: settled, and no purchase that day.
	inv3, _, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP("INV-3"), IssuedOn: lrDay("2024-03-01"), Currency: lrP("USD"), Total: lrP(int64(3000))})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP("CN-3"), Kind: lrP("credit_note"), CreditOf: &inv3.ID,
		IssuedOn: lrDay("2024-03-01"), Currency: lrP("USD"), Total: lrP(int64(-3000))}); err != nil {
		t.Fatal(err)
	}
	// INV-4 cancelled; INV-5 in another currency (a purchase day, not in the USD totals).
	inv4, _, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP("INV-4"), IssuedOn: lrDay("2024-04-01"), Currency: lrP("USD"), Total: lrP(int64(9999))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateInvoice(e.ctx, inv4.ID, core.InvoiceUpdate{Cancelled: lrP(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP("INV-5"), IssuedOn: lrDay("2023-12-01"), Currency: lrP("EUR"), Total: lrP(int64(5000))}); err != nil {
		t.Fatal(err)
	}
	// Tickets: two opened, one closed.
	tk1, _, err := e.st.CreateTicket(e.ctx, cust, core.TicketUpdate{Subject: lrP("چاپگر کار نمی\u200cکند")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateTicket(e.ctx, cust, core.TicketUpdate{Subject: lrP("Invoice question"), Priority: lrP("high")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateTicket(e.ctx, tk1.ID, core.TicketUpdate{Status: lrP("closed"), Satisfaction: lrP(int16(5))}); err != nil {
		t.Fatal(err)
	}

	want := store.CustomerFacts{
		FirstPurchaseOn: lrDay("2023-12-01"), LastPurchaseOn: &today,
		InvoicedTotal:    6502 + 10000 + 3000 - 3000,
		PaidTotal:        4000 + 2500,
		OutstandingTotal: (6502 - 4000) + (10000 - 2500),
		OverdueTotal:     6502 - 4000, OverdueInvoices: 1, OpenTickets: 1,
	}
	lrFacts(t, e, cust, want)
	if inv, _ := e.st.Invoice(e.ctx, inv3.ID); inv.Status != "paid" || inv.PaidTotal != 3000 {
		t.Errorf("credited invoice: status %s paid %d, want paid 3000", inv.Status, inv.PaidTotal)
	}
	if inv, _ := e.st.Invoice(e.ctx, inv2.ID); inv.Status != "partial" {
		t.Errorf("INV-2 status %s, want partial", inv.Status)
	}

	// Deleting the partial payment reopens INV-2 in full.
	if err := e.st.DeletePayment(e.ctx, p2.ID); err != nil {
		t.Fatal(err)
	}
	want.PaidTotal, want.OutstandingTotal = 4000, 2502+10000
	lrFacts(t, e, cust, want)

	// The bulk path recomputes the same figures from scratch.
	if err := tenant.Tx(e.ctx, e.env.DB, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`update customers set invoiced_total = 0, paid_total = 0, outstanding_total = 0, overdue_total = 0, overdue_invoices = 0, open_tickets = 0, first_purchase_on = null, last_purchase_on = null`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecomputeCustomerFacts(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	lrFacts(t, e, cust, want)
}

func lrFacts(t *testing.T, e *lrEnv, cust uuid.UUID, want store.CustomerFacts) {
	t.Helper()
	got, err := e.st.Facts(e.ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := lrJSON(got), lrJSON(want); g != w {
		t.Errorf("facts\n got %s\nwant %s", g, w)
	}
}

func lrJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestInvoiceReplay: the same invoice and payment sent again (same
// external ref) change nothing; a number already used is a conflict.
func TestInvoiceReplay(t *testing.T) {
	e := newLREnv(t)
	cust := e.customer(t, "Replay Co", nil)
	lines := []core.InvoiceLineData{{Product: "A", Quantity: lrQty(t, "3"), UnitPrice: 700}}
	in := core.InvoiceUpdate{CustomerID: &cust, Number: lrP("R-1"), IssuedOn: lrDay("2025-03-20"), Currency: lrP("USD"), Lines: &lines, ExternalRef: lrP("ext-R-1")}
	first, created, err := e.st.CreateInvoice(e.ctx, in)
	if err != nil || !created {
		t.Fatal(err)
	}
	pay := core.PaymentUpdate{InvoiceNumber: lrP("R-1"), Amount: lrP(int64(700)), Currency: lrP("USD"), PaidOn: lrDay("2025-03-21"), ExternalRef: lrP("ext-P-1")}
	p1, _, err := e.st.CreatePayment(e.ctx, pay)
	if err != nil {
		t.Fatal(err)
	}
	before := e.count(t, `select count(*) from invoice_lines`)
	got, _ := e.st.Invoice(e.ctx, first.ID)
	for i := 0; i < 2; i++ {
		again, created, err := e.st.CreateInvoice(e.ctx, in)
		if err != nil || created {
			t.Fatalf("replay %d: %v created=%v", i, err, created)
		}
		if again.ID != first.ID || !again.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("replay gave %s updated %v, want %s unchanged since %v", again.ID, again.UpdatedAt, first.ID, got.UpdatedAt)
		}
		p, created, err := e.st.CreatePayment(e.ctx, pay)
		if err != nil || created || p.ID != p1.ID || !p.UpdatedAt.Equal(p1.UpdatedAt) {
			t.Fatalf("payment replay: %v created=%v %+v", err, created, p)
		}
	}
	if n := e.count(t, `select count(*) from invoices`); n != 1 {
		t.Errorf("%d invoices after replays, want 1", n)
	}
	if n := e.count(t, `select count(*) from payments`); n != 1 {
		t.Errorf("%d payments after replays, want 1", n)
	}
	if n := e.count(t, `select count(*) from invoice_lines`); n != before {
		t.Errorf("%d lines after replays, want %d", n, before)
	}
	lrFacts(t, e, cust, store.CustomerFacts{FirstPurchaseOn: lrDay("2025-03-20"), LastPurchaseOn: lrDay("2025-03-20"), InvoicedTotal: 2100, PaidTotal: 700, OutstandingTotal: 1400})
	// Replaying with a change (an upsert) updates the same invoice.
	lines2 := []core.InvoiceLineData{{Product: "A", Quantity: lrQty(t, "4"), UnitPrice: 700}}
	in.Lines = &lines2
	up, created, err := e.st.CreateInvoice(e.ctx, in)
	if err != nil || created || up.ID != first.ID || up.Total != 2800 || !up.UpdatedAt.After(got.UpdatedAt) {
		t.Fatalf("upsert: %v created=%v %+v", err, created, up)
	}
	// Another invoice with the same number is a conflict naming the field.
	_, _, err = e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP("R-1"), IssuedOn: lrDay("2025-03-20"), Currency: lrP("USD"), Total: lrP(int64(1))})
	lrCode(t, err, core.CodeConflict)
	// Validation: field-level messages.
	_, _, err = e.st.CreateInvoice(e.ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP(""), Currency: lrP("usd"), Total: lrP(int64(-5))})
	lrCode(t, err, core.CodeInvalid)
	for _, f := range []string{"number", "currency", "total", "issued_on"} {
		if ce := err.(*core.Error); ce.Fields[f] == "" {
			t.Errorf("no message for %s: %v", f, ce.Fields)
		}
	}
	_, _, err = e.st.CreatePayment(e.ctx, core.PaymentUpdate{InvoiceID: &first.ID, Amount: lrP(int64(0)), Currency: lrP("EUR"), PaidOn: lrDay("2025-01-01")})
	lrCode(t, err, core.CodeInvalid)
	_, _, err = e.st.CreatePayment(e.ctx, core.PaymentUpdate{InvoiceID: &first.ID, Amount: lrP(int64(10)), Currency: lrP("EUR"), PaidOn: lrDay("2025-01-01")})
	lrCode(t, err, core.CodeInvalid)
}
