package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// sampleBatch is two customers with one of everything. Customer a: two
// invoices (100.00 paid, 50.00 unpaid and due long ago), a credit note of
// −20.00 on the first, one payment of 100.00, one open and one closed
// ticket. Customer b: nothing but a contract.
func sampleBatch() (*store.Bulk, uuid.UUID, uuid.UUID) {
	a, b := core.NewID(), core.NewID()
	inv1, inv2, cn := core.NewID(), core.NewID(), core.NewID()
	g, sp := core.NewID(), core.NewID()
	ref := core.NewID()
	churned := true
	bk := &store.Bulk{
		Marker:          "test.batch",
		MarkerValue:     map[string]string{"source": "test"},
		Groups:          []store.BulkGroup{{ID: g, Name: "مشتریان ویژه", IsVIP: true}},
		Specialties:     []store.BulkSpecialty{{ID: sp, Name: "Jazz"}},
		CustomFieldDefs: []store.BulkCustomFieldDef{{ID: core.NewID(), Entity: "customer", Key: "total_charges", Label: "Total charges", Type: "number"}},
		Customers: []store.BulkCustomer{
			{ID: a, Name: "علي كريمي\u200cنژاد", Phone: "۰۹۱۲۱۲۳۴۵۶۷", BillingCountry: "IR", Custom: json.RawMessage(`{"total_charges": 1889.5}`), ExternalRef: "A-1"},
			{ID: b, Name: "Beta Ltd", ExternalRef: "B-1"},
		},
		CustomerGroups:      []store.BulkLink{{CustomerID: a, OtherID: g}},
		CustomerSpecialties: []store.BulkLink{{CustomerID: a, OtherID: sp}, {CustomerID: b, OtherID: sp}},
		Contacts:            []store.BulkContact{{ID: core.NewID(), CustomerID: a, FirstName: "علی", LastName: "کریمی", IsPrimary: true}},
		Invoices: []store.BulkInvoice{
			{ID: inv1, CustomerID: a, Number: "1001", IssuedOn: date("2024-01-10"), Currency: "USD", Total: 10000, PaidTotal: 10000, Status: "paid"},
			{ID: inv2, CustomerID: a, Number: "1002", IssuedOn: date("2024-03-05"), DueOn: date("2024-04-05"), Currency: "USD", Total: 5000, Status: "unpaid"},
			{ID: cn, CustomerID: a, Number: "C1001", Kind: "credit_note", CreditOf: uuid.NullUUID{UUID: inv1, Valid: true}, IssuedOn: date("2024-04-01"), Currency: "USD", Total: -2000, PaidTotal: -2000, Status: "paid"},
		},
		InvoiceLines: []store.BulkInvoiceLine{
			{ID: core.NewID(), InvoiceID: inv1, Position: 1, Product: "MUG", Category: "Kitchen", Quantity: "4", UnitPrice: 2500, Amount: 10000},
			{ID: core.NewID(), InvoiceID: cn, Position: 1, Product: "MUG", Category: "Kitchen", Quantity: "-0.8", UnitPrice: 2500, Amount: -2000},
		},
		Payments:  []store.BulkPayment{{ID: core.NewID(), CustomerID: a, InvoiceID: uuid.NullUUID{UUID: inv1, Valid: true}, InvoiceNumber: "1001", Amount: 10000, Currency: "USD", PaidOn: date("2024-01-10"), Method: "card"}},
		Contracts: []store.BulkContract{{ID: core.NewID(), CustomerID: b, Subject: "Line", Type: "Month-to-month", MonthlyValue: 2985, Currency: "USD", StartOn: date("2023-01-01"), EndOn: date("2024-01-01"), Status: "ended", Churned: &churned}},
		Tickets: []store.BulkTicket{
			{ID: core.NewID(), CustomerID: a, Subject: "late", Status: "open", OpenedAt: date("2024-03-06")},
			{ID: core.NewID(), CustomerID: a, Subject: "broken", Status: "closed", OpenedAt: date("2024-01-11"), ClosedAt: date("2024-01-12"), Satisfaction: 4},
		},
		Referrals: []store.BulkReferral{{ID: ref, ReferrerID: a, ReferredID: b, ReferredOn: date("2024-02-01"), Status: "rewarded", Generated: true}},
		Rewards:   []store.BulkReward{{ID: core.NewID(), CustomerID: a, ReferralID: uuid.NullUUID{UUID: ref, Valid: true}, Kind: "credit", Amount: 500, Currency: "USD", IssuedAt: date("2024-02-02"), Generated: true}},
	}
	return bk, a, b
}

