package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// listAgencies lists every agency (platform operators).
func (s *Server) listAgencies(c *fiber.Ctx) error {
	as, err := s.deps.Registry.Agencies(c.UserContext())
	if err != nil {
		return err
	}
	if as == nil {
		as = []core.Agency{}
	}
	return c.JSON(agencyList{Agencies: as})
}

type agencyRequest struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// createAgency registers an agency (platform operators).
func (s *Server) createAgency(c *fiber.Ctx) error {
	var req agencyRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	a, err := s.deps.Registry.CreateAgency(c.UserContext(), req.Slug, req.Name)
	if err != nil {
		return err
	}
	act, _ := core.ActorFrom(c.UserContext())
	s.audit(c.UserContext(), tenant.AuditEvent{ActorID: &act.UserID, ActorEmail: act.Email, Action: tenant.AuditAgencyCreate,
		Target: a.Slug, IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	return c.Status(fiber.StatusCreated).JSON(a)
}

// agencyTenant is a tenant as an agency sees it: no business data.
type agencyTenant struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Locale   string `json:"locale"`
	Currency string `json:"currency"`
	TimeZone string `json:"time_zone"`
}

func toAgencyTenant(t core.Tenant) agencyTenant {
	return agencyTenant{ID: t.ID.String(), Slug: t.Slug, Name: t.Name, Status: string(t.Status), Locale: t.Locale, Currency: t.Currency, TimeZone: t.TimeZone}
}

// listAgencyTenants lists an agency's tenants (its admins, operators).
func (s *Server) listAgencyTenants(c *fiber.Ctx) error {
	a, err := s.deps.Registry.AgencyBySlug(c.UserContext(), c.Params("agency"))
	if err != nil {
		return err
	}
	ts, err := s.deps.Registry.Tenants(c.UserContext(), &a.ID)
	if err != nil {
		return err
	}
	out := make([]agencyTenant, len(ts))
	for i, t := range ts {
		out[i] = toAgencyTenant(t)
	}
	return c.JSON(agencyTenantList{Tenants: out})
}

type tenantRequest struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Locale   string `json:"locale"`
	Currency string `json:"currency"`
	TimeZone string `json:"time_zone"`
}

// createAgencyTenant provisions a tenant in the agency (its admins,
// operators). The creator does not become a member: business data only
// where also granted a role.
func (s *Server) createAgencyTenant(c *fiber.Ctx) error {
	var req tenantRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	slug := c.Params("agency")
	t, err := s.deps.Registry.CreateTenant(c.UserContext(), tenant.NewTenant{Slug: req.Slug, Name: req.Name, Locale: req.Locale,
		Currency: req.Currency, TimeZone: req.TimeZone, AgencySlug: slug})
	if err != nil {
		return err
	}
	act, _ := core.ActorFrom(c.UserContext())
	s.audit(c.UserContext(), tenant.AuditEvent{TenantID: &t.ID, ActorID: &act.UserID, ActorEmail: act.Email, Action: tenant.AuditTenantCreate,
		Target: t.Slug, Detail: map[string]any{"agency": slug}, IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	return c.Status(fiber.StatusCreated).JSON(toAgencyTenant(t))
}
