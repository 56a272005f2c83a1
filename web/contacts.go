package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) contactRoutes() []Route {
	read := authz.P(authz.Contacts, authz.Read)
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/contacts", Tenant: true, Perm: read, Handler: withID(s.listContacts)},
		{Method: fiber.MethodPost, Path: "/api/v1/customers/:id/contacts", Tenant: true, Perm: authz.P(authz.Contacts, authz.Create), Handler: withID(s.idempotent(s.createContact))},
		{Method: fiber.MethodGet, Path: "/api/v1/contacts/:id", Tenant: true, Perm: read, Handler: withID(s.getContact)},
		{Method: fiber.MethodPatch, Path: "/api/v1/contacts/:id", Tenant: true, Perm: authz.P(authz.Contacts, authz.Update), Handler: withID(s.updateContact)},
		{Method: fiber.MethodDelete, Path: "/api/v1/contacts/:id", Tenant: true, Perm: authz.P(authz.Contacts, authz.Delete), Handler: withID(s.deleteContact)},
	}
}

// ContactList is the response of GET /api/v1/customers/{id}/contacts.
type ContactList struct {
	Items []core.Contact `json:"items"`
}

func (s *Server) listContacts(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ks, err := s.apiStore().Contacts(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ContactList{Items: ks})
}

func (s *Server) createContact(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in core.ContactInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	k, err := s.apiStore().CreateContact(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/contacts/" + k.ID.String())
	return c.Status(fiber.StatusCreated).JSON(k)
}

func (s *Server) getContact(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	k, err := s.apiStore().Contact(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(k)
}

func (s *Server) updateContact(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.ContactUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	k, err := s.apiStore().UpdateContact(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(k)
}

func (s *Server) deleteContact(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteContact(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
