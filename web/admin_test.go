package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gomato/gomato/web/webtest"
)

// TestInviteAcceptSignsInWithTheInvitesRoles: a pending member has no
// access; accepting sets the password, activates the membership with the
// invite's roles and signs in; the link works once.
func TestInviteAcceptSignsInWithTheInvitesRoles(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin := h.User(t, tn, "tenant_admin")
	resp := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites",
		Body: map[string]any{"email": "Mina.Rezaei@Example.test", "name": "مینا\u200cرضایی", "roles": []string{"support"}}})
	if resp.Status != 201 {
		t.Fatalf("invite = %d %s", resp.Status, resp.Body)
	}
	var inv struct {
		Token string `json:"token"`
		Link  string `json:"link"`
	}
	resp.JSON(&inv)
	if !strings.HasPrefix(inv.Token, "gmi_") || !strings.Contains(inv.Link, inv.Token) {
		t.Fatalf("invite token %q link %q", inv.Token, inv.Link)
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "invite again while pending is fine", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "mina.rezaei@example.test", "name": "x", "roles": []string{"support"}}, Status: 201},
		{Name: "unknown role", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "a@example.test", "name": "a", "roles": []string{"ceo"}}, Status: 422, Contains: `"roles[0]"`},
		{Name: "bad email", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "not an email", "name": "a"}, Status: 422, Contains: `"email"`},
		{Name: "unknown field", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "a@example.test", "name": "a", "tenant": "other"}, Status: 422, Contains: `"tenant":"unknown field"`},
		{Name: "pending member listed", As: admin, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/users", Status: 200, Contains: `"status":"pending"`},
		{Name: "short password", Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": inv.Token, "password": "short"}, Status: 422, Contains: `"password"`},
	})
	resp = h.Do(t, webtest.Req{Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": inv.Token, "password": "رمز عبور بلند من ۱۲۳"}})
	if resp.Status != 200 {
		t.Fatalf("accept = %d %s", resp.Status, resp.Body)
	}
	var lb loginBody
	resp.JSON(&lb)
	mina := webtest.User{Token: lb.Token}
	me := h.Do(t, webtest.Req{As: mina, Path: "/api/v1/me"})
	if !strings.Contains(string(me.Body), `"roles":["support"]`) || !strings.Contains(string(me.Body), `"membership":"active"`) {
		t.Fatalf("me after accepting = %s", me.Body)
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "member now", As: mina, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/settings", Status: 200},
		{Name: "link is one-time", Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": inv.Token, "password": "another long password"}, Status: 404},
		{Name: "sign in with the new password", Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": "mina.rezaei@example.test", "password": "رمز عبور بلند من ۱۲۳"}, Status: 200},
		{Name: "invite an active member", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "mina.rezaei@example.test", "name": "x"}, Status: 409},
	})
}

// TestPendingMemberIsNotAMember: until the invite is accepted the tenant
// does not exist for the invitee.
func TestPendingMemberIsNotAMember(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin := h.User(t, tn, "tenant_admin")
	u := h.UserWithPassword(t, "the right password")
	resp := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": u.Email, "name": "x", "roles": []string{"manager"}}})
	if resp.Status != 201 {
		t.Fatalf("invite = %d %s", resp.Status, resp.Body)
	}
	var lb loginBody
	login(t, h, h.Server, u.Email, "the right password", nil).JSON(&lb)
	if r := h.Do(t, webtest.Req{As: webtest.User{Token: lb.Token}, Tenant: tn.Slug, Path: "/api/v1/settings"}); r.Status != 404 {
		t.Fatalf("pending member = %d, want 404", r.Status)
	}
	var inv struct{ Token string }
	resp.JSON(&inv)
	// An existing account proves its password to accept.
	if r := h.Do(t, webtest.Req{Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": inv.Token, "password": "not my password"}}); r.Status != 422 {
		t.Fatalf("accept with a wrong password = %d %s, want 422", r.Status, r.Body)
	}
	if r := h.Do(t, webtest.Req{Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": inv.Token, "password": "the right password"}}); r.Status != 200 {
		t.Fatalf("accept = %d %s", r.Status, r.Body)
	}
	if r := h.Do(t, webtest.Req{As: webtest.User{Token: lb.Token}, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "x"}}); r.Status != 201 {
		t.Fatalf("member after accepting = %d %s", r.Status, r.Body)
	}
}

// TestCustomRoles: a custom role from the catalogue works for its holder,
// malformed permission names are 422 with field messages, the own-records
// flag reaches the actor, and a revoke via one replica is denied by the
// other within a second.
func TestCustomRoles(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin := h.User(t, tn, "tenant_admin")
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "malformed permission", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "auditor", "permissions": []string{"audit:read", "customers:*", "scores"}}, Status: 422, Contains: `"permissions[1]"`},
		{Name: "bad name", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "Auditor Role", "permissions": []string{}}, Status: 422, Contains: `"name"`},
		{Name: "permissions must be a list", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "x1", "permissions": "audit:read"}, Status: 422, Contains: `"permissions"`},
		{Name: "create", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "auditor", "permissions": []string{"audit:read", "exports:run"}}, Status: 201},
		{Name: "duplicate", As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "auditor", "permissions": []string{}}, Status: 409},
		{Name: "edit with malformed", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/roles/auditor", Body: map[string]any{"permissions": []string{"audit:write"}}, Status: 422},
		{Name: "edit unknown role", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/roles/nobody", Body: map[string]any{"own_records_only": true}, Status: 404},
		{Name: "admin keeps role admin", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/roles/tenant_admin", Body: map[string]any{"permissions": []string{"customers:read"}}, Status: 422},
		{Name: "cannot delete tenant_admin", As: admin, Tenant: tn.Slug, Method: "DELETE", Path: "/api/v1/roles/tenant_admin", Status: 409},
		{Name: "catalogue", As: admin, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/permissions", Status: 200, Contains: `"scores:override"`},
	})
	second, _ := h.NewServer(t)
	u := h.UserWithPassword(t, "the right password")
	var lb loginBody
	login(t, h, h.Server, u.Email, "the right password", nil).JSON(&lb)
	u.Token = lb.Token
	if err := h.Authz.AddMember(t.Context(), tn.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	grant := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "PUT", Path: "/api/v1/users/" + u.ID.String() + "/roles/auditor"})
	if grant.Status != 204 {
		t.Fatalf("grant = %d %s", grant.Status, grant.Body)
	}
	// Warm replica two, then make the role scoped and revoke on replica one.
	if r := webtest.DoOn(t, second, webtest.Req{As: u, Tenant: tn.Slug, Path: "/api/v1/audit"}); r.Status != 200 {
		t.Fatalf("auditor reads audit on replica two = %d %s", r.Status, r.Body)
	}
	if r := h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Path: "/api/v1/users"}); r.Status != 403 {
		t.Fatalf("auditor lists users = %d, want 403", r.Status)
	}
	if r := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/roles/auditor", Body: map[string]any{"own_records_only": true}}); r.Status != 204 {
		t.Fatalf("scope = %d %s", r.Status, r.Body)
	}
	if me := h.Do(t, webtest.Req{As: u, Path: "/api/v1/me"}); !strings.Contains(string(me.Body), `"own_records_only":true`) {
		t.Fatalf("me after scoping the role: %s", me.Body)
	}
	if r := h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "DELETE", Path: "/api/v1/users/" + u.ID.String() + "/roles/auditor"}); r.Status != 204 {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(time.Second)
	for {
		r := webtest.DoOn(t, second, webtest.Req{As: u, Tenant: tn.Slug, Path: "/api/v1/audit"})
		if r.Status == 403 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica two still answers %d a second after the revoke", r.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAuditLogPerTenant: grants, revocations, role and settings edits,
// logins and token events are logged with who and from where; each
// tenant's admin sees their own tenant only.
func TestAuditLogPerTenant(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	adminA, adminB := h.User(t, a, "tenant_admin"), h.User(t, b, "tenant_admin")
	u := h.UserWithPassword(t, "the right password")
	for _, tn := range []struct {
		slug  string
		admin webtest.User
	}{{a.Slug, adminA}, {b.Slug, adminB}} {
		if r := h.Do(t, webtest.Req{As: tn.admin, Tenant: tn.slug, Method: "POST", Path: "/api/v1/roles", Body: map[string]any{"name": "role_in_" + strings.ReplaceAll(tn.slug, "-", "_"), "permissions": []string{"customers:read"}}}); r.Status != 201 {
			t.Fatalf("create role = %d %s", r.Status, r.Body)
		}
	}
	if err := h.Authz.AddMember(t.Context(), a.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	h.Do(t, webtest.Req{As: adminA, Tenant: a.Slug, Method: "PUT", Path: "/api/v1/users/" + u.ID.String() + "/roles/sales"})
	h.Do(t, webtest.Req{As: adminA, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/users/" + u.ID.String() + "/roles/sales"})
	h.Do(t, webtest.Req{As: adminA, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"time_zone": "Asia/Tehran"}})
	login(t, h, h.Server, u.Email, "the right password", map[string]string{"User-Agent": "audit-test"})
	login(t, h, h.Server, u.Email, "a wrong password", nil)

	var pa, pb struct {
		Events []struct {
			Action, Target, IP string
			UserAgent          string `json:"user_agent"`
			ActorEmail         string `json:"actor_email"`
		}
	}
	h.Do(t, webtest.Req{As: adminA, Tenant: a.Slug, Path: "/api/v1/audit"}).JSON(&pa)
	h.Do(t, webtest.Req{As: adminB, Tenant: b.Slug, Path: "/api/v1/audit"}).JSON(&pb)
	seen := map[string]bool{}
	for _, e := range pa.Events {
		seen[e.Action] = true
		if e.Target == "role_in_"+strings.ReplaceAll(b.Slug, "-", "_") {
			t.Errorf("A's audit shows B's role: %+v", e)
		}
		if e.Action == "auth.login" && (e.ActorEmail != u.Email || e.UserAgent != "audit-test" || e.IP == "") {
			t.Errorf("login event lacks who/where: %+v", e)
		}
	}
	for _, want := range []string{"role.created", "role.granted", "role.revoked", "settings.updated", "auth.login", "auth.login_failed"} {
		if !seen[want] {
			t.Errorf("A's audit lacks %s: %+v", want, pa.Events)
		}
	}
	for _, e := range pb.Events {
		if e.ActorEmail == u.Email || e.ActorEmail == adminA.Email {
			t.Errorf("B's audit shows A's event: %+v", e)
		}
	}
	if len(pb.Events) != 1 || pb.Events[0].Action != "role.created" {
		t.Errorf("B's audit = %+v, want its one role.created", pb.Events)
	}
}

// TestSettings: validation per field; the default assignee must be a
// member; locale and time zone reach the tenant.
func TestSettings(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin, sales := h.User(t, tn, "tenant_admin"), h.User(t, tn, "sales")
	outsider := h.User(t, h.Tenant(t, "other"), "sales")
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "defaults", As: sales, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/settings", Status: 200, Contains: `"risk_medium":0.3,"risk_high":0.6`},
		{Name: "bad values", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"locale": "de", "time_zone": "Mars/Olympus", "risk_medium": 0.7, "risk_high": 0.5}, Status: 422, Contains: `"time_zone"`},
		{Name: "thresholds as text", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"risk_high": "۰٫۸"}, Status: 422, Contains: `"risk_high":"must be a number"`},
		{Name: "outsider as assignee", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"default_assignee": outsider.ID.String()}, Status: 422, Contains: `"default_assignee"`},
		{Name: "good", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"locale": "fa", "time_zone": "Asia/Tehran", "risk_medium": 0.25, "risk_high": 0.7, "default_assignee": sales.ID.String()}, Status: 200},
		{Name: "persisted", As: sales, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/settings", Status: 200, Contains: `"locale":"fa","time_zone":"Asia/Tehran","default_assignee":"` + sales.ID.String() + `","risk_medium":0.25,"risk_high":0.7`},
		{Name: "clear assignee", As: admin, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/settings", Body: map[string]any{"default_assignee": ""}, Status: 200, Contains: `"default_assignee":null`},
	})
	got, err := h.Env.Registry.TenantBySlug(t.Context(), tn.Slug)
	if err != nil || got.Locale != "fa" || got.TimeZone != "Asia/Tehran" {
		t.Fatalf("tenant after settings: %+v %v", got, err)
	}
}

