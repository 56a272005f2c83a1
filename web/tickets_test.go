package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/web"
	"github.com/gomato/gomato/web/webtest"
)

// lrFixture makes linked records through the API as a manager.
type lrFixture struct {
	h   *webtest.Harness
	tn  core.Tenant
	mgr webtest.User
	n   int
}

func (f *lrFixture) post(t *testing.T, path string, body any) string {
	t.Helper()
	resp := f.h.Do(t, webtest.Req{As: f.mgr, Tenant: f.tn.Slug, Method: "POST", Path: path, Body: body})
	if resp.Status != 201 {
		t.Fatalf("POST %s = %d %s", path, resp.Status, resp.Body)
	}
	return idOf(t, resp)
}

func (f *lrFixture) customer(t *testing.T, owner *webtest.User) string {
	t.Helper()
	body := map[string]any{"name": "مشتری " + core.NewID().String()[24:]}
	if owner != nil {
		body["owner_id"] = owner.ID
	}
	return createCustomer(t, f.h, f.mgr, f.tn, body).ID
}

// record creates one record of kind on customer c; a task is assigned to
// assignee.
func (f *lrFixture) record(t *testing.T, kind, c string, assignee webtest.User) string {
	t.Helper()
	f.n++
	switch kind {
	case "tickets":
		return f.post(t, "/api/v1/customers/"+c+"/tickets", map[string]any{"subject": "مشکل ورود"})
	case "contracts":
		return f.post(t, "/api/v1/customers/"+c+"/contracts", map[string]any{"subject": "SLA", "currency": "USD", "start_on": "2025-01-01", "value": 120000})
	case "proposals":
		return f.post(t, "/api/v1/customers/"+c+"/proposals", map[string]any{"subject": "Upsell", "currency": "USD", "total": 5000})
	case "invoices":
		return f.post(t, "/api/v1/customers/"+c+"/invoices", map[string]any{"number": fmt.Sprintf("F-%s-%d", c[:8], f.n), "issued_on": "2025-01-01", "currency": "USD", "total": 1000})
	case "payments":
		return f.post(t, "/api/v1/customers/"+c+"/payments", map[string]any{"amount": 500, "currency": "USD", "paid_on": "2025-01-02"})
	case "notes":
		return f.post(t, "/api/v1/customers/"+c+"/notes", map[string]any{"body": "تماس گرفته شد"})
	case "rewards":
		return f.post(t, "/api/v1/customers/"+c+"/rewards", map[string]any{"kind": "points", "amount": 100, "currency": "USD"})
	case "referrals":
		other := f.customer(t, nil)
		return f.post(t, "/api/v1/referrals", map[string]any{"referrer_id": c, "referred_id": other})
	case "tasks":
		return f.post(t, "/api/v1/tasks", map[string]any{"title": "Call back", "customer_id": c, "assignee_id": assignee.ID})
	}
	t.Fatalf("unknown kind %s", kind)
	return ""
}

