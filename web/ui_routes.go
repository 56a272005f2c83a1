package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// uiRoutes is the server-rendered UI: sign-in, the tenant's pages under
// /t/<slug>/, static assets. Each route declares its permission like the
// API's, and the handlers call the same stores and authz.
func (s *Server) uiRoutes() []Route {
	get, post := fiber.MethodGet, fiber.MethodPost
	return []Route{
		{Method: get, Path: "/static/*", Public: true, Handler: s.static},
		{Method: get, Path: "/", Public: true, Handler: s.uiHome},
		{Method: get, Path: "/login", Public: true, Handler: s.uiLoginPage},
		{Method: post, Path: "/login", Public: true, Handler: s.uiLogin},
		{Method: post, Path: "/logout", SignedIn: true, Handler: s.uiLogout},
		{Method: post, Path: "/language", SignedIn: true, Handler: s.uiSetLanguage},
		{Method: get, Path: "/agency/:agency", Perm: authz.P(authz.Portfolio, authz.Read), Handler: s.uiPortfolio},
		{Method: get, Path: "/t/:tenant", Tenant: true, SignedIn: true, Handler: s.uiTenantHome},
		{Method: get, Path: "/t/:tenant/", Tenant: true, SignedIn: true, Handler: s.uiTenantHome},
		{Method: get, Path: "/t/:tenant/dashboard", Tenant: true, Perm: authz.P(authz.Dashboard, authz.Read), Handler: s.uiDashboard},
		{Method: get, Path: "/t/:tenant/tasks", Tenant: true, Perm: authz.P(authz.Tasks, authz.Read), Handler: s.uiMyTasks},
		{Method: post, Path: "/t/:tenant/tasks/:id/:action", Tenant: true, Perm: authz.P(authz.Tasks, authz.Update), Handler: s.uiTaskAction},
		{Method: get, Path: "/t/:tenant/settings", Tenant: true, Perm: authz.P(authz.Users, authz.Read), Handler: s.uiSettings},
		{Method: post, Path: "/t/:tenant/settings", Tenant: true, Perm: authz.P(authz.Settings, authz.Update), Handler: s.uiSaveSettings},
		{Method: post, Path: "/t/:tenant/settings/members/:id/:action", Tenant: true, Perm: authz.P(authz.Users, authz.Update), Handler: s.uiMemberRole},
		{Method: post, Path: "/t/:tenant/settings/roles/:role/scope", Tenant: true, Perm: authz.P(authz.Roles, authz.Update), Handler: s.uiRoleScope},
		{Method: post, Path: "/t/:tenant/settings/invites", Tenant: true, Perm: authz.P(authz.Invites, authz.Create), Handler: s.uiInvite},
		{Method: get, Path: "/t/:tenant/customers", Tenant: true, Perm: authz.P(authz.Customers, authz.Read), Handler: s.uiCustomers},
		{Method: get, Path: "/t/:tenant/customers/export.csv", Tenant: true, Perm: authz.P(authz.Exports, authz.Run), Handler: s.uiCustomersExport},
		{Method: get, Path: "/t/:tenant/customers/export.xlsx", Tenant: true, Perm: authz.P(authz.Exports, authz.Run), Handler: s.uiCustomersExport},
		{Method: get, Path: "/t/:tenant/customers/new", Tenant: true, Perm: authz.P(authz.Customers, authz.Create), Handler: s.uiNewCustomer},
		{Method: post, Path: "/t/:tenant/customers", Tenant: true, Perm: authz.P(authz.Customers, authz.Create), Handler: s.uiCreateCustomer},
		{Method: get, Path: "/t/:tenant/customers/:id", Tenant: true, Perm: authz.P(authz.Customers, authz.Read), Handler: s.uiProfile},
		{Method: get, Path: "/t/:tenant/customers/:id/edit", Tenant: true, Perm: authz.P(authz.Customers, authz.Update), Handler: s.uiEditCustomer},
		{Method: post, Path: "/t/:tenant/customers/:id", Tenant: true, Perm: authz.P(authz.Customers, authz.Update), Handler: s.uiUpdateCustomer},
		{Method: post, Path: "/t/:tenant/customers/:id/notes", Tenant: true, Perm: authz.P(authz.Notes, authz.Create), Handler: s.uiCreateNote},
		{Method: post, Path: "/t/:tenant/customers/:id/tasks", Tenant: true, Perm: authz.P(authz.Tasks, authz.Create), Handler: s.uiCreateTask},
		{Method: post, Path: "/t/:tenant/customers/:id/tickets", Tenant: true, Perm: authz.P(authz.Tickets, authz.Create), Handler: s.uiCreateTicket},
		{Method: post, Path: "/t/:tenant/customers/:id/contacts", Tenant: true, Perm: authz.P(authz.Contacts, authz.Create), Handler: s.uiCreateContact},
		{Method: post, Path: "/t/:tenant/customers/:id/forecast", Tenant: true, Perm: authz.P(authz.Scores, authz.Override), Handler: s.uiOverrideForecast},
	}
}

