package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/xuri/excelize/v2"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// Import kinds.
const (
	ImportCustomers = "customers"
	ImportContacts  = "contacts"
	ImportInvoices  = "invoices"
	ImportPayments  = "payments"
)

// ImportColumns are the fields each kind reads, in export order. A file
// names them in its header row (case-insensitive) or a mapping renames
// them; customers also read custom fields as cf.<key> columns.
var ImportColumns = map[string][]string{
	ImportCustomers: {"external_ref", "name", "email", "phone", "website", "vat_id", "status", "source", "owner_id",
		"billing_street", "billing_city", "billing_province", "billing_postal_code", "billing_country",
		"shipping_street", "shipping_city", "shipping_province", "shipping_postal_code", "shipping_country",
		"value_added_deals", "groups", "specialties"},
	ImportContacts: {"customer_ref", "customer_id", "external_ref", "first_name", "last_name", "email", "phone", "title", "primary"},
	ImportInvoices: {"customer_ref", "customer_id", "number", "kind", "issued_on", "due_on", "currency", "total", "cancelled", "external_ref",
		"line_product", "line_category", "line_quantity", "line_unit_price"},
	ImportPayments: {"customer_ref", "customer_id", "invoice_number", "invoice_ref", "amount", "currency", "paid_on", "method", "transaction_id", "external_ref"},
}

// ListSeparator joins many values in one cell (groups, specialties).
const ListSeparator = "; "

// Table is a file's rows: the header and the data rows. Row numbers in
// reports are the file's own: the header is row 1.
type Table struct {
	Header []string
	Rows   [][]string
}

