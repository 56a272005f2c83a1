package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// authParts returns the request's tenant and actor; both are there on
// every tenant route after requireMembership.
func authParts(c *fiber.Ctx) (core.Tenant, core.Actor, error) {
	t, err := core.TenantFrom(c.UserContext())
	if err != nil {
		return core.Tenant{}, core.Actor{}, err
	}
	act, _ := core.ActorFrom(c.UserContext())
	return t, act, nil
}

// authUUIDParam reads a UUID path parameter; anything else is not found.
func authUUIDParam(c *fiber.Ctx, name, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.UUID{}, &core.Error{Code: core.CodeNotFound, Message: what + " not found"}
	}
	return id, nil
}

func (s *Server) auditIn(c *fiber.Ctx, t core.Tenant, act core.Actor, action, target string, detail map[string]any) {
	id := act.UserID
	s.audit(c.UserContext(), tenant.AuditEvent{TenantID: &t.ID, ActorID: &id, ActorEmail: act.Email, Action: action, Target: target,
		Detail: detail, IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
}

// listTokens lists the caller's API tokens in the tenant; ?all=true lists
// everyone's, for those who may revoke any (tokens:manage).
func (s *Server) listTokens(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	owner := &act.UserID
	if c.Query("all") == "true" {
		if err := authz.Check(c.UserContext(), authz.P(authz.Tokens, authz.Manage)); err != nil {
			return err
		}
		owner = nil
	}
	ts, err := s.deps.Users.Tokens(c.UserContext(), t.ID, owner)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []tenant.Token{}
	}
	return c.JSON(tokenList{Tokens: ts})
}

type createTokenRequest struct {
	Name string `json:"name"`
}

// createToken makes an API token for the caller in this tenant. The
// secret is in this response only; the server keeps its SHA-256.
func (s *Server) createToken(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	var req createTokenRequest
	if err := authDecode(c, &req); err != nil {
		return err
	}
	secret, tok, err := s.deps.Users.CreateToken(c.UserContext(), t.ID, act.UserID, req.Name)
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditTokenCreate, tok.ID.String(), map[string]any{"name": tok.Name})
	return c.Status(fiber.StatusCreated).JSON(tokenCreated{Token: tok, Secret: secret})
}

// revokeToken revokes one of the caller's tokens, or anyone's in the
// tenant for holders of tokens:manage. It is dead on the next request.
func (s *Server) revokeToken(c *fiber.Ctx) error {
	t, act, err := authParts(c)
	if err != nil {
		return err
	}
	id, err := authUUIDParam(c, "id", "token")
	if err != nil {
		return err
	}
	owner := &act.UserID
	if authz.Can(c.UserContext(), authz.P(authz.Tokens, authz.Manage)) {
		owner = nil
	}
	tok, err := s.deps.Users.RevokeToken(c.UserContext(), t.ID, id, owner, act.UserID)
	if err != nil {
		return err
	}
	s.auditIn(c, t, act, tenant.AuditTokenRevoke, tok.ID.String(), map[string]any{"name": tok.Name, "owner": tok.UserID})
	return c.SendStatus(fiber.StatusNoContent)
}
