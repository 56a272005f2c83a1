package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/retention"
	"github.com/gomato/gomato/core/textnorm"
	"github.com/gomato/gomato/tenant"
)

// actorOf returns the actor in ctx; tenant data is never read without one,
// so the own-records scope cannot be forgotten.
func actorOf(ctx context.Context) (core.Actor, error) {
	a, ok := core.ActorFrom(ctx)
	if !ok {
		return core.Actor{}, &core.Error{Code: core.CodeInternal, Message: "no actor in context"}
	}
	return a, nil
}

// cuQuery builds a WHERE clause with numbered arguments.
type cuQuery struct {
	where []string
	args  []any
}

func (q *cuQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *cuQuery) and(cond string) { q.where = append(q.where, cond) }

func (q *cuQuery) clone() *cuQuery {
	return &cuQuery{where: slices.Clone(q.where), args: slices.Clone(q.args)}
}

func (q *cuQuery) clause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " where " + strings.Join(q.where, " and ")
}

// scopeCustomers restricts alias's customers to the actor's own when the
// actor has the own-records scope.
func scopeCustomers(ctx context.Context, q *cuQuery, alias string) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	if a.OwnRecordsOnly {
		q.and(alias + ".owner_id = " + q.arg(a.UserID))
	}
	return nil
}

