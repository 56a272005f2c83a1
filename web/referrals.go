package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// Referrals hang off two customers: created top-level naming both, listed
// top-level or under a customer (role=made|received picks a side).
func (s *Server) referralRoutes() []Route {
	read := authz.P(authz.Referrals, authz.Read)
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/referrals", Tenant: true, Perm: authz.P(authz.Referrals, authz.Create), Handler: s.createReferral},
		{Method: fiber.MethodGet, Path: "/api/v1/referrals", Tenant: true, Perm: read, Handler: s.listReferrals},
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/referrals", Tenant: true, Perm: read, Handler: s.listReferrals},
		{Method: fiber.MethodGet, Path: "/api/v1/referrals/:id", Tenant: true, Perm: read, Handler: s.getReferral},
		{Method: fiber.MethodPatch, Path: "/api/v1/referrals/:id", Tenant: true, Perm: authz.P(authz.Referrals, authz.Update), Handler: s.updateReferral},
		{Method: fiber.MethodDelete, Path: "/api/v1/referrals/:id", Tenant: true, Perm: authz.P(authz.Referrals, authz.Delete), Handler: s.deleteReferral},
	}
}

func (s *Server) createReferral(c *fiber.Ctx) error {
	var u core.ReferralUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	r, err := s.apiStore().CreateReferral(c.UserContext(), u)
	if err != nil {
		return err
	}
	return sendSaved(c, "/api/v1/referrals/", r, true)
}

func (s *Server) listReferrals(c *fiber.Ctx) error {
	var f store.ReferralFilter
	if c.Params("id") != "" {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f.CustomerID = &id
	}
	bad := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key, val := string(k), strings.TrimSpace(string(v))
		switch key {
		case "customer_id":
			id, err := uuid.Parse(val)
			if err != nil || f.CustomerID != nil && c.Params("id") != "" {
				bad[key] = "not a UUID (or not allowed under a customer's URL)"
				return
			}
			f.CustomerID = &id
		case "role":
			if val != "made" && val != "received" {
				bad[key] = "must be made or received"
			}
			f.Role = val
		case "status":
			f.Status = append(f.Status, strings.Split(val, ",")...)
		case "cursor":
			f.Cursor = val
		case "limit":
			n, err := strconv.Atoi(core.FoldDigits(val))
			if err != nil || n < 1 || n > 500 {
				bad[key] = "must be a whole number from 1 to 500"
			}
			f.Limit = n
		default:
			bad[key] = "unknown parameter"
		}
	})
	if len(bad) > 0 {
		return core.Invalid(bad)
	}
	p, err := s.apiStore().Referrals(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) getReferral(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.apiStore().Referral(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) updateReferral(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.ReferralUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	r, err := s.apiStore().UpdateReferral(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) deleteReferral(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteReferral(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
