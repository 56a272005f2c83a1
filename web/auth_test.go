package web_test

import (
	"strings"
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

type meBody struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Operator bool `json:"operator"`
	Tenants  []struct {
		Slug           string   `json:"slug"`
		Roles          []string `json:"roles"`
		OwnRecordsOnly bool     `json:"own_records_only"`
		Permissions    []string `json:"permissions"`
	} `json:"tenants"`
	CSRFToken string `json:"csrf_token"`
}

// TestMeShowsRolesPerTenant: one person, manager in one tenant and support
// in another, sees each role in its own tenant only.
func TestMeShowsRolesPerTenant(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	u := h.User(t, a, "manager")
	if err := h.Authz.AddMember(t.Context(), b.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Authz.Grant(t.Context(), b.ID, u.ID, "support"); err != nil {
		t.Fatal(err)
	}
	resp := h.Do(t, webtest.Req{As: u, Method: "GET", Path: "/api/v1/me"})
	if resp.Status != 200 {
		t.Fatalf("me = %d %s", resp.Status, resp.Body)
	}
	var me meBody
	resp.JSON(&me)
	got := map[string]string{}
	for _, tn := range me.Tenants {
		got[tn.Slug] = strings.Join(tn.Roles, ",")
	}
	want := map[string]string{a.Slug: "manager", b.Slug: "support"}
	if len(got) != 2 || got[a.Slug] != want[a.Slug] || got[b.Slug] != want[b.Slug] {
		t.Fatalf("roles per tenant = %v, want %v", got, want)
	}
	if strings.Contains(string(resp.Body), "argon2") || strings.Contains(string(resp.Body), "password") {
		t.Fatalf("me leaks password material: %s", resp.Body)
	}
}

func TestNoSessionIs401AndUnknownTokenToo(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "no session", Method: "GET", Path: "/api/v1/me", Status: 401, Contains: `"unauthenticated"`},
		{Name: "made-up session", As: webtest.User{Token: "gms_not-a-real-one"}, Method: "GET", Path: "/api/v1/me", Status: 401},
		{Name: "made-up token", As: webtest.User{Token: "gmt_not-a-real-one"}, Method: "GET", Path: "/api/v1/me", Status: 401},
		{Name: "no session, unknown tenant", Tenant: "no-such-tenant", Method: "GET", Path: "/api/v1/me", Status: 401},
		{Name: "no session, real tenant", Tenant: tn.Slug, Method: "GET", Path: "/api/v1/me", Status: 401},
	})
}
