package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// lrTable builds a table from a header and rows.
func lrTable(header string, rows []string) store.Table {
	t := store.Table{Header: strings.Split(header, ",")}
	for _, r := range rows {
		t.Rows = append(t.Rows, strings.Split(r, ","))
	}
	return t
}

// lrInvoiceFile is a 10,000-row invoice file: 5,000 invoices of 2 lines
// each for 100 customers, amounts written in ASCII, Persian and
// Arabic-Indic digits with separators. Invoice k has lines k × 1.00 and
// 2.5 × 10.00 (25.00), so its total is k + 25 dollars; the file's total is
// worked out here, not by the code under test.
func lrInvoiceFile(bad int) (store.Table, int64) {
	var rows []string
	var total int64
	persian := strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹")
	arabic := strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩")
	for k := 1; k <= 5000; k++ {
		price := fmt.Sprintf("%d.00", k)
		switch k % 3 {
		case 1:
			if k >= 1000 {
				price = fmt.Sprintf("%d,%03d.00", k/1000, k%1000)
			}
		case 2:
			price = persian.Replace(fmt.Sprintf("%d", k)) + "٫۰۰"
		case 0:
			price = arabic.Replace(fmt.Sprintf("%d", k))
		}
		head := fmt.Sprintf("C-%d,INV-%05d,2025-01-%02d,USD", k%100, k, 1+k%28)
		rows = append(rows, head+",Widget,Tools,1,"+strings.ReplaceAll(price, ",", ""), head+",Service,Labour,2.5,10.00")
		total += int64(k)*100 + 2500
	}
	if bad > 0 {
		// Row `bad` (a data row; the file's row bad+1) gets a unit price with three decimals.
		parts := strings.Split(rows[bad-1], ",")
		parts[len(parts)-1] = "12.345"
		rows[bad-1] = strings.Join(parts, ",")
	}
	return lrTable("customer_ref,number,issued_on,currency,line_product,line_category,line_quantity,line_unit_price", rows), total
}

func (e *lrEnv) importCustomers(t *testing.T, n int) {
	t.Helper()
	var rows []string
	for i := 0; i < n; i++ {
		rows = append(rows, fmt.Sprintf("C-%d,مشتری %d", i, i))
	}
	res, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportCustomers, Table: lrTable("external_ref,name", rows)})
	if err != nil || res.Status != store.ImportCommitted || res.Created != n {
		t.Fatalf("import customers: %+v, %v", res, err)
	}
}

// TestImportAllOrNothing: a 10,000-row invoice file with one bad row
// writes nothing and names the row; the corrected file imports fully; the
// same file again changes nothing.
func TestImportAllOrNothing(t *testing.T) {
	e := newLREnv(t)
	e.importCustomers(t, 100)

	bad, _ := lrInvoiceFile(7001)
	res, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportInvoices, Table: bad})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != store.ImportRejected || len(res.Errors) != 1 || res.Errors[0].Row != 7002 || res.Errors[0].Column != "line_unit_price" ||
		!strings.Contains(res.Errors[0].Reason, "too many decimals") {
		t.Fatalf("bad file: status %s errors %+v, want one error on row 7002 line_unit_price", res.Status, res.Errors)
	}
	if n := e.count(t, `select count(*) from invoices`); n != 0 {
		t.Fatalf("%d invoices after a rejected file, want 0", n)
	}

	good, total := lrInvoiceFile(0)
	res, err = e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportInvoices, Table: good})
	if err != nil || res.Status != store.ImportCommitted || res.Created != 5000 {
		t.Fatalf("good file: %+v, %v", res, err)
	}
	t.Logf("10,000 rows imported in %d ms", res.DurationMS)
	if n := e.count(t, `select count(*) from invoice_lines`); n != 10000 {
		t.Errorf("%d lines, want 10000", n)
	}
	var sum, facts int64
	if err := e.env.DB.Get(&sum, `select sum(total) from `+e.tn.Schema+`.invoices`); err != nil || sum != total {
		t.Errorf("sum of totals %d (%v), want %d", sum, err, total)
	}
	if err := e.env.DB.Get(&facts, `select sum(invoiced_total) from `+e.tn.Schema+`.customers`); err != nil || facts != total {
		t.Errorf("customers' invoiced totals %d (%v), want %d", facts, err, total)
	}
	again, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportInvoices, Table: good})
	if err != nil || again.Status != store.ImportRejected {
		t.Fatalf("the same file without external refs again: %+v, %v; want rejected (numbers used)", again.Status, err)
	}
	if len(again.Errors) != 5000 || again.Errors[0].Column != "number" {
		t.Errorf("reimport reports %d errors (first %+v), want 5000 on number", len(again.Errors), again.Errors[0])
	}
}

