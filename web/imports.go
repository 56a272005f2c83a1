package web

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// Audit actions of imports and exports. The worker writes the import's
// own lines when it ends: committed in the transaction of the rows,
// rejected with the failure.
const (
	AuditImport         = store.AuditImportCommitted
	AuditImportRejected = store.AuditImportRejected
	AuditExport         = "export.downloaded"
)

// Imports are background work (DESIGN §5): POST stores the file and its
// outbox row in one transaction and answers 202; the worker imports it all
// or nothing; GET shows its progress and outcome. Tenant admins and
// managers import (DESIGN §4), and read their tenant's imports.
func (s *Server) importRoutes() []Route {
	perm := authz.P(authz.Imports, authz.Run)
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/imports", Tenant: true, Perm: perm, Handler: s.importFile},
		{Method: fiber.MethodGet, Path: "/api/v1/imports/:id", Tenant: true, Perm: perm, Handler: s.getImport},
	}
}

// importWriteObject is the object whose create permission an import of a
// kind also needs: importing invoices is creating invoices.
var importWriteObject = map[string]authz.Object{
	store.ImportCustomers: authz.Customers, store.ImportContacts: authz.Contacts,
	store.ImportInvoices: authz.Invoices, store.ImportPayments: authz.Payments,
}

// ImportView is an import as the API shows it.
type ImportView struct {
	ID   uuid.UUID `json:"id"`
	Kind string    `json:"kind"`
	// Status is queued, running, succeeded or failed.
	Status   string `json:"status"`
	FileName string `json:"file_name"`
	Format   string `json:"format"`
	FileSize int64  `json:"file_size"`
	// RowsDone of RowsTotal data rows have been checked.
	RowsDone  int `json:"rows_done"`
	RowsTotal int `json:"rows_total"`
	// Created, Updated and Unchanged count the records of a succeeded
	// import; a failed one wrote nothing.
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// BadRows are every bad row of a failed import.
	BadRows []ImportBadRow `json:"bad_rows"`
	// Error says why a failed import failed.
	Error string `json:"error,omitempty"`
	// ScoringRunID is the scoring run a succeeded import requested.
	ScoringRunID *uuid.UUID `json:"scoring_run_id,omitempty"`
	RequestedBy  *uuid.UUID `json:"requested_by,omitempty"`
	RequestedAt  time.Time  `json:"requested_at"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	DurationMS   *int64     `json:"duration_ms,omitempty"`
}

// ImportBadRow is one problem of one row of the file: the row number (the
// header is row 1), the field, the column as the file names it, and what
// is wrong.
type ImportBadRow struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func importView(j store.ImportJob) ImportView {
	v := ImportView{ID: j.ID, Kind: j.Kind, Status: j.Status, FileName: j.FileName, Format: j.Format, FileSize: j.FileSize,
		RowsDone: j.RowsDone, RowsTotal: j.RowsTotal, Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged,
		BadRows: make([]ImportBadRow, len(j.Errors)), Error: j.Error, ScoringRunID: j.ScoringRunID, RequestedBy: j.RequestedBy,
		RequestedAt: j.RequestedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, DurationMS: j.DurationMS}
	for i, e := range j.Errors {
		v.BadRows[i] = ImportBadRow{Row: e.Row, Field: e.Field, Column: e.Column, Message: e.Reason}
	}
	return v
}

// importFile takes multipart form fields kind (customers, contacts,
// invoices, payments), file (CSV or XLSX), optionally format and mapping
// (a JSON object field → column header, or field=Header lines). What can
// be checked without the rows (kind, permission, a readable file, mapped
// columns that exist) is a 422 at once; otherwise the file is stored and
// the answer is 202 with the import, at its Location.
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
	jc, err := s.jobsClient()
	if err != nil {
		return err
	}
	job, err := jc.SubmitImport(ctx, store.ImportSubmission{Kind: kind, FileName: fh.Filename, Format: format, Mapping: mapping, Data: data,
		IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		return err
	}
	c.Location("/api/v1/imports/" + job.ID.String())
	return c.Status(fiber.StatusAccepted).JSON(importView(job))
}

func (s *Server) getImport(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	j, err := s.apiStore().ImportJob(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(importView(j))
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
