package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/textnorm"
	"github.com/gomato/gomato/tenant"
)

// Bulk is one batch of tenant data loaded with COPY: the product's path for
// imports and the demo. Ids are made by the caller (core.NewID) so rows can
// name each other before they exist; dates are calendar days (only the
// year, month and day of a time.Time count); money is minor units in the
// row's currency.
type Bulk struct {
	// Marker, when set, is a settings key written in the same transaction
	// as the rows. A batch whose marker is already present is refused with
	// a conflict and loads nothing, so repeating a load duplicates nothing.
	Marker string
	// MarkerValue is stored under Marker (any JSON-encodable value).
	MarkerValue any

	Groups              []BulkGroup
	Specialties         []BulkSpecialty
	CustomFieldDefs     []BulkCustomFieldDef
	Customers           []BulkCustomer
	CustomerGroups      []BulkLink
	CustomerSpecialties []BulkLink
	Contacts            []BulkContact
	Invoices            []BulkInvoice
	InvoiceLines        []BulkInvoiceLine
	Payments            []BulkPayment
	Contracts           []BulkContract
	Tickets             []BulkTicket
	Referrals           []BulkReferral
	Rewards             []BulkReward
}

// BulkGroup is a customer group.
type BulkGroup struct {
	ID          uuid.UUID
	Name        string
	IsVIP       bool
	Description string
}

// BulkSpecialty is a specialty tag.
type BulkSpecialty struct {
	ID   uuid.UUID
	Name string
}

// BulkCustomFieldDef defines a tenant custom field.
type BulkCustomFieldDef struct {
	ID       uuid.UUID
	Entity   string // customer or contact
	Key      string
	Label    string
	Type     string // text, number, date, select, multi_select
	Options  []string
	Position int
}

// BulkCustomer is one customer. Custom holds the custom field values as a
// JSON object; the denormalised totals are computed by the load.
type BulkCustomer struct {
	ID                                             uuid.UUID
	Name, Email, Phone, Website, VATID             string
	Status                                         string // active when empty
	OwnerID                                        uuid.NullUUID
	Source                                         string
	BillingCity, BillingProvince, BillingCountry   string
	ShippingStreet, ShippingCity, ShippingProvince string
	ShippingCountry                                string
	ValueAddedDeals                                int
	Custom                                         json.RawMessage
	ExternalRef                                    string // empty means none
	CreatedAt                                      time.Time
}

// BulkLink links a customer to a group or a specialty.
type BulkLink struct {
	CustomerID, OtherID uuid.UUID
}

// BulkContact is a customer's contact person.
type BulkContact struct {
	ID, CustomerID      uuid.UUID
	FirstName, LastName string
	Email, Phone, Title string
	IsPrimary           bool
	ExternalRef         string
}

// BulkInvoice is an invoice or a credit note (negative Total, CreditOf the
// corrected invoice when known).
type BulkInvoice struct {
	ID, CustomerID uuid.UUID
	Number         string
	Kind           string // invoice or credit_note
	CreditOf       uuid.NullUUID
	IssuedOn       time.Time
	DueOn          time.Time // zero: none
	Currency       string
	Total          int64
	PaidTotal      int64
	Status         string
	ExternalRef    string
}

// BulkInvoiceLine is one line of an invoice. Quantity is an exact decimal
// in text ("6", "-2.5").
type BulkInvoiceLine struct {
	ID, InvoiceID     uuid.UUID
	Position          int
	Product, Category string
	Quantity          string
	UnitPrice, Amount int64
}

// BulkPayment is a payment, linked to its invoice when known.
type BulkPayment struct {
	ID, CustomerID uuid.UUID
	InvoiceID      uuid.NullUUID
	InvoiceNumber  string
	Amount         int64
	Currency       string
	PaidOn         time.Time
	Method         string
	ExternalRef    string
}

// BulkContract is a contract; Churned is an imported churn flag (nil:
// derive from end and renewal).
type BulkContract struct {
	ID, CustomerID uuid.UUID
	Subject, Type  string
	Value          int64
	MonthlyValue   int64
	Currency       string
	StartOn        time.Time
	EndOn          time.Time // zero: open-ended
	Signed         bool
	Status         string
	Churned        *bool
	ExternalRef    string
}

