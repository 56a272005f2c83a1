package web_test

import (
	"sync"
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

// TestIdempotencyKey: a retried create replays the first response; the
// same key with another body is a 409; keys are per caller and tenant.
func TestIdempotencyKey(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "idem-a"), h.Tenant(t, "idem-b")
	u, other := h.User(t, a, "sales"), h.User(t, a, "sales")
	ub := h.User(t, b, "sales")
	key := map[string]string{"Idempotency-Key": "order-7781"}
	post := func(as webtest.User, tenant string, body any, hdr map[string]string) *webtest.Resp {
		return h.Do(t, webtest.Req{As: as, Tenant: tenant, Method: "POST", Path: "/api/v1/customers", Body: body, Header: hdr})
	}
	first := post(u, a.Slug, map[string]any{"name": "Idem Co"}, key)
	if first.Status != 201 {
		t.Fatalf("first = %d %s", first.Status, first.Body)
	}
	again := post(u, a.Slug, map[string]any{"name": "Idem Co"}, key)
	if again.Status != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" ||
		again.Header.Get("Location") == "" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("replay = %d %s (replayed %q), want the first response %s", again.Status, again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
	}
	var page struct{ Items []struct{ ID string } }
	h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Path: "/api/v1/customers?q=idem"}).JSON(&page)
	if len(page.Items) != 1 {
		t.Errorf("customers after a replay: %d, want 1", len(page.Items))
	}
	if r := post(u, a.Slug, map[string]any{"name": "Another Co"}, key); r.Status != 409 || r.ErrorCode() != "conflict" {
		t.Errorf("same key, different body = %d %s, want 409", r.Status, r.Body)
	}
	// Another caller, or the same caller in another tenant, has its own keys.
	if r := post(other, a.Slug, map[string]any{"name": "Another Co"}, key); r.Status != 201 {
		t.Errorf("another caller's same key = %d %s, want 201", r.Status, r.Body)
	}
	if r := post(ub, b.Slug, map[string]any{"name": "Idem Co"}, key); r.Status != 201 || idOf(t, r) == idOf(t, first) {
		t.Errorf("same key in tenant B = %d %s, want a new customer", r.Status, r.Body)
	}
	// A failed request keeps nothing: fixing the body and retrying works.
	k2 := map[string]string{"Idempotency-Key": "order-7782"}
	if r := post(u, a.Slug, map[string]any{"name": ""}, k2); r.Status != 422 {
		t.Fatalf("invalid = %d", r.Status)
	}
	if r := post(u, a.Slug, map[string]any{"name": "Fixed Co"}, k2); r.Status != 201 {
		t.Errorf("retry after a failure = %d %s, want 201", r.Status, r.Body)
	}
	if r := post(u, a.Slug, map[string]any{"name": "x"}, map[string]string{"Idempotency-Key": "bad\x01key"}); r.Status != 422 {
		t.Errorf("unprintable key = %d, want 422", r.Status)
	}
	// Contacts: the key also covers the customer in the path.
	cid := idOf(t, first)
	ck := map[string]string{"Idempotency-Key": "contact-1"}
	c1 := h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + cid + "/contacts", Body: map[string]any{"first_name": "A"}, Header: ck})
	c2 := h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + cid + "/contacts", Body: map[string]any{"first_name": "A"}, Header: ck})
	if c1.Status != 201 || string(c1.Body) != string(c2.Body) {
		t.Errorf("contact replay: %d %s / %d %s", c1.Status, c1.Body, c2.Status, c2.Body)
	}
	other2 := idOf(t, post(u, a.Slug, map[string]any{"name": "Second"}, nil))
	if r := h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Method: "POST", Path: "/api/v1/customers/" + other2 + "/contacts", Body: map[string]any{"first_name": "A"}, Header: ck}); r.Status != 409 {
		t.Errorf("same contact key on another customer = %d, want 409", r.Status)
	}
}

// TestIdempotencyKeyConcurrent: parallel retries with one key create one
// customer; every answer is that customer or a 409 "still running".
func TestIdempotencyKeyConcurrent(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "idem-race")
	u := h.User(t, tn, "sales")
	var wg sync.WaitGroup
	results := make([]*webtest.Resp, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/customers",
				Body: map[string]any{"name": "Race Co"}, Header: map[string]string{"Idempotency-Key": "race"}})
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, r := range results {
		switch r.Status {
		case 201:
			ids[idOf(t, r)] = true
		case 409:
		default:
			t.Errorf("concurrent retry = %d %s", r.Status, r.Body)
		}
	}
	var page struct{ Items []struct{ ID string } }
	h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Path: "/api/v1/customers"}).JSON(&page)
	if len(ids) != 1 || len(page.Items) != 1 {
		t.Errorf("distinct customers in answers %d, stored %d; want 1 and 1", len(ids), len(page.Items))
	}
}