// TestLinkedRoleMatrix: every linked-record, merge route against every
// default role, with the statuses written out from DESIGN §4's table
// (admin, manager, sales, support).
func TestLinkedRoleMatrix(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "lrmatrix")
	users := map[string]webtest.User{}
	for _, r := range []string{"tenant_admin", "manager", "sales", "support"} {
		users[r] = h.User(t, tn, r)
	}
	f := &lrFixture{h: h, tn: tn, mgr: users["manager"]}
	all := func(admin, manager, sales, support int) [4]int { return [4]int{admin, manager, sales, support} }
	type row struct {
		kind, method, path string // {c} customer, {r} a record of kind
		body               any
		want               [4]int
	}
	rows := []row{
		// tickets: admin read, manager full, sales read, support full
		{"tickets", "GET", "/api/v1/tickets", nil, all(200, 200, 200, 200)},
		{"tickets", "GET", "/api/v1/customers/{c}/tickets", nil, all(200, 200, 200, 200)},
		{"tickets", "POST", "/api/v1/customers/{c}/tickets", map[string]any{"subject": "x"}, all(403, 201, 403, 201)},
		{"tickets", "GET", "/api/v1/tickets/{r}", nil, all(200, 200, 200, 200)},
		{"tickets", "PATCH", "/api/v1/tickets/{r}", map[string]any{"status": "answered"}, all(403, 200, 403, 200)},
		{"tickets", "DELETE", "/api/v1/tickets/{r}", nil, all(403, 204, 403, 204)},
		// contracts, proposals: admin read, manager & sales full, support read
		{"contracts", "GET", "/api/v1/contracts", nil, all(200, 200, 200, 200)},
		{"contracts", "GET", "/api/v1/customers/{c}/contracts", nil, all(200, 200, 200, 200)},
		{"contracts", "POST", "/api/v1/customers/{c}/contracts", map[string]any{"subject": "x", "currency": "USD", "start_on": "2025-02-01"}, all(403, 201, 201, 403)},
		{"contracts", "GET", "/api/v1/contracts/{r}", nil, all(200, 200, 200, 200)},
		{"contracts", "PATCH", "/api/v1/contracts/{r}", map[string]any{"signed": true}, all(403, 200, 200, 403)},
		{"contracts", "DELETE", "/api/v1/contracts/{r}", nil, all(403, 204, 204, 403)},
		{"proposals", "GET", "/api/v1/proposals", nil, all(200, 200, 200, 200)},
		{"proposals", "GET", "/api/v1/customers/{c}/proposals", nil, all(200, 200, 200, 200)},
		{"proposals", "POST", "/api/v1/customers/{c}/proposals", map[string]any{"subject": "x", "currency": "IRR", "total": 1}, all(403, 201, 201, 403)},
		{"proposals", "GET", "/api/v1/proposals/{r}", nil, all(200, 200, 200, 200)},
		{"proposals", "PATCH", "/api/v1/proposals/{r}", map[string]any{"status": "sent"}, all(403, 200, 200, 403)},
		{"proposals", "DELETE", "/api/v1/proposals/{r}", nil, all(403, 204, 204, 403)},
		// invoices, payments: admin read, manager full, sales & support read
		{"invoices", "GET", "/api/v1/invoices", nil, all(200, 200, 200, 200)},
		{"invoices", "GET", "/api/v1/customers/{c}/invoices", nil, all(200, 200, 200, 200)},
		{"invoices", "POST", "/api/v1/customers/{c}/invoices", map[string]any{"number": "{uniq}", "issued_on": "2025-01-01", "currency": "USD", "total": 1}, all(403, 201, 403, 403)},
		{"invoices", "POST", "/api/v1/invoices", map[string]any{"customer_id": "{c}", "number": "{uniq}", "issued_on": "2025-01-01", "currency": "USD", "total": 1}, all(403, 201, 403, 403)},
		{"invoices", "GET", "/api/v1/invoices/{r}", nil, all(200, 200, 200, 200)},
		{"invoices", "PATCH", "/api/v1/invoices/{r}", map[string]any{"due_on": "2025-02-01"}, all(403, 200, 403, 403)},
		{"invoices", "DELETE", "/api/v1/invoices/{r}", nil, all(403, 204, 403, 403)},
		{"payments", "GET", "/api/v1/payments", nil, all(200, 200, 200, 200)},
		{"payments", "GET", "/api/v1/customers/{c}/payments", nil, all(200, 200, 200, 200)},
		{"payments", "POST", "/api/v1/customers/{c}/payments", map[string]any{"amount": 1, "currency": "USD", "paid_on": "2025-01-01"}, all(403, 201, 403, 403)},
		{"payments", "POST", "/api/v1/payments", map[string]any{"invoice_number": "{uniq}", "amount": 1, "currency": "USD", "paid_on": "2025-01-01"}, all(403, 201, 403, 403)},
		{"payments", "GET", "/api/v1/payments/{r}", nil, all(200, 200, 200, 200)},
		{"payments", "PATCH", "/api/v1/payments/{r}", map[string]any{"method": "cash"}, all(403, 200, 403, 403)},
		{"payments", "DELETE", "/api/v1/payments/{r}", nil, all(403, 204, 403, 403)},
		// referrals: admin read, manager full, sales read + record, support read
		{"referrals", "GET", "/api/v1/referrals", nil, all(200, 200, 200, 200)},
		{"referrals", "GET", "/api/v1/customers/{c}/referrals", nil, all(200, 200, 200, 200)},
		{"referrals", "POST", "/api/v1/referrals", map[string]any{"referrer_id": "{c}", "referred_id": "{c2}"}, all(403, 201, 201, 403)},
		{"referrals", "GET", "/api/v1/referrals/{r}", nil, all(200, 200, 200, 200)},
		{"referrals", "PATCH", "/api/v1/referrals/{r}", map[string]any{"status": "qualified"}, all(403, 200, 403, 403)},
		{"referrals", "DELETE", "/api/v1/referrals/{r}", nil, all(403, 204, 403, 403)},
		// rewards: admin read, manager full, sales read, support read
		{"rewards", "GET", "/api/v1/rewards", nil, all(200, 200, 200, 200)},
		{"rewards", "GET", "/api/v1/customers/{c}/rewards", nil, all(200, 200, 200, 200)},
		{"rewards", "POST", "/api/v1/customers/{c}/rewards", map[string]any{"kind": "gift", "currency": "USD"}, all(403, 201, 403, 403)},
		{"rewards", "GET", "/api/v1/rewards/{r}", nil, all(200, 200, 200, 200)},
		{"rewards", "PATCH", "/api/v1/rewards/{r}", map[string]any{"reason": "loyal"}, all(403, 200, 403, 403)},
		{"rewards", "DELETE", "/api/v1/rewards/{r}", nil, all(403, 204, 403, 403)},
		// notes: admin read, manager & sales full, support read + add
		{"notes", "GET", "/api/v1/notes", nil, all(200, 200, 200, 200)},
		{"notes", "GET", "/api/v1/customers/{c}/notes", nil, all(200, 200, 200, 200)},
		{"notes", "POST", "/api/v1/customers/{c}/notes", map[string]any{"body": "x"}, all(403, 201, 201, 201)},
		{"notes", "GET", "/api/v1/notes/{r}", nil, all(200, 200, 200, 200)},
		{"notes", "PATCH", "/api/v1/notes/{r}", map[string]any{"kind": "call"}, all(403, 200, 200, 403)},
		{"notes", "DELETE", "/api/v1/notes/{r}", nil, all(403, 204, 204, 403)},
		// tasks: admin read, manager full, sales & support own/assigned/created
		// (the task is assigned to the acting user, so only the permission decides)
		{"tasks", "GET", "/api/v1/tasks", nil, all(200, 200, 200, 200)},
		{"tasks", "GET", "/api/v1/customers/{c}/tasks", nil, all(200, 200, 200, 200)},
		{"tasks", "POST", "/api/v1/tasks", map[string]any{"title": "x"}, all(403, 201, 201, 201)},
		{"tasks", "GET", "/api/v1/tasks/{r}", nil, all(200, 200, 200, 200)},
		{"tasks", "PATCH", "/api/v1/tasks/{r}", map[string]any{"status": "done"}, all(403, 200, 200, 200)},
		{"tasks", "DELETE", "/api/v1/tasks/{r}", nil, all(403, 204, 403, 403)},
		// merge customers: manager and sales
		{"merge", "POST", "/api/v1/customers/{c}/merge", map[string]any{"duplicate_id": "{c2}"}, all(403, 200, 200, 403)},
	}
	roles := []string{"tenant_admin", "manager", "sales", "support"}
	for _, r := range rows {
		for i, role := range roles {
			as := users[role]
			raw, _ := json.Marshal(r.body)
			c, c2 := f.customer(t, nil), ""
			if strings.Contains(r.path+string(raw), "{c2}") {
				c2 = f.customer(t, nil)
			}
			rec := ""
			if strings.Contains(r.path, "{r}") {
				rec = f.record(t, r.kind, c, as)
			}
			repl := strings.NewReplacer("{c}", c, "{c2}", c2, "{r}", rec, "{uniq}", "U-"+core.NewID().String())
			req := webtest.Req{As: as, Tenant: tn.Slug, Method: r.method, Path: repl.Replace(r.path)}
			if r.body != nil {
				req.Body, req.Header = repl.Replace(string(raw)), map[string]string{"Content-Type": "application/json"}
			}
			if resp := h.Do(t, req); resp.Status != r.want[i] {
				t.Errorf("%s %s as %s = %d %s, want %d", r.method, r.path, role, resp.Status, resp.Body, r.want[i])
			}
		}
		// No session: 401.
		repl := strings.NewReplacer("{c}", core.NewID().String(), "{c2}", core.NewID().String(), "{r}", core.NewID().String(), "{uniq}", "x")
		if resp := h.Do(t, webtest.Req{Tenant: tn.Slug, Method: r.method, Path: repl.Replace(r.path)}); resp.Status != 401 {
			t.Errorf("%s %s without a session = %d, want 401", r.method, r.path, resp.Status)
		}
	}
}

