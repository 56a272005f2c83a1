package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

// Payments are created top-level (POST /api/v1/payments, naming the
// customer or the invoice by id, number or external ref — the invoice may
// come later) or nested under a customer.
func (s *Server) paymentRoutes() []Route {
	st := s.apiStore()
	api := linkedAPI[core.Payment, core.PaymentUpdate]{
		noun: "payments", obj: authz.Payments, idempotent: true, listParams: []string{"method"},
		create: func(ctx context.Context, cust uuid.UUID, u core.PaymentUpdate) (core.Payment, bool, error) {
			if err := st.CheckCustomer(ctx, cust); err != nil {
				return core.Payment{}, false, err
			}
			return st.CreatePayment(ctx, u)
		},
		preCreate: func(cust uuid.UUID, u *core.PaymentUpdate) error {
			if u.CustomerID != nil && *u.CustomerID != cust {
				return core.Invalid(map[string]string{"customer_id": "must be the customer in the URL (or left out)"})
			}
			u.CustomerID = &cust
			return nil
		},
		get: st.Payment, list: st.Payments, update: st.UpdatePayment, del: st.DeletePayment,
	}
	create := func(c *fiber.Ctx) error {
		var u core.PaymentUpdate
		if err := decodeJSON(c, &u); err != nil {
			return err
		}
		p, created, err := st.CreatePayment(c.UserContext(), u)
		if err != nil {
			return err
		}
		return sendSaved(c, "/api/v1/payments/", p, created)
	}
	return append([]Route{
		{Method: fiber.MethodPost, Path: "/api/v1/payments", Tenant: true, Perm: authz.P(authz.Payments, authz.Create), Handler: s.idempotent(create)},
	}, api.routes(s)...)
}
