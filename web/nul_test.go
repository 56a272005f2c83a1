package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

// TestNULIsA422: a NUL character in a query string, a url-encoded form or
// a JSON body (raw or escaped) is a 422 naming the field — JSON for the
// API, the error page for the UI — never the 500 Postgres' refusal
// (22021) used to become. Multipart uploads (binary XLSX) pass.
func TestNULIsA422(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "nul")
	mgr, admin := h.User(t, tn, "manager"), h.User(t, tn, "tenant_admin")
	if resp := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/custom-fields",
		Body: map[string]any{"entity": "customer", "key": "note", "label": "Note", "type": "text"}}); resp.Status != 201 {
		t.Fatalf("custom field = %d %s", resp.Status, resp.Body)
	}
	cu := createCustomer(t, h, mgr, tn, map[string]any{"name": "NUL Co", "billing_address": map[string]any{"city": "Tehran"}})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	api := []struct {
		name, method, path string
		body               any
		header             map[string]string
		field              string
	}{
		{"login email", "POST", "/api/v1/auth/login", `{"email":"a\u0000b@x.com","password":"secret secret"}`, map[string]string{"Content-Type": "application/json"}, "email"},
		{"login raw NUL", "POST", "/api/v1/auth/login", "{\"email\":\"a\x00b@x.com\",\"password\":\"x\"}", map[string]string{"Content-Type": "application/json"}, "body"},
		{"search", "GET", "/api/v1/customers?q=a%00b", nil, nil, "q"},
		{"city filter", "GET", "/api/v1/customers?city=a%00", nil, nil, "city"},
		{"customer name", "POST", "/api/v1/customers", map[string]any{"name": "a\x00b"}, nil, "name"},
		{"customer custom value", "PATCH", "/api/v1/customers/" + cu.ID, map[string]any{"custom": map[string]any{"note": "x\x00"}}, nil, "custom.note"},
		{"note body", "POST", "/api/v1/customers/" + cu.ID + "/notes", map[string]any{"body": "\x00"}, nil, "body"},
		{"task title", "POST", "/api/v1/tasks", map[string]any{"customer_id": cu.ID, "title": "call\x00"}, nil, "title"},
		{"no content type", "POST", "/api/v1/tasks", `{"title":"x\u0000"}`, nil, "title"},
	}
	for _, c := range api {
		resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: c.method, Path: c.path, Body: c.body, Header: c.header})
		var e errBody
		_ = json.Unmarshal(resp.Body, &e)
		if resp.Status != 422 || e.Error.Code != "invalid" || !strings.Contains(e.Error.Fields[c.field], "NUL") {
			t.Errorf("%s: %s %s = %d %s, want 422 with a NUL message on %q", c.name, c.method, c.path, resp.Status, resp.Body, c.field)
		}
	}
	// An escaped backslash before u0000 is text, not a NUL.
	if resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers/" + cu.ID + "/notes",
		Body: `{"body":"C:\\u0000 is a path"}`, Header: map[string]string{"Content-Type": "application/json"}}); resp.Status != 201 {
		t.Errorf("a note with a literal \\u0000 = %d %s, want 201", resp.Status, resp.Body)
	}
	ui := []struct{ name, method, path, body string }{
		{"sign-in form", "POST", "/login", "email=a%00b%40x.com&password=secret"},
		{"customer search", "GET", "/t/" + tn.Slug + "/customers?q=%00", ""},
		{"note form", "POST", "/t/" + tn.Slug + "/customers/" + cu.ID + "/notes", "kind=call&body=x%00y"},
	}
	for _, c := range ui {
		req := webtest.Req{As: mgr, Method: c.method, Path: c.path}
		if c.body != "" {
			req.Body, req.Header = c.body, form
		}
		if c.path == "/login" {
			req.As = webtest.User{}
		}
		resp := h.Do(t, req)
		body := string(resp.Body)
		if resp.Status != 422 || !strings.Contains(body, `data-code="invalid"`) || !strings.Contains(body, "NUL character") {
			t.Errorf("%s: %s %s = %d, want the 422 error page about a NUL character: %.400s", c.name, c.method, c.path, resp.Status, body)
		}
	}
	// A multipart upload carries binary files: an XLSX (a zip, full of
	// NULs) is accepted.
	x := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Path: "/api/v1/customers/export?format=xlsx"})
	if x.Status != 200 || !strings.Contains(string(x.Body), "\x00") {
		t.Fatalf("xlsx export = %d (%d bytes)", x.Status, len(x.Body))
	}
	body, hdr := lrUpload(t, "customers", "export.xlsx", x.Body, `{"owner_id": ""}`)
	if resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr}); resp.Status != 202 {
		t.Errorf("xlsx import = %d %s, want 202", resp.Status, resp.Body)
	}
}