var (
	uiOnce sync.Once
	uiSet  *uiTemplates
	uiErr  error
)

// templates returns the parsed templates; they are embedded, so a parse
// error is a programming error caught by every UI test.
func (s *Server) templates() *uiTemplates {
	uiOnce.Do(func() { uiSet, uiErr = loadTemplates() })
	if uiErr != nil {
		panic("web: templates: " + uiErr.Error())
	}
	return uiSet
}

// uiCan reports whether the request's actor holds p in its tenant.
func (s *Server) uiCan(ctx context.Context, p authz.Permission) bool { return authz.Can(ctx, p) }

// uiCSRF is the session's CSRF token, which every form and htmx request
// sends back.
func (s *Server) uiCSRF(c *fiber.Ctx) string {
	if cr := credentialOf(c); cr != nil && cr.session != nil {
		return cr.session.CSRF
	}
	return ""
}

// uiTenants lists the tenants the actor is an active member of, for the
// switcher.
func (s *Server) uiTenants(ctx context.Context, a *core.Actor, current *core.Tenant) []tenantLink {
	ms, err := s.deps.Users.Memberships(ctx, a.UserID)
	if err != nil {
		s.log.Error("memberships", "err", err)
		return nil
	}
	var out []tenantLink
	for _, m := range ms {
		if m.Status != tenant.MemberActive {
			continue
		}
		out = append(out, tenantLink{Slug: m.Tenant.Slug, Name: m.Tenant.Name, Current: current != nil && current.ID == m.Tenant.ID})
	}
	return out
}

// uiHome sends a signed-in user to their tenant (or the list of them) and
// anyone else to the sign-in page.
func (s *Server) uiHome(c *fiber.Ctx) error {
	u, ok := s.uiOptionalUser(c)
	if !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	ctx := core.WithActor(c.UserContext(), u.Actor())
	c.SetUserContext(ctx)
	p := s.newPage(c, "")
	if len(p.Tenants) == 1 {
		agencies, _ := s.deps.Users.AdminAgencies(ctx, u.ID)
		if len(agencies) == 0 {
			return c.Redirect("/t/"+url.PathEscape(p.Tenants[0].Slug)+"/", fiber.StatusSeeOther)
		}
	}
	agencies, err := s.deps.Users.AdminAgencies(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Title = p.T("home.title")
	p.Data = map[string]any{"Agencies": agencies}
	return s.render(c, fiber.StatusOK, "home", p)
}

// uiOptionalUser reads the session cookie on a public page, if any.
func (s *Server) uiOptionalUser(c *fiber.Ctx) (tenant.User, bool) {
	secret := c.Cookies(SessionCookie)
	if secret == "" {
		return tenant.User{}, false
	}
	u, sess, err := s.deps.Users.SessionUser(c.UserContext(), secret)
	if err != nil {
		return tenant.User{}, false
	}
	c.Locals(credentialKey, &credential{via: "cookie", secret: secret, user: u, session: &sess})
	return u, true
}

// uiTenantHome opens the first page of the tenant the actor may use.
func (s *Server) uiTenantHome(c *fiber.Ctx) error {
	t, _ := core.TenantFrom(c.UserContext())
	base := "/t/" + url.PathEscape(t.Slug) + "/"
	for _, it := range uiNavItems {
		if it.key != "settings" && s.uiRouteExists(it.path) && s.uiCan(c.UserContext(), it.perm) {
			return c.Redirect(base+it.path, fiber.StatusSeeOther)
		}
	}
	return &core.Error{Code: core.CodeForbidden, Message: "no page of this tenant is open to you"}
}

const loginCSRFCookie = "gomato_login_csrf"

func (s *Server) uiLoginPage(c *fiber.Ctx) error {
	if l := c.Query("lang"); l == "fa" || l == "en" {
		c.Cookie(&fiber.Cookie{Name: "gomato_lang", Value: l, Path: "/", MaxAge: 365 * 86400, SameSite: "Lax"})
	}
	return s.renderLogin(c, fiber.StatusOK, "", "")
}

// renderLogin shows the sign-in form with a fresh login CSRF token: a
// double-submit cookie, since there is no session yet to hold one.
func (s *Server) renderLogin(c *fiber.Ctx, status int, email, errKey string) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HTTPOnly: true,
		Secure: s.overTLS(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 3600})
	p := s.newPage(c, "")
	p.Title = p.T("login.title")
	data := map[string]any{"CSRF": token, "Next": safeNext(c.FormValue("next", c.Query("next"))), "Email": email, "Error": ""}
	if errKey != "" {
		data["Error"] = p.T(errKey)
	}
	p.Data = data
	return s.render(c, status, "login", p)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	return next
}