func cuIDArray(ids []uuid.UUID) pq.StringArray {
	out := make(pq.StringArray, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// customerCols are the columns customerRow scans, from customers c left
// joined with scores s.
const customerCols = `c.id, c.name, c.email, c.phone, c.website, c.vat_id, c.status, c.owner_id, c.source,
	c.billing_street, c.billing_city, c.billing_province, c.billing_postal_code, c.billing_country,
	c.shipping_street, c.shipping_city, c.shipping_province, c.shipping_postal_code, c.shipping_country,
	c.value_added_deals, c.sales_forecast_at, c.sales_forecast, c.forecast_override_at, c.forecast_override_by,
	c.forecast_override_set, c.custom, c.external_ref, c.first_purchase_on, c.last_purchase_on,
	c.invoiced_total, c.paid_total, c.outstanding_total, c.overdue_total, c.overdue_invoices, c.open_tickets,
	c.created_at, c.updated_at,
	s.risk as s_risk, s.risk_level as s_risk_level, s.clv as s_clv, s.segment as s_segment, s.health as s_health,
	s.computed_at as s_computed_at,
	(select coalesce(json_agg(json_build_object('id', g.id, 'name', g.name, 'is_vip', g.is_vip) order by g.name, g.id), '[]')
		from customer_groups cg join groups g on g.id = cg.group_id where cg.customer_id = c.id) as groups_json,
	(select coalesce(json_agg(json_build_object('id', sp.id, 'name', sp.name) order by sp.name, sp.id), '[]')
		from customer_specialties cs join specialties sp on sp.id = cs.specialty_id where cs.customer_id = c.id) as specialties_json`

const customerFrom = ` from customers c left join scores s on s.customer_id = c.id`

type customerRow struct {
	ID                  uuid.UUID  `db:"id"`
	Name                string     `db:"name"`
	Email               string     `db:"email"`
	Phone               string     `db:"phone"`
	Website             string     `db:"website"`
	VATID               string     `db:"vat_id"`
	Status              string     `db:"status"`
	OwnerID             *uuid.UUID `db:"owner_id"`
	Source              string     `db:"source"`
	BillingStreet       string     `db:"billing_street"`
	BillingCity         string     `db:"billing_city"`
	BillingProvince     string     `db:"billing_province"`
	BillingPostalCode   string     `db:"billing_postal_code"`
	BillingCountry      string     `db:"billing_country"`
	ShippingStreet      string     `db:"shipping_street"`
	ShippingCity        string     `db:"shipping_city"`
	ShippingProvince    string     `db:"shipping_province"`
	ShippingPostalCode  string     `db:"shipping_postal_code"`
	ShippingCountry     string     `db:"shipping_country"`
	ValueAddedDeals     int        `db:"value_added_deals"`
	SalesForecastAt     *time.Time `db:"sales_forecast_at"`
	SalesForecast       []byte     `db:"sales_forecast"`
	ForecastOverrideAt  *time.Time `db:"forecast_override_at"`
	ForecastOverrideBy  *uuid.UUID `db:"forecast_override_by"`
	ForecastOverrideSet *time.Time `db:"forecast_override_set"`
	Custom              []byte     `db:"custom"`
	ExternalRef         *string    `db:"external_ref"`
	FirstPurchaseOn     *time.Time `db:"first_purchase_on"`
	LastPurchaseOn      *time.Time `db:"last_purchase_on"`
	InvoicedTotal       int64      `db:"invoiced_total"`
	PaidTotal           int64      `db:"paid_total"`
	OutstandingTotal    int64      `db:"outstanding_total"`
	OverdueTotal        int64      `db:"overdue_total"`
	OverdueInvoices     int        `db:"overdue_invoices"`
	OpenTickets         int        `db:"open_tickets"`
	CreatedAt           time.Time  `db:"created_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
	SRisk               *float64   `db:"s_risk"`
	SRiskLevel          *string    `db:"s_risk_level"`
	SCLV                *int64     `db:"s_clv"`
	SSegment            *string    `db:"s_segment"`
	SHealth             *int       `db:"s_health"`
	SComputedAt         *time.Time `db:"s_computed_at"`
	GroupsJSON          []byte     `db:"groups_json"`
	SpecialtiesJSON     []byte     `db:"specialties_json"`
}

// dest returns pointers to r's fields in the order of customerCols, so a
// list scans its rows with one rows.Scan each instead of sqlx's
// per-query reflection over 46 columns (an eighth of the list's CPU).
func (r *customerRow) dest() []any {
	return []any{&r.ID, &r.Name, &r.Email, &r.Phone, &r.Website, &r.VATID, &r.Status, &r.OwnerID, &r.Source,
		&r.BillingStreet, &r.BillingCity, &r.BillingProvince, &r.BillingPostalCode, &r.BillingCountry,
		&r.ShippingStreet, &r.ShippingCity, &r.ShippingProvince, &r.ShippingPostalCode, &r.ShippingCountry,
		&r.ValueAddedDeals, &r.SalesForecastAt, &r.SalesForecast, &r.ForecastOverrideAt, &r.ForecastOverrideBy,
		&r.ForecastOverrideSet, &r.Custom, &r.ExternalRef, &r.FirstPurchaseOn, &r.LastPurchaseOn,
		&r.InvoicedTotal, &r.PaidTotal, &r.OutstandingTotal, &r.OverdueTotal, &r.OverdueInvoices, &r.OpenTickets,
		&r.CreatedAt, &r.UpdatedAt,
		&r.SRisk, &r.SRiskLevel, &r.SCLV, &r.SSegment, &r.SHealth,
		&r.SComputedAt,
		&r.GroupsJSON,
		&r.SpecialtiesJSON}
}

// listRow is a list's row: a customer and its sort key as text.
type listRow struct {
	customerRow
	SortValue string
}

// selectListRows runs a query selecting customerCols and then the sort
// value, and scans its rows.
func selectListRows(ctx context.Context, tx *sqlx.Tx, limit int, query string, args ...any) ([]listRow, error) {
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]listRow, 0, limit)
	for rs.Next() {
		out = append(out, listRow{})
		r := &out[len(out)-1]
		if err := rs.Scan(append(r.dest(), &r.SortValue)...); err != nil {
			return nil, err
		}
	}
	return out, rs.Err()
}

func cuDay(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// cuDecodeCustom reads a custom jsonb keeping numbers exact.
func cuDecodeCustom(b []byte) map[string]any {
	m := map[string]any{}
	if len(b) == 0 || string(b) == "{}" {
		return m
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}

func (r *customerRow) customer(now time.Time) core.Customer {
	c := core.Customer{
		ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, Website: r.Website, VATID: r.VATID,
		Status: core.CustomerStatus(r.Status), OwnerID: r.OwnerID, Source: r.Source,
		Billing:         core.Address{Street: r.BillingStreet, City: r.BillingCity, Province: r.BillingProvince, PostalCode: r.BillingPostalCode, Country: r.BillingCountry},
		Shipping:        core.Address{Street: r.ShippingStreet, City: r.ShippingCity, Province: r.ShippingProvince, PostalCode: r.ShippingPostalCode, Country: r.ShippingCountry},
		ValueAddedDeals: r.ValueAddedDeals, Groups: []core.GroupRef{}, Specialties: []core.Specialty{},
		Custom: cuDecodeCustom(r.Custom), ExternalRef: r.ExternalRef, LastPurchaseOn: cuDay(r.LastPurchaseOn),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	f := &core.SalesForecast{SystemAt: r.SalesForecastAt, At: r.SalesForecastAt}
	if len(r.SalesForecast) > 0 {
		f.Verdict = json.RawMessage(r.SalesForecast)
	}
	if r.ForecastOverrideAt != nil && r.ForecastOverrideBy != nil && r.ForecastOverrideSet != nil {
		f.Override = &core.ForecastOverride{At: *r.ForecastOverrideAt, By: *r.ForecastOverrideBy, SetAt: *r.ForecastOverrideSet}
		// The override holds until it is cleared or its date passes.
		if r.ForecastOverrideAt.After(now) {
			f.At = r.ForecastOverrideAt
		}
	}
	c.Forecast = f
	// Every list row carries these two; goccy/go-json reads them in a
	// fraction of encoding/json's time.
	if len(r.GroupsJSON) > 2 {
		_ = gojson.Unmarshal(r.GroupsJSON, &c.Groups)
	}
	if len(r.SpecialtiesJSON) > 2 {
		_ = gojson.Unmarshal(r.SpecialtiesJSON, &c.Specialties)
	}
	if r.SRisk != nil && r.SComputedAt != nil {
		c.Score = &core.CustomerScore{Risk: *r.SRisk, RiskLevel: cuStr(r.SRiskLevel), CLV: cuInt64(r.SCLV),
			Segment: cuStr(r.SSegment), Health: r.SHealth, ComputedAt: *r.SComputedAt}
	}
	return c
}

func cuStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func cuInt64(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

// getCustomer reads one customer the actor may see, with its links.
func getCustomer(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, lock bool) (core.Customer, customerRow, error) {
	q := &cuQuery{}
	q.and("c.id = " + q.arg(id))
	if err := scopeCustomers(ctx, q, "c"); err != nil {
		return core.Customer{}, customerRow{}, err
	}
	sqlText := `select ` + customerCols + customerFrom + q.clause()
	if lock {
		sqlText += " for update of c"
	}
	var r customerRow
	err := tx.QueryRowContext(ctx, sqlText, q.args...).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Customer{}, r, core.Errorf(core.CodeNotFound, "customer not found")
	}
	if err != nil {
		return core.Customer{}, r, fmt.Errorf("get customer: %w", err)
	}
	return r.customer(time.Now()), r, nil
}

// visibleCustomer answers not found unless the customer exists in the
// tenant and the actor may see it: the gate of every nested URL.
func visibleCustomer(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, lock bool) error {
	q := &cuQuery{}
	q.and("c.id = " + q.arg(id))
	if err := scopeCustomers(ctx, q, "c"); err != nil {
		return err
	}
	sqlText := `select 1 from customers c` + q.clause()
	if lock {
		sqlText += " for update"
	}
	var one int
	err := tx.GetContext(ctx, &one, sqlText, q.args...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "customer not found")
	}
	return err
}

// Customer returns one customer the actor may see.
func (s *Store) Customer(ctx context.Context, id uuid.UUID) (core.Customer, error) {
	var c core.Customer
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		c, _, err = getCustomer(ctx, tx, id, false)
		return err
	})
	return c, err
}

// rfmSegments are the segment names scoring stores; a filter on any other
// would only ever match nothing.
var rfmSegments = []retention.Segment{retention.Champions, retention.Loyal, retention.PotentialLoyalist, retention.NewCustomers,
	retention.Promising, retention.NeedAttention, retention.AboutToSleep, retention.AtRisk, retention.CantLoseThem,
	retention.Hibernating, retention.Lost}

var rfmSegmentList = func() string {
	names := make([]string, len(rfmSegments))
	for i, s := range rfmSegments {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}()

// checkOwner validates a customer owner against the tenant's active
// members in the control plane (no cross-schema foreign key).
func checkOwner(ctx context.Context, tx *sqlx.Tx, owner uuid.UUID) (bool, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return false, err
	}
	var ok bool
	err = tx.GetContext(ctx, &ok, `select exists (select 1 from control.memberships where tenant_id = $1 and user_id = $2 and status = 'active')`, t.ID, owner)
	if err != nil {
		return false, fmt.Errorf("check owner membership: %w", err)
	}
	return ok, nil
}

// prepareCustomer validates in (already normalised) against the custom
// field definitions, the tenant's members, its groups and the actor's
// scope; it returns field messages.
func prepareCustomer(ctx context.Context, tx *sqlx.Tx, in *core.CustomerInput, f map[string]string, ownerChanged bool) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	defs, err := customFieldDefs(ctx, tx, "customer")
	if err != nil {
		return err
	}
	custom, cf := core.ValidateCustom(defs, in.Custom)
	for k, v := range cf {
		f[k] = v
	}
	in.Custom = custom
	if a.OwnRecordsOnly {
		switch {
		case in.OwnerID == nil && ownerChanged:
			in.OwnerID = &a.UserID
		case in.OwnerID != nil && *in.OwnerID != a.UserID:
			f["owner_id"] = "you may only own customers yourself"
		}
	}
	if in.OwnerID != nil && ownerChanged && f["owner_id"] == "" {
		ok, err := checkOwner(ctx, tx, *in.OwnerID)
		if err != nil {
			return err
		}
		if !ok {
			f["owner_id"] = "not a member of this tenant"
		}
	}
	if len(in.GroupIDs) > 0 {
		var n int
		if err := tx.GetContext(ctx, &n, `select count(*) from groups where id = any($1::uuid[])`, cuIDArray(in.GroupIDs)); err != nil {
			return fmt.Errorf("check groups: %w", err)
		}
		if n != len(in.GroupIDs) {
			f["group_ids"] = "no such group"
		}
	}
	return nil
}

// writeCustomerLinks replaces a customer's groups and specialties.
func writeCustomerLinks(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, in *core.CustomerInput) error {
	if _, err := tx.ExecContext(ctx, `delete from customer_groups where customer_id = $1`, id); err != nil {
		return err
	}
	if len(in.GroupIDs) > 0 {
		if _, err := tx.ExecContext(ctx, `insert into customer_groups (customer_id, group_id)
			select $1, unnest($2::uuid[]) on conflict do nothing`, id, cuIDArray(in.GroupIDs)); err != nil {
			return fmt.Errorf("link groups: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `delete from customer_specialties where customer_id = $1`, id); err != nil {
		return err
	}
	if len(in.Specialties) > 0 {
		ids, err := ensureSpecialties(ctx, tx, in.Specialties)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `insert into customer_specialties (customer_id, specialty_id)
			select $1, unnest($2::uuid[]) on conflict do nothing`, id, cuIDArray(ids)); err != nil {
			return fmt.Errorf("link specialties: %w", err)
		}
	}
	return nil
}

func cuCustomJSON(m map[string]any) ([]byte, error) {
	if m == nil {
		m = map[string]any{}
	}
	return json.Marshal(m)
}

// cuUnique maps a unique violation to a conflict on field.
func cuUnique(err error) (string, bool) {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.Constraint, true
	}
	return "", false
}

// CreateCustomer validates and stores a new customer with its groups and
// specialties. A scoped actor's customer is owned by the actor.
func (s *Store) CreateCustomer(ctx context.Context, in core.CustomerInput) (core.Customer, error) {
	f := in.Normalize()
	var c core.Customer
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := prepareCustomer(ctx, tx, &in, f, true); err != nil {
			return err
		}
		if len(f) > 0 {
			return core.Invalid(f)
		}
		custom, err := cuCustomJSON(in.Custom)
		if err != nil {
			return err
		}
		id := core.NewID()
		b, sh := in.Billing, in.Shipping
		_, err = tx.ExecContext(ctx, `insert into customers (id, name, email, phone, website, vat_id, status, owner_id, source,
			billing_street, billing_city, billing_province, billing_postal_code, billing_country,
			shipping_street, shipping_city, shipping_province, shipping_postal_code, shipping_country,
			value_added_deals, custom, search_norm, external_ref)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
			id, in.Name, in.Email, in.Phone, in.Website, in.VATID, in.Status, in.OwnerID, in.Source,
			b.Street, b.City, b.Province, b.PostalCode, b.Country,
			sh.Street, sh.City, sh.Province, sh.PostalCode, sh.Country,
			in.ValueAddedDeals, custom, in.SearchText(), in.ExternalRef)
		if _, ok := cuUnique(err); ok {
			return &core.Error{Code: core.CodeConflict, Message: "a customer with this external_ref exists", Fields: map[string]string{"external_ref": "already used"}}
		}
		if err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
		if err := writeCustomerLinks(ctx, tx, id, &in); err != nil {
			return err
		}
		c, _, err = getCustomer(ctx, tx, id, false)
		return err
	})
	return c, err
}