func count(t *testing.T, ctx context.Context, db *sqlx.DB, table string) int {
	t.Helper()
	var n int
	err := tenant.ReadTx(ctx, db, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &n, `select count(*) from `+table)
	})
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestBulkLoadWritesEveryTableAndTheFacts(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "bulk")
	ctx := tenanttest.Ctx(tn)
	st := store.New(env.DB)
	bk, a, b := sampleBatch()
	res, err := st.BulkLoad(ctx, bk)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"groups": 1, "specialties": 1, "custom_field_defs": 1, "customers": 2, "customer_groups": 1,
		"customer_specialties": 2, "contacts": 1, "invoices": 3, "invoice_lines": 2, "payments": 1, "contracts": 1,
		"tickets": 2, "referrals": 1, "rewards": 1}
	for table, n := range want {
		if got := count(t, ctx, env.DB, table); got != n {
			t.Errorf("%s: %d rows in the table, want %d", table, got, n)
		}
		if res.Rows[table] != n {
			t.Errorf("%s: result says %d rows, want %d", table, res.Rows[table], n)
		}
	}
	type facts struct {
		First       *time.Time `db:"first_purchase_on"`
		Last        *time.Time `db:"last_purchase_on"`
		Invoiced    int64      `db:"invoiced_total"`
		Paid        int64      `db:"paid_total"`
		Outstanding int64      `db:"outstanding_total"`
		Overdue     int64      `db:"overdue_total"`
		OverdueN    int        `db:"overdue_invoices"`
		Open        int        `db:"open_tickets"`
		Norm        string     `db:"search_norm"`
	}
	get := func(id uuid.UUID) facts {
		var f facts
		err := tenant.ReadTx(ctx, env.DB, func(tx *sqlx.Tx) error {
			return tx.GetContext(ctx, &f, `select first_purchase_on, last_purchase_on, invoiced_total, paid_total,
				outstanding_total, overdue_total, overdue_invoices, open_tickets, search_norm from customers where id = $1`, id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	fa := get(a)
	if fa.First == nil || fa.First.Format("2006-01-02") != "2024-01-10" || fa.Last == nil || fa.Last.Format("2006-01-02") != "2024-03-05" {
		t.Errorf("a: first/last purchase %v/%v, want 2024-01-10/2024-03-05", fa.First, fa.Last)
	}
	// 100.00 + 50.00 − 20.00 invoiced; 100.00 paid; 50.00 open and overdue.
	if fa.Invoiced != 13000 || fa.Paid != 10000 || fa.Outstanding != 5000 || fa.Overdue != 5000 || fa.OverdueN != 1 || fa.Open != 1 {
		t.Errorf("a: facts %+v, want invoiced 13000, paid 10000, outstanding 5000, overdue 5000 in 1 invoice, 1 open ticket", fa)
	}
	// Arabic Yeh and Kaf folded, ZWNJ dropped, Persian digits in ASCII.
	if want := "علی کریمینژاد 09121234567"; fa.Norm != want {
		t.Errorf("a: search_norm %q, want %q", fa.Norm, want)
	}
	fb := get(b)
	if fb.First != nil || fb.Invoiced != 0 || fb.Open != 0 {
		t.Errorf("b: facts %+v, want none", fb)
	}
	var v struct {
		Source string `json:"source"`
	}
	raw, ok, err := st.BulkMarker(ctx, "test.batch")
	if err != nil || !ok || json.Unmarshal(raw, &v) != nil || v.Source != "test" {
		t.Errorf("marker = %s, %v, %v; want {\"source\":\"test\"}", raw, ok, err)
	}
}

func TestBulkLoadTwiceDuplicatesNothing(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "bulk")
	ctx := tenanttest.Ctx(tn)
	st := store.New(env.DB)
	bk, _, _ := sampleBatch()
	if _, err := st.BulkLoad(ctx, bk); err != nil {
		t.Fatal(err)
	}
	again, _, _ := sampleBatch() // fresh ids: only the marker makes it the same batch
	_, err := st.BulkLoad(ctx, again)
	if core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("second load: err %v, want a conflict", err)
	}
	if n := count(t, ctx, env.DB, "customers"); n != 2 {
		t.Errorf("customers after the repeat: %d, want 2", n)
	}
}

func TestBulkLoadIsAllOrNothing(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "bulk")
	ctx := tenanttest.Ctx(tn)
	st := store.New(env.DB)
	bk, _, _ := sampleBatch()
	// A payment for a customer who does not exist fails the foreign key
	// after the customers were copied.
	bk.Payments = append(bk.Payments, store.BulkPayment{ID: core.NewID(), CustomerID: core.NewID(), Amount: 1, Currency: "USD", PaidOn: date("2024-01-01")})
	if _, err := st.BulkLoad(ctx, bk); err == nil {
		t.Fatal("load with a dangling payment succeeded")
	}
	for _, table := range []string{"customers", "invoices", "payments", "groups"} {
		if n := count(t, ctx, env.DB, table); n != 0 {
			t.Errorf("%s: %d rows after a failed load, want 0", table, n)
		}
	}
	if _, ok, _ := st.BulkMarker(ctx, "test.batch"); ok {
		t.Error("the marker survived a failed load")
	}
}

