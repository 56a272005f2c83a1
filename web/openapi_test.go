package web_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gomato/gomato/web"
	"github.com/gomato/gomato/web/webtest"
)

// customerAreaRoutes are the routes this area documents in full.
var customerAreaRoutes = []string{
	"GET /api/v1/customers", "GET /api/v1/customers/counts", "POST /api/v1/customers", "GET /api/v1/customers/:id",
	"PATCH /api/v1/customers/:id", "DELETE /api/v1/customers/:id", "GET /api/v1/customers/:id/profile",
	"PUT /api/v1/customers/:id/forecast-override", "GET /api/v1/specialties",
	"GET /api/v1/customers/:id/contacts", "POST /api/v1/customers/:id/contacts", "GET /api/v1/contacts/:id",
	"PATCH /api/v1/contacts/:id", "DELETE /api/v1/contacts/:id",
	"GET /api/v1/groups", "POST /api/v1/groups", "GET /api/v1/groups/:id", "PATCH /api/v1/groups/:id", "DELETE /api/v1/groups/:id",
	"GET /api/v1/custom-fields", "POST /api/v1/custom-fields", "GET /api/v1/custom-fields/:id", "PATCH /api/v1/custom-fields/:id",
	"DELETE /api/v1/custom-fields/:id", "GET /api/v1/openapi.json",
}

func loadOpenAPI(t *testing.T, h *webtest.Harness) *openapi3.T {
	t.Helper()
	resp := h.Do(t, webtest.Req{Path: "/api/v1/openapi.json"})
	if resp.Status != 200 {
		t.Fatalf("openapi.json = %d %s", resp.Status, resp.Body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(resp.Body)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// formats makes validation check the formats the document uses: UUIDs
// (any version: ours are v7) and RFC 3339 times.
var formats = []openapi3.SchemaValidationOption{
	openapi3.EnableFormatValidation(),
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)),
}

func operation(doc *openapi3.T, method, routePath string) *openapi3.Operation {
	p, _ := web.OpenAPIPath(routePath)
	item := doc.Paths.Value(p)
	if item == nil {
		return nil
	}
	return item.GetOperation(method)
}

// TestOpenAPIDocumentsEveryRoute: every /api/v1 route of the route table
// is in the document; the customer area's have bodies described by their
// Go types.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	h := webtest.New(t)
	doc := loadOpenAPI(t, h)
	var undocumented []string
	for _, r := range h.Server.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		op := operation(doc, r.Method, r.Path)
		if op == nil {
			t.Errorf("%s %s is not in the OpenAPI document", r.Method, r.Path)
			continue
		}
		if op.Extensions[web.Undocumented] != nil {
			undocumented = append(undocumented, r.Method+" "+r.Path)
		}
	}
	for _, key := range customerAreaRoutes {
		method, path, _ := strings.Cut(key, " ")
		op := operation(doc, method, path)
		if op == nil || op.Extensions[web.Undocumented] != nil || op.Summary == "" {
			t.Errorf("%s is not documented", key)
			continue
		}
		if (method == "POST" || method == "PATCH" || method == "PUT") && (op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json") == nil) {
			t.Errorf("%s has no request schema", key)
		}
	}
	if len(undocumented) > 0 {
		t.Logf("%d routes of other areas have no body schemas yet (they register them with addAPIDocs): %s", len(undocumented), strings.Join(undocumented, ", "))
	}
}

