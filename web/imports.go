package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// Audit actions of imports and exports.
const (
	AuditImport         = "import.committed"
	AuditImportRejected = "import.rejected"
	AuditExport         = "export.downloaded"
)

func (s *Server) importRoutes() []Route {
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/imports", Tenant: true, Perm: authz.P(authz.Imports, authz.Run), Handler: s.importFile},
	}
}

// importWriteObject is the object whose create permission an import of a
// kind also needs: importing invoices is creating invoices.
var importWriteObject = map[string]authz.Object{
	store.ImportCustomers: authz.Customers, store.ImportContacts: authz.Contacts,
	store.ImportInvoices: authz.Invoices, store.ImportPayments: authz.Payments,
}

// ImportRejectedBody is the 422 answer to a file with bad rows: the usual
// error (fields name the first rows) and the whole report.
type ImportRejectedBody struct {
	Error  ErrorDetail        `json:"error"`
	Import store.ImportResult `json:"import"`
}

// importFile takes multipart form fields kind (customers, contacts,
// invoices, payments), file (CSV or XLSX) and optionally mapping (a JSON
// object field → column header, or field=Header lines). It runs
// synchronously and answers the result a background job will later
// report: 200 when committed, 422 with every bad row when rejected.
func (s *Server) importFile(c *fiber.Ctx) error {
	ctx := c.UserContext()
	kind := strings.TrimSpace(c.FormValue("kind"))
	obj, ok := importWriteObject[kind]
	if !ok {
		return core.Invalid(map[string]string{"kind": "must be customers, contacts, invoices or payments"})
	}
	if err := authz.Check(ctx, authz.P(obj, authz.Create)); err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return core.Invalid(map[string]string{"file": "attach the CSV or XLSX file as the multipart field file"})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	format := strings.ToLower(strings.TrimSpace(c.FormValue("format")))
	if format == "" {
		format = "csv"
		if strings.HasSuffix(strings.ToLower(fh.Filename), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			format = "xlsx"
		}
	}
	mapping, err := parseImportMapping(c.FormValue("mapping"))
	if err != nil {
		return err
	}
	tbl, err := store.ReadTable(bytes.NewReader(data), format)
	if err != nil {
		return err
	}
	ev := s.auditEvent(c, AuditImport, kind)
	ev.Detail["file"], ev.Detail["format"] = fh.Filename, format
	res, err := s.apiStore().Import(ctx, store.ImportRequest{Kind: kind, Mapping: mapping, Table: tbl, Audit: &ev})
	if err != nil {
		return err
	}
	if res.Status == store.ImportRejected {
		rej := s.auditEvent(c, AuditImportRejected, kind)
		rej.Detail = map[string]any{"import_id": res.ID, "file": fh.Filename, "rows": res.Rows, "bad_rows": len(res.Errors)}
		s.audit(ctx, rej)
		fields := map[string]string{}
		for i, e := range res.Errors {
			if i == 20 {
				break
			}
			fields[fmt.Sprintf("row %d: %s", e.Row, e.Column)] = e.Reason
		}
		msg := fmt.Sprintf("%d problems in the file; nothing was imported", len(res.Errors))
		return c.Status(fiber.StatusUnprocessableEntity).JSON(ImportRejectedBody{
			Error: ErrorDetail{Code: core.CodeInvalid, Message: msg, Fields: fields}, Import: res})
	}
	return c.JSON(res)
}

func parseImportMapping(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "{") {
		var m map[string]string
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, core.Invalid(map[string]string{"mapping": "must be a JSON object of field → column header"})
		}
		return m, nil
	}
	return store.ParseMapping(s)
}