// ImportRowError is one problem of one row.
type ImportRowError struct {
	Row int `json:"row"`
	// Field is the import field (see ImportColumns) the problem is about;
	// Column names it as the file does (its header, after any mapping).
	Field  string `json:"field"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// ImportResult is the outcome of an import; a background job will report
// the same shape. Status is "committed" (everything written) or "rejected"
// (nothing written; Errors has every bad row).
type ImportResult struct {
	ID         uuid.UUID        `json:"id"`
	Kind       string           `json:"kind"`
	Status     string           `json:"status"`
	Rows       int              `json:"rows"`
	Created    int              `json:"created"`
	Updated    int              `json:"updated"`
	Unchanged  int              `json:"unchanged"`
	Errors     []ImportRowError `json:"errors"`
	DurationMS int64            `json:"duration_ms"`
}

// Import statuses.
const (
	ImportCommitted = "committed"
	ImportRejected  = "rejected"
)

// MaxImportErrors bounds the errors reported for one file: enough to name
// every bad row of any sensible file without answering megabytes.
const MaxImportErrors = 10000

// ImportRequest says what to import.
type ImportRequest struct {
	Kind string
	// Mapping renames fields to the file's headers: field → header; an
	// empty header leaves a field out even when the file has its column.
	Mapping map[string]string
	Table   Table
	// Audit, when set, is written in the import's transaction.
	Audit *tenant.AuditEvent
}

// Import loads a table all or nothing: every row is checked first and a
// file with any bad row reports every one of them (row, column, reason)
// and writes nothing; otherwise every row is written in one transaction
// (rows whose external_ref is known update that record), and the
// customers' facts follow. A cancelled context rolls everything back.
//
// Import runs in the caller; the API and the CLI go through SubmitImport
// and RunImport, which keep the file and the outcome in imports.
func (s *Store) Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	return s.importTable(ctx, req, core.NewID(), importHooks{})
}

// importHooks let RunImport report progress and record the outcome in the
// import's own transaction.
type importHooks struct {
	// progress is told how many rows have been checked, now and then.
	progress func(done int)
	// commit runs last in the import's transaction when every row is good.
	commit func(tx *sqlx.Tx, res *ImportResult) error
}

func (s *Store) importTable(ctx context.Context, req ImportRequest, id uuid.UUID, hooks importHooks) (ImportResult, error) {
	start := time.Now()
	res := ImportResult{ID: id, Kind: req.Kind, Errors: []ImportRowError{}, Rows: len(req.Table.Rows)}
	cols, ok := ImportColumns[req.Kind]
	if !ok {
		return res, core.Invalid(map[string]string{"kind": "must be customers, contacts, invoices or payments"})
	}
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return res, err
	}
	ix, err := newImportIndex(req.Kind, cols, req.Mapping, req.Table.Header)
	if err != nil {
		return res, err
	}
	im := &importer{ctx: ctx, sc: sc, ix: ix, res: &res, progress: hooks.progress}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		im.tx = tx
		var err error
		switch req.Kind {
		case ImportCustomers:
			err = im.customers(req.Table.Rows)
		case ImportContacts:
			err = im.contacts(req.Table.Rows)
		case ImportInvoices:
			err = im.invoices(req.Table.Rows)
		case ImportPayments:
			err = im.payments(req.Table.Rows)
		}
		if err != nil {
			return err
		}
		if len(res.Errors) > 0 {
			return errImportRejected
		}
		if req.Audit != nil {
			ev := *req.Audit
			ev.Detail = map[string]any{"import_id": res.ID, "kind": res.Kind, "rows": res.Rows, "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged}
			if err := tenant.RecordAudit(ctx, tx, ev); err != nil {
				return fmt.Errorf("audit import: %w", err)
			}
		}
		if hooks.commit != nil {
			res.DurationMS = time.Since(start).Milliseconds()
			res.Status = ImportCommitted
			return hooks.commit(tx, &res)
		}
		return nil
	})
	res.DurationMS = time.Since(start).Milliseconds()
	sort.SliceStable(res.Errors, func(i, j int) bool { return res.Errors[i].Row < res.Errors[j].Row })
	if errors.Is(err, errImportRejected) {
		res.Status, res.Created, res.Updated, res.Unchanged = ImportRejected, 0, 0, 0
		if len(res.Errors) > MaxImportErrors {
			res.Errors = res.Errors[:MaxImportErrors]
		}
		return res, nil
	}
	if err != nil {
		res.Status = ""
		return res, err
	}
	res.Status = ImportCommitted
	return res, nil
}

var errImportRejected = errors.New("import rejected")

// importIndex finds each field's column.
type importIndex struct {
	header []string
	col    map[string]int // field → column index
	custom map[string]int // custom field key → column index
}

func newImportIndex(kind string, fields []string, mapping map[string]string, header []string) (*importIndex, error) {
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f] = true
	}
	ix := &importIndex{header: header, col: map[string]int{}, custom: map[string]int{}}
	bad := map[string]string{}
	for f, h := range mapping {
		if !known[f] && !(kind == ImportCustomers && strings.HasPrefix(f, "cf.")) {
			bad["mapping."+f] = "not a field of " + kind
			continue
		}
		if strings.TrimSpace(h) == "" {
			continue // an empty header leaves the field out
		}
		i, ok := pos[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			bad["mapping."+f] = fmt.Sprintf("the file has no column %q", h)
			continue
		}
		if strings.HasPrefix(f, "cf.") {
			ix.custom[strings.TrimPrefix(f, "cf.")] = i
		} else {
			ix.col[f] = i
		}
	}
	for _, f := range fields {
		if _, mapped := mapping[f]; mapped {
			continue
		}
		if i, ok := pos[f]; ok {
			ix.col[f] = i
		}
	}
	if kind == ImportCustomers {
		for h, i := range pos {
			if key, ok := strings.CutPrefix(h, "cf."); ok {
				if _, mapped := mapping[h]; !mapped {
					ix.custom[key] = i
				}
			}
		}
	}
	if len(bad) > 0 {
		return nil, core.Invalid(bad)
	}
	if len(ix.col) == 0 && len(ix.custom) == 0 {
		return nil, core.Invalid(map[string]string{"file": "no column of the file names a field of " + kind + " (" + strings.Join(fields, ", ") + ")"})
	}
	return ix, nil
}

// importer carries one import's transaction and report.
type importer struct {
	ctx context.Context
	tx  *sqlx.Tx
	sc  lrScope
	ix  *importIndex
	res *ImportResult
	// progress, when set, is told how many rows have been checked.
	progress func(done int)
}

// importProgressEvery is how many rows pass between progress reports.
const importProgressEvery = 1000

// tick reports progress every importProgressEvery rows; i is the index of
// the row about to be checked.
func (im *importer) tick(i int) {
	if im.progress != nil && i > 0 && i%importProgressEvery == 0 {
		im.progress(i)
	}
}

// row is one data row being read.
type row struct {
	im    *importer
	cells []string
	n     int // the file's row number
}

func (im *importer) row(cells []string, i int) row { return row{im: im, cells: cells, n: i + 2} }

func (r row) has(field string) bool { _, ok := r.im.ix.col[field]; return ok }

// str is a cell's text, trimmed, with export neutralisation undone.
func (r row) str(field string) string {
	i, ok := r.im.ix.col[field]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return UnneutraliseCell(strings.TrimSpace(r.cells[i]))
}

func (r row) fail(field, reason string) {
	r.im.res.Errors = append(r.im.res.Errors, ImportRowError{Row: r.n, Field: field, Column: r.im.column(field), Reason: reason})
}

// column names a field as the file does.
func (im *importer) column(field string) string {
	if i, ok := im.ix.col[field]; ok {
		return im.headerName(i, field)
	}
	return field
}

func (im *importer) headerName(i int, field string) string {
	if i < len(im.ix.header) {
		if h := strings.TrimSpace(strings.TrimPrefix(im.ix.header[i], "\ufeff")); h != "" {
			return h
		}
	}
	return field
}

func (r row) money(field, currency string) (int64, bool) {
	v, err := core.ParseMoney(r.str(field), currency)
	if err != nil {
		r.fail(field, moneyReason(err, currency))
		return 0, false
	}
	return v, true
}

func moneyReason(err error, currency string) string {
	if errors.Is(err, core.ErrTooManyDecimals) {
		exp, _ := core.CurrencyExponent(currency)
		return fmt.Sprintf("too many decimals for %s (%d)", currency, exp)
	}
	return err.Error()
}

func (r row) date(field string, required bool) (*core.Date, bool) {
	s := r.str(field)
	if s == "" {
		if required {
			r.fail(field, "is required")
			return nil, false
		}
		return nil, true
	}
	d, err := core.ParseDate(s)
	if err != nil {
		r.fail(field, "not a date (YYYY-MM-DD)")
		return nil, false
	}
	return &d, true
}

func (r row) boolean(field string) (bool, bool) {
	switch strings.ToLower(r.str(field)) {
	case "", "false", "0", "no", "n", "خیر":
		return false, true
	case "true", "1", "yes", "y", "بله":
		return true, true
	}
	r.fail(field, "must be true or false")
	return false, false
}

func (r row) ref(field string) *string {
	s := r.str(field)
	if s == "" {
		return nil
	}
	return &s
}

// ---- customers ----

func (im *importer) customers(rows [][]string) error {
	ctx, tx := im.ctx, im.tx
	groups := map[string]uuid.UUID{}
	var gs []struct {
		ID   uuid.UUID `db:"id"`
		Name string    `db:"name"`
	}
	if err := tx.SelectContext(ctx, &gs, `select id, name from groups`); err != nil {
		return err
	}
	for _, g := range gs {
		groups[strings.ToLower(g.Name)] = g.ID
	}
	defs, err := customFieldDefs(ctx, tx, "customer")
	if err != nil {
		return err
	}
	multi := map[string]bool{}
	for _, d := range defs {
		multi[d.Key] = d.Type == core.FieldMultiSelect
	}
	// Existing customers by external ref, in one query.
	refs := map[string]uuid.UUID{}
	var wanted []string
	for i, cells := range rows {
		if ref := im.row(cells, i).str("external_ref"); ref != "" {
			wanted = append(wanted, ref)
		}
	}
	if err := lrLookup(ctx, tx, `select external_ref, id from customers where external_ref = any($1)`, wanted, refs); err != nil {
		return err
	}
	seenRef := map[string]int{}
	for i, cells := range rows {
		im.tick(i)
		r := im.row(cells, i)
		if err := im.ctx.Err(); err != nil {
			return err
		}
		ref := r.str("external_ref")
		if ref != "" {
			if first, dup := seenRef[ref]; dup {
				r.fail("external_ref", fmt.Sprintf("also on row %d", first))
				continue
			}
			seenRef[ref] = r.n
		}
		var in core.CustomerInput
		var id uuid.UUID
		existing, isUpdate := refs[ref]
		if isUpdate {
			c, _, err := getCustomer(ctx, tx, existing, true)
			if core.ErrorCode(err) == core.CodeNotFound {
				r.fail("external_ref", "names a customer you may not change")
				continue
			}
			if err != nil {
				return err
			}
			in, id = c.Input(), existing
		} else {
			id = core.NewID()
		}
		before := lrJSONOf(in)
		set := func(field string, dst *string) {
			if r.has(field) {
				*dst = r.str(field)
			}
		}
		set("name", &in.Name)
		set("email", &in.Email)
		set("phone", &in.Phone)
		set("website", &in.Website)
		set("vat_id", &in.VATID)
		set("source", &in.Source)
		if r.has("status") {
			in.Status = core.CustomerStatus(strings.ToLower(r.str("status")))
		}
		if in.Billing == nil {
			in.Billing = &core.Address{}
		}
		if in.Shipping == nil {
			in.Shipping = &core.Address{}
		}
		for _, a := range []struct {
			p    string
			addr *core.Address
		}{{"billing_", in.Billing}, {"shipping_", in.Shipping}} {
			set(a.p+"street", &a.addr.Street)
			set(a.p+"city", &a.addr.City)
			set(a.p+"province", &a.addr.Province)
			set(a.p+"postal_code", &a.addr.PostalCode)
			set(a.p+"country", &a.addr.Country)
		}
		if ref != "" {
			in.ExternalRef = &ref
		}
		ok := true
		if r.has("owner_id") {
			in.OwnerID = nil
			if s := r.str("owner_id"); s != "" {
				u, err := uuid.Parse(s)
				if err != nil {
					r.fail("owner_id", "not a UUID")
					ok = false
				} else {
					in.OwnerID = &u
				}
			}
		}
		if r.has("value_added_deals") {
			in.ValueAddedDeals = 0
			if s := r.str("value_added_deals"); s != "" {
				n, err := core.ParseInteger(s)
				// A negative count is Normalize's to report.
				if err != nil || n > 1<<31-1 {
					r.fail("value_added_deals", "must be a whole number")
					ok = false
				}
				in.ValueAddedDeals = int(n)
			}
		}
		if r.has("groups") {
			in.GroupIDs = nil
			for _, name := range splitList(r.str("groups")) {
				gid, found := groups[strings.ToLower(name)]
				if !found {
					r.fail("groups", fmt.Sprintf("no group named %q", name))
					ok = false
					continue
				}
				in.GroupIDs = append(in.GroupIDs, gid)
			}
		}
		if r.has("specialties") {
			in.Specialties = splitList(r.str("specialties"))
		}
		if len(im.ix.custom) > 0 && in.Custom == nil {
			in.Custom = map[string]any{}
		}
		for key, i := range im.ix.custom {
			v := ""
			if i < len(cells) {
				v = UnneutraliseCell(strings.TrimSpace(cells[i]))
			}
			switch {
			case v == "":
				delete(in.Custom, key)
			case multi[key]:
				var vs []any
				for _, e := range splitList(v) {
					vs = append(vs, e)
				}
				in.Custom[key] = vs
			default:
				in.Custom[key] = v
			}
		}
		f := in.Normalize()
		if err := prepareCustomer(ctx, tx, &in, f, true); err != nil {
			return err
		}
		for field, msg := range f {
			r.fail(customerColumn(field), msg)
			ok = false
		}
		if !ok || len(im.res.Errors) > 0 {
			continue // nothing is written once any row failed
		}
		if isUpdate && lrJSONOf(in) == before {
			im.res.Unchanged++
			continue
		}
		if err := writeImportedCustomer(ctx, tx, id, &in, !isUpdate); err != nil {
			if ce := (*core.Error)(nil); errors.As(err, &ce) && ce.Code != core.CodeInternal {
				r.fail("external_ref", ce.Message)
				continue
			}
			return err
		}
		if isUpdate {
			im.res.Updated++
		} else {
			im.res.Created++
		}
	}
	return nil
}

// customerColumn turns a customer field message key into a column name.
func customerColumn(field string) string {
	field = strings.Replace(field, "_address.", "_", 1)
	field = strings.TrimPrefix(field, "custom.")
	if strings.HasPrefix(field, "specialties.") {
		return "specialties"
	}
	if field == "group_ids" {
		return "groups"
	}
	return field
}

func writeImportedCustomer(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, in *core.CustomerInput, insert bool) error {
	custom, err := cuCustomJSON(in.Custom)
	if err != nil {
		return err
	}
	b, sh := in.Billing, in.Shipping
	args := []any{id, in.Name, in.Email, in.Phone, in.Website, in.VATID, in.Status, in.OwnerID, in.Source,
		b.Street, b.City, b.Province, b.PostalCode, b.Country,
		sh.Street, sh.City, sh.Province, sh.PostalCode, sh.Country,
		in.ValueAddedDeals, custom, in.SearchText(), in.ExternalRef}
	if insert {
		_, err = tx.ExecContext(ctx, `insert into customers (id, name, email, phone, website, vat_id, status, owner_id, source,
			billing_street, billing_city, billing_province, billing_postal_code, billing_country,
			shipping_street, shipping_city, shipping_province, shipping_postal_code, shipping_country,
			value_added_deals, custom, search_norm, external_ref)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`, args...)
	} else {
		_, err = tx.ExecContext(ctx, `update customers set name = $2, email = $3, phone = $4, website = $5, vat_id = $6, status = $7,
			owner_id = $8, source = $9, billing_street = $10, billing_city = $11, billing_province = $12, billing_postal_code = $13,
			billing_country = $14, shipping_street = $15, shipping_city = $16, shipping_province = $17, shipping_postal_code = $18,
			shipping_country = $19, value_added_deals = $20, custom = $21, search_norm = $22, external_ref = $23, updated_at = now()
			where id = $1`, args...)
	}
	if err != nil {
		return lrUnique(err, "external_ref already used")
	}
	return writeCustomerLinks(ctx, tx, id, in)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lrJSONOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// lrLookup fills out with key → id pairs for the wanted keys.
func lrLookup(ctx context.Context, tx *sqlx.Tx, q string, wanted []string, out map[string]uuid.UUID) error {
	if len(wanted) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, q, pq.Array(wanted))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var id uuid.UUID
		if err := rows.Scan(&k, &id); err != nil {
			return err
		}
		out[k] = id
	}
	return rows.Err()
}

// ---- customers referenced by contacts, invoices and payments ----

// customerResolver finds the customer a row names: customer_ref (the
// customer's external_ref) when given, else customer_id; only customers
// the actor may see.
type customerResolver struct {
	byRef map[string]uuid.UUID
	byID  map[uuid.UUID]bool
}

func (im *importer) resolver(rows [][]string) (*customerResolver, error) {
	cr := &customerResolver{byRef: map[string]uuid.UUID{}, byID: map[uuid.UUID]bool{}}
	var refs, ids []string
	for i, cells := range rows {
		r := im.row(cells, i)
		if s := r.str("customer_ref"); s != "" {
			refs = append(refs, s)
		} else if s := r.str("customer_id"); s != "" {
			if _, err := uuid.Parse(s); err == nil {
				ids = append(ids, s)
			}
		}
	}
	scoped := ` and (not $2::boolean or owner_id = $3::uuid)`
	if len(refs) > 0 {
		rs, err := im.tx.QueryContext(im.ctx, `select external_ref, id from customers where external_ref = any($1)`+scoped, pq.Array(refs), im.sc.own, im.sc.user)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var k string
			var id uuid.UUID
			if err := rs.Scan(&k, &id); err != nil {
				rs.Close()
				return nil, err
			}
			cr.byRef[k] = id
		}
		rs.Close()
	}
	if len(ids) > 0 {
		var found []uuid.UUID
		if err := im.tx.SelectContext(im.ctx, &found, `select id from customers where id = any($1::uuid[])`+scoped, pq.Array(ids), im.sc.own, im.sc.user); err != nil {
			return nil, err
		}
		for _, id := range found {
			cr.byID[id] = true
		}
	}
	return cr, nil
}

// customer returns the row's customer; required reports a missing one.
func (cr *customerResolver) customer(r row, required bool) (*uuid.UUID, bool) {
	if s := r.str("customer_ref"); s != "" {
		id, ok := cr.byRef[s]
		if !ok {
			r.fail("customer_ref", fmt.Sprintf("no customer with external_ref %q", s))
			return nil, false
		}
		return &id, true
	}
	if s := r.str("customer_id"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil || !cr.byID[id] {
			r.fail("customer_id", "no such customer")
			return nil, false
		}
		return &id, true
	}
	if required {
		r.fail("customer_ref", "name the customer (customer_ref or customer_id)")
		return nil, false
	}
	return nil, true
}

// ---- contacts ----

func (im *importer) contacts(rows [][]string) error {
	ctx, tx := im.ctx, im.tx
	cr, err := im.resolver(rows)
	if err != nil {
		return err
	}
	refs := map[string]uuid.UUID{}
	var wanted []string
	for i, cells := range rows {
		if s := im.row(cells, i).str("external_ref"); s != "" {
			wanted = append(wanted, s)
		}
	}
	if err := lrLookup(ctx, tx, `select external_ref, id from contacts where external_ref = any($1)`, wanted, refs); err != nil {
		return err
	}
	now := time.Now()
	touched := map[uuid.UUID]bool{}
	for i, cells := range rows {
		im.tick(i)
		r := im.row(cells, i)
		if err := ctx.Err(); err != nil {
			return err
		}
		cust, ok := cr.customer(r, true)
		primary, okp := r.boolean("primary")
		if !ok || !okp {
			continue
		}
		in := core.ContactInput{FirstName: r.str("first_name"), LastName: r.str("last_name"), Email: r.str("email"),
			Phone: r.str("phone"), Title: r.str("title"), Primary: primary, ExternalRef: r.ref("external_ref")}
		c := core.NewContact(*cust, in, now)
		existing, isUpdate := refs[r.str("external_ref")]
		if isUpdate {
			c.ID = existing
		}
		f := c.Normalize(now)
		if err := prepareContact(ctx, tx, &c, f); err != nil {
			return err
		}
		for field, msg := range f {
			r.fail(field, msg)
		}
		if len(im.res.Errors) > 0 {
			continue
		}
		if isUpdate {
			var owner uuid.UUID
			if err := tx.GetContext(ctx, &owner, `select customer_id from contacts where id = $1`, existing); err != nil {
				return err
			}
			if owner != *cust {
				r.fail("external_ref", "names a contact of another customer")
				continue
			}
		}
		if !c.Primary && !touched[*cust] && !isUpdate {
			var has bool
			if err := tx.GetContext(ctx, &has, `select exists (select 1 from contacts where customer_id = $1)`, *cust); err != nil {
				return err
			}
			c.Primary = !has
		}
		touched[*cust] = true
		if err := writeContact(ctx, tx, &c, !isUpdate); err != nil {
			if ce := (*core.Error)(nil); errors.As(err, &ce) && ce.Code != core.CodeInternal {
				r.fail("external_ref", ce.Message)
				continue
			}
			return err
		}
		if isUpdate {
			im.res.Updated++
		} else {
			im.res.Created++
		}
	}
	return nil
}

// ---- invoices ----

// importedInvoice is one invoice gathered from its rows (one per line).
type importedInvoice struct {
	inv      core.Invoice
	firstRow int
	key      string // invoice-level cells, which every row must repeat
	existing *uuid.UUID
	hasTotal bool
}

func (im *importer) invoices(rows [][]string) error {
	ctx, tx := im.ctx, im.tx
	cr, err := im.resolver(rows)
	if err != nil {
		return err
	}
	var order []string
	byNumber := map[string]*importedInvoice{}
	for i, cells := range rows {
		im.tick(i)
		r := im.row(cells, i)
		number := r.str("number")
		if number == "" {
			r.fail("number", "is required")
			continue
		}
		key := strings.Join([]string{r.str("customer_ref"), r.str("customer_id"), r.str("kind"), r.str("issued_on"), r.str("due_on"),
			r.str("currency"), r.str("total"), r.str("cancelled"), r.str("external_ref")}, "\x00")
		ii := byNumber[number]
		if ii == nil {
			ii = &importedInvoice{firstRow: r.n, key: key}
			byNumber[number] = ii
			order = append(order, number)
			inv := &ii.inv
			inv.ID, inv.Number, inv.Kind, inv.Status, inv.Lines = core.NewID(), number, "invoice", "unpaid", []core.InvoiceLine{}
			cust, ok := cr.customer(r, true)
			if ok {
				inv.CustomerID = *cust
			}
			if k := strings.ToLower(r.str("kind")); k != "" {
				inv.Kind = k
			}
			inv.Currency = strings.ToUpper(r.str("currency"))
			if _, known := core.CurrencyExponent(inv.Currency); !known {
				r.fail("currency", "must be a known ISO 4217 code")
			}
			if d, ok := r.date("issued_on", true); ok && d != nil {
				inv.IssuedOn = *d
			}
			if d, ok := r.date("due_on", false); ok {
				inv.DueOn = d
			}
			if cancelled, ok := r.boolean("cancelled"); ok && cancelled {
				inv.Status = "cancelled"
			}
			inv.ExternalRef = r.ref("external_ref")
			if s := r.str("total"); s != "" {
				if _, known := core.CurrencyExponent(inv.Currency); known {
					if v, ok := r.money("total", inv.Currency); ok {
						inv.Total, ii.hasTotal = v, true
					}
				}
			}
		} else if ii.key != key {
			r.fail("number", fmt.Sprintf("the invoice's own columns differ from its row %d", ii.firstRow))
			continue
		}
		// A line, when the row has one.
		if r.str("line_product") != "" || r.str("line_quantity") != "" || r.str("line_unit_price") != "" {
			l := core.InvoiceLine{Position: len(ii.inv.Lines) + 1, Product: r.str("line_product"), Category: r.str("line_category"), Quantity: core.NewQuantity(1)}
			if s := r.str("line_quantity"); s != "" {
				q, err := core.ParseQuantity(s)
				if err != nil {
					r.fail("line_quantity", err.Error())
				}
				l.Quantity = q
			}
			if _, known := core.CurrencyExponent(ii.inv.Currency); known {
				if v, ok := r.money("line_unit_price", ii.inv.Currency); ok {
					l.UnitPrice = v
				}
			}
			l.Amount = l.Quantity.Times(l.UnitPrice)
			ii.inv.Lines = append(ii.inv.Lines, l)
		}
	}
	// Invoice-level checks, and which invoices exist already.
	var numbers, refs []string
	for _, number := range order {
		ii := byNumber[number]
		if !ii.hasTotal {
			ii.inv.Total = ii.inv.LinesTotal()
		}
		numbers = append(numbers, number)
		if ii.inv.ExternalRef != nil {
			refs = append(refs, *ii.inv.ExternalRef)
		}
		if err := ii.inv.Validate(); err != nil {
			var ce *core.Error
			if errors.As(err, &ce) {
				for field, msg := range ce.Fields {
					if field == "customer_id" || field == "currency" || field == "issued_on" {
						continue // reported by the row already
					}
					im.res.Errors = append(im.res.Errors, ImportRowError{Row: ii.firstRow, Field: invoiceColumn(field), Column: im.column(invoiceColumn(field)), Reason: msg})
				}
			}
		}
	}
	existingByRef := map[string]uuid.UUID{}
	if err := lrLookup(ctx, tx, `select external_ref, id from invoices where external_ref = any($1)`, refs, existingByRef); err != nil {
		return err
	}
	existingByNumber := map[string]uuid.UUID{}
	if err := lrLookup(ctx, tx, `select number, id from invoices where number = any($1)`, numbers, existingByNumber); err != nil {
		return err
	}
	for _, number := range order {
		ii := byNumber[number]
		if ii.inv.ExternalRef != nil {
			if id, ok := existingByRef[*ii.inv.ExternalRef]; ok {
				ii.existing = &id
			}
		}
		if id, ok := existingByNumber[number]; ok && (ii.existing == nil || *ii.existing != id) {
			im.res.Errors = append(im.res.Errors, ImportRowError{Row: ii.firstRow, Field: "number", Column: im.column("number"), Reason: "already used by another invoice"})
		}
	}
	if len(im.res.Errors) > 0 {
		return ctx.Err()
	}
	// Write: updates one by one through the store's own path, new
	// invoices and their lines with COPY.
	var fresh []*core.Invoice
	touched := map[uuid.UUID]bool{}
	for _, number := range order {
		ii := byNumber[number]
		touched[ii.inv.CustomerID] = true
		if ii.existing == nil {
			fresh = append(fresh, &ii.inv)
			continue
		}
		var cur core.Invoice
		if err := im.sc.loadInvoice(ctx, tx, &cur, *ii.existing, true); err != nil {
			im.res.Errors = append(im.res.Errors, ImportRowError{Row: ii.firstRow, Field: "external_ref", Column: im.column("external_ref"), Reason: "names an invoice you may not change"})
			continue
		}
		touched[cur.CustomerID] = true
		want := ii.inv
		want.ID, want.PaidTotal, want.CreatedAt, want.UpdatedAt = cur.ID, cur.PaidTotal, cur.CreatedAt, cur.UpdatedAt
		if want.Status != "cancelled" {
			want.Status = cur.Status
			if cur.Status == "cancelled" {
				want.Status = "unpaid"
			}
		}
		if lrSame(cur, want) {
			im.res.Unchanged++
			continue
		}
		lines := make([]core.InvoiceLineData, len(want.Lines))
		for i, l := range want.Lines {
			lines[i] = core.InvoiceLineData{Product: l.Product, Category: l.Category, Quantity: l.Quantity, UnitPrice: l.UnitPrice}
		}
		cancelled := want.Status == "cancelled"
		u := core.InvoiceUpdate{CustomerID: &want.CustomerID, Number: &want.Number, Kind: &want.Kind, IssuedOn: &want.IssuedOn,
			DueOn: lrDateOrZero(want.DueOn), Currency: &want.Currency, Total: &want.Total, Cancelled: &cancelled, Lines: &lines}
		if err := im.sc.saveInvoice(ctx, tx, &cur, u, false); err != nil {
			return err
		}
		im.res.Updated++
	}
	if len(im.res.Errors) > 0 {
		return nil
	}
	if err := copyInvoices(ctx, tx, fresh); err != nil {
		return err
	}
	im.res.Created += len(fresh)
	if len(fresh) > 0 {
		ids := make([]string, len(fresh))
		for i, inv := range fresh {
			ids[i] = inv.ID.String()
		}
		// Payments that came first and named these invoices.
		if _, err := tx.ExecContext(ctx, `update payments p set invoice_id = i.id, customer_id = i.customer_id, updated_at = now()
			from invoices i
			where i.id = any($1::uuid[]) and p.invoice_id is null and p.currency = i.currency
			  and (p.customer_id is null or p.customer_id = i.customer_id)
			  and ((p.invoice_number <> '' and p.invoice_number = i.number) or (p.invoice_ref <> '' and p.invoice_ref = i.external_ref))`, pq.Array(ids)); err != nil {
			return fmt.Errorf("link waiting payments: %w", err)
		}
	}
	return RecomputeFactsTx(ctx, tx, lrKeys(touched))
}

func lrDateOrZero(d *core.Date) *core.Date {
	if d == nil {
		return &core.Date{}
	}
	return d
}

func lrKeys(m map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		if id != uuid.Nil {
			out = append(out, id)
		}
	}
	return out
}

func invoiceColumn(field string) string {
	if strings.HasPrefix(field, "lines[") {
		if i := strings.Index(field, "]."); i > 0 {
			return "line_" + field[i+2:]
		}
	}
	return field
}

// copyInvoices writes new invoices and their lines with COPY (in the
// scoped transaction: pq.CopyIn cannot take a qualified table name).
func copyInvoices(ctx context.Context, tx *sqlx.Tx, invs []*core.Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, pq.CopyIn("invoices", "id", "customer_id", "number", "kind", "credit_of", "issued_on", "due_on", "currency", "total", "status", "external_ref"))
	if err != nil {
		return fmt.Errorf("copy invoices: %w", err)
	}
	for _, inv := range invs {
		var due any
		if inv.DueOn != nil {
			due = inv.DueOn.String()
		}
		if _, err := st.ExecContext(ctx, inv.ID, inv.CustomerID, inv.Number, inv.Kind, inv.CreditOf, inv.IssuedOn.String(), due, inv.Currency, inv.Total, inv.Status, inv.ExternalRef); err != nil {
			st.Close()
			return fmt.Errorf("copy invoices: %w", err)
		}
	}
	if _, err := st.ExecContext(ctx); err != nil {
		st.Close()
		return lrUnique(fmt.Errorf("copy invoices: %w", err), "invoice number or external_ref already used")
	}
	if err := st.Close(); err != nil {
		return err
	}
	st, err = tx.PrepareContext(ctx, pq.CopyIn("invoice_lines", "id", "invoice_id", "position", "product", "category", "quantity", "unit_price", "amount"))
	if err != nil {
		return fmt.Errorf("copy invoice lines: %w", err)
	}
	for _, inv := range invs {
		for _, l := range inv.Lines {
			if _, err := st.ExecContext(ctx, core.NewID(), inv.ID, l.Position, l.Product, l.Category, core.FormatDecimal(int64(l.Quantity), core.QuantityScale), l.UnitPrice, l.Amount); err != nil {
				st.Close()
				return fmt.Errorf("copy invoice lines: %w", err)
			}
		}
	}
	if _, err := st.ExecContext(ctx); err != nil {
		st.Close()
		return fmt.Errorf("copy invoice lines: %w", err)
	}
	return st.Close()
}

// ---- payments ----

func (im *importer) payments(rows [][]string) error {
	ctx, tx := im.ctx, im.tx
	cr, err := im.resolver(rows)
	if err != nil {
		return err
	}
	refs := map[string]uuid.UUID{}
	var wanted []string
	for i, cells := range rows {
		if s := im.row(cells, i).str("external_ref"); s != "" {
			wanted = append(wanted, s)
		}
	}
	if err := lrLookup(ctx, tx, `select external_ref, id from payments where external_ref = any($1)`, wanted, refs); err != nil {
		return err
	}
	type pending struct {
		u   core.PaymentUpdate
		r   row
		upd *uuid.UUID
	}
	var all []pending
	seenRef := map[string]int{}
	for i, cells := range rows {
		im.tick(i)
		r := im.row(cells, i)
		cust, ok := cr.customer(r, false)
		currency := strings.ToUpper(r.str("currency"))
		if _, known := core.CurrencyExponent(currency); !known {
			r.fail("currency", "must be a known ISO 4217 code")
			ok = false
		}
		var amount int64
		if ok {
			amount, ok = r.money("amount", currency)
		}
		paid, okd := r.date("paid_on", true)
		if !ok || !okd {
			continue
		}
		u := core.PaymentUpdate{CustomerID: cust, Amount: &amount, Currency: &currency, PaidOn: paid,
			InvoiceNumber: lrP(r.str("invoice_number")), InvoiceRef: lrP(r.str("invoice_ref")), Method: lrP(r.str("method")),
			TransactionID: lrP(r.str("transaction_id")), ExternalRef: r.ref("external_ref")}
		p := core.Payment{}
		u.Apply(&p)
		if err := p.Validate(); err != nil {
			var ce *core.Error
			if errors.As(err, &ce) {
				for field, msg := range ce.Fields {
					r.fail(field, msg)
				}
			}
			continue
		}
		var upd *uuid.UUID
		if u.ExternalRef != nil {
			if first, dup := seenRef[*u.ExternalRef]; dup {
				r.fail("external_ref", fmt.Sprintf("also on row %d", first))
				continue
			}
			seenRef[*u.ExternalRef] = r.n
			if id, ok := refs[*u.ExternalRef]; ok {
				upd = &id
			}
		}
		all = append(all, pending{u: u, r: r, upd: upd})
	}
	if len(im.res.Errors) > 0 {
		return ctx.Err()
	}
	// Invoices named by number or ref, in one query each.
	var numbers, irefs []string
	for _, p := range all {
		if *p.u.InvoiceNumber != "" {
			numbers = append(numbers, *p.u.InvoiceNumber)
		}
		if *p.u.InvoiceRef != "" {
			irefs = append(irefs, *p.u.InvoiceRef)
		}
	}
	type invInfo struct {
		ID         uuid.UUID `db:"id"`
		CustomerID uuid.UUID `db:"customer_id"`
		Currency   string    `db:"currency"`
		Number     string    `db:"number"`
		Ref        *string   `db:"external_ref"`
	}
	var invs []invInfo
	if len(numbers)+len(irefs) > 0 {
		if err := tx.SelectContext(ctx, &invs, `select id, customer_id, currency, number, external_ref from invoices
			where (number = any($3) or external_ref = any($4)) and `+lrScopeCond("customer_id"), im.sc.args(pq.Array(numbers), pq.Array(irefs))...); err != nil {
			return err
		}
	}
	invByNumber, invByRef := map[string]invInfo{}, map[string]invInfo{}
	for _, v := range invs {
		invByNumber[v.Number] = v
		if v.Ref != nil {
			invByRef[*v.Ref] = v
		}
	}
	touched := map[uuid.UUID]bool{}
	var fresh []core.Payment
	for _, p := range all {
		if p.upd != nil {
			var cur core.Payment
			if err := im.sc.getPayment(ctx, tx, &cur, *p.upd, true); err != nil {
				p.r.fail("external_ref", "names a payment you may not change")
				continue
			}
			before := cur
			if err := im.sc.savePayment(ctx, tx, &cur, p.u, false); err != nil {
				var ce *core.Error
				if errors.As(err, &ce) && ce.Code != core.CodeInternal {
					for field, msg := range ce.Fields {
						p.r.fail(field, msg)
					}
					continue
				}
				return err
			}
			if lrSame(before, cur) {
				im.res.Unchanged++
			} else {
				im.res.Updated++
			}
			continue
		}
		pay := core.Payment{ID: core.NewID()}
		p.u.Apply(&pay)
		inv, found := invByNumber[pay.InvoiceNumber]
		if !found && pay.InvoiceRef != "" {
			inv, found = invByRef[pay.InvoiceRef]
		}
		if found {
			if inv.Currency != pay.Currency {
				p.r.fail("currency", "must be the invoice's currency ("+inv.Currency+")")
				continue
			}
			if pay.CustomerID != nil && *pay.CustomerID != inv.CustomerID {
				p.r.fail("customer_ref", "the invoice belongs to another customer")
				continue
			}
			id, cust := inv.ID, inv.CustomerID
			pay.InvoiceID, pay.CustomerID = &id, &cust
		}
		if pay.CustomerID == nil && im.sc.own {
			p.r.fail("customer_ref", "is required")
			continue
		}
		if pay.CustomerID != nil {
			touched[*pay.CustomerID] = true
		}
		fresh = append(fresh, pay)
	}
	if len(im.res.Errors) > 0 {
		return nil
	}
	if len(fresh) > 0 {
		st, err := tx.PrepareContext(ctx, pq.CopyIn("payments", "id", "customer_id", "invoice_id", "invoice_number", "invoice_ref", "amount", "currency", "paid_on", "method", "transaction_id", "external_ref"))
		if err != nil {
			return fmt.Errorf("copy payments: %w", err)
		}
		for _, p := range fresh {
			if _, err := st.ExecContext(ctx, p.ID, p.CustomerID, p.InvoiceID, p.InvoiceNumber, p.InvoiceRef, p.Amount, p.Currency, p.PaidOn.String(), p.Method, p.TransactionID, p.ExternalRef); err != nil {
				st.Close()
				return fmt.Errorf("copy payments: %w", err)
			}
		}
		if _, err := st.ExecContext(ctx); err != nil {
			st.Close()
			return fmt.Errorf("copy payments: %w", err)
		}
		if err := st.Close(); err != nil {
			return err
		}
		im.res.Created += len(fresh)
	}
	return RecomputeFactsTx(ctx, tx, lrKeys(touched))
}

func lrP[T any](v T) *T { return &v }

// ---- reading files ----

// ReadTable reads a CSV or XLSX file (format "csv" or "xlsx"). CSV is
// UTF-8 (a byte-order mark is skipped) separated by commas; XLSX is read
// from its first sheet, raw cell values (no number formatting, so amounts
// keep every digit). Empty trailing rows are dropped.
func ReadTable(r io.Reader, format string) (Table, error) {
	switch strings.ToLower(format) {
	case "csv":
		return readCSV(r)
	case "xlsx":
		return readXLSX(r)
	}
	return Table{}, core.Invalid(map[string]string{"format": "must be csv or xlsx"})
}

func readCSV(r io.Reader) (Table, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	var t Table
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Table{}, core.Invalid(map[string]string{"file": fmt.Sprintf("row %d is not valid CSV: %v", pe.StartLine, pe.Err)})
			}
			return Table{}, err
		}
		for _, c := range rec {
			if !utf8.ValidString(c) {
				return Table{}, core.Invalid(map[string]string{"file": "the file is not UTF-8 text"})
			}
		}
		if t.Header == nil {
			t.Header = rec
			continue
		}
		t.Rows = append(t.Rows, rec)
	}
	t.Rows = trimEmptyRows(t.Rows)
	if t.Header == nil {
		return Table{}, core.Invalid(map[string]string{"file": "the file is empty"})
	}
	return t, nil
}

func readXLSX(r io.Reader) (Table, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return Table{}, core.Invalid(map[string]string{"file": "not an XLSX workbook"})
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Table{}, core.Invalid(map[string]string{"file": "the workbook has no sheet"})
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	var t Table
	for rows.Next() {
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Table{}, err
		}
		if t.Header == nil {
			t.Header = rec
			continue
		}
		t.Rows = append(t.Rows, rec)
	}
	t.Rows = trimEmptyRows(t.Rows)
	if t.Header == nil {
		return Table{}, core.Invalid(map[string]string{"file": "the sheet is empty"})
	}
	return t, nil
}

func trimEmptyRows(rows [][]string) [][]string {
	for len(rows) > 0 {
		last := rows[len(rows)-1]
		empty := true
		for _, c := range last {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if !empty {
			break
		}
		rows = rows[:len(rows)-1]
	}
	return rows
}

// ParseMapping reads a column mapping: "field=Header" lines or
// comma-separated pairs (a CLI --map file or a form field).
func ParseMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "#") {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, core.Invalid(map[string]string{"mapping": "write field=Column header pairs, got " + strconv.Quote(part)})
		}
		m[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return m, nil
}

// ---- imports as background work ----

// TaskImportRun is the asynq task type that runs a stored import. The
// store names it because the outbox row is written here, in the same
// transaction as the import; jobs registers the handler under this name.
const TaskImportRun = "import:run"

// Statuses of a stored import.
const (
	ImportQueued    = "queued"
	ImportRunning   = "running"
	ImportSucceeded = "succeeded"
	ImportFailed    = "failed"
)

// MaxImportFileSize bounds a stored file (it is kept in Postgres).
const MaxImportFileSize = 64 << 20

// ImportJob is an import as recorded in imports (without its file).
type ImportJob struct {
	ID           uuid.UUID         `db:"id"`
	Kind         string            `db:"kind"`
	Status       string            `db:"status"`
	FileName     string            `db:"file_name"`
	Format       string            `db:"format"`
	Mapping      map[string]string `db:"-"`
	FileSize     int64             `db:"file_size"`
	RequestedBy  *uuid.UUID        `db:"requested_by"`
	RowsTotal    int               `db:"rows_total"`
	RowsDone     int               `db:"rows_done"`
	Created      int               `db:"created"`
	Updated      int               `db:"updated"`
	Unchanged    int               `db:"unchanged"`
	Errors       []ImportRowError  `db:"-"`
	Error        string            `db:"error"`
	Attempts     int               `db:"attempts"`
	ScoringRunID *uuid.UUID        `db:"scoring_run_id"`
	RequestedAt  time.Time         `db:"requested_at"`
	StartedAt    *time.Time        `db:"started_at"`
	FinishedAt   *time.Time        `db:"finished_at"`
	DurationMS   *int64            `db:"duration_ms"`
	// Pending reports that work remains: the import has not ended, or it
	// succeeded and its scoring run is not yet requested (its outbox row
	// is still pending).
	Pending bool `db:"pending"`
}

// Finished reports whether the import has ended, well or not.
func (j ImportJob) Finished() bool { return j.Status == ImportSucceeded || j.Status == ImportFailed }

const importJobCols = `id, kind, status, file_name, format, mapping, file_size, requested_by, rows_total, rows_done,
	created, updated, unchanged, errors, error, attempts, scoring_run_id, requested_at, started_at, finished_at, duration_ms,
	coalesce((select o.status = 'pending' from control.outbox o where o.kind = 'import:run' and o.ref = imports.id), false) as pending`

// importJobRow is an imports row as scanned.
type importJobRow struct {
	ImportJob
	MappingJSON []byte `db:"mapping"`
	ErrorsJSON  []byte `db:"errors"`
}

func getImportJob(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID, lock bool) (ImportJob, error) {
	var r importJobRow
	stmt := `select ` + importJobCols + ` from imports where id = $1`
	if lock {
		stmt += ` for update of imports`
	}
	err := sqlx.GetContext(ctx, q, &r, stmt, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ImportJob{}, core.Errorf(core.CodeNotFound, "import not found")
	}
	if err != nil {
		return ImportJob{}, err
	}
	j := r.ImportJob
	j.Mapping, j.Errors = map[string]string{}, []ImportRowError{}
	if err := json.Unmarshal(r.MappingJSON, &j.Mapping); err != nil {
		return j, fmt.Errorf("import %s mapping: %w", id, err)
	}
	if err := json.Unmarshal(r.ErrorsJSON, &j.Errors); err != nil {
		return j, fmt.Errorf("import %s errors: %w", id, err)
	}
	return j, nil
}

// ImportSubmission is a file to import in the background.
type ImportSubmission struct {
	Kind     string
	FileName string
	// Format is csv or xlsx.
	Format  string
	Mapping map[string]string
	Data    []byte
	// IP and UserAgent are the request's, for the audit line the import
	// writes when it ends.
	IP, UserAgent string
}

// ImportPayload is the payload of an import:run task.
type ImportPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// ImportLockKey is the advisory lock a handler holds while it runs an
// import, so that one import never runs twice at once.
func ImportLockKey(id uuid.UUID) string { return "import:" + id.String() }

// SubmitImport checks what can be checked without the rows (kind, format,
// a readable file, a mapping whose columns exist) and stores the file as a
// queued import together with its outbox row, in one transaction: once
// this returns, the import will run even if Redis loses its task. The
// actor in ctx is who the import runs as. It returns the import and the
// outbox row to enqueue.
func (s *Store) SubmitImport(ctx context.Context, sub ImportSubmission) (ImportJob, OutboxRow, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return ImportJob{}, OutboxRow{}, err
	}
	act, ok := core.ActorFrom(ctx)
	if !ok {
		return ImportJob{}, OutboxRow{}, &core.Error{Code: core.CodeInternal, Message: "no actor in context"}
	}
	cols, ok := ImportColumns[sub.Kind]
	if !ok {
		return ImportJob{}, OutboxRow{}, core.Invalid(map[string]string{"kind": "must be customers, contacts, invoices or payments"})
	}
	if len(sub.Data) > MaxImportFileSize {
		return ImportJob{}, OutboxRow{}, core.Invalid(map[string]string{"file": fmt.Sprintf("larger than %d MB", MaxImportFileSize>>20)})
	}
	tbl, err := ReadTable(bytes.NewReader(sub.Data), sub.Format)
	if err != nil {
		return ImportJob{}, OutboxRow{}, err
	}
	if _, err := newImportIndex(sub.Kind, cols, sub.Mapping, tbl.Header); err != nil {
		return ImportJob{}, OutboxRow{}, err
	}
	if len(tbl.Rows) == 0 {
		// A header alone imports nothing; accepted, it would still
		// request a scoring run.
		return ImportJob{}, OutboxRow{}, core.Invalid(map[string]string{"file": "the file has no rows"})
	}
	mapping := sub.Mapping
	if mapping == nil {
		mapping = map[string]string{}
	}
	mj, err := json.Marshal(mapping)
	if err != nil {
		return ImportJob{}, OutboxRow{}, err
	}
	var by *uuid.UUID
	if act.UserID != uuid.Nil {
		u := act.UserID
		by = &u
	}
	id := core.NewID()
	payload, _ := json.Marshal(ImportPayload{TenantID: t.ID, ImportID: id})
	row := OutboxRow{ID: core.NewID(), TenantID: t.ID, Kind: TaskImportRun, Ref: id, Queue: "default",
		Payload: payload, LockKey: ImportLockKey(id), Attempt: 1}
	var job ImportJob
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			insert into imports (id, kind, file_name, format, mapping, file, file_size, requested_by, requested_email, own_records,
				request_ip, user_agent, rows_total)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			id, sub.Kind, scoringTruncate(sub.FileName, 500), strings.ToLower(sub.Format), mj, sub.Data, len(sub.Data), by, act.Email,
			act.OwnRecordsOnly && !act.System, scoringTruncate(sub.IP, 200), scoringTruncate(sub.UserAgent, 500), len(tbl.Rows)); err != nil {
			return fmt.Errorf("store import: %w", err)
		}
		if err := tx.GetContext(ctx, &row.NotBefore, `
			insert into control.outbox (id, tenant_id, kind, ref, queue, payload, lock_key)
			values ($1, $2, $3, $4, $5, $6, $7) returning not_before`,
			row.ID, row.TenantID, row.Kind, row.Ref, row.Queue, []byte(row.Payload), row.LockKey); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		job, err = getImportJob(ctx, tx, id, false)
		return err
	})
	return job, row, err
}

// ImportJob returns one import of the context's tenant.
func (s *Store) ImportJob(ctx context.Context, id uuid.UUID) (ImportJob, error) {
	var j ImportJob
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		j, err = getImportJob(ctx, tx, id, false)
		return err
	})
	return j, err
}

// RunImport runs a stored import, all or nothing, exactly as Import does,
// and records the outcome. The caller holds ImportLockKey(id). An import
// that has ended is returned as it is, untouched (a re-delivered task).
// Otherwise it is marked running (one more attempt; past maxAttempts it
// fails instead), the file is imported as the user who submitted it, and:
//   - every row good: the rows, the audit line and the import's success
//     (counts, timings) commit in one transaction; the outbox row stays
//     pending until ImportScoringRequested records the scoring run;
//   - bad rows: nothing of the file is written, the import fails with
//     every bad row, and its outbox row is closed;
//   - any other error is returned with the import left running, for the
//     caller to retry (RunImport again) or give up (FailImport).
//
// rows_done is written outside the import's transaction every 1,000 rows,
// so GET shows progress while it runs.
func (s *Store) RunImport(ctx context.Context, id uuid.UUID, maxAttempts int) (ImportJob, error) {
	var job ImportJob
	var file []byte
	var email, ip, ua string
	var own bool
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if job, err = getImportJob(ctx, tx, id, true); err != nil || job.Finished() {
			return err
		}
		if err := tx.GetContext(ctx, &job.Attempts, `
			update imports set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, clock_timestamp())
			where id = $1 returning attempts`, id); err != nil {
			return err
		}
		job.Status = ImportRunning
		if maxAttempts > 0 && job.Attempts > maxAttempts {
			return nil
		}
		row := tx.QueryRowxContext(ctx, `select file, requested_email, own_records, request_ip, user_agent from imports where id = $1`, id)
		return row.Scan(&file, &email, &own, &ip, &ua)
	})
	if err != nil || job.Finished() {
		return job, err
	}
	if maxAttempts > 0 && job.Attempts > maxAttempts {
		return s.FailImport(ctx, id, fmt.Errorf("gave up after %d attempts", job.Attempts-1))
	}
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return job, err
	}
	// Run as the submitter, within their reach (their own-records scope).
	actx := ctx
	if job.RequestedBy != nil {
		actx = core.WithActor(ctx, core.Actor{UserID: *job.RequestedBy, Email: email, OwnRecordsOnly: own})
	}
	tbl, err := ReadTable(bytes.NewReader(file), job.Format)
	file = nil
	if err != nil {
		return job, err
	}
	tid := t.ID
	ev := tenant.AuditEvent{TenantID: &tid, ActorID: job.RequestedBy, ActorEmail: email, Target: job.Kind, IP: ip, UserAgent: ua}
	if job.RequestedBy == nil && email == "" {
		ev.ActorEmail = "system"
	}
	committed := ev
	committed.Action = AuditImportCommitted
	progress := func(done int) {
		// Its own short transaction: the import's is not visible yet.
		_ = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `update imports set rows_done = greatest(rows_done, $2) where id = $1 and status = 'running'`, id, done)
			return err
		})
	}
	res, err := s.importTable(actx, ImportRequest{Kind: job.Kind, Mapping: job.Mapping, Table: tbl, Audit: &committed}, id, importHooks{
		progress: progress,
		commit: func(tx *sqlx.Tx, res *ImportResult) error {
			_, err := tx.ExecContext(ctx, `
				update imports set status = 'succeeded', rows_total = $2, rows_done = $2, created = $3, updated = $4, unchanged = $5,
					errors = '[]', error = '', finished_at = clock_timestamp(), duration_ms = $6
				where id = $1`, id, res.Rows, res.Created, res.Updated, res.Unchanged, res.DurationMS)
			return err
		},
	})
	if err != nil {
		return job, err
	}
	if res.Status == ImportRejected {
		errs, _ := json.Marshal(res.Errors)
		rejected := ev
		rejected.Action = AuditImportRejected
		rejected.Detail = map[string]any{"import_id": id, "kind": job.Kind, "file": job.FileName, "rows": res.Rows, "bad_rows": len(res.Errors)}
		err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `
				update imports set status = 'failed', rows_total = $2, rows_done = $2, created = 0, updated = 0, unchanged = 0,
					errors = $3, error = $4, finished_at = clock_timestamp(), duration_ms = $5
				where id = $1`, id, res.Rows, errs, fmt.Sprintf("%d problems in the file; nothing was imported", len(res.Errors)), res.DurationMS); err != nil {
				return err
			}
			if err := tenant.RecordAudit(ctx, tx, rejected); err != nil {
				return fmt.Errorf("audit import: %w", err)
			}
			return outboxClose(ctx, tx, TaskImportRun, id)
		})
		if err != nil {
			return job, err
		}
	}
	return s.ImportJob(ctx, id)
}

// Audit actions of imports.
const (
	AuditImportCommitted = "import.committed"
	AuditImportRejected  = "import.rejected"
)

// FailImport ends an import that cannot succeed (the file cannot be read,
// or it used its attempts) with a message for the user; nothing of its
// file was written. An import that has ended is left as it is.
func (s *Store) FailImport(ctx context.Context, id uuid.UUID, cause error) (ImportJob, error) {
	msg := "the import failed"
	if ce := (*core.Error)(nil); errors.As(cause, &ce) && ce.Code == core.CodeInvalid {
		msg = ce.Error()
		for f, m := range ce.Fields {
			msg = f + ": " + m
			break
		}
	} else if cause != nil {
		msg = "the import failed: " + cause.Error()
	}
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			update imports set status = 'failed', error = $2, finished_at = clock_timestamp(),
				duration_ms = (extract(epoch from clock_timestamp() - coalesce(started_at, requested_at)) * 1000)::bigint
			where id = $1 and status in ('queued', 'running')`, id, scoringTruncate(msg, 1000)); err != nil {
			return err
		}
		return outboxClose(ctx, tx, TaskImportRun, id)
	})
	if err != nil {
		return ImportJob{}, err
	}
	return s.ImportJob(ctx, id)
}

// ImportScoringRequested records the scoring run a succeeded import asked
// for (nil when none could be requested) and closes its outbox row: the
// import's work is then complete.
func (s *Store) ImportScoringRequested(ctx context.Context, id uuid.UUID, runID *uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `update imports set scoring_run_id = $2 where id = $1`, id, runID); err != nil {
			return err
		}
		return outboxClose(ctx, tx, TaskImportRun, id)
	})
}