// TestOpenAPIValidatesRealResponses: real requests and their responses are
// checked against the document's schemas, which forbid fields the Go types
// do not have and require those they always encode.
func TestOpenAPIValidatesRealResponses(t *testing.T) {
	h := webtest.New(t)
	doc := loadOpenAPI(t, h)
	tn := h.Tenant(t, "oas")
	admin, sales, support := h.User(t, tn, "tenant_admin"), h.User(t, tn, "sales"), h.User(t, tn, "support")
	ids := map[string]string{}
	check := func(as webtest.User, method, route, path string, body any, idKey string) {
		t.Helper()
		op := operation(doc, method, route)
		if op == nil {
			t.Fatalf("%s %s not in the document", method, route)
		}
		if body != nil {
			raw, _ := json.Marshal(body)
			var v any
			_ = json.Unmarshal(raw, &v)
			sch := op.RequestBody.Value.Content.Get("application/json").Schema.Value
			if err := sch.VisitJSON(v, formats...); err != nil {
				t.Errorf("%s %s: request %s does not match the document: %v", method, route, raw, err)
			}
		}
		resp := h.Do(t, webtest.Req{As: as, Tenant: tn.Slug, Method: method, Path: path, Body: body})
		ref := op.Responses.Value(strconv.Itoa(resp.Status))
		if ref == nil {
			if resp.Status < 400 {
				t.Errorf("%s %s answered %d, which the document does not list: %s", method, route, resp.Status, resp.Body)
				return
			}
			ref = op.Responses.Default()
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil {
			if len(resp.Body) > 0 {
				t.Errorf("%s %s: a body where the document has none: %s", method, route, resp.Body)
			}
			return
		}
		var v any
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, route, err, resp.Body)
		}
		if err := mt.Schema.Value.VisitJSON(v, formats...); err != nil {
			t.Errorf("%s %s (%d): response does not match the document: %v\n%s", method, route, resp.Status, err, resp.Body)
		}
		if idKey != "" {
			if m, ok := v.(map[string]any); ok {
				ids[idKey], _ = m["id"].(string)
			}
		}
	}
	check(admin, "POST", "/api/v1/custom-fields", "/api/v1/custom-fields", map[string]any{"entity": "customer", "key": "tier", "label": "Tier", "type": "select", "options": []string{"gold", "silver"}}, "field")
	check(sales, "POST", "/api/v1/groups", "/api/v1/groups", map[string]any{"name": "VIP", "is_vip": true}, "group")
	check(sales, "POST", "/api/v1/customers", "/api/v1/customers", map[string]any{"name": "کتاب‌فروشی نیکان", "phone": "۰۲۱۸۸۸۸۱۲۳۴",
		"group_ids": []string{ids["group"]}, "specialties": []string{"کتاب"}, "custom": map[string]any{"tier": "gold"},
		"billing_address": map[string]any{"city": "تهران", "country": "IR"}, "owner_id": sales.ID.String()}, "customer")
	c := ids["customer"]
	check(sales, "POST", "/api/v1/customers/:id/contacts", "/api/v1/customers/"+c+"/contacts", map[string]any{"first_name": "سارا",
		"email": "s@example.com", "email_consent": map[string]any{"given": true, "source": "form"}}, "contact")
	if _, err := h.Env.DB.Exec(`insert into `+tn.Schema+`.scores (customer_id, run_id, computed_at, model, risk, risk_level, clv, health)
		values ($1, gen_random_uuid(), now(), 'm', 0.4, 'medium', 5000, 70)`, c); err != nil {
		t.Fatal(err)
	}
	check(sales, "PUT", "/api/v1/customers/:id/forecast-override", "/api/v1/customers/"+c+"/forecast-override", map[string]any{"at": "2099-01-01T00:00:00Z"}, "")
	for _, as := range []webtest.User{sales, support} {
		check(as, "GET", "/api/v1/customers", "/api/v1/customers?limit=1&sort=-created", nil, "")
		check(as, "GET", "/api/v1/customers/:id", "/api/v1/customers/"+c, nil, "")
		check(as, "GET", "/api/v1/customers/:id/profile", "/api/v1/customers/"+c+"/profile", nil, "")
	}
	check(sales, "GET", "/api/v1/customers/counts", "/api/v1/customers/counts?vip=true", nil, "")
	check(sales, "PATCH", "/api/v1/customers/:id", "/api/v1/customers/"+c, map[string]any{"status": "legacy", "custom": map[string]any{"tier": nil}}, "")
	check(sales, "GET", "/api/v1/specialties", "/api/v1/specialties", nil, "")
	check(sales, "GET", "/api/v1/customers/:id/contacts", "/api/v1/customers/"+c+"/contacts", nil, "")
	check(sales, "GET", "/api/v1/contacts/:id", "/api/v1/contacts/"+ids["contact"], nil, "")
	check(sales, "PATCH", "/api/v1/contacts/:id", "/api/v1/contacts/"+ids["contact"], map[string]any{"title": "مدیر"}, "")
	check(sales, "GET", "/api/v1/groups", "/api/v1/groups", nil, "")
	check(sales, "GET", "/api/v1/groups/:id", "/api/v1/groups/"+ids["group"], nil, "")
	check(sales, "PATCH", "/api/v1/groups/:id", "/api/v1/groups/"+ids["group"], map[string]any{"description": "d"}, "")
	check(sales, "GET", "/api/v1/custom-fields", "/api/v1/custom-fields", nil, "")
	check(sales, "GET", "/api/v1/custom-fields/:id", "/api/v1/custom-fields/"+ids["field"], nil, "")
	check(admin, "PATCH", "/api/v1/custom-fields/:id", "/api/v1/custom-fields/"+ids["field"], map[string]any{"required": true}, "")
	// Errors match the error schema.
	check(sales, "POST", "/api/v1/customers", "/api/v1/customers", map[string]any{"name": ""}, "")
	check(sales, "GET", "/api/v1/customers/:id", "/api/v1/customers/0190b7a2-6a5e-7c3e-9a3b-2f1d0c9e8b7a", nil, "")
	check(support, "POST", "/api/v1/groups", "/api/v1/groups", map[string]any{"name": "x"}, "")
	// Deletes have no body.
	check(sales, "DELETE", "/api/v1/contacts/:id", "/api/v1/contacts/"+ids["contact"], nil, "")
	check(sales, "DELETE", "/api/v1/groups/:id", "/api/v1/groups/"+ids["group"], nil, "")
	check(admin, "DELETE", "/api/v1/custom-fields/:id", "/api/v1/custom-fields/"+ids["field"], nil, "")
	check(sales, "DELETE", "/api/v1/customers/:id", "/api/v1/customers/"+c, nil, "")
}