// TestImportRowErrors: every bad row is reported with its column and
// reason; a mapping renames columns.
func TestImportRowErrors(t *testing.T) {
	e := newLREnv(t)
	e.importCustomers(t, 2)
	tbl := lrTable("Customer,Ref,Sum,Cur,Date,Way", []string{
		"C-0,P-1,۱۲۰٫۵۰,USD,2025-01-01,card",
		"C-0,P-2,12.345,USD,2025-01-01,card",
		"C-9,P-3,5,USD,2025-01-01,card",
		"C-1,P-4,5,XXX,2025-01-01,card",
		"C-1,P-5,5,IRR,2025-13-01,card",
		"C-1,P-1,1,IRR,2025-01-01,card",
	})
	m := map[string]string{"customer_ref": "Customer", "external_ref": "Ref", "amount": "Sum", "currency": "Cur", "paid_on": "Date", "method": "Way"}
	res, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportPayments, Mapping: m, Table: tbl})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ImportRowError{
		{Row: 3, Field: "amount", Column: "Sum", Reason: "too many decimals for USD (2)"},
		{Row: 4, Field: "customer_ref", Column: "Customer", Reason: `no customer with external_ref "C-9"`},
		{Row: 5, Field: "currency", Column: "Cur", Reason: "must be a known ISO 4217 code"},
		{Row: 6, Field: "paid_on", Column: "Date", Reason: "not a date (YYYY-MM-DD)"},
		{Row: 7, Field: "external_ref", Column: "Ref", Reason: "also on row 2"},
	}
	if lrJSON(res.Errors) != lrJSON(want) {
		t.Errorf("errors\n got %s\nwant %s", lrJSON(res.Errors), lrJSON(want))
	}
	if n := e.count(t, `select count(*) from payments`); n != 0 {
		t.Errorf("%d payments after a rejected file", n)
	}
	// A mapping that names a missing column is refused up front.
	_, err = e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportPayments, Mapping: map[string]string{"amount": "Nope"}, Table: tbl})
	lrCode(t, err, core.CodeInvalid)
}

// countdownCtx is cancelled after its Err has been asked n times: an
// import interrupted half-way, deterministically.
type countdownCtx struct {
	context.Context
	left atomic.Int64
	once sync.Once
	done chan struct{}
}

