package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

// TestLinkedAPI: happy paths, field-level validation, strict decoding,
// idempotency and external-ref replays, foreign-tenant ids and the
// own-records scope through nested URLs.
func TestLinkedAPI(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	mgr, mgrB := h.User(t, a, "manager"), h.User(t, b, "manager")
	me := h.UserWithScope(t, a, "sales")
	fa := &lrFixture{h: h, tn: a, mgr: mgr}
	fb := &lrFixture{h: h, tn: b, mgr: mgrB}
	mine, theirs := fa.customer(t, &me), fa.customer(t, &mgr)
	cB := fb.customer(t, nil)

	// Records in A (on mine and on theirs) and in B.
	recs := map[string][2]string{}
	for _, kind := range []string{"tickets", "contracts", "proposals", "invoices", "payments", "notes", "rewards", "referrals", "tasks"} {
		recs[kind] = [2]string{fa.record(t, kind, mine, mgr), fa.record(t, kind, theirs, mgr)}
	}
	invB := fb.record(t, "invoices", cB, mgrB)

	A, B := a.Slug, b.Slug
	jsonHdr := map[string]string{"Content-Type": "application/json"}
	scs := []webtest.Scenario{
		// Invoices: lines with Persian digits, computed total, exact quantity.
		{Name: "invoice with lines", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/invoices",
			Body: map[string]any{"number": "ف-۱۰۰", "issued_on": "2025-03-20", "due_on": "۲۰۲۵-۰۴-۲۰", "currency": "IRR",
				"lines": []map[string]any{{"product": "کتاب\u200cها", "quantity": "۲", "unit_price": 1500000}, {"product": "Pen", "quantity": 1.5, "unit_price": 3}}},
			Status: 201, Contains: `"total":3000005`},
		{Name: "float money is refused", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/invoices",
			Body: `{"number":"X-1","issued_on":"2025-01-01","currency":"USD","total":12.5}`, Header: jsonHdr, Status: 422, Contains: `"total":"must be an integer"`},
		{Name: "unknown field", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/tickets",
			Body: map[string]any{"subject": "x", "colour": "red"}, Status: 422, Contains: `"colour":"unknown field"`},
		{Name: "invoice field errors", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/invoices",
			Body: map[string]any{"customer_id": mine, "number": "", "currency": "usd", "total": -1}, Status: 422, Contains: `"currency":"must be a known ISO 4217 code in capitals"`},
		{Name: "invoice in the URL's customer only", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/invoices",
			Body: map[string]any{"customer_id": theirs, "number": "Y-1", "issued_on": "2025-01-01", "currency": "USD", "total": 1}, Status: 422, Contains: "customer_id"},
		{Name: "ticket without subject", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/tickets", Body: map[string]any{"priority": "asap"}, Status: 422, Contains: `"priority":"must be one of`},
		{Name: "ticket satisfaction", As: mgr, Tenant: A, Method: "PATCH", Path: "/api/v1/tickets/" + recs["tickets"][0], Body: map[string]any{"satisfaction": 9}, Status: 422, Contains: `"satisfaction"`},
		{Name: "contract end before start", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/contracts", Body: map[string]any{"subject": "c", "currency": "USD", "start_on": "2025-02-01", "end_on": "2025-01-01"}, Status: 422, Contains: `"end_on"`},
		{Name: "contract bad date", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/contracts", Body: map[string]any{"subject": "c", "currency": "USD", "start_on": "1404/01/01"}, Status: 422, Contains: `"start_on"`},
		{Name: "proposal status", As: mgr, Tenant: A, Method: "PATCH", Path: "/api/v1/proposals/" + recs["proposals"][0], Body: map[string]any{"status": "won"}, Status: 422, Contains: `"status"`},
		{Name: "payment amount", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/payments", Body: map[string]any{"amount": 0, "currency": "USD", "paid_on": "2025-01-01"}, Status: 422, Contains: `"amount"`},
		{Name: "payment currency must match its invoice", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/payments", Body: map[string]any{"invoice_id": recs["invoices"][0], "amount": 1, "currency": "EUR", "paid_on": "2025-01-01"}, Status: 422, Contains: `"currency"`},
		{Name: "note without body", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/notes", Body: map[string]any{"kind": "call"}, Status: 422, Contains: `"body":"is required"`},
		{Name: "reward kind", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + mine + "/rewards", Body: map[string]any{"kind": "hug", "currency": "USD"}, Status: 422, Contains: `"kind"`},
		{Name: "self referral", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/referrals", Body: map[string]any{"referrer_id": mine, "referred_id": mine}, Status: 422, Contains: `"referred_id"`},
		{Name: "duplicate referral", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/referrals", Body: map[string]any{"referrer_id": mine, "referred_id": theirs}, Status: 201},
		{Name: "duplicate referral again", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/referrals", Body: map[string]any{"referrer_id": mine, "referred_id": theirs}, Status: 409},
		{Name: "task without title", As: mgr, Tenant: A, Method: "POST", Path: "/api/v1/tasks", Body: map[string]any{"status": "snoozed"}, Status: 422, Contains: `"snoozed_until"`},
		{Name: "bad list parameter", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/invoices?colour=red", Status: 422, Contains: `"colour"`},
		{Name: "bad cursor", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/invoices?cursor=zz", Status: 422, Contains: `"cursor"`},
		{Name: "list by status", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/tickets?status=open&customer_id=" + mine, Status: 200, Contains: recs["tickets"][0]},
		{Name: "referrals received", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + theirs + "/referrals?role=received", Status: 200, Contains: `"referred_id":"` + theirs},
		{Name: "bad id is 404", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/tickets/not-a-uuid", Status: 404},
	}
	// Foreign tenant: B's manager with A's ids, A's manager with B's invoice.
	for kind, ids := range recs {
		scs = append(scs,
			webtest.Scenario{Name: "other tenant GET " + kind, As: mgrB, Tenant: B, Method: "GET", Path: "/api/v1/" + kind + "/" + ids[0], Status: 404},
			webtest.Scenario{Name: "other tenant PATCH " + kind, As: mgrB, Tenant: B, Method: "PATCH", Path: "/api/v1/" + kind + "/" + ids[0], Body: map[string]any{}, Status: 404},
			webtest.Scenario{Name: "other tenant DELETE " + kind, As: mgrB, Tenant: B, Method: "DELETE", Path: "/api/v1/" + kind + "/" + ids[0], Status: 404},
			webtest.Scenario{Name: "other tenant nested list " + kind, As: mgrB, Tenant: B, Method: "GET", Path: "/api/v1/customers/" + mine + "/" + kind, Status: 404},
		)
	}
	for _, kind := range []string{"tickets", "contracts", "proposals", "invoices", "payments", "notes", "rewards"} {
		scs = append(scs, webtest.Scenario{Name: "other tenant nested create " + kind, As: mgrB, Tenant: B, Method: "POST", Path: "/api/v1/customers/" + mine + "/" + kind, Body: map[string]any{}, Status: 404})
	}
	scs = append(scs,
		webtest.Scenario{Name: "our id in the other tenant", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/invoices/" + invB, Status: 404},
		webtest.Scenario{Name: "merge across tenants", As: mgrB, Tenant: B, Method: "POST", Path: "/api/v1/customers/" + cB + "/merge", Body: map[string]any{"duplicate_id": mine}, Status: 422},
	)
	// Own-records scope: what hangs off someone else's customer is a 404,
	// through nested URLs too; own records are there.
	for kind, ids := range recs {
		scs = append(scs,
			webtest.Scenario{Name: "scoped own " + kind, As: me, Tenant: A, Method: "GET", Path: "/api/v1/" + kind + "/" + ids[0], Status: 200},
			webtest.Scenario{Name: "scoped theirs " + kind, As: me, Tenant: A, Method: "GET", Path: "/api/v1/" + kind + "/" + ids[1], Status: 404},
			webtest.Scenario{Name: "scoped nested theirs " + kind, As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + theirs + "/" + kind, Status: 404},
			webtest.Scenario{Name: "scoped nested own " + kind, As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + mine + "/" + kind, Status: 200, Contains: ids[0]},
		)
	}
	scs = append(scs,
		webtest.Scenario{Name: "scoped contract on theirs", As: me, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + theirs + "/contracts", Body: map[string]any{"subject": "x", "currency": "USD", "start_on": "2025-01-01"}, Status: 404},
		webtest.Scenario{Name: "scoped merge of theirs", As: me, Tenant: A, Method: "POST", Path: "/api/v1/customers/" + theirs + "/merge", Body: map[string]any{"duplicate_id": mine}, Status: 404},
	)
	scs = append(scs,
		webtest.Scenario{Name: "profile shows recent linked records", As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + mine + "/profile", Status: 200, Contains: recs["invoices"][0]},
		webtest.Scenario{Name: "profile timeline", As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + mine + "/profile", Status: 200, Contains: `"kind":"referral_made"`},
		webtest.Scenario{Name: "timeline page", As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + mine + "/timeline?limit=۳", Status: 200, Contains: `"next_cursor":"ey`},
		webtest.Scenario{Name: "timeline of theirs", As: me, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + theirs + "/timeline", Status: 404},
		webtest.Scenario{Name: "timeline from another tenant", As: mgrB, Tenant: B, Method: "GET", Path: "/api/v1/customers/" + mine + "/timeline", Status: 404},
		webtest.Scenario{Name: "timeline bad parameter", As: mgr, Tenant: A, Method: "GET", Path: "/api/v1/customers/" + mine + "/timeline?since=1", Status: 422, Contains: `"since"`},
	)
	webtest.RunScenarios(t, h, scs)

	// A referral from my customer to theirs shows on my profile without
	// the name of their customer, which I may not see.
	prof := string(h.Do(t, webtest.Req{As: me, Tenant: A, Path: "/api/v1/customers/" + mine + "/profile"}).Body)
	theirName := string(h.Do(t, webtest.Req{As: mgr, Tenant: A, Path: "/api/v1/customers/" + theirs}).Body)
	var tc struct{ Name string }
	_ = json.Unmarshal([]byte(theirName), &tc)
	if tc.Name == "" || strings.Contains(prof, tc.Name) || !strings.Contains(prof, `"title":"made"`) {
		t.Errorf("scoped profile and another's customer %q: %s", tc.Name, prof)
	}

	// Scoped top-level lists hold only own records.
	for kind, ids := range recs {
		resp := h.Do(t, webtest.Req{As: me, Tenant: A, Path: "/api/v1/" + kind})
		if resp.Status != 200 || strings.Contains(string(resp.Body), ids[1]) {
			t.Errorf("scoped %s list = %d %s, must not hold %s", kind, resp.Status, resp.Body, ids[1])
		}
	}
}

// TestLinkedReplays: the same payment sent twice with an Idempotency-Key,
// or the same invoice with the same external_ref, changes nothing.
func TestLinkedReplays(t *testing.T) {
	h := webtest.New(t)
	a := h.Tenant(t, "replay")
	mgr := h.User(t, a, "manager")
	f := &lrFixture{h: h, tn: a, mgr: mgr}
	c := f.customer(t, nil)
	key := map[string]string{"Idempotency-Key": "pay-42"}
	pay := map[string]any{"invoice_number": "INV-42", "amount": 2500, "currency": "USD", "paid_on": "2025-05-01"}
	first := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/payments", Body: pay, Header: key})
	again := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/payments", Body: pay, Header: key})
	if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	pay["amount"] = 2600
	if r := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/payments", Body: pay, Header: key}); r.Status != 409 {
		t.Errorf("same key, different body = %d %s, want 409", r.Status, r.Body)
	}
	inv := map[string]any{"number": "INV-42", "issued_on": "2025-04-01", "currency": "USD", "total": 10000, "external_ref": "acc:42"}
	r1 := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + c + "/invoices", Body: inv})
	r2 := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + c + "/invoices", Body: inv})
	if r1.Status != 201 || r2.Status != 200 || idOf(t, r1) != idOf(t, r2) || string(r1.Body) != string(r2.Body) {
		t.Fatalf("external_ref replay: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
	// The early payment was linked when the invoice came: 25.00 of 100.00 paid.
	if !strings.Contains(string(r1.Body), `"paid_total":2500`) || !strings.Contains(string(r1.Body), `"status":"partial"`) {
		t.Errorf("invoice after an early payment: %s", r1.Body)
	}
	list := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Path: "/api/v1/customers/" + c + "/payments"})
	if n := strings.Count(string(list.Body), `"amount":`); n != 1 {
		t.Errorf("%d payments on the customer, want 1: %s", n, list.Body)
	}
}

// TestMergeAPI: a merge answers what moved and is audited.
func TestMergeAPI(t *testing.T) {
	h := webtest.New(t)
	a := h.Tenant(t, "merge")
	sales, admin := h.User(t, a, "sales"), h.User(t, a, "tenant_admin")
	f := &lrFixture{h: h, tn: a, mgr: h.User(t, a, "manager")}
	surv, dup := f.customer(t, nil), f.customer(t, nil)
	f.record(t, "tickets", dup, sales)
	f.record(t, "invoices", dup, sales)
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "merge", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + surv + "/merge", Body: map[string]any{"duplicate_id": dup}, Status: 200, Contains: `"tickets":1`},
		{Name: "duplicate is gone", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + dup, Status: 404},
		{Name: "survivor has its invoice", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + surv + "/invoices", Status: 200, Contains: `"number":"F-`},
		{Name: "missing duplicate id", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + surv + "/merge", Body: map[string]any{}, Status: 422, Contains: "duplicate_id"},
		{Name: "into itself", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + surv + "/merge", Body: map[string]any{"duplicate_id": surv}, Status: 422},
		{Name: "audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"customer.merged"`},
	})
}
