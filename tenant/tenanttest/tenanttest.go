// Package tenanttest gives tests their own throwaway Postgres database,
// migrated like production, and tenants provisioned through the real
// provisioner. Tests never touch the database a running `make dev` uses.
package tenanttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
)

// AdminURL is the maintenance database the test databases are created
// from; GOMATO_TEST_DATABASE_URL overrides it.
func AdminURL() string {
	if u := os.Getenv("GOMATO_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty database named gomato_test_<random> and
// returns its URL; the database is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", AdminURL())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		t.Fatalf("postgres is not reachable at %s (run deploy/local/services.sh or `make services`): %v", AdminURL(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gomato_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "create database "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), "drop database if exists "+name+" with (force)")
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("parse %s: %v", AdminURL(), err)
	}
	u.Path = "/" + name
	return u.String()
}

// Env is a migrated test database with its registry.
type Env struct {
	URL      string
	DB       *sqlx.DB
	Migrator *tenant.Migrator
	Registry *tenant.Registry
}

// New creates a fresh database, applies the control migrations and
// returns the pieces tests need.
func New(t testing.TB) *Env {
	t.Helper()
	u := NewDatabase(t)
	db, err := tenant.Open(context.Background(), u, tenant.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := &tenant.Migrator{DB: db, Control: migrations.Control, Tenant: migrations.Tenant, Parallel: 4}
	if _, err := m.MigrateControl(context.Background()); err != nil {
		t.Fatalf("migrate control: %v", err)
	}
	return &Env{URL: u, DB: db, Migrator: m, Registry: &tenant.Registry{DB: db, Migrator: m}}
}

// Tenant provisions a tenant through the real provisioner. The slug gets a
// random suffix so tests may reuse names.
func (e *Env) Tenant(t testing.TB, slug string) core.Tenant {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	slug = strings.ToLower(fmt.Sprintf("%s-%s", slug, hex.EncodeToString(b)))
	tn, err := e.Registry.CreateTenant(context.Background(), tenant.NewTenant{Slug: slug, Name: slug, Locale: "en", Currency: "USD", TimeZone: "UTC"})
	if err != nil {
		t.Fatalf("provision tenant %s: %v", slug, err)
	}
	return tn
}

// Ctx returns a background context carrying tn and the system actor.
func Ctx(tn core.Tenant) context.Context {
	return core.WithActor(core.WithTenant(context.Background(), tn), core.SystemActor)
}