// TestOpenAPISchemasCanFail: the schemas reject what the types would not
// produce, so the validation above means something.
func TestOpenAPISchemasCanFail(t *testing.T) {
	h := webtest.New(t)
	doc := loadOpenAPI(t, h)
	sch := operation(doc, "GET", "/api/v1/customers/:id").Responses.Value("200").Value.Content.Get("application/json").Schema.Value
	good := func() map[string]any {
		var c map[string]any
		raw := `{"id":"0190b7a2-6a5e-7c3e-9a3b-2f1d0c9e8b7a","name":"x","email":"","phone":"","website":"","vat_id":"","status":"active",
			"owner_id":null,"source":"","billing_address":{"street":"","city":"","province":"","postal_code":"","country":""},
			"shipping_address":{"street":"","city":"","province":"","postal_code":"","country":""},"value_added_deals":0,
			"groups":[],"specialties":[],"custom":{},"external_ref":null,"last_purchase_on":null,
			"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := sch.VisitJSON(good(), formats...); err != nil {
		t.Fatalf("a well-formed customer fails: %v", err)
	}
	for name, spoil := range map[string]func(map[string]any){
		"unknown field":   func(c map[string]any) { c["password"] = "x" },
		"missing field":   func(c map[string]any) { delete(c, "status") },
		"id not a uuid":   func(c map[string]any) { c["id"] = "42" },
		"null groups":     func(c map[string]any) { c["groups"] = nil },
		"number for name": func(c map[string]any) { c["name"] = 5.0 },
		"bad time":        func(c map[string]any) { c["created_at"] = "yesterday" },
	} {
		c := good()
		spoil(c)
		if err := sch.VisitJSON(c, formats...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
