package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/web"
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
	t.Parallel()
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
	t.Parallel()
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

func login(t *testing.T, h *webtest.Harness, srv *web.Server, email, password string, header map[string]string) *webtest.Resp {
	t.Helper()
	return webtest.DoOn(t, srv, webtest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": email, "password": password}, Header: header})
}

type loginBody struct {
	Token     string `json:"token"`
	CSRFToken string `json:"csrf_token"`
}

func cookieOf(resp *webtest.Resp, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestWrongEmailAndWrongPasswordLookAlike: same status, same body, similar
// time (the unknown email is checked against a dummy hash).
func TestWrongEmailAndWrongPasswordLookAlike(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	u := h.UserWithPassword(t, "the right password")
	var bodies [2]string
	var took [2][]time.Duration
	for i := 0; i < 3; i++ {
		for k, email := range []string{u.Email, "nobody-" + u.Email} {
			start := time.Now()
			resp := login(t, h, h.Server, email, "a wrong password", nil)
			took[k] = append(took[k], time.Since(start))
			if resp.Status != 401 {
				t.Fatalf("login %s = %d %s, want 401", email, resp.Status, resp.Body)
			}
			bodies[k] = string(resp.Body)
		}
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("wrong password says %s, wrong email says %s", bodies[0], bodies[1])
	}
	med := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	a, b := med(took[0]), med(took[1])
	t.Logf("median time: wrong password %s, wrong email %s", a, b)
	if a > 3*b || b > 3*a {
		t.Fatalf("wrong password takes %s, wrong email %s: far apart", a, b)
	}
	if resp := login(t, h, h.Server, strings.ToUpper(u.Email), "the right password", nil); resp.Status != 200 {
		t.Fatalf("login with the right password (email in capitals) = %d %s", resp.Status, resp.Body)
	}
}

// TestCookieSessionNeedsCSRF: a cookie session may read freely but must
// send its CSRF token to change anything (header or form field); the same
// secret as a bearer token needs none.
func TestCookieSessionNeedsCSRF(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	u := h.UserWithPassword(t, "the right password")
	if err := h.Authz.AddMember(t.Context(), tn.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Authz.Grant(t.Context(), tn.ID, u.ID, "sales"); err != nil {
		t.Fatal(err)
	}
	resp := login(t, h, h.Server, u.Email, "the right password", nil)
	if resp.Status != 200 {
		t.Fatalf("login = %d %s", resp.Status, resp.Body)
	}
	var lb loginBody
	resp.JSON(&lb)
	c := cookieOf(resp, web.SessionCookie)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Value != lb.Token {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}
	cookie := map[string]string{"Cookie": web.SessionCookie + "=" + c.Value}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range cookie {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "cookie read", Method: "GET", Path: "/api/v1/me", Header: cookie, Status: 200, Contains: lb.CSRFToken},
		{Name: "cookie write without CSRF", Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "x"}, Header: cookie, Status: 403, Contains: "CSRF"},
		{Name: "cookie write with a wrong CSRF", Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "x"}, Header: with(map[string]string{web.CSRFHeader: "nope"}), Status: 403},
		{Name: "cookie write with CSRF header", Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "x"}, Header: with(map[string]string{web.CSRFHeader: lb.CSRFToken}), Status: 201},
		{Name: "bearer write without CSRF", As: webtest.User{Token: lb.Token}, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "y"}, Status: 201},
		{Name: "form logout without CSRF", Method: "POST", Path: "/api/v1/auth/logout", Body: "x=1", Header: with(map[string]string{"Content-Type": "application/x-www-form-urlencoded"}), Status: 403},
		{Name: "form logout with CSRF field", Method: "POST", Path: "/api/v1/auth/logout", Body: "csrf_token=" + lb.CSRFToken, Header: with(map[string]string{"Content-Type": "application/x-www-form-urlencoded"}), Status: 204},
		{Name: "after logout", Method: "GET", Path: "/api/v1/me", Header: cookie, Status: 401},
	})
}

