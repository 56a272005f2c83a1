package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// AuditCustomerMerge is the audit action of a merge.
const AuditCustomerMerge = "customer.merged"

func (s *Server) mergeRoutes() []Route {
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/customers/:id/merge", Tenant: true, Perm: authz.P(authz.Customers, authz.Merge), Handler: s.mergeCustomers},
	}
}

// MergeInput is the body of POST /api/v1/customers/{id}/merge: the
// duplicate folded into the customer of the URL.
type MergeInput struct {
	DuplicateID uuid.UUID `json:"duplicate_id"`
}

func (s *Server) mergeCustomers(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in MergeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.DuplicateID == uuid.Nil {
		return core.Invalid(map[string]string{"duplicate_id": "is required"})
	}
	ctx := c.UserContext()
	ev := s.auditEvent(c, AuditCustomerMerge, id.String())
	res, err := s.apiStore().MergeCustomers(ctx, id, in.DuplicateID, &ev)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// auditEvent starts an audit event of the request's tenant and actor; the
// store writes it in the transaction of the change it describes.
func (s *Server) auditEvent(c *fiber.Ctx, action, target string) tenant.AuditEvent {
	ctx := c.UserContext()
	ev := tenant.AuditEvent{Action: action, Target: target, IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent), Detail: map[string]any{}}
	if t, err := core.TenantFrom(ctx); err == nil {
		id := t.ID
		ev.TenantID = &id
	}
	if a, ok := core.ActorFrom(ctx); ok {
		if a.UserID != uuid.Nil {
			id := a.UserID
			ev.ActorID = &id
		}
		ev.ActorEmail = a.Email
	}
	return ev
}