// UpdateCustomer applies u to a customer the actor may see.
func (s *Store) UpdateCustomer(ctx context.Context, id uuid.UUID, u core.CustomerUpdate) (core.Customer, error) {
	var c core.Customer
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		old, _, err := getCustomer(ctx, tx, id, true)
		if err != nil {
			return err
		}
		in := old.Input()
		u.Apply(&in)
		f := in.Normalize()
		ownerChanged := !cuSameID(old.OwnerID, in.OwnerID)
		if err := prepareCustomer(ctx, tx, &in, f, ownerChanged); err != nil {
			return err
		}
		if len(f) > 0 {
			return core.Invalid(f)
		}
		custom, err := cuCustomJSON(in.Custom)
		if err != nil {
			return err
		}
		b, sh := in.Billing, in.Shipping
		_, err = tx.ExecContext(ctx, `update customers set name = $2, email = $3, phone = $4, website = $5, vat_id = $6,
			status = $7, owner_id = $8, source = $9,
			billing_street = $10, billing_city = $11, billing_province = $12, billing_postal_code = $13, billing_country = $14,
			shipping_street = $15, shipping_city = $16, shipping_province = $17, shipping_postal_code = $18, shipping_country = $19,
			value_added_deals = $20, custom = $21, search_norm = $22, external_ref = $23, updated_at = now()
			where id = $1`,
			id, in.Name, in.Email, in.Phone, in.Website, in.VATID, in.Status, in.OwnerID, in.Source,
			b.Street, b.City, b.Province, b.PostalCode, b.Country,
			sh.Street, sh.City, sh.Province, sh.PostalCode, sh.Country,
			in.ValueAddedDeals, custom, in.SearchText(), in.ExternalRef)
		if _, ok := cuUnique(err); ok {
			return &core.Error{Code: core.CodeConflict, Message: "a customer with this external_ref exists", Fields: map[string]string{"external_ref": "already used"}}
		}
		if err != nil {
			return fmt.Errorf("update customer: %w", err)
		}
		if u.GroupIDs != nil || u.Specialties != nil {
			if err := writeCustomerLinks(ctx, tx, id, &in); err != nil {
				return err
			}
		}
		c, _, err = getCustomer(ctx, tx, id, false)
		return err
	})
	return c, err
}

func cuSameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// DeleteCustomer deletes a customer the actor may see, and everything that
// hangs off it.
func (s *Store) DeleteCustomer(ctx context.Context, id uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := visibleCustomer(ctx, tx, id, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `delete from customers where id = $1`, id)
		return err
	})
}

// SetForecastOverride records the actor's override of a customer's
// forecast time; nil clears it. The time must lie in the future.
func (s *Store) SetForecastOverride(ctx context.Context, id uuid.UUID, at *time.Time) (core.Customer, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return core.Customer{}, err
	}
	if at != nil && !at.After(time.Now()) {
		return core.Customer{}, core.Invalid(map[string]string{"at": "must be in the future"})
	}
	var c core.Customer
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := visibleCustomer(ctx, tx, id, true); err != nil {
			return err
		}
		var by *uuid.UUID
		if at != nil {
			by = &a.UserID
		}
		_, err := tx.ExecContext(ctx, `update customers set forecast_override_at = $2, forecast_override_by = $3,
			forecast_override_set = case when $2::timestamptz is null then null else now() end, updated_at = now() where id = $1`, id, at, by)
		if err != nil {
			return fmt.Errorf("override forecast: %w", err)
		}
		c, _, err = getCustomer(ctx, tx, id, false)
		return err
	})
	return c, err
}

