package web

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// Exports answer the list's filters and scope as a CSV or XLSX download.
// They are registered before /api/v1/<noun>/:id so "export" is not taken
// for an id.
func (s *Server) exportRoutes() []Route {
	p := authz.P(authz.Exports, authz.Run)
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/customers/export", Tenant: true, Perm: p, Handler: s.exportCustomers},
		{Method: fiber.MethodGet, Path: "/api/v1/invoices/export", Tenant: true, Perm: p, Handler: s.exportLinked("invoices", authz.Invoices)},
		{Method: fiber.MethodGet, Path: "/api/v1/payments/export", Tenant: true, Perm: p, Handler: s.exportLinked("payments", authz.Payments)},
	}
}

// exportFormat reads and removes ?format= (csv by default).
func exportFormat(c *fiber.Ctx) (string, error) {
	format := c.Query("format", "csv")
	c.Context().QueryArgs().Del("format")
	if format != "csv" && format != "xlsx" {
		return "", core.Invalid(map[string]string{"format": "must be csv or xlsx"})
	}
	return format, nil
}

func (s *Server) exportCustomers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := authz.Check(ctx, authz.P(authz.Customers, authz.Read)); err != nil {
		return err
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f, err := customerFilter(c)
	if err != nil {
		return err
	}
	if f.UsesScores() && !canSeeScores(c) {
		return core.Errorf(core.CodeForbidden, "filtering on scores needs scores:read")
	}
	return s.sendExport(c, "customers", format, func(w store.TableWriter) (int, error) {
		return s.apiStore().ExportCustomers(ctx, f, w)
	})
}

func (s *Server) exportLinked(kind string, obj authz.Object) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if err := authz.Check(ctx, authz.P(obj, authz.Read)); err != nil {
			return err
		}
		format, err := exportFormat(c)
		if err != nil {
			return err
		}
		statusName := "status"
		if kind == "payments" {
			statusName = "method"
		}
		f, err := linkFilter(c, true, statusName)
		if err != nil {
			return err
		}
		st := s.apiStore()
		return s.sendExport(c, kind, format, func(w store.TableWriter) (int, error) {
			if kind == "invoices" {
				return st.ExportInvoices(ctx, f, w)
			}
			return st.ExportPayments(ctx, f, w)
		})
	}
}

// sendExport writes the file, audits it and answers it as a download.
func (s *Server) sendExport(c *fiber.Ctx, kind, format string, write func(store.TableWriter) (int, error)) error {
	var buf bytes.Buffer
	w, err := store.NewTableWriter(&buf, format)
	if err != nil {
		return err
	}
	n, err := write(w)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	ev := s.auditEvent(c, AuditExport, kind)
	ev.Detail = map[string]any{"format": format, "rows": n, "query": string(c.Request().URI().QueryString())}
	s.audit(c.UserContext(), ev)
	name := fmt.Sprintf("%s-%s.%s", kind, time.Now().UTC().Format("20060102-150405"), format)
	if format == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set("X-Export-Rows", fmt.Sprint(n))
	return c.Send(buf.Bytes())
}