// TestSecureCookieOnlyFromTrustedProxies: X-Forwarded-Proto makes the
// cookie Secure only when the peer is a trusted proxy.
func TestSecureCookieOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		proxies string
		secure  bool
	}{
		{"untrusted peer", "", false},
		{"trusted peer", "0.0.0.0/32", true}, // app.Test's peer is 0.0.0.0
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := webtest.NewWith(t, webtest.Options{Config: func(c *web.Config) {
				ps, err := web.ParseTrustedProxies(tc.proxies)
				if err != nil {
					t.Fatal(err)
				}
				c.TrustedProxies = ps
			}})
			u := h.UserWithPassword(t, "the right password")
			resp := login(t, h, h.Server, u.Email, "the right password", map[string]string{"X-Forwarded-Proto": "https"})
			c := cookieOf(resp, web.SessionCookie)
			if resp.Status != 200 || c == nil || c.Secure != tc.secure {
				t.Fatalf("login = %d, cookie %+v; want Secure=%v", resp.Status, c, tc.secure)
			}
		})
	}
}

// TestLoginRateLimitAcrossReplicas: attempts counted in Redis hold across
// two servers, per account and per client IP, and a right password does
// not get through once the account is over its limit.
func TestLoginRateLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := webtest.NewWith(t, webtest.Options{Config: func(c *web.Config) {
		c.Login = web.LoginLimits{PerAccount: 3, PerIP: 8, Window: time.Minute}
		c.TrustedProxies, _ = web.ParseTrustedProxies("0.0.0.0/32")
	}})
	second, _ := h.NewServer(t)
	servers := []*web.Server{h.Server, second}
	u := h.UserWithPassword(t, "the right password")
	ip := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	for i := 0; i < 3; i++ {
		if resp := login(t, h, servers[i%2], u.Email, "wrong password", ip); resp.Status != 401 {
			t.Fatalf("attempt %d = %d, want 401", i+1, resp.Status)
		}
	}
	resp := login(t, h, servers[1], u.Email, "the right password", ip)
	if resp.Status != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt on the other replica = %d %s (Retry-After %q), want 429 with Retry-After", resp.Status, resp.Body, resp.Header.Get("Retry-After"))
	}
	// Per IP: other accounts from the same client run into the IP limit.
	got429 := 0
	for i := 0; i < 6; i++ {
		resp := login(t, h, servers[i%2], fmt.Sprintf("someone-%d@example.test", i), "wrong password", ip)
		if resp.Status == 429 {
			got429++
		}
	}
	if got429 != 2 { // attempts 9 and 10 from this IP
		t.Fatalf("%d of the attempts over the IP limit were refused, want 2", got429)
	}
	// Another client is not affected.
	other := map[string]string{"X-Forwarded-For": "198.51.100.9"}
	if resp := login(t, h, servers[0], "fresh@example.test", "wrong password", other); resp.Status != 401 {
		t.Fatalf("another IP = %d, want 401", resp.Status)
	}
	// A spoofed left-most X-Forwarded-For does not give a new identity.
	spoof := map[string]string{"X-Forwarded-For": "192.0.2.1, 203.0.113.7"}
	if resp := login(t, h, servers[0], "spoof@example.test", "wrong password", spoof); resp.Status != 429 {
		t.Fatalf("spoofed X-Forwarded-For = %d, want 429", resp.Status)
	}
}

