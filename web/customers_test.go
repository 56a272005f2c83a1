package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/web/webtest"
)

type customerBody struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Phone       string         `json:"phone"`
	OwnerID     *string        `json:"owner_id"`
	Custom      map[string]any `json:"custom"`
	Groups      []struct{ ID string }
	Specialties []struct{ Name string }
}

type errBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func createCustomer(t *testing.T, h *webtest.Harness, as webtest.User, tn core.Tenant, body any) customerBody {
	t.Helper()
	resp := h.Do(t, webtest.Req{As: as, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers", Body: body})
	if resp.Status != 201 {
		t.Fatalf("create customer = %d %s", resp.Status, resp.Body)
	}
	var c customerBody
	resp.JSON(&c)
	return c
}

func createContact(t *testing.T, h *webtest.Harness, as webtest.User, tn core.Tenant, customerID string, body any) string {
	t.Helper()
	resp := h.Do(t, webtest.Req{As: as, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers/" + customerID + "/contacts", Body: body})
	if resp.Status != 201 {
		t.Fatalf("create contact = %d %s", resp.Status, resp.Body)
	}
	var k struct{ ID string }
	resp.JSON(&k)
	return k.ID
}

func idOf(t *testing.T, resp *webtest.Resp) string {
	t.Helper()
	var v struct{ ID string }
	resp.JSON(&v)
	return v.ID
}

// TestCustomersAPI: happy paths, validation, strict decoding and foreign
// tenant ids for every customer-area endpoint.
func TestCustomersAPI(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	sales, admin := h.User(t, a, "sales"), h.User(t, a, "tenant_admin")
	salesB, adminB := h.User(t, b, "sales"), h.User(t, b, "tenant_admin")

	fieldResp := h.Do(t, webtest.Req{As: admin, Tenant: a.Slug, Method: "POST", Path: "/api/v1/custom-fields",
		Body: map[string]any{"entity": "customer", "key": "employees", "label": "Employees", "type": "number"}})
	if fieldResp.Status != 201 {
		t.Fatalf("create custom field = %d %s", fieldResp.Status, fieldResp.Body)
	}
	fieldA := idOf(t, fieldResp)
	groupResp := h.Do(t, webtest.Req{As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/groups", Body: map[string]any{"name": "عمده‌فروشان", "is_vip": true}})
	if groupResp.Status != 201 {
		t.Fatalf("create group = %d %s", groupResp.Status, groupResp.Body)
	}
	groupA := idOf(t, groupResp)
	c := createCustomer(t, h, sales, a, map[string]any{"name": "کتاب‌فروشی نیکان", "phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "owner_id": sales.ID,
		"group_ids": []string{groupA}, "specialties": []string{"کتاب"}, "custom": map[string]any{"employees": "۱۲"}})
	if c.Phone != "0912 345 6789" || c.OwnerID == nil || *c.OwnerID != sales.ID.String() || len(c.Groups) != 1 || len(c.Specialties) != 1 {
		t.Fatalf("created %+v", c)
	}
	if n, _ := c.Custom["employees"].(float64); n != 12 {
		t.Errorf("custom employees %v, want 12", c.Custom["employees"])
	}
	contactA := createContact(t, h, sales, a, c.ID, map[string]any{"first_name": "سارا", "email": "sara@example.com"})

	// Tenant B's real ids.
	cB := createCustomer(t, h, salesB, b, map[string]any{"name": "B customer"})
	contactB := createContact(t, h, salesB, b, cB.ID, map[string]any{"first_name": "Bee"})
	groupB := idOf(t, h.Do(t, webtest.Req{As: salesB, Tenant: b.Slug, Method: "POST", Path: "/api/v1/groups", Body: map[string]any{"name": "B"}}))
	fieldB := idOf(t, h.Do(t, webtest.Req{As: adminB, Tenant: b.Slug, Method: "POST", Path: "/api/v1/custom-fields",
		Body: map[string]any{"entity": "contact", "key": "b", "label": "B", "type": "text"}}))

	q := url.QueryEscape
	scs := []webtest.Scenario{
		{Name: "list", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?status=active&group=" + groupA, Status: 200, Contains: c.ID},
		{Name: "search Arabic letters without ZWNJ", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?q=" + q("كتابفروشي نيكان"), Status: 200, Contains: c.ID},
		{Name: "search Persian-digit phone", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?q=" + q("۰۹۱۲۳۴۵۶۷۸۹"), Status: 200, Contains: c.ID},
		{Name: "custom field filter with Persian digits", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?cf.employees.gte=" + q("۱۰"), Status: 200, Contains: c.ID},
		{Name: "counts", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/counts?status=legacy", Status: 200, Contains: `"active":1`},
		{Name: "list: unknown parameter", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?colour=red", Status: 422, Contains: `"colour":"unknown parameter"`},
		{Name: "list: bad group id", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?group=x", Status: 422, Contains: `"group"`},
		{Name: "list: unknown custom field", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?cf.nope=1", Status: 422, Contains: `"cf.nope"`},
		{Name: "list: limit", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers?limit=500", Status: 422, Contains: `"limit"`},
		{Name: "counts: bad status", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/counts?status=gone", Status: 422, Contains: `"status"`},
		{Name: "get", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + c.ID, Status: 200, Contains: "نیکان"},
		{Name: "get: not a uuid", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/123", Status: 404},
		{Name: "profile", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + c.ID + "/profile", Status: 200, Contains: `"timeline":[]`},
		{Name: "contacts", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + c.ID + "/contacts", Status: 200, Contains: contactA},
		{Name: "contact", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/contacts/" + contactA, Status: 200, Contains: "سارا"},
		{Name: "patch customer", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/customers/" + c.ID, Body: map[string]any{"status": "inactive"}, Status: 200, Contains: `"status":"inactive"`},
		{Name: "patch contact", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/contacts/" + contactA, Body: map[string]any{"title": "مدیر"}, Status: 200, Contains: "مدیر"},
		{Name: "groups", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/groups", Status: 200, Contains: groupA},
		{Name: "group", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/groups/" + groupA, Status: 200, Contains: `"customers":1`},
		{Name: "patch group", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/groups/" + groupA, Body: map[string]any{"description": "x"}, Status: 200},
		{Name: "custom fields", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/custom-fields?entity=customer", Status: 200, Contains: fieldA},
		{Name: "custom field", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/custom-fields/" + fieldA, Status: 200},
		{Name: "patch custom field", As: admin, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/custom-fields/" + fieldA, Body: map[string]any{"label": "Staff"}, Status: 200, Contains: "Staff"},
		{Name: "specialties", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/specialties?q=" + q("كتاب"), Status: 200, Contains: "کتاب"},

		// Validation and strict decoding.
		{Name: "create: field messages", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers",
			Body:   map[string]any{"name": "", "email": "nope", "billing_address": map[string]any{"country": "Iran"}, "custom": map[string]any{"employees": "many"}},
			Status: 422, Contains: `"billing_address.country"`},
		{Name: "create: unknown field", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "x", "colour": "red"}, Status: 422, Contains: `"colour":"unknown field"`},
		{Name: "create: malformed JSON", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: `{"name": "x"`, Header: map[string]string{"Content-Type": "application/json"}, Status: 400, Contains: `"malformed"`},
		{Name: "create: empty body", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: ``, Status: 400},
		{Name: "create: float for an integer", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "x", "value_added_deals": 1.5}, Status: 422, Contains: `"value_added_deals"`},
		{Name: "create: bad owner uuid", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "x", "owner_id": "bob"}, Status: 422, Contains: `"owner_id"`},
		{Name: "create: owner from another tenant", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "x", "owner_id": salesB.ID}, Status: 422, Contains: `"owner_id":"not a member of this tenant"`},
		{Name: "create: group from another tenant", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "x", "group_ids": []string{groupB}}, Status: 422, Contains: `"group_ids"`},
		{Name: "contact: validation", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + c.ID + "/contacts", Body: map[string]any{"email": "x"}, Status: 422, Contains: `"first_name"`},
		{Name: "contact: unknown field", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/contacts/" + contactA, Body: map[string]any{"nickname": "x"}, Status: 422, Contains: `"nickname"`},
		{Name: "group: validation", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/groups", Body: map[string]any{"name": " "}, Status: 422, Contains: `"name":"required"`},
		{Name: "group: duplicate", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/groups", Body: map[string]any{"name": "عمده‌فروشان"}, Status: 409},
		{Name: "custom field: validation", As: admin, Tenant: a.Slug, Method: "POST", Path: "/api/v1/custom-fields", Body: map[string]any{"entity": "x", "key": "Bad", "label": "", "type": "select"}, Status: 422, Contains: `"options"`},
		{Name: "forecast override in the past", As: sales, Tenant: a.Slug, Method: "PUT", Path: "/api/v1/customers/" + c.ID + "/forecast-override", Body: map[string]any{"at": "2001-01-01T00:00:00Z"}, Status: 422, Contains: `"at"`},
		{Name: "forecast override", As: sales, Tenant: a.Slug, Method: "PUT", Path: "/api/v1/customers/" + c.ID + "/forecast-override", Body: map[string]any{"at": "2099-01-01T00:00:00Z"}, Status: 200, Contains: `"override"`},

		// Tenant B's real ids through tenant A.
		{Name: "foreign customer", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + cB.ID, Status: 404},
		{Name: "foreign customer patch", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/customers/" + cB.ID, Body: map[string]any{"name": "x"}, Status: 404},
		{Name: "foreign customer delete", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/customers/" + cB.ID, Status: 404},
		{Name: "foreign profile", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + cB.ID + "/profile", Status: 404},
		{Name: "foreign forecast override", As: sales, Tenant: a.Slug, Method: "PUT", Path: "/api/v1/customers/" + cB.ID + "/forecast-override", Body: map[string]any{"at": nil}, Status: 404},
		{Name: "foreign customer's contacts", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + cB.ID + "/contacts", Status: 404},
		{Name: "contact on a foreign customer", As: sales, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + cB.ID + "/contacts", Body: map[string]any{"first_name": "x"}, Status: 404},
		{Name: "foreign contact", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/contacts/" + contactB, Status: 404},
		{Name: "foreign contact patch", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/contacts/" + contactB, Body: map[string]any{"title": "x"}, Status: 404},
		{Name: "foreign contact delete", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/contacts/" + contactB, Status: 404},
		{Name: "foreign group", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/groups/" + groupB, Status: 404},
		{Name: "foreign group patch", As: sales, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/groups/" + groupB, Body: map[string]any{"name": "x"}, Status: 404},
		{Name: "foreign group delete", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/groups/" + groupB, Status: 404},
		{Name: "foreign custom field", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/custom-fields/" + fieldB, Status: 404},
		{Name: "foreign custom field patch", As: admin, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/custom-fields/" + fieldB, Body: map[string]any{"label": "x"}, Status: 404},
		{Name: "foreign custom field delete", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/custom-fields/" + fieldB, Status: 404},
		{Name: "tenant B's user in tenant A", As: salesB, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + c.ID, Status: 404},

		// Deletes last.
		{Name: "delete contact", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/contacts/" + contactA, Status: 204},
		{Name: "delete group", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/groups/" + groupA, Status: 204},
		{Name: "delete custom field", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/custom-fields/" + fieldA, Status: 204},
		{Name: "delete customer", As: sales, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/customers/" + c.ID, Status: 204},
		{Name: "deleted customer", As: sales, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/" + c.ID, Status: 404},
		{Name: "B's customer untouched", As: salesB, Tenant: b.Slug, Method: "GET", Path: "/api/v1/customers/" + cB.ID, Status: 200, Contains: "B customer"},
	}
	webtest.RunScenarios(t, h, scs)
}

// TestCustomerRoleMatrix: each role's answer on each customer-area
// endpoint, written out by hand from DESIGN §4 (customers, contacts,
// groups: tenant admin read; manager and sales full; support read and
// edit contacts. Custom field definitions: tenant admin full, others
// read. Overriding the forecast: manager and sales).
func TestCustomerRoleMatrix(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "matrix")
	users := map[string]webtest.User{}
	for _, r := range []string{"tenant_admin", "manager", "sales", "support"} {
		users[r] = h.User(t, tn, r)
	}
	mgr := users["manager"]
	fresh := func() (customer, contact, group, field string) {
		c := createCustomer(t, h, mgr, tn, map[string]any{"name": "Matrix " + core.NewID().String()[:8]})
		k := createContact(t, h, mgr, tn, c.ID, map[string]any{"first_name": "K"})
		g := idOf(t, h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/groups", Body: map[string]any{"name": "G " + core.NewID().String()}}))
		f := idOf(t, h.Do(t, webtest.Req{As: users["tenant_admin"], Tenant: tn.Slug, Method: "POST", Path: "/api/v1/custom-fields",
			Body: map[string]any{"entity": "customer", "key": "k" + strings.ReplaceAll(core.NewID().String()[24:], "-", ""), "label": "F", "type": "text"}}))
		return c.ID, k, g, f
	}
	type row struct {
		method, path string // {c} {k} {g} {f} are replaced with fresh ids
		body         any
		want         map[string]int // admin, manager, sales, support
	}
	all := func(admin, manager, sales, support int) map[string]int {
		return map[string]int{"tenant_admin": admin, "manager": manager, "sales": sales, "support": support}
	}
	rows := []row{
		{"GET", "/api/v1/customers", nil, all(200, 200, 200, 200)},
		{"GET", "/api/v1/customers/counts", nil, all(200, 200, 200, 200)},
		{"POST", "/api/v1/customers", map[string]any{"name": "New"}, all(403, 201, 201, 403)},
		{"GET", "/api/v1/customers/{c}", nil, all(200, 200, 200, 200)},
		{"PATCH", "/api/v1/customers/{c}", map[string]any{"source": "x"}, all(403, 200, 200, 403)},
		{"DELETE", "/api/v1/customers/{c}", nil, all(403, 204, 204, 403)},
		{"GET", "/api/v1/customers/{c}/profile", nil, all(200, 200, 200, 200)},
		{"PUT", "/api/v1/customers/{c}/forecast-override", map[string]any{"at": nil}, all(403, 200, 200, 403)},
		{"GET", "/api/v1/specialties", nil, all(200, 200, 200, 200)},
		{"GET", "/api/v1/customers/{c}/contacts", nil, all(200, 200, 200, 200)},
		{"POST", "/api/v1/customers/{c}/contacts", map[string]any{"first_name": "N"}, all(403, 201, 201, 403)},
		{"GET", "/api/v1/contacts/{k}", nil, all(200, 200, 200, 200)},
		{"PATCH", "/api/v1/contacts/{k}", map[string]any{"title": "x"}, all(403, 200, 200, 200)},
		{"DELETE", "/api/v1/contacts/{k}", nil, all(403, 204, 204, 403)},
		{"GET", "/api/v1/groups", nil, all(200, 200, 200, 200)},
		{"POST", "/api/v1/groups", map[string]any{"name": "{uniq}"}, all(403, 201, 201, 403)},
		{"GET", "/api/v1/groups/{g}", nil, all(200, 200, 200, 200)},
		{"PATCH", "/api/v1/groups/{g}", map[string]any{"description": "x"}, all(403, 200, 200, 403)},
		{"DELETE", "/api/v1/groups/{g}", nil, all(403, 204, 204, 403)},
		{"GET", "/api/v1/custom-fields", nil, all(200, 200, 200, 200)},
		{"POST", "/api/v1/custom-fields", map[string]any{"entity": "contact", "key": "{uniqkey}", "label": "L", "type": "text"}, all(201, 403, 403, 403)},
		{"GET", "/api/v1/custom-fields/{f}", nil, all(200, 200, 200, 200)},
		{"PATCH", "/api/v1/custom-fields/{f}", map[string]any{"label": "x"}, all(200, 403, 403, 403)},
		{"DELETE", "/api/v1/custom-fields/{f}", nil, all(204, 403, 403, 403)},
	}
	for _, r := range rows {
		for role, want := range r.want {
			c, k, g, f := fresh()
			path := strings.NewReplacer("{c}", c, "{k}", k, "{g}", g, "{f}", f).Replace(r.path)
			body := r.body
			if m, ok := body.(map[string]any); ok {
				raw, _ := json.Marshal(m)
				uniq := strings.ReplaceAll(core.NewID().String()[24:], "-", "")
				body = strings.NewReplacer(`"{uniq}"`, `"G`+uniq+`"`, `"{uniqkey}"`, `"k`+uniq+`"`).Replace(string(raw))
			}
			req := webtest.Req{As: users[role], Tenant: tn.Slug, Method: r.method, Path: path}
			if body != nil {
				req.Body, req.Header = body, map[string]string{"Content-Type": "application/json"}
			}
			if resp := h.Do(t, req); resp.Status != want {
				t.Errorf("%s %s as %s = %d %s, want %d", r.method, r.path, role, resp.Status, resp.Body, want)
			}
		}
	}
	// No session at all is a 401 everywhere.
	for _, r := range rows {
		path := strings.NewReplacer("{c}", core.NewID().String(), "{k}", core.NewID().String(), "{g}", core.NewID().String(), "{f}", core.NewID().String()).Replace(r.path)
		if resp := h.Do(t, webtest.Req{Tenant: tn.Slug, Method: r.method, Path: path}); resp.Status != 401 {
			t.Errorf("%s %s without a session = %d, want 401", r.method, r.path, resp.Status)
		}
	}
}

// TestOwnRecordsScopeAPI: a scoped sales user sees only their own
// customers through the list, counts, search, profile and nested URLs.
func TestOwnRecordsScopeAPI(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "scope")
	mgr := h.User(t, tn, "manager")
	me := h.UserWithScope(t, tn, "sales")
	mine := createCustomer(t, h, mgr, tn, map[string]any{"name": "Nikan mine", "owner_id": me.ID})
	theirs := createCustomer(t, h, mgr, tn, map[string]any{"name": "Nikan theirs", "owner_id": mgr.ID})
	theirContact := createContact(t, h, mgr, tn, theirs.ID, map[string]any{"first_name": "T"})
	myContact := createContact(t, h, mgr, tn, mine.ID, map[string]any{"first_name": "M"})

	for _, path := range []string{"/api/v1/customers", "/api/v1/customers?q=nikan", "/api/v1/customers?owner=" + mgr.ID.String() + "&owner=" + me.ID.String()} {
		resp := h.Do(t, webtest.Req{As: me, Tenant: tn.Slug, Path: path})
		var page struct{ Items []customerBody }
		resp.JSON(&page)
		if len(page.Items) != 1 || page.Items[0].ID != mine.ID {
			t.Errorf("%s as scoped user: %s, want only mine", path, resp.Body)
		}
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "counts", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/counts", Status: 200, Contains: `"all":1,`},
		{Name: "manager counts", As: mgr, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/counts", Status: 200, Contains: `"all":2,`},
		{Name: "my profile", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/" + mine.ID + "/profile", Status: 200, Contains: myContact},
		{Name: "their customer", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/" + theirs.ID, Status: 404},
		{Name: "their profile", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/" + theirs.ID + "/profile", Status: 404},
		{Name: "their contacts", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/" + theirs.ID + "/contacts", Status: 404},
		{Name: "contact on theirs", As: me, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers/" + theirs.ID + "/contacts", Body: map[string]any{"first_name": "x"}, Status: 404},
		{Name: "their contact", As: me, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/contacts/" + theirContact, Status: 404},
		{Name: "patch theirs", As: me, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/customers/" + theirs.ID, Body: map[string]any{"name": "x"}, Status: 404},
		{Name: "my new customer is mine", As: me, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers", Body: map[string]any{"name": "Mine too"}, Status: 201, Contains: me.ID.String()},
	})
}

// TestScoreFieldsNeedScoresRead: support (no scores:read) gets no score
// fields and a 403 on score filters and sorts; sales gets both.
func TestScoreFieldsNeedScoresRead(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "scores")
	sales, support := h.User(t, tn, "sales"), h.User(t, tn, "support")
	c := createCustomer(t, h, sales, tn, map[string]any{"name": "Scored"})
	if _, err := h.Env.DB.Exec(`insert into `+tn.Schema+`.scores (customer_id, run_id, computed_at, model, risk, risk_level, clv)
		values ($1, $2, now(), 'test', 0.7, 'high', 123456)`, c.ID, core.NewID()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Env.DB.Exec(`update `+tn.Schema+`.customers set sales_forecast_at = '2030-01-01' where id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/customers/" + c.ID, "/api/v1/customers/" + c.ID + "/profile", "/api/v1/customers"} {
		body := string(h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Path: path}).Body)
		if strings.Contains(body, "sales_forecast") || strings.Contains(body, `"score"`) || strings.Contains(body, "123456") || strings.Contains(body, "risk") {
			t.Errorf("support sees score fields at %s: %s", path, body)
		}
		body = string(h.Do(t, webtest.Req{As: sales, Tenant: tn.Slug, Path: path}).Body)
		if !strings.Contains(body, `"sales_forecast"`) || !strings.Contains(body, `"clv":123456`) {
			t.Errorf("sales misses score fields at %s: %s", path, body)
		}
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "support sorts by clv", As: support, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers?sort=-clv", Status: 403},
		{Name: "support filters by risk", As: support, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers?risk_level=high", Status: 403},
		{Name: "support counts by min_clv", As: support, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers/counts?min_clv=1", Status: 403},
		{Name: "sales sorts by clv", As: sales, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers?sort=-clv", Status: 200, Contains: c.ID},
		{Name: "sales filters by risk", As: sales, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers?risk_level=high&min_clv=" + url.QueryEscape("۱۰۰"), Status: 200, Contains: c.ID},
		{Name: "sales filters by risk, none", As: sales, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/customers?risk_level=low", Status: 200, Contains: `"items":[]`},
	})
}