// cuSortSpec says how a sort orders rows and how its cursor value is typed.
type cuSortSpec struct {
	expr string // SQL expression, never null
	typ  string // SQL type of the cursor value
	// Score sorts only: the scores column, and where customers without a
	// value go — they sort as expr's default, missing (the cursor's text
	// of it), below every value when missingLow.
	col        string
	missing    string
	missingLow bool
}

var cuSorts = map[core.CustomerSort]cuSortSpec{
	core.SortName:         {expr: "c.name", typ: "text"},
	core.SortCreated:      {expr: "c.created_at", typ: "timestamptz"},
	core.SortUpdated:      {expr: "c.updated_at", typ: "timestamptz"},
	core.SortLastPurchase: {expr: "coalesce(c.last_purchase_on, '0001-01-01'::date)", typ: "date"},
	core.SortCLV:          {expr: "coalesce(s.clv, -1)", typ: "bigint", col: "s.clv", missing: "-1", missingLow: true},
	core.SortRisk:         {expr: "coalesce(s.risk, -1)", typ: "double precision", col: "s.risk", missing: "-1", missingLow: true},
	core.SortNextPurchase: {expr: "coalesce(s.forecast_at, 'infinity'::timestamptz)", typ: "timestamptz", col: "s.forecast_at", missing: "infinity"},
}

// cuPageRow is one row of a page's keys: the customer and its sort value.
type cuPageRow struct {
	ID        uuid.UUID `db:"id"`
	SortValue string    `db:"sort_value"`
}

