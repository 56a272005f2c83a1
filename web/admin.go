package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// adminUser is a member of the tenant with their roles there.
type adminUser struct {
	ID     uuid.UUID `json:"id"`
	Email  string    `json:"email"`
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Roles  []string  `json:"roles"`
}

// listUsers lists the tenant's members and their roles.
func (s *Server) listUsers(c *fiber.Ctx) error {
	t, _, err := authParts(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ms, err := s.deps.Users.Members(ctx, t.ID)
	if err != nil {
		return err
	}
	grants, err := s.deps.Authz.Grants(ctx, t.ID)
	if err != nil {
		return err
	}
	out := make([]adminUser, len(ms))
	for i, m := range ms {
		out[i] = adminUser{ID: m.ID, Email: m.Email, Name: m.Name, Status: m.Status, Roles: grants[m.ID]}
		if out[i].Roles == nil {
			out[i].Roles = []string{}
		}
	}
	return c.JSON(userList{Users: out})
}

// memberParam reads :id as a member of the tenant; anyone else is 404.
func (s *Server) memberParam(c *fiber.Ctx, t core.Tenant) (uuid.UUID, error) {
	id, err := authUUIDParam(c, "id", "user")
	if err != nil {
		return id, err
	}
	st, err := s.deps.Users.MembershipStatus(c.UserContext(), t.ID, id)
	if err != nil {
		return id, err
	}
	if st == "" {
		return id, &core.Error{Code: core.CodeNotFound, Message: "user not found"}
	}
	return id, nil
}

// grantRole gives a member a role (PUT: granting twice is fine).
func (s *Server) grantRole(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := s.memberParam(c, t)
	if err != nil {
		return err
	}
	role := c.Params("role")
	if err := s.deps.Authz.Grant(c.UserContext(), t.ID, id, role); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditGrant, id.String(), map[string]any{"role": role})
	return c.SendStatus(fiber.StatusNoContent)
}

// revokeRole takes a role from a member. It stops working at once here
// and within a second on every other replica.
func (s *Server) revokeRole(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := s.memberParam(c, t)
	if err != nil {
		return err
	}
	role := c.Params("role")
	if err := s.deps.Authz.Revoke(c.UserContext(), t.ID, id, role); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditRevoke, id.String(), map[string]any{"role": role})
	return c.SendStatus(fiber.StatusNoContent)
}

// removeUser takes a member out of the tenant with their roles and tokens.
func (s *Server) removeUser(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := s.memberParam(c, t)
	if err != nil {
		return err
	}
	if err := s.deps.Authz.RemoveMember(c.UserContext(), t.ID, id); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditMemberRemove, id.String(), nil)
	return c.SendStatus(fiber.StatusNoContent)
}

// listRoles lists the tenant's roles with permissions and scope.
func (s *Server) listRoles(c *fiber.Ctx) error {
	t, _, err := authParts(c)
	if err != nil {
		return err
	}
	rs, err := s.deps.Authz.Roles(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i].Permissions == nil {
			rs[i].Permissions = []authz.Permission{}
		}
	}
	return c.JSON(roleList{Roles: rs})
}

// listPermissions is the catalogue custom roles are built from.
func (s *Server) listPermissions(c *fiber.Ctx) error {
	return c.JSON(permissionList{Permissions: authz.Catalogue()})
}

type roleRequest struct {
	Name           string    `json:"name"`
	Permissions    *[]string `json:"permissions"`
	OwnRecordsOnly *bool     `json:"own_records_only"`
}

// createRole adds a custom role from the catalogue.
func (s *Server) createRole(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	var req roleRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	r := authz.Role{Name: req.Name}
	if req.Permissions == nil {
		return core.Invalid(map[string]string{"permissions": "required (may be empty)"})
	}
	if r.Permissions, err = authz.ParsePermissions("permissions", *req.Permissions); err != nil {
		return err
	}
	if req.OwnRecordsOnly != nil {
		r.OwnRecordsOnly = *req.OwnRecordsOnly
	}
	if err := s.deps.Authz.CreateRole(c.UserContext(), t.ID, r); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditRoleCreate, r.Name, map[string]any{"permissions": r.Permissions, "own_records_only": r.OwnRecordsOnly})
	return c.Status(fiber.StatusCreated).JSON(r)
}

// updateRole edits a role's permissions or own-records scope.
func (s *Server) updateRole(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	var req roleRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	if req.Name != "" {
		return core.Invalid(map[string]string{"name": "a role cannot be renamed"})
	}
	var u authz.RoleUpdate
	detail := map[string]any{}
	if req.Permissions != nil {
		ps, err := authz.ParsePermissions("permissions", *req.Permissions)
		if err != nil {
			return err
		}
		u.Permissions = &ps
		detail["permissions"] = ps
	}
	if req.OwnRecordsOnly != nil {
		u.OwnRecordsOnly = req.OwnRecordsOnly
		detail["own_records_only"] = *req.OwnRecordsOnly
	}
	name := c.Params("role")
	if err := s.deps.Authz.UpdateRole(c.UserContext(), t.ID, name, u); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditRoleUpdate, name, detail)
	return c.SendStatus(fiber.StatusNoContent)
}

// deleteRole removes a role and its grants from this tenant only.
func (s *Server) deleteRole(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	name := c.Params("role")
	if err := s.deps.Authz.DeleteRole(c.UserContext(), t.ID, name); err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditRoleDelete, name, nil)
	return c.SendStatus(fiber.StatusNoContent)
}

