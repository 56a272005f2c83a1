package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

// TestValidationGaps: inputs that used to pass silently or answer with
// the wrong status are 422s naming the field — an unknown RFM segment, a
// header-only import — and the UI's forms show the field's message.
func TestValidationGaps(t *testing.T) {
	h := webtest.New(t)
	tn, other := h.Tenant(t, "valid"), h.Tenant(t, "valid-b")
	mgr, stranger := h.User(t, tn, "manager"), h.User(t, other, "sales")
	setLocale(t, h, mgr, "en")
	cu := createCustomer(t, h, mgr, tn, map[string]any{"name": "Valid Co"})

	field := func(resp *webtest.Resp) map[string]string {
		var e errBody
		_ = json.Unmarshal(resp.Body, &e)
		return e.Error.Fields
	}
	for _, path := range []string{"/api/v1/customers?segment=foo", "/api/v1/customers/counts?segment=at_risk", "/api/v1/customers/export?segment=foo"} {
		resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Path: path})
		if resp.Status != 422 || field(resp)["segment"] == "" {
			t.Errorf("GET %s = %d %s, want 422 on segment", path, resp.Status, resp.Body)
		}
	}
	for _, path := range []string{"/api/v1/customers?segment=At+risk", "/api/v1/customers?segment=Can%27t+lose+them&segment=Champions"} {
		if resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Path: path}); resp.Status != 200 {
			t.Errorf("GET %s = %d %s, want 200", path, resp.Status, resp.Body)
		}
	}

	// A file with a header and no rows imports nothing: a 422, and no
	// import (nor the scoring run a finished one requests) is recorded.
	for name, data := range map[string]string{"header only": "name,email\n", "header and blank rows": "name,email\n,\n"} {
		body, hdr := lrUpload(t, "customers", "c.csv", []byte(data), "")
		resp := h.Do(t, webtest.Req{As: mgr, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/imports", Body: body, Header: hdr})
		if resp.Status != 422 || !strings.Contains(field(resp)["file"], "no rows") {
			t.Errorf("%s import = %d %s, want 422 on file", name, resp.Status, resp.Body)
		}
	}
	var n int
	if err := h.Env.DB.Get(&n, `select count(*) from `+tn.Schema+`.imports`); err != nil || n != 0 {
		t.Errorf("imports stored: %d (%v), want 0", n, err)
	}

	// The profile's forms show the message of a bad choice next to it.
	prof := "/t/" + tn.Slug + "/customers/" + cu.ID
	for _, c := range []struct {
		name, path, selectID string
		form                 url.Values
	}{
		{"ticket priority", prof + "/tickets", `id="ticket-priority"`, url.Values{"subject": {"Login"}, "priority": {"zzz"}}},
		{"note kind", prof + "/notes", `id="note-kind"`, url.Values{"kind": {"zzz"}, "body": {"called"}}},
		{"task assignee of another tenant", prof + "/tasks", `id="task-assignee"`, url.Values{"title": {"Call"}, "assignee_id": {stranger.ID.String()}}},
	} {
		resp := h.Do(t, webtest.Req{As: mgr, Method: "POST", Path: c.path, Body: c.form.Encode(),
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		body := string(resp.Body)
		i := strings.Index(body, c.selectID)
		if resp.Status != 422 || i < 0 {
			t.Errorf("%s: POST %s = %d, want 422 with the form", c.name, c.path, resp.Status)
			continue
		}
		after := body[i:]
		end := strings.Index(after, "</select>")
		if end < 0 || !strings.HasPrefix(after[end+len("</select>"):], `<div class="err" role="alert">`) {
			t.Errorf("%s: no message next to the field: %.300s", c.name, after)
		}
	}
}