// BulkTicket is a support ticket.
type BulkTicket struct {
	ID, CustomerID   uuid.UUID
	Subject, Body    string
	Status, Priority string
	Department       string
	OpenedAt         time.Time
	ClosedAt         time.Time // zero: open
	Satisfaction     int       // 0: none, else 1–5
	ExternalRef      string
}

// BulkReferral records that one customer referred another.
type BulkReferral struct {
	ID, ReferrerID, ReferredID uuid.UUID
	ReferredOn                 time.Time
	Status, Note               string
	Generated                  bool
}

// BulkReward is a reward issued to a customer.
type BulkReward struct {
	ID, CustomerID uuid.UUID
	ReferralID     uuid.NullUUID
	Kind           string
	Amount         int64
	Currency       string
	Reason         string
	IssuedAt       time.Time
	Generated      bool
}

// BulkResult counts the rows written per table and times the load.
type BulkResult struct {
	Rows map[string]int
	// Took times each table's COPY, and "facts" and "analyze" the steps
	// after it.
	Took     map[string]time.Duration
	Duration time.Duration
}

// ErrBulkLoaded is returned when a batch's marker is already present.
var ErrBulkLoaded = &core.Error{Code: core.CodeConflict, Message: "this batch was already loaded"}

// BulkLoad writes b in one tenant-scoped transaction: COPY into each table
// (unqualified names, so the transaction's search path picks the tenant's
// schema; pq.CopyIn cannot take a qualified name), then the customers'
// denormalised facts are recomputed and the touched tables analysed.
// Either everything is written or nothing is.
func (s *Store) BulkLoad(ctx context.Context, b *Bulk) (BulkResult, error) {
	start := time.Now()
	_, err := core.TenantFrom(ctx)
	if err != nil {
		return BulkResult{}, err
	}
	if err := b.validate(); err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Rows: map[string]int{}, Took: map[string]time.Duration{}}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if b.Marker != "" {
			v, err := json.Marshal(b.MarkerValue)
			if err != nil {
				return fmt.Errorf("bulk marker: %w", err)
			}
			r, err := tx.ExecContext(ctx, `insert into settings (key, value) values ($1, $2) on conflict (key) do nothing`, b.Marker, string(v))
			if err != nil {
				return fmt.Errorf("bulk marker: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return ErrBulkLoaded
			}
		}
		for _, c := range b.copies() {
			if c.n == 0 {
				continue
			}
			t0 := time.Now()
			if err := bulkCopyRows(ctx, tx, c.table, c.cols, c.n, c.row); err != nil {
				return err
			}
			res.Rows[c.table] = c.n
			res.Took[c.table] = time.Since(t0)
		}
		t0 := time.Now()
		ids := b.touchedCustomers()
		if err := RecomputeFactsTx(ctx, tx, ids); err != nil {
			return err
		}
		res.Took["facts"] = time.Since(t0)
		t0 = time.Now()
		for table := range res.Rows {
			if _, err := tx.ExecContext(ctx, `analyze `+pq.QuoteIdentifier(table)); err != nil {
				return fmt.Errorf("analyze %s: %w", table, err)
			}
		}
		res.Took["analyze"] = time.Since(t0)
		return nil
	})
	res.Duration = time.Since(start)
	return res, err
}

// BulkMarker returns the value stored under a bulk marker key and whether
// it is present.
func (s *Store) BulkMarker(ctx context.Context, key string) (json.RawMessage, bool, error) {
	var v []byte
	var found bool
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, `select value from settings where key = $1`, key)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			found = true
			if err := rows.Scan(&v); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return v, found, err
}

func (b *Bulk) validate() error {
	f := map[string]string{}
	cur := func(field, code string) {
		if _, ok := core.CurrencyExponent(code); !ok {
			f[field] = fmt.Sprintf("unknown currency %q", code)
		}
	}
	for i, r := range b.Customers {
		if r.ID == uuid.Nil {
			f[fmt.Sprintf("customers[%d].id", i)] = "required"
		}
		if strings.TrimSpace(r.Name) == "" {
			f[fmt.Sprintf("customers[%d].name", i)] = "required"
		}
		if len(f) > 20 {
			break
		}
	}
	for i, r := range b.Invoices {
		cur(fmt.Sprintf("invoices[%d].currency", i), r.Currency)
		if r.IssuedOn.IsZero() {
			f[fmt.Sprintf("invoices[%d].issued_on", i)] = "required"
		}
		if len(f) > 20 {
			break
		}
	}
	for i, r := range b.Payments {
		cur(fmt.Sprintf("payments[%d].currency", i), r.Currency)
		if r.Amount <= 0 {
			f[fmt.Sprintf("payments[%d].amount", i)] = "must be positive"
		}
		if len(f) > 20 {
			break
		}
	}
	for i, r := range b.Contracts {
		cur(fmt.Sprintf("contracts[%d].currency", i), r.Currency)
	}
	for i, r := range b.Rewards {
		cur(fmt.Sprintf("rewards[%d].currency", i), r.Currency)
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	return nil
}

// touchedCustomers lists every customer whose facts the batch can change.
func (b *Bulk) touchedCustomers() []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	add := func(id uuid.UUID) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, r := range b.Customers {
		add(r.ID)
	}
	for _, r := range b.Invoices {
		add(r.CustomerID)
	}
	for _, r := range b.Payments {
		add(r.CustomerID)
	}
	for _, r := range b.Tickets {
		add(r.CustomerID)
	}
	return out
}