// The linked records' rows of the role matrix (web/rolematrix_test.go),
// written out from DESIGN §4: columns tenant_admin, manager, sales,
// support | agency admin, operator, another tenant's admin, no session.
func init() {
	const outside = " NNNU"
	rand := "00000000-0000-7000-8000-000000000001"
	type perms struct{ list, create, read, update, del string }
	nouns := []struct {
		noun string
		p    perms
		body any
	}{
		{"tickets", perms{"YYYY", "FYFY", "YYYY", "FYFY", "FYFY"}, map[string]any{"subject": "x"}},
		{"contracts", perms{"YYYY", "FYYF", "YYYY", "FYYF", "FYYF"}, map[string]any{"subject": "x", "currency": "USD", "start_on": "2025-01-01"}},
		{"proposals", perms{"YYYY", "FYYF", "YYYY", "FYYF", "FYYF"}, map[string]any{"subject": "x", "currency": "USD"}},
		{"invoices", perms{"YYYY", "FYFF", "YYYY", "FYFF", "FYFF"}, map[string]any{"number": "M-1", "issued_on": "2025-01-01", "currency": "USD", "total": 1}},
		{"payments", perms{"YYYY", "FYFF", "YYYY", "FYFF", "FYFF"}, map[string]any{"amount": 1, "currency": "USD", "paid_on": "2025-01-01"}},
		{"rewards", perms{"YYYY", "FYFF", "YYYY", "FYFF", "FYFF"}, map[string]any{"kind": "gift", "currency": "USD"}},
		{"notes", perms{"YYYY", "FYYY", "YYYY", "FYYF", "FYYF"}, map[string]any{"body": "x"}},
	}
	var rows []matrixRow
	for _, n := range nouns {
		base := "/api/v1/" + n.noun
		rows = append(rows,
			matrixRow{Method: "GET", Route: base, Tenant: true, Want: w(n.p.list + outside)},
			matrixRow{Method: "GET", Route: "/api/v1/customers/:id/" + n.noun, Path: "/api/v1/customers/{rand}/" + n.noun, Tenant: true, Want: w(n.p.list + outside)},
			matrixRow{Method: "POST", Route: "/api/v1/customers/:id/" + n.noun, Path: "/api/v1/customers/{rand}/" + n.noun, Tenant: true, Body: n.body, Want: w(n.p.create + outside)},
			matrixRow{Method: "GET", Route: base + "/:id", Path: base + "/{rand}", Tenant: true, Want: w(n.p.read + outside)},
			matrixRow{Method: "PATCH", Route: base + "/:id", Path: base + "/{rand}", Tenant: true, Body: map[string]any{}, Want: w(n.p.update + outside)},
			matrixRow{Method: "DELETE", Route: base + "/:id", Path: base + "/{rand}", Tenant: true, Want: w(n.p.del + outside)},
		)
	}
	rows = append(rows,
		// Top-level creates of invoices and payments (integrations).
		matrixRow{Method: "POST", Route: "/api/v1/invoices", Tenant: true, Body: map[string]any{"customer_id": rand, "number": "M-2", "issued_on": "2025-01-01", "currency": "USD", "total": 1}, Want: w("FYFF" + outside)},
		matrixRow{Method: "POST", Route: "/api/v1/payments", Tenant: true, Body: map[string]any{"invoice_number": "nothing-yet", "amount": 1, "currency": "USD", "paid_on": "2025-01-01"}, Want: w("FYFF" + outside)},
		// Referrals: admin read, manager full, sales read and record, support read.
		matrixRow{Method: "POST", Route: "/api/v1/referrals", Tenant: true, Body: map[string]any{"referrer_id": rand, "referred_id": rand}, Want: w("FYYF" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/referrals", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/customers/:id/referrals", Path: "/api/v1/customers/{rand}/referrals", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/referrals/:id", Path: "/api/v1/referrals/{rand}", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "PATCH", Route: "/api/v1/referrals/:id", Path: "/api/v1/referrals/{rand}", Tenant: true, Body: map[string]any{}, Want: w("FYFF" + outside)},
		matrixRow{Method: "DELETE", Route: "/api/v1/referrals/:id", Path: "/api/v1/referrals/{rand}", Tenant: true, Want: w("FYFF" + outside)},
		// Tasks: admin read, manager full, sales and support own/assigned/created (no delete).
		matrixRow{Method: "POST", Route: "/api/v1/tasks", Tenant: true, Body: map[string]any{"title": "x"}, Want: w("FYYY" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/tasks", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/customers/:id/tasks", Path: "/api/v1/customers/{rand}/tasks", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "GET", Route: "/api/v1/tasks/:id", Path: "/api/v1/tasks/{rand}", Tenant: true, Want: w("YYYY" + outside)},
		matrixRow{Method: "PATCH", Route: "/api/v1/tasks/:id", Path: "/api/v1/tasks/{rand}", Tenant: true, Body: map[string]any{}, Want: w("FYYY" + outside)},
		matrixRow{Method: "DELETE", Route: "/api/v1/tasks/:id", Path: "/api/v1/tasks/{rand}", Tenant: true, Want: w("FYFF" + outside)},
		// Merge customers: manager and sales.
		matrixRow{Method: "POST", Route: "/api/v1/customers/:id/merge", Path: "/api/v1/customers/{rand}/merge", Tenant: true, Body: map[string]any{"duplicate_id": rand}, Want: w("FYYF" + outside)},
	)
	matrixRows = append(matrixRows, rows...)
}

func init() {
	matrixRows = append(matrixRows, matrixRow{Method: "GET", Route: "/api/v1/customers/:id/timeline", Path: "/api/v1/customers/{rand}/timeline", Tenant: true, Want: w("YYYY NNNU")})
}

// TestLinkedOpenAPI: the linked records' real requests and responses match
// the document, days and exact quantities included.
func TestLinkedOpenAPI(t *testing.T) {
	h := webtest.New(t)
	doc := loadOpenAPI(t, h)
	tn := h.Tenant(t, "lroas")
	mgr := h.User(t, tn, "manager")
	f := &lrFixture{h: h, tn: tn, mgr: mgr}
	c := f.customer(t, nil)
	check := func(method, route, path string, body any, status int) string {
		t.Helper()
		op := operation(doc, method, route)
		if op == nil || op.Summary == "" || op.Extensions[web.Undocumented] != nil {
			t.Fatalf("%s %s is not documented", method, route)
		}
		if body != nil {
			raw, _ := json.Marshal(body)
			var v any
			_ = json.Unmarshal(raw, &v)
			if err := op.RequestBody.Value.Content.Get("application/json").Schema.Value.VisitJSON(v); err != nil {
				t.Errorf("%s %s: request does not match: %v", method, route, err)
			}
		}
		resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: method, Path: path, Body: body})
		if resp.Status != status {
			t.Fatalf("%s %s = %d %s", method, path, resp.Status, resp.Body)
		}
		var v any
		_ = json.Unmarshal(resp.Body, &v)
		if mt := op.Responses.Value(fmt.Sprint(status)).Value.Content.Get("application/json"); mt != nil {
			if err := mt.Schema.Value.VisitJSON(v); err != nil {
				t.Errorf("%s %s: response does not match the document: %v\n%s", method, route, err, resp.Body)
			}
		}
		if m, ok := v.(map[string]any); ok {
			id, _ := m["id"].(string)
			return id
		}
		return ""
	}
	inv := check("POST", "/api/v1/customers/:id/invoices", "/api/v1/customers/"+c+"/invoices", map[string]any{"number": "O-1", "issued_on": "2025-03-20",
		"due_on": "2025-04-20", "currency": "USD", "lines": []map[string]any{{"product": "کتاب", "quantity": "1.25", "unit_price": 1000}}}, 201)
	check("GET", "/api/v1/invoices/:id", "/api/v1/invoices/"+inv, nil, 200)
	check("GET", "/api/v1/invoices", "/api/v1/invoices", nil, 200)
	check("POST", "/api/v1/payments", "/api/v1/payments", map[string]any{"invoice_id": inv, "amount": 500, "currency": "USD", "paid_on": "2025-03-21"}, 201)
	tk := check("POST", "/api/v1/customers/:id/tickets", "/api/v1/customers/"+c+"/tickets", map[string]any{"subject": "s", "priority": "high", "priority_reason": "VIP"}, 201)
	check("PATCH", "/api/v1/tickets/:id", "/api/v1/tickets/"+tk, map[string]any{"status": "closed", "satisfaction": 4}, 200)
	check("POST", "/api/v1/customers/:id/contracts", "/api/v1/customers/"+c+"/contracts", map[string]any{"subject": "c", "currency": "IRR", "start_on": "2025-01-01", "end_on": "2025-12-31", "value": 1200000}, 201)
	check("POST", "/api/v1/customers/:id/proposals", "/api/v1/customers/"+c+"/proposals", map[string]any{"subject": "p", "currency": "USD", "total": 100, "sent_on": "2025-01-01"}, 201)
	check("POST", "/api/v1/customers/:id/notes", "/api/v1/customers/"+c+"/notes", map[string]any{"body": "یادداشت", "kind": "call"}, 201)
	check("POST", "/api/v1/customers/:id/rewards", "/api/v1/customers/"+c+"/rewards", map[string]any{"kind": "points", "amount": 10, "currency": "USD", "reason": "loyal"}, 201)
	check("POST", "/api/v1/tasks", "/api/v1/tasks", map[string]any{"title": "call", "customer_id": c, "due_at": "2030-01-01T10:00:00Z"}, 201)
	check("POST", "/api/v1/referrals", "/api/v1/referrals", map[string]any{"referrer_id": c, "referred_id": f.customer(t, nil)}, 201)
	check("GET", "/api/v1/customers/:id/timeline", "/api/v1/customers/"+c+"/timeline?limit=3", nil, 200)
	check("GET", "/api/v1/customers/:id/referrals", "/api/v1/customers/"+c+"/referrals", nil, 200)
	check("POST", "/api/v1/customers/:id/merge", "/api/v1/customers/"+c+"/merge", map[string]any{"duplicate_id": f.customer(t, nil)}, 200)
}

// TestTaskReach: without tasks:manage, sales and support reach only tasks
// assigned to them, created by them or on customers they own (DESIGN §4
// "own, assigned, created"); the manager and the tenant admin reach all.
func TestTaskReach(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "tasks")
	mgr, sales, support, admin := h.User(t, tn, "manager"), h.User(t, tn, "sales"), h.User(t, tn, "support"), h.User(t, tn, "tenant_admin")
	f := &lrFixture{h: h, tn: tn, mgr: mgr}
	owned := f.customer(t, &sales)
	other := f.customer(t, nil)
	onOwned := f.post(t, "/api/v1/tasks", map[string]any{"title": "on sales' customer", "customer_id": owned})
	assigned := f.post(t, "/api/v1/tasks", map[string]any{"title": "for support", "customer_id": other, "assignee_id": support.ID})
	foreign := f.post(t, "/api/v1/tasks", map[string]any{"title": "nobody's", "customer_id": other})
	resp := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tasks", Body: map[string]any{"title": "mine"}})
	created := idOf(t, resp)
	S := tn.Slug
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "sales: task on own customer", As: sales, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + onOwned, Status: 200},
		{Name: "sales: someone else's task", As: sales, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + foreign, Status: 404},
		{Name: "sales: patch someone else's task", As: sales, Tenant: S, Method: "PATCH", Path: "/api/v1/tasks/" + assigned, Body: map[string]any{"status": "done"}, Status: 404},
		{Name: "support: assigned task", As: support, Tenant: S, Method: "PATCH", Path: "/api/v1/tasks/" + assigned, Body: map[string]any{"status": "done"}, Status: 200},
		{Name: "support: created task", As: support, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + created, Status: 200},
		{Name: "support: hand a foreign task on", As: support, Tenant: S, Method: "PATCH", Path: "/api/v1/tasks/" + assigned, Body: map[string]any{"assignee_id": sales.ID}, Status: 422},
		{Name: "support: not on sales' customer", As: support, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + onOwned, Status: 404},
		{Name: "manager: all", As: mgr, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + created, Status: 200},
		{Name: "admin reads all", As: admin, Tenant: S, Method: "GET", Path: "/api/v1/tasks/" + foreign, Status: 200},
	})
	for _, c := range []struct {
		as   webtest.User
		want []string
		not  []string
	}{
		{sales, []string{onOwned}, []string{foreign, assigned, created}},
		{support, []string{assigned, created}, []string{foreign, onOwned}},
		{admin, []string{onOwned, assigned, foreign, created}, nil},
	} {
		body := string(h.Do(t, webtest.Req{As: c.as, Tenant: S, Path: "/api/v1/tasks"}).Body)
		for _, id := range c.want {
			if !strings.Contains(body, id) {
				t.Errorf("%s's task list lacks %s", c.as.Role, id)
			}
		}
		for _, id := range c.not {
			if strings.Contains(body, id) {
				t.Errorf("%s's task list holds %s", c.as.Role, id)
			}
		}
	}
}

