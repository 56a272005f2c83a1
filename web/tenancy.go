package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
)

// errNoTenant is the one answer for an unknown tenant and for a tenant the
// user is not a member of, so that membership cannot be probed.
var errNoTenant = &core.Error{Code: core.CodeNotFound, Message: "tenant not found"}

// tenantSlug reads the tenant of a request: the /t/<slug>/ path parameter
// for the UI, else the X-Tenant header, else the host <slug>.<BaseDomain>.
// It never comes from a request body.
func (s *Server) tenantSlug(c *fiber.Ctx) string {
	if slug := c.Params("tenant"); slug != "" {
		return slug
	}
	if slug := strings.TrimSpace(c.Get("X-Tenant")); slug != "" {
		return slug
	}
	if s.cfg.BaseDomain != "" {
		host := strings.ToLower(c.Hostname())
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		if sub, ok := strings.CutSuffix(host, "."+strings.ToLower(s.cfg.BaseDomain)); ok && !strings.Contains(sub, ".") {
			return sub
		}
	}
	return ""
}

// resolveTenant puts the request's tenant into the user context; an
// unknown or missing tenant is a 404.
func (s *Server) resolveTenant(c *fiber.Ctx) error {
	slug := s.tenantSlug(c)
	if slug == "" {
		return &core.Error{Code: core.CodeNotFound, Message: "tenant not found: name it with the X-Tenant header"}
	}
	t, err := s.deps.Registry.TenantBySlug(c.UserContext(), slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		return errNoTenant
	}
	if err != nil {
		return err
	}
	c.SetUserContext(core.WithTenant(c.UserContext(), t))
	return c.Next()
}