// scoreSortedIDs returns the keys of up to n customers matching q in a
// score sort, after the cursor. A sort expression over the outer join
// with scores cannot follow an index, so the page is read in two runs
// that can: the customers with a value, in the scores index's order
// (value, customer), joined to their customer rows; and the customers
// without one, in id order. The runs meet where expr's default places
// the missing values.
func scoreSortedIDs(ctx context.Context, tx *sqlx.Tx, q *cuQuery, spec cuSortSpec, desc bool, cur *cuCursor, n int) ([]cuPageRow, error) {
	dir, cmp := "asc", ">"
	if desc {
		dir, cmp = "desc", "<"
	}
	scored := func(after *cuCursor, n int) ([]cuPageRow, error) {
		p := q.clone()
		p.and(spec.col + " is not null")
		if after != nil {
			p.and("(" + spec.col + ", s.customer_id) " + cmp + " (" + p.arg(after.Value) + "::" + spec.typ + ", " + p.arg(after.ID) + "::uuid)")
		}
		var rows []cuPageRow
		err := tx.SelectContext(ctx, &rows, `select c.id, (`+spec.col+`)::text as sort_value from scores s join customers c on c.id = s.customer_id`+
			p.clause()+` order by `+spec.col+` `+dir+`, s.customer_id `+dir+` limit `+strconv.Itoa(n), p.args...)
		return rows, err
	}
	missing := func(after *cuCursor, n int) ([]cuPageRow, error) {
		p := q.clone()
		p.and(spec.col + " is null")
		if after != nil {
			p.and("c.id " + cmp + " " + p.arg(after.ID) + "::uuid")
		}
		var rows []cuPageRow
		err := tx.SelectContext(ctx, &rows, `select c.id, `+pq.QuoteLiteral(spec.missing)+` as sort_value`+customerFrom+
			p.clause()+` order by c.id `+dir+` limit `+strconv.Itoa(n), p.args...)
		return rows, err
	}
	runs := []func(*cuCursor, int) ([]cuPageRow, error){scored, missing}
	if spec.missingLow != desc { // the missing values come first
		runs = []func(*cuCursor, int) ([]cuPageRow, error){missing, scored}
	}
	if cur != nil && (cur.Value == spec.missing) != (spec.missingLow != desc) {
		runs = runs[1:] // the cursor is in the second run
	}
	var out []cuPageRow
	for _, run := range runs {
		rows, err := run(cur, n-len(out))
		if err != nil {
			return nil, fmt.Errorf("list customers by score: %w", err)
		}
		out = append(out, rows...)
		if len(out) >= n {
			break
		}
		cur = nil // the next run starts at its beginning
	}
	return out, nil
}

// cuCursor is the keyset position after the last row of a page.
type cuCursor struct {
	Sort  string    `json:"s"`
	Value string    `json:"v"`
	ID    uuid.UUID `json:"id"`
}

func encodeCursor(c cuCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cuCursor, error) {
	var c cuCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, core.Invalid(map[string]string{"cursor": "not a cursor from this list"})
	}
	return c, nil
}