// TestTasksAssigneeMe: ?assignee=me lists the caller's own tasks (for
// every role), a user id lists that assignee's, and anything else is a 422
// naming the parameter.
func TestTasksAssigneeMe(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "mine")
	mgr, sales := h.User(t, tn, "manager"), h.User(t, tn, "sales")
	f := &lrFixture{h: h, tn: tn, mgr: mgr}
	c := f.customer(t, nil)
	forMgr := f.post(t, "/api/v1/tasks", map[string]any{"title": "manager's", "customer_id": c, "assignee_id": mgr.ID})
	forSales := f.post(t, "/api/v1/tasks", map[string]any{"title": "sales'", "customer_id": c, "assignee_id": sales.ID})
	nobody := f.post(t, "/api/v1/tasks", map[string]any{"title": "unassigned", "customer_id": c})
	S := tn.Slug
	for _, q := range []struct {
		name string
		as   webtest.User
		path string
		want []string
		not  []string
	}{
		{"manager, me", mgr, "/api/v1/tasks?assignee=me", []string{forMgr}, []string{forSales, nobody}},
		{"sales, me", sales, "/api/v1/tasks?assignee=me", []string{forSales}, []string{forMgr, nobody}},
		{"sales, Me under the customer", sales, "/api/v1/customers/" + c + "/tasks?assignee=Me", []string{forSales}, []string{forMgr, nobody}},
		{"manager, assignee_id=me", mgr, "/api/v1/tasks?assignee_id=me&status=open", []string{forMgr}, []string{forSales, nobody}},
		{"manager, sales by id", mgr, "/api/v1/tasks?assignee=" + sales.ID.String(), []string{forSales}, []string{forMgr, nobody}},
		{"manager, everyone", mgr, "/api/v1/tasks", []string{forMgr, forSales, nobody}, nil},
	} {
		r := h.Do(t, webtest.Req{As: q.as, Tenant: S, Path: q.path})
		if r.Status != 200 {
			t.Errorf("%s: %s = %d %s", q.name, q.path, r.Status, r.Body)
			continue
		}
		for _, id := range q.want {
			if !strings.Contains(string(r.Body), id) {
				t.Errorf("%s: %s lacks %s", q.name, q.path, id)
			}
		}
		for _, id := range q.not {
			if strings.Contains(string(r.Body), id) {
				t.Errorf("%s: %s holds %s", q.name, q.path, id)
			}
		}
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "malformed assignee", As: mgr, Tenant: S, Method: "GET", Path: "/api/v1/tasks?assignee=myself", Status: 422, Contains: `"assignee":"must be \"me\" or a user id"`},
		{Name: "malformed assignee_id", As: mgr, Tenant: S, Method: "GET", Path: "/api/v1/tasks?assignee_id=12", Status: 422, Contains: `"assignee_id"`},
		{Name: "two different assignees", As: mgr, Tenant: S, Method: "GET", Path: "/api/v1/tasks?assignee=me&assignee_id=" + sales.ID.String(), Status: 422, Contains: `"assignee_id"`},
		{Name: "no session", Tenant: S, Method: "GET", Path: "/api/v1/tasks?assignee=me", Status: 401},
	})
}

