package core

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// TenantStatus is the lifecycle state of a tenant.
type TenantStatus string

// Tenant statuses.
const (
	TenantActive    TenantStatus = "active"
	TenantSuspended TenantStatus = "suspended"
)

// Tenant is one client company hosted on the installation. Its business
// data lives in its own Postgres schema, Schema.
type Tenant struct {
	ID        uuid.UUID    `json:"id"`
	AgencyID  *uuid.UUID   `json:"agency_id,omitempty"`
	Slug      string       `json:"slug"`
	Name      string       `json:"name"`
	Schema    string       `json:"schema"`
	Status    TenantStatus `json:"status"`
	Locale    string       `json:"locale"`
	Currency  string       `json:"currency"`
	TimeZone  string       `json:"time_zone"`
	CreatedAt time.Time    `json:"created_at"`
}

// Agency hosts many tenants and sees their aggregates.
type Agency struct {
	ID        uuid.UUID `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewID returns a new UUIDv7: time-ordered, unique across all tenants, so an
// id from one tenant can never name a row in another.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

type tenantKey struct{}

// WithTenant returns a context that carries t. Tenant-scoped storage reads
// it; it never comes from a request body.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// TenantFrom returns the tenant in ctx, or ErrNoTenant.
func TenantFrom(ctx context.Context) (Tenant, error) {
	t, ok := ctx.Value(tenantKey{}).(Tenant)
	if !ok || t.Schema == "" {
		return Tenant{}, ErrNoTenant
	}
	return t, nil
}
