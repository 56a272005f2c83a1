package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

// authenticate binds the actor of the request (session cookie or bearer
// token) to the user context, or answers 401.
func (s *Server) authenticate(c *fiber.Ctx) error {
	return &core.Error{Code: core.CodeUnauthenticated, Message: "sign in first"}
}

// requireMembership answers 404 — the same as an unknown tenant — when the
// actor is not a member of the request's tenant.
func (s *Server) requireMembership(c *fiber.Ctx) error {
	return errNoTenant
}

// authorize answers 403 unless the actor holds p in the request's tenant.
func (s *Server) authorize(p authz.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return &core.Error{Code: core.CodeForbidden, Message: "you may not " + p.String()}
	}
}