func TestBulkLoadRejectsBadInput(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "bulk")
	ctx := tenanttest.Ctx(tn)
	bk, _, _ := sampleBatch()
	bk.Invoices[0].Currency = "XYZ"
	bk.Payments[0].Amount = 0
	_, err := store.New(env.DB).BulkLoad(ctx, bk)
	var ae *core.Error
	if !errors.As(err, &ae) || ae.Code != core.CodeInvalid || ae.Fields["invoices[0].currency"] == "" || ae.Fields["payments[0].amount"] == "" {
		t.Fatalf("err = %v, want invalid with fields invoices[0].currency and payments[0].amount", err)
	}
}

func TestBulkLoadStaysInItsTenant(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	st := store.New(env.DB)
	bk, _, _ := sampleBatch()
	if _, err := st.BulkLoad(tenanttest.Ctx(a), bk); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"customers", "invoices", "payments", "contracts", "tickets"} {
		if n := count(t, tenanttest.Ctx(b), env.DB, table); n != 0 {
			t.Errorf("tenant beta sees %d %s of alpha's batch", n, table)
		}
	}
	if _, ok, _ := st.BulkMarker(tenanttest.Ctx(b), "test.batch"); ok {
		t.Error("tenant beta sees alpha's marker")
	}
	// The same marker is free in another tenant.
	bk2, _, _ := sampleBatch()
	if _, err := st.BulkLoad(tenanttest.Ctx(b), bk2); err != nil {
		t.Fatalf("load into beta: %v", err)
	}
	// Without a tenant nothing is touched.
	bk3, _, _ := sampleBatch()
	bk3.Marker = "other"
	if _, err := st.BulkLoad(core.WithActor(context.Background(), core.SystemActor), bk3); !errors.Is(err, core.ErrNoTenant) {
		t.Fatalf("load without tenant: err %v, want ErrNoTenant", err)
	}
}