// uiLogin is the sign-in form's POST: the same checks, rate limit, session
// and audit as the API's login, answered with pages.
func (s *Server) uiLogin(c *fiber.Ctx) error {
	ctx := c.UserContext()
	want := c.Cookies(loginCSRFCookie)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.FormValue(CSRFFormField))) != 1 {
		return s.renderLogin(c, fiber.StatusForbidden, "", "login.expired")
	}
	email, pw := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	if email == "" || pw == "" {
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, email, "login.required")
	}
	if len(pw) > 4*tenant.MaxPasswordLen {
		return s.renderLogin(c, fiber.StatusUnprocessableEntity, email, "login.failed")
	}
	ip := s.clientIP(c)
	if err := s.limitLogin(ctx, email, ip); err != nil {
		if rl, ok := err.(*rateLimited); ok {
			secs := int(rl.retryAfter.Round(time.Second).Seconds())
			if secs < 1 {
				secs = 1
			}
			c.Set(fiber.HeaderRetryAfter, itoa(secs))
			return s.renderLoginRateLimited(c, email, secs)
		}
		return err
	}
	u, err := s.deps.Users.CheckPassword(ctx, email, pw)
	if err == tenant.ErrBadCredentials {
		ev := tenant.AuditEvent{Action: tenant.AuditLoginFailed, ActorEmail: truncateRunes(email, 254), IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)}
		if known, err := s.deps.Users.ByEmail(ctx, email); err == nil {
			ev.ActorID = &known.ID
		}
		s.audit(ctx, ev)
		return s.renderLogin(c, fiber.StatusUnauthorized, email, "login.failed")
	}
	if err != nil {
		return err
	}
	secret, sess, err := s.deps.Users.CreateSession(ctx, u.ID, ip, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	acct, _ := s.loginKeys(email, ip)
	_ = s.deps.Redis.Del(ctx, acct).Err()
	s.setSessionCookies(c, secret, sess)
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, Expires: time.Unix(0, 0)})
	s.audit(ctx, tenant.AuditEvent{Action: tenant.AuditLogin, ActorID: &u.ID, ActorEmail: u.Email, IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)})
	next := safeNext(c.FormValue("next"))
	if next == "" {
		next = "/"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) renderLoginRateLimited(c *fiber.Ctx, email string, secs int) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HTTPOnly: true,
		Secure: s.overTLS(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 3600})
	p := s.newPage(c, "")
	p.Title = p.T("login.title")
	wait := p.T("login.seconds", secs)
	if secs >= 90 {
		wait = p.T("login.minutes", (secs+59)/60)
	}
	p.Data = map[string]any{"CSRF": token, "Next": safeNext(c.FormValue("next")), "Email": email, "Error": p.T("login.rate_limited", wait)}
	return s.render(c, fiber.StatusTooManyRequests, "login", p)
}

// uiLogout ends the session (the form carries the CSRF token) and returns
// to the sign-in page.
func (s *Server) uiLogout(c *fiber.Ctx) error {
	cr := credentialOf(c)
	ctx := c.UserContext()
	if cr.session != nil {
		if err := s.deps.Users.DeleteSession(ctx, cr.secret); err != nil {
			return err
		}
	}
	s.clearSessionCookies(c)
	s.audit(ctx, tenant.AuditEvent{Action: tenant.AuditLogout, ActorID: &cr.user.ID, ActorEmail: cr.user.Email,
		IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	setFlash(c, "signed_out")
	return c.Redirect("/login", fiber.StatusSeeOther)
}
