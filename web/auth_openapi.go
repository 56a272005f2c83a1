package web

import (
	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// Response bodies of the auth and administration routes.
type (
	tokenList struct {
		Tokens []tenant.Token `json:"tokens"`
	}
	// tokenCreated carries the token's secret: shown here only.
	tokenCreated struct {
		Token  tenant.Token `json:"token"`
		Secret string       `json:"secret"`
	}
	userList struct {
		Users []adminUser `json:"users"`
	}
	roleList struct {
		Roles []authz.Role `json:"roles"`
	}
	permissionList struct {
		Permissions []authz.Permission `json:"permissions"`
	}
	// inviteCreated carries the one-time link: shown here only.
	inviteCreated struct {
		Invite tenant.Invite `json:"invite"`
		Token  string        `json:"token"`
		Link   string        `json:"link"`
	}
	inviteList struct {
		Invites []tenant.Invite `json:"invites"`
	}
	agencyList struct {
		Agencies []core.Agency `json:"agencies"`
	}
	agencyTenantList struct {
		Tenants []agencyTenant `json:"tenants"`
	}
)

func init() {
	addAPIDocs(map[string]APIDoc{
		"POST /api/v1/auth/login": {Summary: "Sign in", Description: "Sets the session cookie (HttpOnly, SameSite=Lax) and returns the same secret as a bearer token " +
			"for API clients, with the CSRF token cookie sessions must send as X-CSRF-Token on changes. A wrong email and a wrong password get the same 401; " +
			"attempts are limited per account and per client IP (429 with Retry-After).", Request: loginRequest{}, Response: loginResponse{}},
		"POST /api/v1/auth/accept-invite": {Summary: "Accept an invite", Description: "Sets the password (or checks the existing account's), activates the membership with the invite's roles and signs in.",
			Request: acceptInviteRequest{}, Response: loginResponse{}},
		"POST /api/v1/auth/logout": {Summary: "Sign out (ends this session)", Status: 204},
		"GET /api/v1/me":           {Summary: "The signed-in user, their agencies, and their tenants with roles and permissions", Response: meResponse{}},

		"GET /api/v1/tokens":        {Summary: "List your API tokens in this tenant", Query: [][2]string{{"all", "true: everyone's (needs tokens:manage)"}}, Response: tokenList{}},
		"POST /api/v1/tokens":       {Summary: "Create an API token for this tenant", Description: "The secret is in this response only.", Request: createTokenRequest{}, Response: tokenCreated{}, Status: 201},
		"DELETE /api/v1/tokens/:id": {Summary: "Revoke an API token (yours; anyone's with tokens:manage)", Status: 204},

		"GET /api/v1/users":                    {Summary: "List the tenant's members and their roles", Response: userList{}},
		"DELETE /api/v1/users/:id":             {Summary: "Remove a member: roles, tokens and pending invites go too", Status: 204},
		"PUT /api/v1/users/:id/roles/:role":    {Summary: "Grant a role to a member", Status: 204},
		"DELETE /api/v1/users/:id/roles/:role": {Summary: "Revoke a role (within a second on every replica)", Status: 204},

		"GET /api/v1/roles":          {Summary: "List the tenant's roles", Response: roleList{}},
		"POST /api/v1/roles":         {Summary: "Create a custom role from the permission catalogue", Description: "Permission names are object:action from GET /api/v1/permissions; anything else is 422.", Request: roleRequest{}, Response: authz.Role{}, Status: 201},
		"PATCH /api/v1/roles/:role":  {Summary: "Edit a role's permissions or own-records scope", Request: roleRequest{}, Status: 204},
		"DELETE /api/v1/roles/:role": {Summary: "Delete a role and its grants in this tenant", Status: 204},
		"GET /api/v1/permissions":    {Summary: "The permission catalogue", Response: permissionList{}},

		"GET /api/v1/invites":        {Summary: "List invites", Response: inviteList{}},
		"POST /api/v1/invites":       {Summary: "Invite someone: a pending membership and a one-time link", Description: "The link is in this response only.", Request: inviteRequest{}, Response: inviteCreated{}, Status: 201},
		"DELETE /api/v1/invites/:id": {Summary: "Withdraw an invite", Status: 204},

		"GET /api/v1/settings":   {Summary: "Tenant settings", Response: tenant.Settings{}},
		"PATCH /api/v1/settings": {Summary: "Change tenant settings", Description: "Absent fields stay; an empty default_assignee clears it.", Request: settingsRequest{}, Response: tenant.Settings{}},
		"GET /api/v1/audit": {Summary: "The tenant's audit log, newest first", Query: [][2]string{{"before", "next of the previous page"}, {"limit", "1–200 (default 50)"}},
			Response: tenant.AuditPage{}},

		"GET /api/v1/agencies":                  {Summary: "List agencies (platform operators)", Response: agencyList{}},
		"POST /api/v1/agencies":                 {Summary: "Create an agency (platform operators)", Request: agencyRequest{}, Response: core.Agency{}, Status: 201},
		"GET /api/v1/agencies/:agency/tenants":  {Summary: "An agency's tenants (its admins, operators)", Response: agencyTenantList{}},
		"POST /api/v1/agencies/:agency/tenants": {Summary: "Provision a tenant in the agency (its admins, operators)", Request: tenantRequest{}, Response: agencyTenant{}, Status: 201},
	})
}
