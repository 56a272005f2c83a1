package web

import (
	"crypto/subtle"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// Cookie and header names of the session.
const (
	SessionCookie = "gomato_session"
	CSRFCookie    = "gomato_csrf"
	CSRFHeader    = "X-CSRF-Token"
	CSRFFormField = "csrf_token"
)

// credential is how the request authenticated.
type credential struct {
	via     string // "cookie" or "bearer"
	secret  string
	user    tenant.User
	session *tenant.Session
	token   *tenant.Token // an API token: good for its one tenant only
}

const credentialKey = "gomato.credential"

func credentialOf(c *fiber.Ctx) *credential {
	cr, _ := c.Locals(credentialKey).(*credential)
	return cr
}

// authenticate binds the actor of the request (session cookie or bearer
// token) to the user context, or answers 401 (API) / a redirect to sign-in
// (UI). Cookie-authenticated requests that change state must carry the
// session's CSRF token; bearer requests need none, since browsers never
// attach them on their own.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cr := &credential{}
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return s.noSession(c)
		}
		cr.via, cr.secret = "bearer", strings.TrimSpace(secret)
	} else if v := c.Cookies(SessionCookie); v != "" {
		cr.via, cr.secret = "cookie", v
	} else {
		return s.noSession(c)
	}
	var err error
	switch {
	case strings.HasPrefix(cr.secret, tenant.TokenPrefix) && cr.via == "bearer":
		var tok tenant.Token
		cr.user, tok, err = s.deps.Users.TokenUser(ctx, cr.secret)
		cr.token = &tok
	default:
		var sess tenant.Session
		cr.user, sess, err = s.deps.Users.SessionUser(ctx, cr.secret)
		cr.session = &sess
	}
	if core.ErrorCode(err) == core.CodeUnauthenticated {
		return s.noSession(c)
	}
	if err != nil {
		return err
	}
	if cr.via == "cookie" && !safeMethod(c.Method()) {
		got := c.Get(CSRFHeader)
		if got == "" {
			got = c.FormValue(CSRFFormField)
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(cr.session.CSRF)) != 1 {
			return &core.Error{Code: core.CodeForbidden, Message: "missing or wrong CSRF token: send the X-CSRF-Token header or the csrf_token form field"}
		}
	}
	c.Locals(credentialKey, cr)
	ctx = core.WithActor(ctx, cr.user.Actor())
	ctx = authz.WithAuthorizer(ctx, s.deps.Authz)
	c.SetUserContext(ctx)
	return c.Next()
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// noSession answers an unauthenticated request: 401 for the API, a
// redirect to the sign-in page for the UI.
func (s *Server) noSession(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") || c.Method() != fiber.MethodGet {
		return &core.Error{Code: core.CodeUnauthenticated, Message: "sign in first"}
	}
	return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// requireMembership answers 404 — the same as an unknown tenant — when the
// actor is not an active member of the request's tenant (platform
// operators included), or uses an API token of another tenant. Members
// get their roles in the tenant and their own-records scope on the actor.
func (s *Server) requireMembership(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return errNoTenant
	}
	cr := credentialOf(c)
	if cr == nil {
		return errNoTenant
	}
	if cr.token != nil && cr.token.TenantID != t.ID {
		return errNoTenant
	}
	member, roles, scoped, err := s.deps.Authz.Membership(ctx, t.ID, cr.user.ID)
	if err != nil {
		return err
	}
	if !member {
		return errNoTenant
	}
	act := cr.user.Actor()
	act.Roles, act.OwnRecordsOnly = roles, scoped
	c.SetUserContext(core.WithActor(ctx, act))
	return c.Next()
}

// authorize answers 403 unless the actor holds p: in the request's tenant
// through Casbin, or above tenants as a platform operator or as the admin
// of the agency the route names (:agency).
func (s *Server) authorize(p authz.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if _, err := core.TenantFrom(ctx); err == nil && !p.Installation() {
			if err := authz.Check(ctx, p); err != nil {
				return err
			}
			return c.Next()
		}
		act, _ := core.ActorFrom(ctx)
		if p.Installation() {
			if act.Operator && authz.OperatorHolds(p) {
				return c.Next()
			}
			if slug := c.Params("agency"); slug != "" && authz.AgencyAdminHolds(p) {
				a, err := s.deps.Registry.AgencyBySlug(ctx, slug)
				if err == nil {
					ok, err := s.deps.Users.IsAgencyAdmin(ctx, a.ID, act.UserID)
					if err != nil {
						return err
					}
					if ok {
						return c.Next()
					}
				} else if core.ErrorCode(err) != core.CodeNotFound {
					return err
				}
			}
		}
		return &core.Error{Code: core.CodeForbidden, Message: "you may not " + p.String()}
	}
}

// clientIP is the address of the client: the connection's peer, or, when
// the peer is a trusted proxy, the right-most X-Forwarded-For entry that
// is not a trusted proxy (left-most entries are whatever the client sent).
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	if !s.trusted(peer) {
		return peer
	}
	parts := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		ip := strings.TrimSpace(parts[i])
		if ip == "" {
			continue
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			return peer
		}
		if !s.trusted(ip) {
			return ip
		}
	}
	return peer
}

// overTLS reports whether the client's connection is TLS: directly, or as
// told by a trusted proxy's X-Forwarded-Proto.
func (s *Server) overTLS(c *fiber.Ctx) bool {
	if c.Context().IsTLS() {
		return true
	}
	return s.trusted(c.Context().RemoteIP().String()) && strings.EqualFold(strings.TrimSpace(c.Get(fiber.HeaderXForwardedProto)), "https")
}

func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