func newCountdown(parent context.Context, n int64) *countdownCtx {
	c := &countdownCtx{Context: parent, done: make(chan struct{})}
	c.left.Store(n)
	return c
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) <= 0 {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

// TestImportInterrupted: an import cancelled half-way leaves nothing.
func TestImportInterrupted(t *testing.T) {
	e := newLREnv(t)
	var rows []string
	for i := 0; i < 2000; i++ {
		rows = append(rows, fmt.Sprintf("X-%d,Cut %d", i, i))
	}
	ctx := newCountdown(e.ctx, 1000)
	_, err := e.st.Import(ctx, store.ImportRequest{Kind: store.ImportCustomers, Table: lrTable("external_ref,name", rows)})
	if err == nil {
		t.Fatal("interrupted import: no error")
	}
	if n := e.count(t, `select count(*) from customers`); n != 0 {
		t.Errorf("%d customers after an interrupted import, want 0", n)
	}
}

// TestExportImportRoundTrip: customers, invoices and payments exported as
// CSV and XLSX from one tenant and imported into another read back with
// every exported field equal, including Persian names with ZWNJ, +98
// phones, negative amounts and values a spreadsheet would execute.
func TestExportImportRoundTrip(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			src := newLREnv(t)
			dst := &lrEnv{env: src.env, tn: src.env.Tenant(t, "dst"), st: src.st}
			dst.ctx = core.WithActor(core.WithTenant(context.Background(), dst.tn), core.SystemActor)
			for _, e := range []*lrEnv{src, dst} {
				e.exec(t, `insert into groups (id, name, is_vip) values ($1, 'مشتریان ویژه', true), ($2, 'عمده‌فروش', false)`, core.NewID(), core.NewID())
				e.exec(t, `insert into custom_field_defs (id, entity, key, label, type, options) values
					($1, 'customer', 'employees', 'Employees', 'number', '[]'),
					($2, 'customer', 'channels', 'Channels', 'multi_select', '["web","shop","=cmd"]')`, core.NewID(), core.NewID())
			}
			customers := lrTable("external_ref,name,email,phone,website,vat_id,status,source,billing_street,billing_city,billing_country,shipping_city,value_added_deals,groups,specialties,cf.employees,cf.channels", []string{
				"A-1,کتاب\u200cفروشی نیکان,info@nikan.example,+98 912 345 6789,nikan.example,۰۱۲۳,legacy,=HYPERLINK(x),خیابان ولیعصر,تهران,IR,اصفهان,3,مشتریان ویژه; عمده‌فروش,کتاب; لوازم\u200cالتحریر,۱۲,web; =cmd",
				"A-2,@handle Co,,,,'quoted,inactive,-120,,,,,0,,,,",
			})
			res, err := src.st.Import(src.ctx, store.ImportRequest{Kind: store.ImportCustomers, Table: customers})
			if err != nil || res.Status != store.ImportCommitted {
				t.Fatalf("seed customers: %+v %v", res, err)
			}
			invoices := lrTable("customer_ref,number,kind,issued_on,due_on,currency,total,cancelled,external_ref,line_product,line_category,line_quantity,line_unit_price", []string{
				"A-1,F-1,invoice,2025-03-20,2025-04-20,IRR,,false,acc-1,کتاب\u200cها,Books,۲,1500000",
				"A-1,F-1,invoice,2025-03-20,2025-04-20,IRR,,false,acc-1,Pen,Office,0.5,-3",
				"A-1,CN-1,credit_note,2025-03-21,,IRR,-120,false,,,,,",
				"A-2,F-2,invoice,2025-01-01,,USD,10.50,true,,,,,",
			})
			if res, err := src.st.Import(src.ctx, store.ImportRequest{Kind: store.ImportInvoices, Table: invoices}); err != nil || res.Status != store.ImportCommitted {
				t.Fatalf("seed invoices: %+v %v", res, err)
			}
			payments := lrTable("customer_ref,invoice_number,amount,currency,paid_on,method,transaction_id,external_ref", []string{
				"A-1,F-1,۱٬۰۰۰٬۰۰۰,IRR,2025-03-22,+cash,-tx-1,pay-1",
				",LATER-9,5.25,USD,2025-03-23,card,,pay-2",
			})
			if res, err := src.st.Import(src.ctx, store.ImportRequest{Kind: store.ImportPayments, Table: payments}); err != nil || res.Status != store.ImportCommitted {
				t.Fatalf("seed payments: %+v %v", res, err)
			}

			export := func(e *lrEnv) map[string]string {
				out := map[string]string{}
				for _, kind := range []string{"customers", "invoices", "payments"} {
					var buf bytes.Buffer
					w, err := store.NewTableWriter(&buf, format)
					if err != nil {
						t.Fatal(err)
					}
					switch kind {
					case "customers":
						_, err = e.st.ExportCustomers(e.ctx, core.CustomerFilter{}, w)
					case "invoices":
						_, err = e.st.ExportInvoices(e.ctx, store.LinkFilter{}, w)
					case "payments":
						_, err = e.st.ExportPayments(e.ctx, store.LinkFilter{}, w)
					}
					if err == nil {
						err = w.Close()
					}
					if err != nil {
						t.Fatalf("export %s: %v", kind, err)
					}
					out[kind] = buf.String()
				}
				return out
			}
			first := export(src)
			if format == "csv" {
				for _, want := range []string{"'+98 912 345 6789", "'-120", "'=HYPERLINK(x)", "'@handle Co", "''quoted", "کتاب\u200cفروشی نیکان", "'-3", "'+cash", "'-tx-1"} {
					if !strings.Contains(first["customers"]+first["invoices"]+first["payments"], want) {
						t.Errorf("CSV export lacks the neutralised %q", want)
					}
				}
			}
			// Import the export into the other tenant, in dependency order.
			for _, kind := range []string{"customers", "invoices", "payments"} {
				tbl, err := store.ReadTable(strings.NewReader(first[kind]), format)
				if err != nil {
					t.Fatal(err)
				}
				res, err := dst.st.Import(dst.ctx, store.ImportRequest{Kind: kind, Table: tbl})
				if err != nil || res.Status != store.ImportCommitted {
					t.Fatalf("import %s export: %+v, %v", kind, res, err)
				}
			}
			second := export(dst)
			for kind := range first {
				a, b := lrComparable(t, first[kind], format), lrComparable(t, second[kind], format)
				if a != b {
					t.Errorf("%s round trip differs:\n first %s\nsecond %s", kind, a, b)
				}
			}
			// Spot checks on what the second tenant holds.
			var name, phone string
			if err := dst.env.DB.QueryRow(`select name, phone from `+dst.tn.Schema+`.customers where external_ref = 'A-1'`).Scan(&name, &phone); err != nil ||
				name != "کتاب\u200cفروشی نیکان" || phone != "+98 912 345 6789" {
				t.Errorf("imported customer %q %q (%v)", name, phone, err)
			}
			var cn int64
			if err := dst.env.DB.Get(&cn, `select total from `+dst.tn.Schema+`.invoices where number = 'CN-1'`); err != nil || cn != -120 {
				t.Errorf("credit note total %d (%v), want -120", cn, err)
			}
		})
	}
}

