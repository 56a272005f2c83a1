package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/web"
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

// importHarness is a harness whose server enqueues background work under
// a queue prefix of its own in the web tests' job database, and a worker
// that serves that prefix until the test ends: imports and the scoring
// runs they request go through the real queue, and no other test (or
// another run of these) meets them.
func importHarness(t *testing.T) *webtest.Harness {
	t.Helper()
	h := webtest.New(t)
	prefix := fmt.Sprintf("webimp-%d-%s-", os.Getpid(), core.NewID().String()[24:])
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jc := jobs.NewClient(jobs.ClientConfig{RedisAddr: webtest.RedisAddr, RedisDB: webtest.JobsRedisDB, DB: h.Env.DB, Log: log, QueuePrefix: prefix})
	t.Cleanup(jc.Close)
	h.Server = web.New(h.Config, web.Deps{DB: h.Env.DB, Registry: h.Env.Registry, Redis: h.Redis, Log: log,
		Users: h.Users, Audit: h.Audit, Authz: h.Authz, Jobs: jc})
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: webtest.RedisAddr, RedisDB: webtest.JobsRedisDB, DB: h.Env.DB, Registry: h.Env.Registry,
		Log: log, ShutdownTimeout: 5 * time.Second, QueuePrefix: prefix, Concurrency: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		rdb := redis.NewClient(&redis.Options{Addr: webtest.RedisAddr, DB: webtest.JobsRedisDB})
		defer rdb.Close()
		bg := context.Background()
		iter := rdb.Scan(bg, 0, "asynq:{"+prefix+"*", 500).Iterator()
		for iter.Next(bg) {
			rdb.Del(bg, iter.Val())
		}
		for _, q := range []string{"critical", "default", "low"} {
			rdb.SRem(bg, "asynq:queues", prefix+q)
		}
	})
	return h
}