// cuLikeEscape escapes LIKE's wildcards.
func cuLikeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// filterCustomers adds f's conditions (except status when withStatus is
// false) and the actor's scope to q.
func filterCustomers(ctx context.Context, tx *sqlx.Tx, q *cuQuery, f *core.CustomerFilter, withStatus bool) error {
	if err := scopeCustomers(ctx, q, "c"); err != nil {
		return err
	}
	bad := map[string]string{}
	ss := pq.StringArray{}
	for _, st := range f.Status {
		if !st.Valid() {
			bad["status"] = "must be active, inactive or legacy"
		}
		ss = append(ss, string(st))
	}
	if withStatus && len(ss) > 0 {
		if len(ss) == 1 {
			q.and("c.status = " + q.arg(ss[0]))
		} else {
			q.and("c.status = any(" + q.arg(ss) + "::text[])")
		}
	}
	if len(f.GroupIDs) == 1 {
		q.and("exists (select 1 from customer_groups cg where cg.customer_id = c.id and cg.group_id = " + q.arg(f.GroupIDs[0]) + ")")
	} else if len(f.GroupIDs) > 1 {
		q.and("exists (select 1 from customer_groups cg where cg.customer_id = c.id and cg.group_id = any(" + q.arg(cuIDArray(f.GroupIDs)) + "::uuid[]))")
	}
	if f.VIP != nil {
		cond := "exists (select 1 from customer_groups cg join groups g on g.id = cg.group_id where cg.customer_id = c.id and g.is_vip)"
		if !*f.VIP {
			cond = "not " + cond
		}
		q.and(cond)
	}
	if len(f.Specialties) > 0 {
		ids, names := []uuid.UUID{}, pq.StringArray{}
		for _, s := range f.Specialties {
			if id, err := uuid.Parse(s); err == nil {
				ids = append(ids, id)
			} else {
				names = append(names, textnorm.Search(s))
			}
		}
		q.and("exists (select 1 from customer_specialties cs join specialties sp on sp.id = cs.specialty_id where cs.customer_id = c.id and (sp.id = any(" +
			q.arg(cuIDArray(ids)) + "::uuid[]) or sp.name_norm = any(" + q.arg(names) + "::text[])))")
	}
	if len(f.Countries) > 0 {
		cs := pq.StringArray{}
		for _, c := range f.Countries {
			cs = append(cs, strings.ToUpper(strings.TrimSpace(c)))
		}
		q.and("c.billing_country = any(" + q.arg(cs) + "::text[])")
	}
	if len(f.Provinces) > 0 {
		q.and("c.billing_province = any(" + q.arg(cuTrimmed(f.Provinces)) + "::text[])")
	}
	if len(f.Cities) > 0 {
		q.and("c.billing_city = any(" + q.arg(cuTrimmed(f.Cities)) + "::text[])")
	}
	if len(f.OwnerIDs) > 0 {
		q.and("c.owner_id = any(" + q.arg(cuIDArray(f.OwnerIDs)) + "::uuid[])")
	}
	if len(f.Custom) > 0 {
		defs, err := customFieldDefs(ctx, tx, "customer")
		if err != nil {
			return err
		}
		if err := filterCustom(q, defs, f.Custom, bad); err != nil {
			return err
		}
	}
	if qs := strings.TrimSpace(f.Q); qs != "" {
		if textnorm.LooksLikePhone(qs) {
			q.and(`c.search_norm like ` + q.arg("%"+textnorm.Phone(qs)+"%"))
		} else {
			for _, w := range textnorm.Words(qs) {
				q.and(`c.search_norm like ` + q.arg("%"+cuLikeEscape(w)+"%"))
			}
		}
	}
	if len(f.RiskLevels) > 0 {
		for _, l := range f.RiskLevels {
			if l != "low" && l != "medium" && l != "high" {
				bad["risk_level"] = "must be low, medium or high"
			}
		}
		q.and("s.risk_level = any(" + q.arg(pq.StringArray(f.RiskLevels)) + "::text[])")
	}
	if len(f.Segments) > 0 {
		for _, seg := range f.Segments {
			if !slices.Contains(rfmSegments, retention.Segment(seg)) {
				bad["segment"] = "must be one of the RFM segments: " + rfmSegmentList
			}
		}
		q.and("s.segment = any(" + q.arg(pq.StringArray(f.Segments)) + "::text[])")
	}
	if f.MinCLV != nil {
		q.and("s.clv >= " + q.arg(*f.MinCLV))
	}
	if f.MaxCLV != nil {
		q.and("s.clv <= " + q.arg(*f.MaxCLV))
	}
	if len(bad) > 0 {
		return core.Invalid(bad)
	}
	return nil
}

