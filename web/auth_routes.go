package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
)

// authRoutes are sign-in, the signed-in user, API tokens, tenant
// administration (users, roles, invites, settings, audit) and the
// installation's agencies.
func (s *Server) authRoutes() []Route {
	const (
		get, post, put, patch, del = fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete
	)
	p := authz.P
	return []Route{
		{Method: post, Path: "/api/v1/auth/login", Public: true, Handler: s.login},
		{Method: post, Path: "/api/v1/auth/accept-invite", Public: true, Handler: s.acceptInvite},
		{Method: post, Path: "/api/v1/auth/logout", SignedIn: true, Handler: s.logout},
		{Method: get, Path: "/api/v1/me", SignedIn: true, Handler: s.me},

		{Method: get, Path: "/api/v1/tokens", Tenant: true, Perm: p(authz.Tokens, authz.Read), Handler: s.listTokens},
		{Method: post, Path: "/api/v1/tokens", Tenant: true, Perm: p(authz.Tokens, authz.Create), Handler: s.createToken},
		{Method: del, Path: "/api/v1/tokens/:id", Tenant: true, Perm: p(authz.Tokens, authz.Delete), Handler: s.revokeToken},

		{Method: get, Path: "/api/v1/users", Tenant: true, Perm: p(authz.Users, authz.Read), Handler: s.listUsers},
		{Method: del, Path: "/api/v1/users/:id", Tenant: true, Perm: p(authz.Users, authz.Delete), Handler: s.removeUser},
		{Method: put, Path: "/api/v1/users/:id/roles/:role", Tenant: true, Perm: p(authz.Users, authz.Update), Handler: s.grantRole},
		{Method: del, Path: "/api/v1/users/:id/roles/:role", Tenant: true, Perm: p(authz.Users, authz.Update), Handler: s.revokeRole},

		{Method: get, Path: "/api/v1/roles", Tenant: true, Perm: p(authz.Roles, authz.Read), Handler: s.listRoles},
		{Method: post, Path: "/api/v1/roles", Tenant: true, Perm: p(authz.Roles, authz.Create), Handler: s.createRole},
		{Method: patch, Path: "/api/v1/roles/:role", Tenant: true, Perm: p(authz.Roles, authz.Update), Handler: s.updateRole},
		{Method: del, Path: "/api/v1/roles/:role", Tenant: true, Perm: p(authz.Roles, authz.Delete), Handler: s.deleteRole},
		{Method: get, Path: "/api/v1/permissions", Tenant: true, Perm: p(authz.Roles, authz.Read), Handler: s.listPermissions},

		{Method: get, Path: "/api/v1/invites", Tenant: true, Perm: p(authz.Invites, authz.Read), Handler: s.listInvites},
		{Method: post, Path: "/api/v1/invites", Tenant: true, Perm: p(authz.Invites, authz.Create), Handler: s.createInvite},
		{Method: del, Path: "/api/v1/invites/:id", Tenant: true, Perm: p(authz.Invites, authz.Delete), Handler: s.deleteInvite},

		{Method: get, Path: "/api/v1/settings", Tenant: true, Perm: p(authz.Settings, authz.Read), Handler: s.getSettings},
		{Method: patch, Path: "/api/v1/settings", Tenant: true, Perm: p(authz.Settings, authz.Update), Handler: s.updateSettings},
		{Method: get, Path: "/api/v1/audit", Tenant: true, Perm: p(authz.Audit, authz.Read), Handler: s.listAudit},

		{Method: get, Path: "/api/v1/agencies", Perm: p(authz.Agencies, authz.Read), Handler: s.listAgencies},
		{Method: post, Path: "/api/v1/agencies", Perm: p(authz.Agencies, authz.Create), Handler: s.createAgency},
		{Method: get, Path: "/api/v1/agencies/:agency/tenants", Perm: p(authz.Tenants, authz.Read), Handler: s.listAgencyTenants},
		{Method: post, Path: "/api/v1/agencies/:agency/tenants", Perm: p(authz.Tenants, authz.Create), Handler: s.createAgencyTenant},
	}
}