// TestRevokedTokenIsDeadOnTheNextRequest, and a token works only in its
// own tenant.
func TestRevokedTokenIsDeadOnTheNextRequest(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	u := h.User(t, a, "support")
	if err := h.Authz.AddMember(t.Context(), b.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Authz.Grant(t.Context(), b.ID, u.ID, "support"); err != nil {
		t.Fatal(err)
	}
	resp := h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "زاپیر"}})
	if resp.Status != 201 {
		t.Fatalf("create token = %d %s", resp.Status, resp.Body)
	}
	var created struct {
		Token  struct{ ID string } `json:"token"`
		Secret string              `json:"secret"`
	}
	resp.JSON(&created)
	if !strings.HasPrefix(created.Secret, "gmt_") || len(created.Secret) < 40 {
		t.Fatalf("secret %q: want gmt_ and 256 random bits", created.Secret)
	}
	tok := webtest.User{Token: created.Secret}
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "token in its tenant", As: tok, Tenant: a.Slug, Method: "GET", Path: "/api/v1/tokens", Status: 200, Contains: "زاپیر"},
		{Name: "token in another tenant of the same user", As: tok, Tenant: b.Slug, Method: "GET", Path: "/api/v1/tokens", Status: 404},
		{Name: "list shows no secret", As: u, Tenant: a.Slug, Method: "GET", Path: "/api/v1/tokens", Status: 200},
		{Name: "revoke", As: u, Tenant: a.Slug, Method: "DELETE", Path: "/api/v1/tokens/" + created.Token.ID, Status: 204},
		{Name: "revoked token", As: tok, Tenant: a.Slug, Method: "GET", Path: "/api/v1/tokens", Status: 401},
		{Name: "revoke a token of another tenant", As: u, Tenant: b.Slug, Method: "DELETE", Path: "/api/v1/tokens/" + created.Token.ID, Status: 404},
	})
	list := h.Do(t, webtest.Req{As: u, Tenant: a.Slug, Path: "/api/v1/tokens"})
	if strings.Contains(string(list.Body), created.Secret) || strings.Contains(string(list.Body), "hash") {
		t.Fatalf("token list shows secret material: %s", list.Body)
	}
}

// TestAdminRevokesAnyTokenOthersOnlyTheirOwn (§4: API tokens own; tenant
// admin revokes any).
func TestAdminRevokesAnyTokenOthersOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	tn := h.Tenant(t, "acme")
	admin, sales, support := h.User(t, tn, "tenant_admin"), h.User(t, tn, "sales"), h.User(t, tn, "support")
	mk := func(u webtest.User) string {
		var c struct {
			Token struct{ ID string } `json:"token"`
		}
		h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tokens", Body: map[string]string{"name": "t"}}).JSON(&c)
		return c.Token.ID
	}
	t1, t2 := mk(sales), mk(sales)
	webtest.RunScenarios(t, h, []webtest.Scenario{
		{Name: "support lists all", As: support, Tenant: tn.Slug, Path: "/api/v1/tokens?all=true", Method: "GET", Status: 403},
		{Name: "admin lists all", As: admin, Tenant: tn.Slug, Path: "/api/v1/tokens?all=true", Method: "GET", Status: 200, Contains: t1},
		{Name: "support revokes sales's token", As: support, Tenant: tn.Slug, Method: "DELETE", Path: "/api/v1/tokens/" + t1, Status: 404},
		{Name: "admin revokes sales's token", As: admin, Tenant: tn.Slug, Method: "DELETE", Path: "/api/v1/tokens/" + t1, Status: 204},
		{Name: "sales revokes own", As: sales, Tenant: tn.Slug, Method: "DELETE", Path: "/api/v1/tokens/" + t2, Status: 204},
	})
}

// TestLoginFailsClosedWithoutRedis: without the shared counters there is
// no rate limit, so sign-in answers 503 rather than run unlimited.
func TestLoginFailsClosedWithoutRedis(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DB: webtest.RedisDB, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	srv := web.New(h.Config, web.Deps{DB: h.Env.DB, Registry: h.Env.Registry, Redis: dead, Users: h.Users, Audit: h.Audit, Authz: h.Authz})
	u := h.UserWithPassword(t, "the right password")
	resp := login(t, h, srv, u.Email, "the right password", nil)
	if resp.Status != 503 || resp.ErrorCode() != "unavailable" {
		t.Fatalf("login without redis = %d %s, want 503 unavailable", resp.Status, resp.Body)
	}
}