func cuTrimmed(ss []string) pq.StringArray {
	out := pq.StringArray{}
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// filterCustom turns custom-field filters into conditions the custom
// jsonb GIN index can serve (containment for equality).
func filterCustom(q *cuQuery, defs []core.CustomFieldDef, fs []core.CustomFilter, bad map[string]string) error {
	byKey := map[string]core.CustomFieldDef{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	for _, cf := range fs {
		name := "cf." + cf.Key
		if cf.Op != core.CustomEq {
			name += "." + string(cf.Op)
		}
		d, ok := byKey[cf.Key]
		if !ok {
			bad[name] = "no such custom field"
			continue
		}
		vals := []any{}
		for _, raw := range cf.Values {
			var v any = raw
			if d.Type == core.FieldMultiSelect {
				v = []any{raw}
			}
			sv, msg := core.CustomValue(d, v)
			if msg != "" || sv == nil {
				if msg == "" {
					msg = "must not be empty"
				}
				bad[name] = msg
				continue
			}
			vals = append(vals, sv)
		}
		if len(vals) == 0 {
			continue
		}
		switch cf.Op {
		case core.CustomEq:
			ors := []string{}
			for _, v := range vals {
				b, _ := json.Marshal(map[string]any{d.Key: v})
				ors = append(ors, "c.custom @> "+q.arg(string(b))+"::jsonb")
			}
			q.and("(" + strings.Join(ors, " or ") + ")")
		case core.CustomGte, core.CustomLte:
			op := ">="
			if cf.Op == core.CustomLte {
				op = "<="
			}
			switch d.Type {
			case core.FieldNumber:
				q.and("(jsonb_typeof(c.custom->" + q.arg(d.Key) + ") = 'number' and (c.custom->>" + q.arg(d.Key) + ")::numeric " + op + " " + q.arg(fmt.Sprint(vals[0])) + "::numeric)")
			case core.FieldDate:
				q.and("(c.custom->>" + q.arg(d.Key) + ") " + op + " " + q.arg(fmt.Sprint(vals[0])))
			default:
				bad[name] = "only number and date fields compare with gte and lte"
			}
		default:
			bad[name] = "unknown operator"
		}
	}
	return nil
}

// Customers lists the customers the actor may see that match f, one page
// at a time in keyset order.
func (s *Store) Customers(ctx context.Context, f core.CustomerFilter) (core.CustomerPage, error) {
	if f.Sort == "" {
		f.Sort = core.SortName
	}
	key, desc := f.Sort.Key()
	spec, ok := cuSorts[key]
	if !ok {
		return core.CustomerPage{}, core.Invalid(map[string]string{"sort": "must be one of name, created, updated, last_purchase, clv, risk, next_purchase, optionally with a leading -"})
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		return core.CustomerPage{}, core.Invalid(map[string]string{"limit": "at most 200"})
	}
	page := core.CustomerPage{Items: []core.Customer{}}
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		q := &cuQuery{}
		if err := filterCustomers(ctx, tx, q, &f, true); err != nil {
			return err
		}
		dir, cmp := "asc", ">"
		if desc {
			dir, cmp = "desc", "<"
		}
		var cur *cuCursor
		if f.Cursor != "" {
			c, err := decodeCursor(f.Cursor)
			if err != nil {
				return err
			}
			if c.Sort != string(f.Sort) {
				return core.Invalid(map[string]string{"cursor": "belongs to another sort order"})
			}
			cur = &c
		}
		var rows []listRow
		if spec.col != "" {
			keys, err := scoreSortedIDs(ctx, tx, q, spec, desc, cur, f.Limit+1)
			if err != nil {
				return err
			}
			ids := make([]uuid.UUID, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			rows, err = selectListRows(ctx, tx, len(ids), `select `+customerCols+`, '' as sort_value`+customerFrom+` where c.id = any($1::uuid[])`, cuIDArray(ids))
			if err != nil {
				return fmt.Errorf("list customers: %w", err)
			}
			at := make(map[uuid.UUID]int, len(keys))
			for i, k := range keys {
				at[k.ID] = i
			}
			sort.Slice(rows, func(i, j int) bool { return at[rows[i].ID] < at[rows[j].ID] })
			for i := range rows {
				rows[i].SortValue = keys[at[rows[i].ID]].SortValue
			}
		} else {
			if cur != nil {
				q.and("(" + spec.expr + ", c.id) " + cmp + " (" + q.arg(cur.Value) + "::" + spec.typ + ", " + q.arg(cur.ID) + "::uuid)")
			}
			// The page's ids first, so that an index on the sort order can
			// answer without visiting rows it skips; then the page's rows.
			order := ` order by ` + spec.expr + ` ` + dir + `, c.id ` + dir
			sqlText := `select ` + customerCols + `, (` + spec.expr + `)::text as sort_value` + customerFrom +
				` where c.id in (select c.id` + customerFrom + q.clause() + order + ` limit ` + strconv.Itoa(f.Limit+1) + `)` + order
			var err error
			if rows, err = selectListRows(ctx, tx, f.Limit+1, sqlText, q.args...); err != nil {
				return fmt.Errorf("list customers: %w", err)
			}
		}
		more := len(rows) > f.Limit
		if more {
			rows = rows[:f.Limit]
		}
		now := time.Now()
		for i := range rows {
			page.Items = append(page.Items, rows[i].customer(now))
		}
		if more {
			last := rows[len(rows)-1]
			page.NextCursor = encodeCursor(cuCursor{Sort: string(f.Sort), Value: last.SortValue, ID: last.ID})
		}
		return nil
	})
	return page, err
}

// CustomerCounts counts the customers the actor may see that match f, by
// status, ignoring f's own status filter: the numbers on the status tabs.
func (s *Store) CustomerCounts(ctx context.Context, f core.CustomerFilter) (core.CustomerCounts, error) {
	var out core.CustomerCounts
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		q := &cuQuery{}
		if err := filterCustomers(ctx, tx, q, &f, false); err != nil {
			return err
		}
		var rows []struct {
			Status string `db:"status"`
			N      int    `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `select c.status, count(*) as n`+customerFrom+q.clause()+` group by c.status`, q.args...); err != nil {
			return fmt.Errorf("count customers: %w", err)
		}
		for _, r := range rows {
			out.All += r.N
			switch core.CustomerStatus(r.Status) {
			case core.CustomerActive:
				out.Active = r.N
			case core.CustomerInactive:
				out.Inactive = r.N
			case core.CustomerLegacy:
				out.Legacy = r.N
			}
		}
		return nil
	})
	return out, err
}
