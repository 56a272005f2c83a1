package web

import (
	"github.com/gofiber/fiber/v2"
)

// authRoutes are sign-in, the signed-in user, API tokens and tenant
// administration (users, roles, invites, settings, audit).
func (s *Server) authRoutes() []Route {
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/auth/login", Public: true, Handler: s.login},
		{Method: fiber.MethodPost, Path: "/api/v1/auth/logout", SignedIn: true, Handler: s.logout},
		{Method: fiber.MethodGet, Path: "/api/v1/me", SignedIn: true, Handler: s.me},
	}
}