// postImport uploads a file and expects 202 with the queued import at its
// Location.
func postImport(t *testing.T, h *webtest.Harness, as webtest.User, tn core.Tenant, kind, filename string, data []byte, mapping string) web.ImportView {
	t.Helper()
	body, hdr := lrUpload(t, kind, filename, data, mapping)
	r := h.Do(t, webtest.Req{As: as, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
	if r.Status != 202 {
		t.Fatalf("POST /api/v1/imports (%s) = %d %s, want 202", filename, r.Status, r.Body)
	}
	var v web.ImportView
	r.JSON(&v)
	if v.Status != "queued" || v.Kind != kind || r.Header.Get("Location") != "/api/v1/imports/"+v.ID.String() {
		t.Fatalf("202 body %s, Location %q", r.Body, r.Header.Get("Location"))
	}
	return v
}

// waitImport polls the import's Location until it has ended.
func waitImport(t *testing.T, h *webtest.Harness, as webtest.User, tn core.Tenant, id uuid.UUID) (web.ImportView, []byte) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := h.Do(t, webtest.Req{As: as, Tenant: tn.Slug, Path: "/api/v1/imports/" + id.String()})
		if r.Status != 200 {
			t.Fatalf("GET import = %d %s", r.Status, r.Body)
		}
		var v web.ImportView
		r.JSON(&v)
		if v.Status == "succeeded" || v.Status == "failed" {
			return v, r.Body
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s after a minute: %s", v.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImportExportAPI: an import answers 202 and runs in the background,
// committing or rejecting as a whole; its progress and outcome are at its
// Location (404 from another tenant); a succeeded one requests a scoring
// run; exports honour the list's filters, the own-records scope and the
// tenant; both are audited; an XLSX export reads back through the import.
func TestImportExportAPI(t *testing.T) {
	h := importHarness(t)
	a, b := h.Tenant(t, "impa"), h.Tenant(t, "impb")
	mgr, admin := h.User(t, a, "manager"), h.User(t, a, "tenant_admin")
	me := h.UserWithScope(t, a, "sales")
	mgrB := h.User(t, b, "manager")
	doc := loadOpenAPI(t, h)
	conforms := func(method, route string, status int, body []byte) {
		t.Helper()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		ref := operation(doc, method, route).Responses.Value(strconv.Itoa(status))
		if ref == nil {
			t.Fatalf("%s %s: %d is not in the document", method, route, status)
		}
		if err := ref.Value.Content.Get("application/json").Schema.Value.VisitJSON(v, formats...); err != nil {
			t.Errorf("%s %s (%d) does not match the document: %v\n%s", method, route, status, err, body)
		}
	}
	customers := func(tn core.Tenant) int {
		var n int
		if err := h.Env.DB.Get(&n, `select count(*) from `+tn.Schema+`.customers`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A bad phone: 202, then failed with the row, and nothing written.
	csv := "external_ref,name,phone,status\nK-1,کتاب\u200cفروشی نیکان,+98 912 345 6789,active\nK-2,Beta,'-120,inactive\n"
	body, hdr := lrUpload(t, "customers", "customers.csv", []byte(csv), "")
	r := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
	if r.Status != 202 {
		t.Fatalf("POST = %d %s", r.Status, r.Body)
	}
	conforms("POST", "/api/v1/imports", 202, r.Body)
	var queued web.ImportView
	r.JSON(&queued)
	failed, raw := waitImport(t, h, mgr, a, queued.ID)
	conforms("GET", "/api/v1/imports/:id", 200, raw)
	if failed.Status != "failed" || failed.RowsTotal != 2 || failed.RowsDone != 2 || len(failed.BadRows) != 1 ||
		failed.BadRows[0] != (web.ImportBadRow{Row: 3, Field: "phone", Column: "phone", Message: failed.BadRows[0].Message}) || failed.BadRows[0].Message == "" {
		t.Fatalf("file with a bad phone = %s, want failed naming row 3, phone", raw)
	}
	if failed.ScoringRunID != nil || failed.Created != 0 || customers(a) != 0 {
		t.Errorf("a failed import wrote or asked for scoring: %s, %d customers", raw, customers(a))
	}
	// The corrected file: succeeded, rows there, a scoring run requested.
	csv = strings.Replace(csv, "'-120", "021 555", 1)
	ok := postImport(t, h, mgr, a, "customers", "customers.csv", []byte(csv), "")
	done, raw := waitImport(t, h, mgr, a, ok.ID)
	if done.Status != "succeeded" || done.Created != 2 || done.RowsDone != 2 || len(done.BadRows) != 0 || customers(a) != 2 {
		t.Fatalf("corrected file = %s, %d customers", raw, customers(a))
	}
	deadline := time.Now().Add(30 * time.Second)
	for done.ScoringRunID == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		done, raw = waitImport(t, h, mgr, a, ok.ID)
	}
	if done.ScoringRunID == nil {
		t.Fatalf("no scoring run requested after the import: %s", raw)
	}
	conforms("GET", "/api/v1/imports/:id", 200, raw)
	r = h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Path: "/api/v1/scoring/runs/" + done.ScoringRunID.String()})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"trigger":"import"`) {
		t.Errorf("the import's scoring run = %d %s", r.Status, r.Body)
	}

	// A mapping, and payments that wait for their invoice.
	pay := "Ref,Invoice,Amount,Cur,Day\nK-1,F-9,۱٬۵۰۰٫۲۵,USD,2025-01-02\n"
	p := postImport(t, h, mgr, a, "payments", "pay.csv", []byte(pay), `{"customer_ref":"Ref","invoice_number":"Invoice","amount":"Amount","currency":"Cur","paid_on":"Day"}`)
	if v, raw := waitImport(t, h, mgr, a, p.ID); v.Status != "succeeded" || v.Created != 1 {
		t.Fatalf("payments with a mapping = %s", raw)
	}
	wBody, wHdr := lrUpload(t, "widgets", "x.csv", []byte("name\nx\n"), "")
	gBody, gHdr := lrUpload(t, "customers", "x.xlsx", []byte("not a workbook"), "")
	mBody, mHdr := lrUpload(t, "customers", "x.csv", []byte("name\nx\n"), `{"email":"E-mail"}`)
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "unknown kind", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: wBody, Header: wHdr, Status: 422, Contains: `"kind"`},
		{Name: "no file", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: "kind=customers", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 422, Contains: `"file"`},
		{Name: "unreadable file", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: gBody, Header: gHdr, Status: 422, Contains: `"file":"not an XLSX workbook"`},
		{Name: "mapping to a missing column", As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: mBody, Header: mHdr, Status: 422, Contains: `"mapping.email"`},
		{Name: "sales may not import", As: me, Tenant: a.Slug, Method: "POST", Path: "/api/v1/imports", Body: wBody, Header: wHdr, Status: 403},
		{Name: "sales may not read an import", As: me, Tenant: a.Slug, Method: "GET", Path: "/api/v1/imports/" + ok.ID.String(), Status: 403},
		{Name: "another tenant's import", As: mgrB, Tenant: b.Slug, Method: "GET", Path: "/api/v1/imports/" + ok.ID.String(), Status: 404},
		{Name: "an unknown import", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/imports/" + core.NewID().String(), Status: 404},
		{Name: "not an id", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/imports/nope", Status: 404},
		{Name: "an admin reads it", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/imports/" + ok.ID.String(), Status: 200, Contains: `"succeeded"`},
		{Name: "export csv", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?format=csv&status=active", Status: 200, Contains: "'+98 912 345 6789"},
		{Name: "export bad format", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?format=pdf", Status: 422, Contains: `"format"`},
		{Name: "export bad filter", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/customers/export?colour=red", Status: 422, Contains: `"colour"`},
		{Name: "payments export", As: mgr, Tenant: a.Slug, Method: "GET", Path: "/api/v1/payments/export", Status: 200, Contains: "1500.25"},
		{Name: "invoices export of a foreign customer", As: mgrB, Tenant: b.Slug, Method: "GET", Path: "/api/v1/invoices/export?customer_id=" + core.NewID().String(), Status: 404},
		{Name: "audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"import.committed"`},
		{Name: "rejections audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"import.rejected"`},
		{Name: "exports audited", As: admin, Tenant: a.Slug, Method: "GET", Path: "/api/v1/audit", Status: 200, Contains: `"export.downloaded"`},
	})
	// The audit line names the manager who imported, not the worker.
	var actor string
	if err := h.Env.DB.Get(&actor, `select actor_email from control.audit_log where tenant_id = $1 and action = 'import.committed' order by at limit 1`, a.ID); err != nil || actor != mgr.Email {
		t.Errorf("import audited as %q, %v; want %s", actor, err, mgr.Email)
	}
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
	xi := postImport(t, h, mgrB, b, "customers", "export.xlsx", x.Body, `{"owner_id": ""}`)
	if v, raw := waitImport(t, h, mgrB, b, xi.ID); v.Status != "succeeded" || v.Created != 3 || v.Format != "xlsx" {
		t.Fatalf("import of the xlsx export = %s", raw)
	}
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Path: "/api/v1/customers?q=" + "نیکان"})
	if !strings.Contains(string(r.Body), "+98 912 345 6789") || !strings.Contains(string(r.Body), "کتاب\u200cفروشی نیکان") {
		t.Errorf("imported customer in the other tenant: %s", r.Body)
	}
}

// The import and export rows of the role matrix: import (and reading an
// import's progress) admin & manager;
// export admin, manager, sales (DESIGN §4).
func init() {
	matrixRows = append(matrixRows,
		matrixRow{Method: "POST", Route: "/api/v1/imports", Tenant: true, Body: "kind=widgets", Want: w("YYFF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/imports/:id", Path: "/api/v1/imports/{rand}", Tenant: true, Want: w("YYFF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/customers/export", Tenant: true, Want: w("YYYF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/invoices/export", Tenant: true, Want: w("YYYF NNNU")},
		matrixRow{Method: "GET", Route: "/api/v1/payments/export", Tenant: true, Want: w("YYYF NNNU")},
	)
}