// lrComparable reads an export back as rows with the columns that name a
// tenant's own ids (customer_id) blanked, so two tenants' exports compare.
func lrComparable(t *testing.T, data, format string) string {
	t.Helper()
	tbl, err := store.ReadTable(strings.NewReader(data), format)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range tbl.Header {
		if h == "customer_id" {
			for _, r := range tbl.Rows {
				if i < len(r) {
					r[i] = ""
				}
			}
		}
	}
	return lrJSON(tbl)
}

// TestImportContactsAndUpdates: contacts attach to customers by ref; a
// second file with known external refs updates instead of duplicating,
// and an unchanged row is counted as such.
func TestImportContactsAndUpdates(t *testing.T) {
	e := newLREnv(t)
	first := lrTable("external_ref,name,phone", []string{"K-1,علی,۰۹۱۲۱۱۱۲۲۳۳", "K-2,Beta,"})
	if res, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportCustomers, Table: first}); err != nil || res.Created != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	second := lrTable("external_ref,name,phone", []string{"K-1,علی,۰۹۱۲۱۱۱۲۲۳۳", "K-2,Beta Ltd,", "K-3,Gamma,"})
	res, err := e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportCustomers, Table: second})
	if err != nil || res.Status != store.ImportCommitted || res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("second file: %+v %v; want 1 created, 1 updated, 1 unchanged", res, err)
	}
	if n := e.count(t, `select count(*) from customers`); n != 3 {
		t.Errorf("%d customers, want 3", n)
	}
	if n := e.count(t, `select count(*) from customers where name = 'Beta Ltd'`); n != 1 {
		t.Error("K-2 not renamed")
	}
	contacts := lrTable("customer_ref,external_ref,first_name,last_name,email,phone,primary", []string{
		"K-1,P-1,سارا,احمدی,sara@example.com,+98 912 000 0000,false",
		"K-1,P-2,Reza,,reza@example.com,,true",
		"K-2,P-3,Bob,,not-an-email,,",
		"K-9,P-4,Nobody,,,,",
	})
	res, err = e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportContacts, Table: contacts})
	if err != nil || res.Status != store.ImportRejected || len(res.Errors) != 2 || res.Errors[0].Row != 4 || res.Errors[0].Column != "email" || res.Errors[1].Row != 5 {
		t.Fatalf("contacts with two bad rows: %+v %v", res, err)
	}
	contacts.Rows = contacts.Rows[:2]
	res, err = e.st.Import(e.ctx, store.ImportRequest{Kind: store.ImportContacts, Table: contacts})
	if err != nil || res.Status != store.ImportCommitted || res.Created != 2 {
		t.Fatalf("contacts: %+v %v", res, err)
	}
	if n := e.count(t, `select count(*) from contacts where is_primary`); n != 1 {
		t.Errorf("%d primary contacts, want 1", n)
	}
}

