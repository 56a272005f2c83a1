package web

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// The tenant settings page (tenant admins): members and their roles,
// invites, each role's own-records scope, and the tenant's settings. Every
// change goes through the same authz and control-plane calls as the API
// and is audited the same way.

type memberRow struct {
	ID      uuid.UUID
	Name    string
	Email   string
	Status  string
	Roles   []string
	Missing []string // roles the member does not hold, for the grant form
}

type settingsData struct {
	Members    []memberRow
	Roles      []authz.Role
	Settings   tenant.Settings
	Owners     []userOption
	Form       url.Values
	Errors     map[string]string
	InviteLink string
	Zones      []string
}

var uiZones = []string{"Asia/Tehran", "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Dubai", "Asia/Tokyo"}

func (s *Server) uiSettings(c *fiber.Ctx) error {
	return s.renderSettings(c, fiber.StatusOK, nil, nil, "")
}

func (s *Server) renderSettings(c *fiber.Ctx, status int, form url.Values, errs map[string]string, inviteLink string) error {
	ctx := c.UserContext()
	p := s.newPage(c, "settings")
	p.Title = p.T("settings.title")
	t := *p.Tenant
	d := &settingsData{Form: form, Errors: errs, InviteLink: inviteLink, Zones: uiZones}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	roles, err := s.deps.Authz.Roles(ctx, t.ID)
	if err != nil {
		return err
	}
	d.Roles = roles
	grants, err := s.deps.Authz.Grants(ctx, t.ID)
	if err != nil {
		return err
	}
	ms, err := s.deps.Users.Members(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		r := memberRow{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status, Roles: grants[m.ID]}
		sort.Strings(r.Roles)
		held := map[string]bool{}
		for _, x := range r.Roles {
			held[x] = true
		}
		for _, role := range roles {
			if !held[role.Name] {
				r.Missing = append(r.Missing, role.Name)
			}
		}
		d.Members = append(d.Members, r)
	}
	if d.Settings, err = tenant.LoadSettings(ctx, s.deps.DB); err != nil {
		return err
	}
	if d.Owners, _, err = s.uiOwners(c, p.Tenant); err != nil {
		return err
	}
	if len(d.Form) == 0 {
		d.Form.Set("locale", d.Settings.Locale)
		d.Form.Set("time_zone", d.Settings.TimeZone)
		d.Form.Set("risk_medium", p.Decimal(d.Settings.RiskMedium, 2))
		d.Form.Set("risk_high", p.Decimal(d.Settings.RiskHigh, 2))
		if d.Settings.DefaultAssignee != nil {
			d.Form.Set("default_assignee", d.Settings.DefaultAssignee.String())
		}
		if t.Currency == "IRR" {
			d.Form.Set("money_display", map[bool]string{false: "rial", true: "toman"}[p.Toman])
		}
	}
	if !contains(d.Zones, d.Settings.TimeZone) {
		d.Zones = append([]string{d.Settings.TimeZone}, d.Zones...)
	}
	p.Data = d
	return s.render(c, status, "settings", p)
}

// uiMemberRole grants or revokes one role of a member.
func (s *Server) uiMemberRole(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := s.memberParam(c, t)
	if err != nil {
		return err
	}
	role := formValues(c).Get("role")
	switch c.Params("action") {
	case "grant":
		if err := s.deps.Authz.Grant(ctx, t.ID, id, role); err != nil {
			return err
		}
		s.auditIn(c, t, act, tenant.AuditGrant, id.String(), map[string]any{"role": role})
	case "revoke":
		if err := s.deps.Authz.Revoke(ctx, t.ID, id, role); err != nil {
			return err
		}
		s.auditIn(c, t, act, tenant.AuditRevoke, id.String(), map[string]any{"role": role})
	default:
		return core.ErrNotFound
	}
	setFlash(c, "saved")
	return c.Redirect("/t/"+url.PathEscape(t.Slug)+"/settings", fiber.StatusSeeOther)
}