type bulkCopySpec struct {
	table string
	cols  []string
	n     int
	row   func(i int) []any
}

// copies lists the tables in the order their foreign keys need.
func (b *Bulk) copies() []bulkCopySpec {
	now := time.Now()
	return []bulkCopySpec{
		{"groups", []string{"id", "name", "is_vip", "description"}, len(b.Groups), func(i int) []any {
			r := b.Groups[i]
			return []any{r.ID, r.Name, r.IsVIP, r.Description}
		}},
		{"specialties", []string{"id", "name", "name_norm"}, len(b.Specialties), func(i int) []any {
			r := b.Specialties[i]
			return []any{r.ID, r.Name, textnorm.Search(r.Name)}
		}},
		{"custom_field_defs", []string{"id", "entity", "key", "label", "type", "options", "position"}, len(b.CustomFieldDefs), func(i int) []any {
			r := b.CustomFieldDefs[i]
			opts := r.Options
			if opts == nil {
				opts = []string{}
			}
			o, _ := json.Marshal(opts)
			return []any{r.ID, r.Entity, r.Key, r.Label, r.Type, string(o), r.Position}
		}},
		{"customers", []string{"id", "name", "email", "phone", "website", "vat_id", "status", "owner_id", "source",
			"billing_city", "billing_province", "billing_country", "shipping_street", "shipping_city", "shipping_province",
			"shipping_country", "value_added_deals", "custom", "search_norm", "external_ref", "created_at", "updated_at"}, len(b.Customers), func(i int) []any {
			r := b.Customers[i]
			status := r.Status
			if status == "" {
				status = "active"
			}
			custom := "{}"
			if len(r.Custom) > 0 {
				custom = string(r.Custom)
			}
			created := r.CreatedAt
			if created.IsZero() {
				created = now
			}
			return []any{r.ID, r.Name, r.Email, r.Phone, r.Website, r.VATID, status, r.OwnerID, r.Source,
				r.BillingCity, r.BillingProvince, r.BillingCountry, r.ShippingStreet, r.ShippingCity, r.ShippingProvince,
				r.ShippingCountry, r.ValueAddedDeals, custom,
				bulkCustomerNorm(r), bulkNullText(r.ExternalRef), created, now}
		}},
		{"customer_groups", []string{"customer_id", "group_id"}, len(b.CustomerGroups), func(i int) []any {
			return []any{b.CustomerGroups[i].CustomerID, b.CustomerGroups[i].OtherID}
		}},
		{"customer_specialties", []string{"customer_id", "specialty_id"}, len(b.CustomerSpecialties), func(i int) []any {
			return []any{b.CustomerSpecialties[i].CustomerID, b.CustomerSpecialties[i].OtherID}
		}},
		{"contacts", []string{"id", "customer_id", "first_name", "last_name", "email", "phone", "title", "is_primary", "search_norm", "external_ref"}, len(b.Contacts), func(i int) []any {
			r := b.Contacts[i]
			return []any{r.ID, r.CustomerID, r.FirstName, r.LastName, r.Email, r.Phone, r.Title, r.IsPrimary,
				bulkContactNorm(r), bulkNullText(r.ExternalRef)}
		}},
		{"invoices", []string{"id", "customer_id", "number", "kind", "credit_of", "issued_on", "due_on", "currency", "total", "paid_total", "status", "external_ref"}, len(b.Invoices), func(i int) []any {
			r := b.Invoices[i]
			kind := r.Kind
			if kind == "" {
				kind = "invoice"
			}
			status := r.Status
			if status == "" {
				status = "unpaid"
			}
			return []any{r.ID, r.CustomerID, r.Number, kind, r.CreditOf, bulkDay(r.IssuedOn), bulkDayOrNil(r.DueOn), r.Currency, r.Total, r.PaidTotal, status, bulkNullText(r.ExternalRef)}
		}},
		{"invoice_lines", []string{"id", "invoice_id", "position", "product", "category", "quantity", "unit_price", "amount"}, len(b.InvoiceLines), func(i int) []any {
			r := b.InvoiceLines[i]
			q := r.Quantity
			if q == "" {
				q = "1"
			}
			return []any{r.ID, r.InvoiceID, r.Position, r.Product, r.Category, q, r.UnitPrice, r.Amount}
		}},
		{"payments", []string{"id", "customer_id", "invoice_id", "invoice_number", "amount", "currency", "paid_on", "method", "external_ref"}, len(b.Payments), func(i int) []any {
			r := b.Payments[i]
			return []any{r.ID, r.CustomerID, r.InvoiceID, r.InvoiceNumber, r.Amount, r.Currency, bulkDay(r.PaidOn), r.Method, bulkNullText(r.ExternalRef)}
		}},
		{"contracts", []string{"id", "customer_id", "subject", "type", "value", "monthly_value", "currency", "start_on", "end_on", "signed", "status", "churned", "external_ref"}, len(b.Contracts), func(i int) []any {
			r := b.Contracts[i]
			status := r.Status
			if status == "" {
				status = "active"
			}
			var churned any
			if r.Churned != nil {
				churned = *r.Churned
			}
			return []any{r.ID, r.CustomerID, r.Subject, r.Type, r.Value, r.MonthlyValue, r.Currency, bulkDay(r.StartOn), bulkDayOrNil(r.EndOn), r.Signed, status, churned, bulkNullText(r.ExternalRef)}
		}},
		{"tickets", []string{"id", "customer_id", "subject", "body", "status", "priority", "department", "opened_at", "closed_at", "satisfaction", "external_ref"}, len(b.Tickets), func(i int) []any {
			r := b.Tickets[i]
			status, prio := r.Status, r.Priority
			if status == "" {
				status = "open"
			}
			if prio == "" {
				prio = "normal"
			}
			var closed, sat any
			if !r.ClosedAt.IsZero() {
				closed = r.ClosedAt
			}
			if r.Satisfaction > 0 {
				sat = r.Satisfaction
			}
			return []any{r.ID, r.CustomerID, r.Subject, r.Body, status, prio, r.Department, r.OpenedAt, closed, sat, bulkNullText(r.ExternalRef)}
		}},
		{"referrals", []string{"id", "referrer_id", "referred_id", "referred_on", "status", "note", "generated"}, len(b.Referrals), func(i int) []any {
			r := b.Referrals[i]
			status := r.Status
			if status == "" {
				status = "pending"
			}
			return []any{r.ID, r.ReferrerID, r.ReferredID, bulkDay(r.ReferredOn), status, r.Note, r.Generated}
		}},
		{"rewards", []string{"id", "customer_id", "referral_id", "kind", "amount", "currency", "reason", "issued_at", "generated"}, len(b.Rewards), func(i int) []any {
			r := b.Rewards[i]
			return []any{r.ID, r.CustomerID, r.ReferralID, r.Kind, r.Amount, r.Currency, r.Reason, r.IssuedAt, r.Generated}
		}},
	}
}

// copyRows streams n rows into table with COPY. The table name is
// unqualified on purpose: the scoped transaction's search path resolves it.
func bulkCopyRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, cols...))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	defer stmt.Close()
	for i := 0; i < n; i++ {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("copy %s row %d: %w", table, i, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func bulkDay(t time.Time) string { return t.Format("2006-01-02") }

func bulkDayOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return bulkDay(t)
}

func bulkNullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bulkCustomerNorm and bulkContactNorm give the search_norm the customers
// API stores, so bulk-loaded rows are found like typed ones.
func bulkCustomerNorm(r BulkCustomer) string {
	in := core.CustomerInput{Name: r.Name, Email: r.Email, Phone: r.Phone, VATID: r.VATID}
	return in.SearchText()
}

func bulkContactNorm(r BulkContact) string {
	c := core.Contact{FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone}
	return c.SearchText()
}