// TestImportJobLifecycle: a submitted file is stored queued with its
// outbox row; running it commits every row, the audit line and the
// import's success together; its outbox row waits for the scoring run to
// be recorded; running it again changes nothing.
func TestImportJobLifecycle(t *testing.T) {
	e := newLREnv(t)
	user := core.NewID()
	ctx := core.WithActor(core.WithTenant(context.Background(), e.tn), core.Actor{UserID: user, Email: "imp@example.test"})
	csv := "Code,Name\nA-1,علی\u200cرضا\nA-2,Beta\nA-3,Gamma\n"
	job, row, err := e.st.SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportCustomers, FileName: "c.csv", Format: "csv",
		Mapping: map[string]string{"external_ref": "Code", "name": "Name"}, Data: []byte(csv), IP: "10.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != store.ImportQueued || job.RowsTotal != 3 || job.RowsDone != 0 || !job.Pending || job.RequestedBy == nil || *job.RequestedBy != user {
		t.Fatalf("submitted = %+v", job)
	}
	if row.Kind != store.TaskImportRun || row.Ref != job.ID || row.TenantID != e.tn.ID {
		t.Errorf("outbox row = %+v", row)
	}
	if n := e.count(t, `select count(*) from customers`); n != 0 {
		t.Fatalf("%d customers before the import ran", n)
	}
	done, err := e.st.RunImport(e.ctx, job.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != store.ImportSucceeded || done.Created != 3 || done.RowsDone != 3 || done.Attempts != 1 || done.FinishedAt == nil || done.DurationMS == nil {
		t.Fatalf("ran = %+v", done)
	}
	if !done.Pending {
		t.Error("the outbox row was closed before a scoring run was recorded")
	}
	if n := e.count(t, `select count(*) from customers where name = 'علی‌رضا' and external_ref = 'A-1'`); n != 1 {
		t.Errorf("imported customer missing (%d)", n)
	}
	var audit struct {
		Email string `db:"actor_email"`
		IP    string `db:"ip"`
		N     int    `db:"n"`
	}
	if err := e.env.DB.Get(&audit, `select actor_email, ip, count(*) over () as n from control.audit_log
		where tenant_id = $1 and action = 'import.committed' and actor_id = $2`, e.tn.ID, user); err != nil || audit.N != 1 || audit.Email != "imp@example.test" || audit.IP != "10.0.0.7" {
		t.Errorf("audit = %+v, %v; want one line as the submitter", audit, err)
	}
	run := core.NewID()
	if err := e.st.ImportScoringRequested(e.ctx, job.ID, &run); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := e.env.DB.Get(&status, `select status from control.outbox where kind = 'import:run' and ref = $1`, job.ID); err != nil || status != "done" {
		t.Errorf("outbox status = %q, %v; want done", status, err)
	}
	// A re-delivered task: nothing happens.
	again, err := e.st.RunImport(e.ctx, job.ID, 5)
	if err != nil || again.Status != store.ImportSucceeded || again.Attempts != 1 || again.Pending || again.ScoringRunID == nil || *again.ScoringRunID != run {
		t.Fatalf("second run = %+v, %v", again, err)
	}
	if n := e.count(t, `select count(*) from customers`); n != 3 {
		t.Errorf("%d customers after a second delivery, want 3", n)
	}
	// Another tenant cannot read it.
	other := e.env.Tenant(t, "beta")
	if _, err := e.st.ImportJob(tenanttest.Ctx(other), job.ID); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("import from another tenant: %v, want not_found", err)
	}
}

