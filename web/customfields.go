package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) customFieldRoutes() []Route {
	read := authz.P(authz.CustomFields, authz.Read)
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/custom-fields", Tenant: true, Perm: read, Handler: s.listCustomFields},
		{Method: fiber.MethodPost, Path: "/api/v1/custom-fields", Tenant: true, Perm: authz.P(authz.CustomFields, authz.Create), Handler: s.createCustomField},
		{Method: fiber.MethodGet, Path: "/api/v1/custom-fields/:id", Tenant: true, Perm: read, Handler: withID(s.getCustomField)},
		{Method: fiber.MethodPatch, Path: "/api/v1/custom-fields/:id", Tenant: true, Perm: authz.P(authz.CustomFields, authz.Update), Handler: withID(s.updateCustomField)},
		{Method: fiber.MethodDelete, Path: "/api/v1/custom-fields/:id", Tenant: true, Perm: authz.P(authz.CustomFields, authz.Delete), Handler: withID(s.deleteCustomField)},
	}
}

// CustomFieldList is the response of GET /api/v1/custom-fields.
type CustomFieldList struct {
	Items []core.CustomFieldDef `json:"items"`
}

func (s *Server) listCustomFields(c *fiber.Ctx) error {
	for k := range c.Queries() {
		if k != "entity" {
			return core.Invalid(map[string]string{k: "unknown parameter"})
		}
	}
	ds, err := s.apiStore().CustomFieldDefs(c.UserContext(), c.Query("entity"))
	if err != nil {
		return err
	}
	return c.JSON(CustomFieldList{Items: ds})
}

func (s *Server) createCustomField(c *fiber.Ctx) error {
	var in core.CustomFieldDefInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := s.apiStore().CreateCustomFieldDef(c.UserContext(), in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/custom-fields/" + d.ID.String())
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) getCustomField(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.apiStore().CustomFieldDef(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) updateCustomField(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.CustomFieldDefUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	d, err := s.apiStore().UpdateCustomFieldDef(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) deleteCustomField(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteCustomFieldDef(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
