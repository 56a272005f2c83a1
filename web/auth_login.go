package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// LoginLimits bounds sign-in attempts in a window, per account and per
// client IP, across every replica (the counters live in Redis).
type LoginLimits struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerAccount <= 0 {
		l.PerAccount = 10
	}
	if l.PerIP <= 0 {
		l.PerIP = 100
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	return l
}

// ParseTrustedProxies reads GOMATO_TRUSTED_PROXIES: comma-separated IPs
// or CIDR prefixes.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// loginCount adds one attempt to the account's and the IP's counters and
// returns both, atomically.
var loginCount = redis.NewScript(`
local a = redis.call('INCR', KEYS[1])
if a == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local b = redis.call('INCR', KEYS[2])
if b == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {a, b, redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2])}
`)

func (s *Server) loginKeys(email, ip string) (acct, byIP string) {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return s.cfg.KeyPrefix + "login:acct:" + hex.EncodeToString(h[:16]), s.cfg.KeyPrefix + "login:ip:" + ip
}

// limitLogin counts an attempt and refuses it once the account or the IP
// is over its limit. Without Redis, sign-in fails closed.
func (s *Server) limitLogin(ctx context.Context, email, ip string) error {
	if s.deps.Redis == nil {
		return &core.Error{Code: core.CodeUnavailable, Message: "sign-in is unavailable"}
	}
	acct, byIP := s.loginKeys(email, ip)
	res, err := loginCount.Run(ctx, s.deps.Redis, []string{acct, byIP}, s.cfg.Login.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return &core.Error{Code: core.CodeUnavailable, Message: "sign-in is unavailable", Err: err}
	}
	var wait int64
	if res[0] > int64(s.cfg.Login.PerAccount) {
		wait = res[2]
	}
	if res[1] > int64(s.cfg.Login.PerIP) && res[3] > wait {
		wait = res[3]
	}
	if res[0] > int64(s.cfg.Login.PerAccount) || res[1] > int64(s.cfg.Login.PerIP) {
		return &rateLimited{retryAfter: time.Duration(wait) * time.Millisecond}
	}
	return nil
}

// rateLimited is a 429 with a Retry-After.
type rateLimited struct{ retryAfter time.Duration }

func (e *rateLimited) Error() string { return "too many sign-in attempts" }

func (e *rateLimited) coreError() *core.Error {
	return &core.Error{Code: core.CodeRateLimited, Message: "too many sign-in attempts; try again later"}
}

type loginRequest struct {
	Email    string `json:"email" form:"email"`
	Password string `json:"password" form:"password"`
}

// loginResponse carries the session secret once: the cookie for browsers,
// the token for API clients (as a Bearer header; no CSRF token needed).
type loginResponse struct {
	User      tenant.User `json:"user"`
	Token     string      `json:"token"`
	CSRFToken string      `json:"csrf_token"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// login checks an email and password and starts a session. A wrong email
// and a wrong password get the same answer in about the same time.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	f := map[string]string{}
	if strings.TrimSpace(req.Email) == "" {
		f["email"] = "required"
	}
	if req.Password == "" {
		f["password"] = "required"
	}
	if len(req.Password) > 4*tenant.MaxPasswordLen {
		f["password"] = "too long"
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	ctx := c.UserContext()
	ip := s.clientIP(c)
	if err := s.limitLogin(ctx, req.Email, ip); err != nil {
		if rl, ok := err.(*rateLimited); ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.retryAfter.Seconds())+1))
			return rl.coreError()
		}
		return err
	}
	u, err := s.deps.Users.CheckPassword(ctx, req.Email, req.Password)
	if err == tenant.ErrBadCredentials {
		ev := tenant.AuditEvent{Action: tenant.AuditLoginFailed, ActorEmail: truncateRunes(strings.TrimSpace(req.Email), 254),
			IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)}
		if known, err := s.deps.Users.ByEmail(ctx, req.Email); err == nil {
			ev.ActorID = &known.ID
		}
		s.audit(ctx, ev)
		s.log.Info("sign-in failed", "request_id", requestID(c), "ip", ip)
		return err
	}
	if err != nil {
		return err
	}
	secret, sess, err := s.deps.Users.CreateSession(ctx, u.ID, ip, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	acct, _ := s.loginKeys(req.Email, ip)
	_ = s.deps.Redis.Del(ctx, acct).Err()
	s.setSessionCookies(c, secret, sess)
	s.log.Info("signed in", "request_id", requestID(c), "user", u.ID, "ip", ip)
	s.audit(ctx, tenant.AuditEvent{Action: tenant.AuditLogin, ActorID: &u.ID, ActorEmail: u.Email, IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)})
	return c.JSON(loginResponse{User: u, Token: secret, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt})
}

func (s *Server) setSessionCookies(c *fiber.Ctx, secret string, sess tenant.Session) {
	secure := s.overTLS(c)
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	// The CSRF token is readable by the page's scripts (htmx sends it back
	// as X-CSRF-Token); it is worthless without the session cookie.
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: sess.CSRF, Path: "/", Expires: sess.ExpiresAt,
		Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearSessionCookies(c *fiber.Ctx) {
	secure := s.overTLS(c)
	for _, name := range []string{SessionCookie, CSRFCookie} {
		c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
			HTTPOnly: name == SessionCookie, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	}
}

// logout ends the session the request came with.
func (s *Server) logout(c *fiber.Ctx) error {
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
	return c.SendStatus(fiber.StatusNoContent)
}

// audit records an event; a failure is logged, not shown: the action it
// describes has already happened.
func (s *Server) audit(ctx context.Context, e tenant.AuditEvent) {
	if err := s.deps.Audit.Record(ctx, e); err != nil {
		s.log.Error("audit", "action", e.Action, "err", err)
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
