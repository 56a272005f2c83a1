package web_test

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/web/webtest"
)

// lrUpload builds a multipart import request.
func lrUpload(t *testing.T, kind, filename string, data []byte, mapping string) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("kind", kind)
	if mapping != "" {
		_ = mw.WriteField("mapping", mapping)
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()}
}

// TestImportExportAPI: imports commit or reject as a whole, exports honour
// the list's filters, the own-records scope and the tenant, and both are
// audited; an XLSX export reads back through the import.
func TestImportExportAPI(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "impa"), h.Tenant(t, "impb")
	mgr, admin := h.User(t, a, "manager"), h.User(t, a, "tenant_admin")
	me := h.UserWithScope(t, a, "sales")
	mgrB := h.User(t, b, "manager")

	csv := "external_ref,name,phone,status\nK-1,کتاب\u200cفروشی نیکان,+98 912 345 6789,active\nK-2,Beta,'-120,inactive\n"
	body, hdr := lrUpload(t, "customers", "customers.csv", []byte(csv), "")
	r := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
	if r.Status != 422 || !strings.Contains(string(r.Body), `"row":3`) || !strings.Contains(string(r.Body), `"column":"phone"`) {
		t.Fatalf("file with a bad phone = %d %s, want 422 naming row 3", r.Status, r.Body)
	}
	csv = strings.Replace(csv, "'-120", "021 555", 1)
	body, hdr = lrUpload(t, "customers", "customers.csv", []byte(csv), "")
	r = h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"created":2`) {
		t.Fatalf("corrected file = %d %s", r.Status, r.Body)
	}
	// A mapping, and payments that wait for their invoice.
	pay := "Ref,Invoice,Amount,Cur,Day\nK-1,F-9,۱٬۵۰۰٫۲۵,USD,2025-01-02\n"
	wBody, wHdr := lrUpload(t, "widgets", "x.csv", []byte("name\nx\n"), "")
	body, hdr = lrUpload(t, "payments", "pay.csv", []byte(pay), `{"customer_ref":"Ref","invoice_number":"Invoice","amount":"Amount","currency":"Cur","paid_on":"Day"}`)
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "payments with a mapping", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr, Status: 200, Contains: `"created":1`},
		{Name: "unknown kind", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: wBody, Header: wHdr, Status: 422, Contains: `"kind"`},
		{Name: "no file", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: "kind=customers", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 422, Contains: `"file"`},
		{Name: "sales may not import", As: me, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr, Status: 403},
		{Name: "export csv", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?format=csv&status=active", Status: 200, Contains: "'+98 912 345 6789"},
		{Name: "export bad format", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?format=pdf", Status: 422, Contains: `"format"`},
		{Name: "export bad filter", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?colour=red", Status: 422, Contains: `"colour"`},
		{Name: "payments export", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/payments/export", Status: 200, Contains: "1500.25"},
		{Name: "invoices export of a foreign customer", As: mgrB, Tenant: b.Slug, Method: "GET", Path: "/api/v1/invoices/export?customer_id=" + core.NewID().String(), Status: 404},
		{Name: "audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"import.committed"`},
		{Name: "rejections audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"import.rejected"`},
		{Name: "exports audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"export.downloaded"`},
	})
	// Status filter: the inactive customer is not in an active-only export.
	r = h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Path: "/api/v1/customers/export?status=active"})
	if strings.Contains(string(r.Body), "Beta") || r.Header.Get("X-Export-Rows") != "1" {
		t.Errorf("active-only export: %s", r.Body)
	}
	// Another tenant's export holds none of ours.
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Path: "/api/v1/customers/export"})
	if r.Status != 200 || strings.Contains(string(r.Body), "K-1") {
		t.Errorf("other tenant's export = %d %s", r.Status, r.Body)
	}
	// The scoped user's export holds only their own customers.
	createCustomer(t, h, mgr, a, map[string]any{"name": "Mine only", "owner_id": me.ID})
	r = h.Do(t, webtest.Req{As: me, Tenant: a.Slug, Path: "/api/v1/customers/export"})
	if r.Status != 200 || !strings.Contains(string(r.Body), "Mine only") || strings.Contains(string(r.Body), "K-1") {
		t.Errorf("scoped export = %d %s", r.Status, r.Body)
	}
	// XLSX export → import into the other tenant.
	x := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Path: "/api/v1/customers/export?format=xlsx"})
	if x.Status != 200 || !bytes.HasPrefix(x.Body, []byte("PK")) {
		t.Fatalf("xlsx export = %d", x.Status)
	}
	// Owners are the first tenant's users: leave them out.
	body, hdr = lrUpload(t, "customers", "export.xlsx", x.Body, `{"owner_id": ""}`)
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"created":3`) {
		t.Fatalf("import of the xlsx export = %d %s", r.Status, r.Body)
	}
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Path: "/api/v1/customers?q=" + "نیکان"})
	if !strings.Contains(string(r.Body), "+98 912 345 6789") || !strings.Contains(string(r.Body), "کتاب\u200cفروشی نیکان") {
		t.Errorf("imported customer in the other tenant: %s", r.Body)
	}
}

// The import and export rows of the role matrix: import admin & manager;
// export admin, manager, sales (DESIGN §4).
func init() {
	matrixRows = append(matrixRows,
		matrixRow{Method: "POST", Route: "/api/v1/imports", Tenant: true, Body: "kind=widgets", Want: w("YYFF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/customers/export", Tenant: true, Want: w("YYYF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/invoices/export", Tenant: true, Want: w("YYYF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/payments/export", Tenant: true, Want: w("YYYF NNNU")},
	)
}
