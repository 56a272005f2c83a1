package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gomato/gomato/web"
	"github.com/gomato/gomato/web/webtest"
)

// Scoring runs (DESIGN §4 "scores …, scoring runs"): tenant admin read;
// manager read and request a run; sales read; support nothing. The queue
// dashboard is for platform operators only.
func init() {
	matrixRows = append(matrixRows,
		tr("POST", "/api/v1/scoring/runs", "FYFF NNNU"),
		tr("GET", "/api/v1/scoring/runs", "YYYF NNNU"),
		tr("GET", "/api/v1/scoring/runs/:id", "YYYF NNNU"),
	)
}

func TestScoringRunsAPI(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "runs-a"), h.Tenant(t, "runs-b")
	mgrA, mgrB := h.User(t, a, "manager"), h.User(t, b, "manager")
	salesA := h.User(t, a, "sales")

	// Five clicks: one run, every answer 202 with the same run.
	var first web.ScoringRunView
	for i := range 5 {
		r := h.Do(t, webtest.Req{As: mgrA, Tenant: a.Slug, Method: "POST", Path: "/api/v1/scoring/runs"})
		if r.Status != 202 {
			t.Fatalf("request %d = %d %s, want 202", i, r.Status, r.Body)
		}
		var v web.ScoringRunView
		r.JSON(&v)
		if i == 0 {
			first = v
			if loc := r.Header.Get("Location"); loc != "/api/v1/scoring/runs/"+v.ID.String() {
				t.Errorf("Location = %q", loc)
			}
		} else if v.ID != first.ID {
			t.Errorf("request %d made run %s, want the pending run %s", i, v.ID, first.ID)
		}
		if v.Status != "pending" || v.Trigger != "api" || v.RequestedBy == nil || *v.RequestedBy != mgrA.ID {
			t.Errorf("run = %+v", v)
		}
	}

	// Sales reads the run and the list.
	r := h.Do(t, webtest.Req{As: salesA, Tenant: a.Slug, Path: "/api/v1/scoring/runs/" + first.ID.String()})
	if r.Status != 200 {
		t.Fatalf("sales reads the run: %d %s", r.Status, r.Body)
	}
	r = h.Do(t, webtest.Req{As: salesA, Tenant: a.Slug, Path: "/api/v1/scoring/runs?limit=10"})
	var page web.ScoringRunPage
	r.JSON(&page)
	if r.Status != 200 || len(page.Items) != 1 || page.Items[0].ID != first.ID {
		t.Fatalf("list = %d %s", r.Status, r.Body)
	}

	// Another tenant sees nothing of it: 404 for the id, an empty list.
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Path: "/api/v1/scoring/runs/" + first.ID.String()})
	if r.Status != 404 || strings.Contains(string(r.Body), "tenant not found") {
		t.Errorf("other tenant reads the run: %d %s, want 404 run not found", r.Status, r.Body)
	}
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Path: "/api/v1/scoring/runs"})
	page = web.ScoringRunPage{}
	r.JSON(&page)
	if len(page.Items) != 0 {
		t.Errorf("other tenant lists %d runs", len(page.Items))
	}
	// A manager of b naming tenant a is not a member: the tenant's 404.
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: a.Slug, Path: "/api/v1/scoring/runs/" + first.ID.String()})
	if r.Status != 404 || !strings.Contains(string(r.Body), "tenant not found") {
		t.Errorf("non-member: %d %s", r.Status, r.Body)
	}
	// b's own request makes b's own run.
	r = h.Do(t, webtest.Req{As: mgrB, Tenant: b.Slug, Method: "POST", Path: "/api/v1/scoring/runs", Body: map[string]any{}})
	var vb web.ScoringRunView
	r.JSON(&vb)
	if r.Status != 202 || vb.ID == first.ID {
		t.Errorf("b's request = %d %s", r.Status, r.Body)
	}
}