// TestSecretsNeverLoggedOrReturned: after sign-ins, failed sign-ins, token
// and invite creation, the server's log holds no password, session or
// token secret and no hash; no listing returns them.
func TestSecretsNeverLoggedOrReturned(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin := h.User(t, tn, "tenant_admin")
	u := h.UserWithPassword(t, "the right password")
	var lb loginBody
	login(t, h, h.Server, u.Email, "the right password", nil).JSON(&lb)
	login(t, h, h.Server, u.Email, "a wrong password", nil)
	var tok struct{ Secret string }
	h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "x"}}).JSON(&tok)
	var inv struct{ Token string }
	h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/invites", Body: map[string]any{"email": "new@example.test", "name": "New"}}).JSON(&inv)
	h.Do(t, webtest.Req{As: webtest.User{Token: "gmt_" + strings.Repeat("A", 43)}, Path: "/api/v1/me"})
	var dump strings.Builder
	for _, p := range []string{"/api/v1/users", "/api/v1/tokens?all=true", "/api/v1/invites", "/api/v1/audit", "/api/v1/roles"} {
		dump.Write(h.Do(t, webtest.Req{As: admin, Tenant: tn.Slug, Path: p}).Body)
	}
	dump.Write(h.Do(t, webtest.Req{As: admin, Path: "/api/v1/me"}).Body)
	for name, text := range map[string]string{"log": h.Log.String(), "responses": dump.String()} {
		for _, secret := range []string{"the right password", "a wrong password", lb.Token, lb.CSRFToken, admin.Token, tok.Secret, inv.Token, "argon2id", "password_hash", "token_hash"} {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	if lb.Token == "" || tok.Secret == "" || inv.Token == "" || !strings.Contains(h.Log.String(), "signed in") {
		t.Fatal("a secret was not created or nothing was logged, so the check proves nothing")
	}
}

// TestRemovedMemberLosesTheTenant: removing a member takes the tenant away
// at once (404), revokes their API tokens for it, and leaves their other
// tenants alone; the last tenant_admin cannot be removed.
func TestRemovedMemberLosesTheTenant(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	admin := h.User(t, a, "tenant_admin")
	u := h.User(t, a, "manager")
	if err := h.Authz.AddMember(t.Context(), b.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Authz.Grant(t.Context(), b.ID, u.ID, "sales"); err != nil {
		t.Fatal(err)
	}
	var tok struct{ Secret string }
	h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "ci"}}).JSON(&tok)
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "remove", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/users/" + u.ID.String(), Status: 204},
		{Name: "session in A", As: u, Tenant: a.Slug, Method: "GET", Path: "/api/v1/settings", Status: 404},
		{Name: "token for A", As: webtest.User{Token: tok.Secret}, Tenant: a.Slug, Method: "GET", Path: "/api/v1/tokens", Status: 401},
		{Name: "still in B", As: u, Tenant: b.Slug, Method: "GET", Path: "/api/v1/settings", Status: 200},
		{Name: "remove the last admin", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/users/" + admin.ID.String(), Status: 409},
		{Name: "revoke the last admin's role", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/users/" + admin.ID.String() + "/roles/tenant_admin", Status: 409},
		{Name: "remove a stranger", As: admin, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/users/" + h.User(t, b, "support").ID.String(), Status: 404},
	})
}