// TestTicketVIPPriorityAPI: a ticket opened low for a customer in a VIP
// group comes back high with the reason; a non-VIP customer's stays low;
// an urgent one stays urgent.
func TestTicketVIPPriorityAPI(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "vip")
	mgr, support := h.User(t, tn, "manager"), h.User(t, tn, "support")
	f := &lrFixture{h: h, tn: tn, mgr: mgr}
	g := f.post(t, "/api/v1/groups", map[string]any{"name": "طلایی", "is_vip": true})
	vip := createCustomer(t, h, mgr, tn, map[string]any{"name": "VIP Co", "group_ids": []string{g}}).ID
	plain := f.customer(t, nil)
	for _, c := range []struct {
		name, cust, prio, want, reason string
	}{
		{"VIP low", vip, "low", "high", "VIP customer (group طلایی)"},
		{"VIP urgent", vip, "urgent", "urgent", ""},
		{"plain low", plain, "low", "low", ""},
	} {
		r := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers/" + c.cust + "/tickets",
			Body: map[string]any{"subject": "سفارش نرسید", "priority": c.prio}})
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
		var tk core.Ticket
		r.JSON(&tk)
		if tk.Priority != c.want || tk.PriorityReason != c.reason {
			t.Errorf("%s: %s %q, want %s %q", c.name, tk.Priority, tk.PriorityReason, c.want, c.reason)
		}
		g := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Path: "/api/v1/tickets/" + tk.ID.String()})
		if !strings.Contains(string(g.Body), `"priority":"`+c.want+`"`) {
			t.Errorf("%s: stored ticket %s", c.name, g.Body)
		}
	}
}
