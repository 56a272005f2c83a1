package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) groupRoutes() []Route {
	read := authz.P(authz.Groups, authz.Read)
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups", Tenant: true, Perm: read, Handler: s.listGroups},
		{Method: fiber.MethodPost, Path: "/api/v1/groups", Tenant: true, Perm: authz.P(authz.Groups, authz.Create), Handler: s.createGroup},
		{Method: fiber.MethodGet, Path: "/api/v1/groups/:id", Tenant: true, Perm: read, Handler: withID(s.getGroup)},
		{Method: fiber.MethodPatch, Path: "/api/v1/groups/:id", Tenant: true, Perm: authz.P(authz.Groups, authz.Update), Handler: withID(s.updateGroup)},
		{Method: fiber.MethodDelete, Path: "/api/v1/groups/:id", Tenant: true, Perm: authz.P(authz.Groups, authz.Delete), Handler: withID(s.deleteGroup)},
	}
}

// GroupList is the response of GET /api/v1/groups.
type GroupList struct {
	Items []core.Group `json:"items"`
}

func (s *Server) listGroups(c *fiber.Ctx) error {
	gs, err := s.apiStore().Groups(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(GroupList{Items: gs})
}

func (s *Server) createGroup(c *fiber.Ctx) error {
	var in core.GroupInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	g, err := s.apiStore().CreateGroup(c.UserContext(), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/groups/" + g.ID.String())
	return c.Status(fiber.StatusCreated).JSON(g)
}

func (s *Server) getGroup(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	g, err := s.apiStore().Group(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (s *Server) updateGroup(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.GroupUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	g, err := s.apiStore().UpdateGroup(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (s *Server) deleteGroup(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteGroup(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