// uiRoleScope sets a role's own-records scope.
func (s *Server) uiRoleScope(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	on := formValues(c).Get("own_records_only") == "1"
	name := c.Params("role")
	if err := s.deps.Authz.UpdateRole(c.UserContext(), t.ID, name, authz.RoleUpdate{OwnRecordsOnly: &on}); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditRoleUpdate, name, map[string]any{"own_records_only": on})
	setFlash(c, "saved")
	return c.Redirect("/t/"+url.PathEscape(t.Slug)+"/settings", fiber.StatusSeeOther)
}

// uiInvite invites a person with a role and shows the one-time link once.
func (s *Server) uiInvite(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "settings")
	form := formValues(c)
	var roles []string
	if r := form.Get("role"); r != "" {
		roles = []string{r}
	}
	secret, inv, err := s.deps.Users.CreateInvite(c.UserContext(), t.ID, tenant.NewInvite{Email: form.Get("email"), Name: form.Get("name"), Roles: roles, By: act.UserID})
	if ae, ok := err.(*core.Error); ok && ae.Code == core.CodeInvalid {
		errs := map[string]string{}
		for k, v := range localFields(p, ae.Fields) {
			errs["invite_"+k] = v
		}
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, form, errs, "")
	}
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditInvite, inv.Email, map[string]any{"roles": inv.Roles})
	return s.renderSettings(c, fiber.StatusOK, nil, nil, "/accept-invite?token="+url.QueryEscape(secret))
}

// uiSaveSettings changes locale, time zone, default assignee and risk
// thresholds; numbers may be typed with Persian digits and separators.
func (s *Server) uiSaveSettings(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "settings")
	form := formValues(c)
	u := tenant.SettingsUpdate{}
	errs := map[string]string{}
	detail := map[string]any{}
	if v := form.Get("locale"); v != "" {
		u.Locale = &v
		detail["locale"] = v
	}
	if v := form.Get("time_zone"); v != "" {
		if _, err := time.LoadLocation(v); err != nil {
			errs["time_zone"] = p.T("validation.choice")
		}
		u.TimeZone = &v
		detail["time_zone"] = v
	}
	thr := func(key string) *float64 {
		v := strings.TrimSpace(form.Get(key))
		if v == "" {
			return nil
		}
		n, err := core.ParseDecimal(v, 4)
		if err != nil || n <= 0 || n >= 10000 {
			errs[key] = p.T("settings.threshold_hint")
			return nil
		}
		f := float64(n) / 10000
		detail[key] = f
		return &f
	}
	u.RiskMedium, u.RiskHigh = thr("risk_medium"), thr("risk_high")
	if u.RiskMedium != nil && u.RiskHigh != nil && *u.RiskMedium >= *u.RiskHigh {
		errs["risk_high"] = p.T("validation.range")
	}
	switch v := form.Get("default_assignee"); v {
	case "":
		u.ClearDefaultAssignee = true
	default:
		id, err := uuid.Parse(v)
		if err != nil {
			errs["default_assignee"] = p.T("validation.choice")
		} else {
			u.DefaultAssignee = &id
		}
	}
	detail["default_assignee"] = form.Get("default_assignee")
	// Toman display, for IRR tenants only (the form shows it to no other).
	money := form.Get("money_display")
	switch {
	case money == "":
	case money == "rial", money == "toman" && t.Currency == "IRR":
		detail["money_display"] = money
	default:
		errs["money_display"] = p.T("validation.choice")
	}
	if len(errs) > 0 {
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, form, errs, "")
	}
	if _, err := tenant.UpdateSettings(c.UserContext(), s.deps.DB, u); err != nil {
		if ae, ok := err.(*core.Error); ok && ae.Code == core.CodeInvalid {
			return s.renderSettings(c, fiber.StatusUnprocessableEntity, form, localFields(p, ae.Fields), "")
		}
		return err
	}
	if money != "" {
		if err := tenant.SetTomanDisplay(c.UserContext(), s.deps.DB, money == "toman"); err != nil {
			return err
		}
	}
	s.auditIn(c, t, act, tenant.AuditSettings, "settings", detail)
	setFlash(c, "saved")
	return c.Redirect("/t/"+url.PathEscape(t.Slug)+"/settings", fiber.StatusSeeOther)
}