func TestScoringRunRequestValidation(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "runs-v")
	mgr := h.User(t, tn, "manager")
	for _, c := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"not a date", map[string]any{"as_of": "30/09/1997"}, 422, "as_of"},
		{"future", map[string]any{"as_of": "2999-01-01"}, 422, "as_of"},
		{"tomorrow", map[string]any{"as_of": time.Now().AddDate(0, 0, 2).Format("2006-01-02")}, 422, "as_of"},
		{"1900", map[string]any{"as_of": "1900-01-01"}, 422, "as_of"},
		{"before 1970", map[string]any{"as_of": "1969-12-31"}, 422, "as_of"},
		{"a number", map[string]any{"as_of": 19970930}, 422, "as_of"},
		{"unknown field", map[string]any{"as_off": "1997-09-30"}, 422, "as_off"},
		{"malformed", "{", 400, ""},
	} {
		r := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/scoring/runs", Body: c.body,
			Header: map[string]string{"Content-Type": "application/json"}})
		if r.Status != c.status || (c.field != "" && !strings.Contains(string(r.Body), `"`+c.field+`"`)) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, r.Status, r.Body, c.status, c.field)
		}
	}
	// Persian digits are a date like any other.
	r := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/scoring/runs", Body: map[string]any{"as_of": "۱۹۹۷-۰۹-۳۰"}})
	var v web.ScoringRunView
	r.JSON(&v)
	if r.Status != 202 || v.AsOf == nil || *v.AsOf != "1997-09-30" {
		t.Errorf("Persian digits: %d %s", r.Status, r.Body)
	}
	// While that run waits, a request for another day is a conflict.
	// A day before any data is a 422 while a run waits, not the 409 of
	// another day.
	r = h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/scoring/runs", Body: map[string]any{"as_of": "1900-01-01"}})
	if r.Status != 422 || !strings.Contains(string(r.Body), `"as_of"`) {
		t.Errorf("1900 while a run waits: %d %s, want 422 on as_of", r.Status, r.Body)
	}
	r = h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/scoring/runs", Body: map[string]any{"as_of": "1998-01-31"}})
	if r.Status != 409 || !strings.Contains(string(r.Body), `"as_of"`) {
		t.Errorf("another day while one waits: %d %s, want 409 on as_of", r.Status, r.Body)
	}
	for _, q := range []string{"limit=0", "limit=x", "status=sleeping", "cursor=nope", "sort=clv"} {
		r = h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Path: "/api/v1/scoring/runs?" + q})
		if r.Status != 422 {
			t.Errorf("list ?%s = %d %s, want 422", q, r.Status, r.Body)
		}
	}
}

func TestQueueDashboardIsForOperatorsOnly(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "queues")
	op := h.Operator(t)
	r := h.Do(t, webtest.Req{As: op, Path: web.QueueDashboardPath})
	if r.Status != 200 || !strings.Contains(strings.ToLower(string(r.Body)), "<html") {
		t.Errorf("operator: %d, want the dashboard", r.Status)
	}
	r = h.Do(t, webtest.Req{As: op, Path: web.QueueDashboardPath + "/api/queues"})
	if r.Status != 200 {
		t.Errorf("operator, dashboard API: %d %s", r.Status, r.Body)
	}
	for _, role := range []string{"tenant_admin", "manager", "sales", "support"} {
		u := h.User(t, tn, role)
		for _, p := range []string{web.QueueDashboardPath, web.QueueDashboardPath + "/api/queues"} {
			r := h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Path: p})
			if r.Status != 403 {
				t.Errorf("%s %s: %d, want 403", role, p, r.Status)
			}
		}
	}
	r = h.Do(t, webtest.Req{Path: web.QueueDashboardPath + "/api/queues"})
	if r.Status != 401 && r.Status != 303 {
		t.Errorf("no session: %d, want 401 or a redirect to sign in", r.Status)
	}
}