type inviteRequest struct {
	Email string   `json:"email"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// createInvite makes a pending membership and a one-time link. The link
// is in this response only.
func (s *Server) createInvite(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	var req inviteRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	roles, err := s.deps.Authz.Roles(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, r := range roles {
		known[r.Name] = true
	}
	f := map[string]string{}
	for i, r := range req.Roles {
		if !known[r] {
			f["roles["+strconv.Itoa(i)+"]"] = "no such role in this tenant"
		}
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	secret, inv, err := s.deps.Users.CreateInvite(c.UserContext(), t.ID, tenant.NewInvite{Email: req.Email, Name: req.Name, Roles: req.Roles, By: act.UserID})
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditInvite, inv.Email, map[string]any{"roles": inv.Roles})
	return c.Status(fiber.StatusCreated).JSON(inviteCreated{Invite: inv, Token: secret, Link: "/accept-invite?token=" + secret})
}

func (s *Server) listInvites(c *fiber.Ctx) error {
	t, _, err := authParts(c)
	if err != nil {
		return err
	}
	invs, err := s.deps.Users.Invites(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	if invs == nil {
		invs = []tenant.Invite{}
	}
	return c.JSON(inviteList{Invites: invs})
}

func (s *Server) deleteInvite(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := authUUIDParam(c, "id", "invite")
	if err != nil {
		return err
	}
	inv, err := s.deps.Users.DeleteInvite(c.UserContext(), t.ID, id)
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditInviteDelete, inv.Email, nil)
	return c.SendStatus(fiber.StatusNoContent)
}

type acceptInviteRequest struct {
	Token    string `json:"token" form:"token"`
	Password string `json:"password" form:"password"`
}

// acceptInvite redeems an invite link: sets the password (or checks the
// existing one), activates the membership with the invite's roles and
// signs the user in.
func (s *Server) acceptInvite(c *fiber.Ctx) error {
	var req acceptInviteRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Token) == "" {
		return core.Invalid(map[string]string{"token": "required"})
	}
	ctx := c.UserContext()
	ip := s.clientIP(c)
	// Guessing invite secrets is as rate-limited as guessing passwords.
	if err := s.limitLogin(ctx, "invite:"+ip, ip); err != nil {
		if rl, ok := err.(*rateLimited); ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.retryAfter.Seconds())+1))
			return rl.coreError()
		}
		return err
	}
	var tenantID uuid.UUID
	inv, u, err := s.deps.Users.AcceptInvite(ctx, strings.TrimSpace(req.Token), req.Password, func(tx *sqlx.Tx, inv tenant.Invite) error {
		tenantID = inv.TenantID
		if _, err := tx.ExecContext(ctx, `select pg_notify($1, $2)`, authz.NotifyChannel, inv.TenantID.String()); err != nil {
			return err
		}
		for _, r := range inv.Roles {
			err := authz.GrantTx(ctx, tx, inv.TenantID, inv.UserID, r)
			if core.ErrorCode(err) == core.CodeInvalid {
				continue // the role was deleted since the invite
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if tenantID != uuid.Nil {
		s.deps.Authz.Invalidate(tenantID)
	}
	if err != nil {
		return err
	}
	secret, sess, err := s.deps.Users.CreateSession(ctx, u.ID, ip, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	s.setSessionCookies(c, secret, sess)
	s.audit(ctx, tenant.AuditEvent{TenantID: &inv.TenantID, ActorID: &u.ID, ActorEmail: u.Email, Action: tenant.AuditInviteAccept,
		Target: u.Email, Detail: map[string]any{"roles": inv.Roles}, IP: ip, UserAgent: c.Get(fiber.HeaderUserAgent)})
	return c.JSON(loginResponse{User: u, Token: secret, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt})
}

// getSettings shows the tenant's settings.
func (s *Server) getSettings(c *fiber.Ctx) error {
	st, err := tenant.LoadSettings(c.UserContext(), s.deps.DB)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type settingsRequest struct {
	Locale          *string  `json:"locale"`
	TimeZone        *string  `json:"time_zone"`
	DefaultAssignee *string  `json:"default_assignee"`
	RiskMedium      *float64 `json:"risk_medium"`
	RiskHigh        *float64 `json:"risk_high"`
}

// updateSettings changes the tenant's settings; absent fields stay, an
// empty default_assignee clears it.
func (s *Server) updateSettings(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	var req settingsRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	u := tenant.SettingsUpdate{Locale: req.Locale, TimeZone: req.TimeZone, RiskMedium: req.RiskMedium, RiskHigh: req.RiskHigh}
	detail := map[string]any{}
	if req.DefaultAssignee != nil {
		if *req.DefaultAssignee == "" {
			u.ClearDefaultAssignee = true
		} else {
			id, err := uuid.Parse(*req.DefaultAssignee)
			if err != nil {
				return core.Invalid(map[string]string{"default_assignee": "not a user id"})
			}
			u.DefaultAssignee = &id
		}
		detail["default_assignee"] = *req.DefaultAssignee
	}
	if req.Locale != nil {
		detail["locale"] = *req.Locale
	}
	if req.TimeZone != nil {
		detail["time_zone"] = *req.TimeZone
	}
	if req.RiskMedium != nil {
		detail["risk_medium"] = *req.RiskMedium
	}
	if req.RiskHigh != nil {
		detail["risk_high"] = *req.RiskHigh
	}
	st, err := tenant.UpdateSettings(c.UserContext(), s.deps.DB, u)
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditSettings, "settings", detail)
	return c.JSON(st)
}

// listAudit shows the tenant's audit log, newest first, with a cursor.
func (s *Server) listAudit(c *fiber.Ctx) error {
	t, _, err := authParts(c)
	if err != nil {
		return err
	}
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return core.Invalid(map[string]string{"limit": "a number from 1 to 200"})
		}
		limit = n
	}
	p, err := s.deps.Audit.ForTenant(c.UserContext(), t.ID, c.Query("before"), limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
