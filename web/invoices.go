package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) invoiceRoutes() []Route {
	st := s.apiStore()
	api := linkedAPI[core.Invoice, core.InvoiceUpdate]{
		noun: "invoices", obj: authz.Invoices, idempotent: true,
		create: func(ctx context.Context, cust uuid.UUID, u core.InvoiceUpdate) (core.Invoice, bool, error) {
			if err := st.CheckCustomer(ctx, cust); err != nil {
				return core.Invoice{}, false, err
			}
			return st.CreateInvoice(ctx, u)
		},
		preCreate: func(cust uuid.UUID, u *core.InvoiceUpdate) error {
			if u.CustomerID != nil && *u.CustomerID != cust {
				return core.Invalid(map[string]string{"customer_id": "must be the customer in the URL (or left out)"})
			}
			u.CustomerID = &cust
			return nil
		},
		get: st.Invoice, list: st.Invoices, update: st.UpdateInvoice, del: st.DeleteInvoice,
	}
	create := func(c *fiber.Ctx) error {
		var u core.InvoiceUpdate
		if err := decodeJSON(c, &u); err != nil {
			return err
		}
		inv, created, err := st.CreateInvoice(c.UserContext(), u)
		if err != nil {
			return err
		}
		return sendSaved(c, "/api/v1/invoices/", inv, created)
	}
	return append([]Route{
		{Method: fiber.MethodPost, Path: "/api/v1/invoices", Tenant: true, Perm: authz.P(authz.Invoices, authz.Create), Handler: s.idempotent(create)},
	}, api.routes(s)...)
}