// TestImportJobRejected: a file with bad rows fails with every bad row
// (row, field, column, reason), commits nothing, and its work is closed.
func TestImportJobRejected(t *testing.T) {
	e := newLREnv(t)
	csv := "external_ref,name,value_added_deals\nA-1,Alpha,3\nA-2,,1\nA-3,Gamma,-1\n"
	job, _, err := e.st.SubmitImport(e.ctx, store.ImportSubmission{Kind: store.ImportCustomers, Format: "csv", Data: []byte(csv)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.st.RunImport(e.ctx, job.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ImportRowError{
		{Row: 3, Field: "name", Column: "name", Reason: "required"},
		{Row: 4, Field: "value_added_deals", Column: "value_added_deals", Reason: "must not be negative"},
	}
	if done.Status != store.ImportFailed || done.Pending || done.Created != 0 || done.RowsDone != 3 || done.Error == "" {
		t.Fatalf("rejected = %+v", done)
	}
	if got, w := lrJSON(done.Errors), lrJSON(want); got != w {
		t.Errorf("bad rows\n got %s\nwant %s", got, w)
	}
	if n := e.count(t, `select count(*) from customers`); n != 0 {
		t.Errorf("%d customers after a rejected import", n)
	}
	var n int
	_ = e.env.DB.Get(&n, `select count(*) from control.audit_log where tenant_id = $1 and action = 'import.rejected'`, e.tn.ID)
	if n != 1 {
		t.Errorf("%d rejection audit lines, want 1", n)
	}
}

// TestImportJobRunsAsTheSubmitter: an own-records user's import reaches
// only their customers, as it did in the request.
func TestImportJobRunsAsTheSubmitter(t *testing.T) {
	e := newLREnv(t)
	me := core.NewID()
	e.customer(t, "not mine", nil)
	e.exec(t, `update customers set external_ref = 'THEIRS'`)
	mine := e.customer(t, "mine", &me)
	e.exec(t, `update customers set external_ref = 'MINE' where id = $1`, mine)
	ctx := core.WithActor(core.WithTenant(context.Background(), e.tn), core.Actor{UserID: me, OwnRecordsOnly: true})
	file := "customer_ref,first_name\nMINE,Sara\nTHEIRS,Reza\n"
	job, _, err := e.st.SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportContacts, Format: "csv", Data: []byte(file)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.st.RunImport(e.ctx, job.ID, 5) // the worker's context carries the system actor
	if err != nil || done.Status != store.ImportFailed || len(done.Errors) != 1 || done.Errors[0].Row != 3 || done.Errors[0].Field != "customer_ref" {
		t.Fatalf("scoped import = %+v, %v; want row 3 refused", done, err)
	}
}

// TestSubmitImportChecksTheFile: what can be known without the rows is a
// field error at once, and nothing is stored.
func TestSubmitImportChecksTheFile(t *testing.T) {
	e := newLREnv(t)
	for _, c := range []struct {
		name, kind, format, data string
		mapping                  map[string]string
		field                    string
	}{
		{"unknown kind", "widgets", "csv", "name\nx\n", nil, "kind"},
		{"empty file", "customers", "csv", "", nil, "file"},
		{"not xlsx", "customers", "xlsx", "name\nx\n", nil, "file"},
		{"no known column", "customers", "csv", "colour\nred\n", nil, "file"},
		{"mapped column missing", "customers", "csv", "name\nx\n", map[string]string{"email": "E-mail"}, "mapping.email"},
		{"bad format", "customers", "pdf", "name\nx\n", nil, "format"},
		{"header only", "customers", "csv", "name,email\n", nil, "file"},
		{"header and blank rows", "customers", "csv", "name,email\n,\n , \n", nil, "file"},
	} {
		_, _, err := e.st.SubmitImport(e.ctx, store.ImportSubmission{Kind: c.kind, Format: c.format, Data: []byte(c.data), Mapping: c.mapping})
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != core.CodeInvalid || ce.Fields[c.field] == "" {
			t.Errorf("%s: %v, want invalid naming %s", c.name, err, c.field)
		}
	}
	if n := e.count(t, `select count(*) from imports`); n != 0 {
		t.Errorf("%d imports stored", n)
	}
}
