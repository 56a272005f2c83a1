package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
)

// Route is one entry of the route table: the path, the permission it
// requires (or Public), and whether it runs in a tenant. The table reads as
// the permission table; a route with neither a permission nor Public fails
// a test.
type Route struct {
	Method string
	Path   string
	// Perm is the permission the actor needs in the request's tenant.
	Perm authz.Permission
	// Public routes need no session (health, login, static files…).
	Public bool
	// Tenant routes resolve the tenant (X-Tenant or host for the API,
	// /t/<slug>/ for the UI) and require membership in it.
	Tenant bool
	// SignedIn routes need a session but no permission beyond it (/me).
	SignedIn bool
	Handler  fiber.Handler
}

// allRoutes is the route table. Keep it grouped by area; each area's
// handlers live in a file named for its noun.
func (s *Server) allRoutes() []Route {
	var rs []Route
	rs = append(rs, s.healthRoutes()...)
	rs = append(rs, s.authRoutes()...)
	rs = append(rs, s.linkedRoutes()...)
	rs = append(rs, s.customerAPIRoutes()...)
	rs = append(rs, s.scoringRoutes()...)
	rs = append(rs, s.uiRoutes()...)
	return rs
}

// register mounts routes with their middleware chains.
func (s *Server) register(rs []Route) {
	for _, r := range rs {
		chain := []fiber.Handler{}
		// Authenticate before resolving the tenant: an anonymous caller
		// gets 401 for every tenant route, so cannot probe which exist.
		if !r.Public {
			chain = append(chain, s.authenticate)
		}
		if r.Tenant {
			chain = append(chain, s.resolveTenant)
		}
		if !r.Public {
			if r.Tenant {
				chain = append(chain, s.requireMembership)
			}
			if !r.Perm.IsZero() {
				chain = append(chain, s.authorize(r.Perm))
			}
		}
		chain = append(chain, r.Handler)
		s.app.Add(r.Method, r.Path, chain...)
		s.routes = append(s.routes, r)
	}
}
