package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/web/i18n"
)

// meTenant is one tenant of the signed-in user with their roles there.
type meTenant struct {
	ID             string             `json:"id"`
	Slug           string             `json:"slug"`
	Name           string             `json:"name"`
	Locale         string             `json:"locale"`
	Status         string             `json:"membership"`
	Roles          []string           `json:"roles"`
	OwnRecordsOnly bool               `json:"own_records_only"`
	Permissions    []authz.Permission `json:"permissions"`
}

type meResponse struct {
	User      tenant.User   `json:"user"`
	Operator  bool          `json:"operator"`
	Agencies  []core.Agency `json:"agencies"`
	Tenants   []meTenant    `json:"tenants"`
	CSRFToken string        `json:"csrf_token,omitempty"`
}

// me shows who is signed in, the tenants they belong to and their roles in
// each. With an API token, only the token's tenant is shown.
func (s *Server) me(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cr := credentialOf(c)
	ms, err := s.deps.Users.Memberships(ctx, cr.user.ID)
	if err != nil {
		return err
	}
	ags, err := s.deps.Users.AdminAgencies(ctx, cr.user.ID)
	if err != nil {
		return err
	}
	resp := meResponse{User: cr.user, Operator: cr.user.Operator, Agencies: ags, Tenants: []meTenant{}}
	if resp.Agencies == nil {
		resp.Agencies = []core.Agency{}
	}
	if cr.session != nil {
		resp.CSRFToken = cr.session.CSRF
	}
	for _, m := range ms {
		if cr.token != nil && cr.token.TenantID != m.Tenant.ID {
			continue
		}
		mt := meTenant{ID: m.Tenant.ID.String(), Slug: m.Tenant.Slug, Name: m.Tenant.Name, Locale: m.Tenant.Locale,
			Status: m.Status, Roles: []string{}, Permissions: []authz.Permission{}}
		if m.Status == tenant.MemberActive {
			roles, scoped, err := s.deps.Authz.RolesOf(ctx, m.Tenant.ID, cr.user.ID)
			if err != nil {
				return err
			}
			ps, err := s.deps.Authz.PermissionsOf(ctx, m.Tenant.ID, cr.user.ID)
			if err != nil {
				return err
			}
			if roles != nil {
				mt.Roles = roles
			}
			if ps != nil {
				mt.Permissions = ps
			}
			mt.OwnRecordsOnly = scoped
		}
		resp.Tenants = append(resp.Tenants, mt)
	}
	return c.JSON(resp)
}

// uiSetLanguage is the header's language switch: it sets the signed-in
// user's own locale (which wins over the tenant's on every page they open,
// and on no one else's) and goes back to the page the form was on.
func (s *Server) uiSetLanguage(c *fiber.Ctx) error {
	cr := credentialOf(c)
	form := formValues(c)
	l, ok := i18n.Parse(form.Get("locale"))
	if !ok {
		return core.Invalid(map[string]string{"locale": "must be en or fa"})
	}
	if err := s.deps.Users.SetLocale(c.UserContext(), cr.user.ID, string(l)); err != nil {
		return err
	}
	next := safeNext(form.Get("next"))
	if next == "" {
		next = "/"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}
