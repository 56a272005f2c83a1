package tenant

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
)

// Registry is the control plane's record of agencies and tenants, and the
// provisioner that creates tenant schemas.
type Registry struct {
	DB       *sqlx.DB
	Migrator *Migrator
	// bySlug serves the tenant lookup every request makes (cache.go).
	bySlug lookupCache[string, core.Tenant]
}

// NewTenant is what it takes to create a tenant.
type NewTenant struct {
	Slug       string
	Name       string
	Locale     string // en or fa
	Currency   string // ISO 4217
	TimeZone   string // IANA
	AgencySlug string // optional
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// ValidSlug reports whether s is a valid tenant or agency slug: lowercase
// letters, digits and hyphens, 3–40 characters, not starting or ending with
// a hyphen.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

func (n *NewTenant) validate() error {
	f := map[string]string{}
	if !ValidSlug(n.Slug) {
		f["slug"] = "use 3–40 lowercase letters, digits or hyphens, starting and ending with a letter or digit"
	}
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		f["name"] = "required"
	}
	if n.Locale == "" {
		n.Locale = "en"
	}
	if n.Locale != "en" && n.Locale != "fa" {
		f["locale"] = "must be en or fa"
	}
	if n.Currency == "" {
		n.Currency = "USD"
	}
	n.Currency = strings.ToUpper(n.Currency)
	if _, ok := core.CurrencyExponent(n.Currency); !ok {
		f["currency"] = "unknown ISO 4217 currency code"
	}
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(n.TimeZone); err != nil {
		f["timezone"] = "unknown IANA time zone"
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	return nil
}

// SchemaFor derives a tenant's schema name from its id: t_ and the 12 hex
// digits of the id's random tail, so the name is short and stable.
func SchemaFor(id uuid.UUID) string {
	return "t_" + hex.EncodeToString(id[10:16])
}

// CreateTenant registers a tenant, creates its schema and migrates it. A
// failing migration leaves the tenant registered with its schema at the
// last good file; `gomato migrate` resumes it.
func (r *Registry) CreateTenant(ctx context.Context, n NewTenant) (core.Tenant, error) {
	if err := n.validate(); err != nil {
		return core.Tenant{}, err
	}
	t := core.Tenant{
		ID: core.NewID(), Slug: n.Slug, Name: n.Name, Status: core.TenantActive,
		Locale: n.Locale, Currency: n.Currency, TimeZone: n.TimeZone,
	}
	t.Schema = SchemaFor(t.ID)
	if n.AgencySlug != "" {
		a, err := r.AgencyBySlug(ctx, n.AgencySlug)
		if err != nil {
			return core.Tenant{}, err
		}
		t.AgencyID = &a.ID
	}
	tx, err := r.DB.BeginTxx(ctx, nil)
	if err != nil {
		return core.Tenant{}, err
	}
	defer tx.Rollback()
	err = tx.GetContext(ctx, &t.CreatedAt, `
		insert into control.tenants (id, agency_id, slug, name, schema, status, locale, currency, time_zone)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning created_at`,
		t.ID, t.AgencyID, t.Slug, t.Name, t.Schema, t.Status, t.Locale, t.Currency, t.TimeZone)
	if isUnique(err) {
		return core.Tenant{}, &core.Error{Code: core.CodeConflict, Message: fmt.Sprintf("tenant slug %q is already taken", t.Slug),
			Fields: map[string]string{"slug": "already taken"}}
	}
	if err != nil {
		return core.Tenant{}, fmt.Errorf("insert tenant: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `create schema `+t.Schema); err != nil {
		return core.Tenant{}, fmt.Errorf("create schema %s: %w", t.Schema, err)
	}
	if err := tx.Commit(); err != nil {
		return core.Tenant{}, err
	}
	if _, err := r.Migrator.MigrateSchema(ctx, t.Schema); err != nil {
		return t, fmt.Errorf("tenant %s (%s): %w", t.Slug, t.Schema, err)
	}
	return t, nil
}

const tenantCols = `id, agency_id, slug, name, schema, status, locale, currency, time_zone, created_at`

type tenantRow struct {
	ID        uuid.UUID     `db:"id"`
	AgencyID  uuid.NullUUID `db:"agency_id"`
	Slug      string        `db:"slug"`
	Name      string        `db:"name"`
	Schema    string        `db:"schema"`
	Status    string        `db:"status"`
	Locale    string        `db:"locale"`
	Currency  string        `db:"currency"`
	TimeZone  string        `db:"time_zone"`
	CreatedAt time.Time     `db:"created_at"`
}

func (r tenantRow) tenant() core.Tenant {
	t := core.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Schema: r.Schema, Status: core.TenantStatus(r.Status),
		Locale: r.Locale, Currency: r.Currency, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt}
	if r.AgencyID.Valid {
		id := r.AgencyID.UUID
		t.AgencyID = &id
	}
	return t
}

// TenantBySlug finds a tenant by slug; an unknown slug is core.ErrNotFound.
// A found tenant is reused for a few seconds (lookupTTL).
func (r *Registry) TenantBySlug(ctx context.Context, slug string) (core.Tenant, error) {
	if t, ok := r.bySlug.get(slug); ok {
		return t, nil
	}
	gen := controlGen.Load()
	t, err := r.oneTenant(ctx, `select `+tenantCols+` from control.tenants where slug = $1`, slug)
	if err == nil {
		r.bySlug.put(slug, t, gen)
	}
	return t, err
}

// TenantByID finds a tenant by id.
func (r *Registry) TenantByID(ctx context.Context, id uuid.UUID) (core.Tenant, error) {
	return r.oneTenant(ctx, `select `+tenantCols+` from control.tenants where id = $1`, id)
}

func (r *Registry) oneTenant(ctx context.Context, q string, arg any) (core.Tenant, error) {
	var row tenantRow
	err := r.DB.GetContext(ctx, &row, q, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Tenant{}, &core.Error{Code: core.CodeNotFound, Message: "tenant not found"}
	}
	if err != nil {
		return core.Tenant{}, err
	}
	return row.tenant(), nil
}

// Tenants lists all tenants, optionally only one agency's.
func (r *Registry) Tenants(ctx context.Context, agencyID *uuid.UUID) ([]core.Tenant, error) {
	var rows []tenantRow
	var err error
	if agencyID != nil {
		err = r.DB.SelectContext(ctx, &rows, `select `+tenantCols+` from control.tenants where agency_id = $1 order by slug`, *agencyID)
	} else {
		err = r.DB.SelectContext(ctx, &rows, `select `+tenantCols+` from control.tenants order by slug`)
	}
	if err != nil {
		return nil, err
	}
	out := make([]core.Tenant, len(rows))
	for i, row := range rows {
		out[i] = row.tenant()
	}
	return out, nil
}

// CreateAgency registers an agency.
func (r *Registry) CreateAgency(ctx context.Context, slug, name string) (core.Agency, error) {
	f := map[string]string{}
	if !ValidSlug(slug) {
		f["slug"] = "use 3–40 lowercase letters, digits or hyphens"
	}
	if strings.TrimSpace(name) == "" {
		f["name"] = "required"
	}
	if len(f) > 0 {
		return core.Agency{}, core.Invalid(f)
	}
	a := core.Agency{ID: core.NewID(), Slug: slug, Name: strings.TrimSpace(name)}
	err := r.DB.GetContext(ctx, &a.CreatedAt, `insert into control.agencies (id, slug, name) values ($1, $2, $3) returning created_at`, a.ID, a.Slug, a.Name)
	if isUnique(err) {
		return core.Agency{}, &core.Error{Code: core.CodeConflict, Message: fmt.Sprintf("agency slug %q is already taken", slug),
			Fields: map[string]string{"slug": "already taken"}}
	}
	return a, err
}

// AgencyBySlug finds an agency by slug.
func (r *Registry) AgencyBySlug(ctx context.Context, slug string) (core.Agency, error) {
	var a core.Agency
	err := r.DB.QueryRowxContext(ctx, `select id, slug, name, created_at from control.agencies where slug = $1`, slug).
		Scan(&a.ID, &a.Slug, &a.Name, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Agency{}, &core.Error{Code: core.CodeNotFound, Message: fmt.Sprintf("agency %q not found", slug)}
	}
	return a, err
}

// Agencies lists all agencies.
func (r *Registry) Agencies(ctx context.Context) ([]core.Agency, error) {
	rows, err := r.DB.QueryxContext(ctx, `select id, slug, name, created_at from control.agencies order by slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Agency
	for rows.Next() {
		var a core.Agency
		if err := rows.Scan(&a.ID, &a.Slug, &a.Name, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DropTenant removes a tenant and its schema with everything in it. Used by
// `gomato demo --reset` and tests; there is no undo.
func (r *Registry) DropTenant(ctx context.Context, slug string) error {
	t, err := r.TenantBySlug(ctx, slug)
	if err != nil {
		return err
	}
	tx, err := r.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `drop schema if exists `+t.Schema+` cascade`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `delete from control.tenants where id = $1`, t.ID); err != nil {
		return err
	}
	defer controlChanged()
	return tx.Commit()
}

func isUnique(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23505"
}

// redact hides the password in a database URL.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":***" + url[at:]
	}
	return url
}
