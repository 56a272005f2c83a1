package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func putSetting(ctx context.Context, db *sqlx.DB, key, value string) error {
	return tenant.Tx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into settings (key, value) values ($1, to_jsonb($2::text))`, key, value)
		return err
	})
}

func settingKeys(ctx context.Context, db *sqlx.DB) ([]string, error) {
	var keys []string
	err := tenant.ReadTx(ctx, db, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &keys, `select key from settings order by key`)
	})
	return keys, err
}

func TestRowsAreInvisibleAcrossTenants(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	if err := putSetting(tenanttest.Ctx(a), env.DB, "only-a", "x"); err != nil {
		t.Fatal(err)
	}
	keys, err := settingKeys(tenanttest.Ctx(b), env.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("tenant b sees %v, want nothing", keys)
	}
	keys, _ = settingKeys(tenanttest.Ctx(a), env.DB)
	if len(keys) != 1 || keys[0] != "only-a" {
		t.Fatalf("tenant a sees %v, want [only-a]", keys)
	}
}

// TestPooledConnectionsDoNotLeakScope interleaves work for two tenants from
// 50 goroutines over a pool of two connections: a session-level scope
// would surface one tenant's rows in the other.
func TestPooledConnectionsDoNotLeakScope(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	db, err := tenant.Open(context.Background(), env.URL, tenant.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn, prefix := a, "a"
			if g%2 == 1 {
				tn, prefix = b, "b"
			}
			ctx := tenanttest.Ctx(tn)
			for i := range 10 {
				if err := putSetting(ctx, db, fmt.Sprintf("%s-%d-%d", prefix, g, i), prefix); err != nil {
					errs <- err
					return
				}
				keys, err := settingKeys(ctx, db)
				if err != nil {
					errs <- err
					return
				}
				for _, k := range keys {
					if !strings.HasPrefix(k, prefix+"-") {
						errs <- fmt.Errorf("tenant %s read foreign row %q", prefix, k)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, tn := range []core.Tenant{a, b} {
		keys, _ := settingKeys(tenanttest.Ctx(tn), db)
		if len(keys) != 250 {
			t.Errorf("tenant %s has %d rows, want 250", tn.Slug, len(keys))
		}
	}
	// An unscoped query on a pooled connection must not find tenant tables.
	var n int
	if err := db.Get(&n, `select count(*) from settings`); err == nil {
		t.Fatalf("an unscoped query found a settings table (%d rows): scope leaked to the pool", n)
	}
}

func TestTxWithoutTenantTouchesNothing(t *testing.T) {
	env := tenanttest.New(t)
	called := false
	err := tenant.Tx(context.Background(), env.DB, func(tx *sqlx.Tx) error {
		called = true
		return nil
	})
	if !errors.Is(err, core.ErrNoTenant) {
		t.Fatalf("err = %v, want ErrNoTenant", err)
	}
	if called {
		t.Fatal("the work ran without a tenant")
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	env := tenanttest.New(t)
	env.Tenant(t, "one")
	env.Tenant(t, "two")
	res, err := env.Migrator.MigrateAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Applied != 0 {
			t.Errorf("%s: second migrate applied %d files, want 0", r.Slug, r.Applied)
		}
	}
	if len(res) != 2 {
		t.Fatalf("migrated %d tenants, want 2", len(res))
	}
	n, err := env.Migrator.MigrateControl(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("control re-run applied %d (err %v), want 0", n, err)
	}
}

func TestBrokenMigrationStopsAndResumes(t *testing.T) {
	env := tenanttest.New(t)
	good := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`create table a (id int);`)},
		"0002_b.sql": {Data: []byte(`create table b (id int);`)},
	}
	broken := fstest.MapFS{
		"0001_a.sql": good["0001_a.sql"],
		"0002_b.sql": good["0002_b.sql"],
		"0003_c.sql": {Data: []byte(`create table c (id int); insert into nowhere values (1);`)},
		"0004_d.sql": {Data: []byte(`create table d (id int);`)},
	}
	fixed := fstest.MapFS{
		"0001_a.sql": good["0001_a.sql"],
		"0002_b.sql": good["0002_b.sql"],
		"0003_c.sql": {Data: []byte(`create table c (id int);`)},
		"0004_d.sql": {Data: []byte(`create table d (id int);`)},
	}
	env.Migrator.Tenant = broken
	tn, err := env.Registry.CreateTenant(context.Background(), tenant.NewTenant{Slug: "broken-co", Name: "Broken"})
	if err == nil {
		t.Fatal("provisioning with a broken migration succeeded")
	}
	for _, want := range []string{"broken-co", "0003_c.sql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	v, _ := tenant.SchemaVersion(context.Background(), env.DB, tn.Schema)
	if v != "0002_b" {
		t.Fatalf("schema at %q after failure, want 0002_b", v)
	}
	_, err = env.Migrator.MigrateAll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "broken-co") {
		t.Fatalf("migrate with the broken set: err = %v, want one naming the tenant", err)
	}
	env.Migrator.Tenant = fixed
	res, err := env.Migrator.MigrateAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Applied != 2 {
		t.Errorf("resumed run applied %d files, want 2", res[0].Applied)
	}
	v, _ = tenant.SchemaVersion(context.Background(), env.DB, tn.Schema)
	if v != "0004_d" {
		t.Fatalf("schema at %q after resume, want 0004_d", v)
	}
	env.Migrator.Tenant = migrations.Tenant
}

func TestCreateTenantValidates(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		in    tenant.NewTenant
		field string
	}{
		{"uppercase slug", tenant.NewTenant{Slug: "Acme", Name: "A"}, "slug"},
		{"short slug", tenant.NewTenant{Slug: "ab", Name: "A"}, "slug"},
		{"trailing hyphen", tenant.NewTenant{Slug: "acme-", Name: "A"}, "slug"},
		{"no name", tenant.NewTenant{Slug: "acme", Name: " "}, "name"},
		{"bad locale", tenant.NewTenant{Slug: "acme", Name: "A", Locale: "de"}, "locale"},
		{"bad currency", tenant.NewTenant{Slug: "acme", Name: "A", Currency: "XYZ"}, "currency"},
		{"bad zone", tenant.NewTenant{Slug: "acme", Name: "A", TimeZone: "Mars/Olympus"}, "timezone"},
	}
	for _, c := range cases {
		_, err := env.Registry.CreateTenant(ctx, c.in)
		var ae *core.Error
		if !errors.As(err, &ae) || ae.Code != core.CodeInvalid || ae.Fields[c.field] == "" {
			t.Errorf("%s: err = %v, want invalid on field %s", c.name, err, c.field)
		}
	}
	if _, err := env.Registry.CreateTenant(ctx, tenant.NewTenant{Slug: "acme", Name: "Acme Ltd", Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran"}); err != nil {
		t.Fatal(err)
	}
	_, err := env.Registry.CreateTenant(ctx, tenant.NewTenant{Slug: "acme", Name: "Other"})
	if core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("duplicate slug: err = %v, want conflict", err)
	}
}

func BenchmarkProvisionTenant(b *testing.B) {
	env := tenanttest.New(b)
	b.ResetTimer()
	for i := range b.N {
		if _, err := env.Registry.CreateTenant(context.Background(), tenant.NewTenant{Slug: fmt.Sprintf("bench-%d", i), Name: "Bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScopedTx measures what scoping costs: a scoped transaction
// against the same query in a bare transaction on the same connection pool.
func BenchmarkScopedTx(b *testing.B) {
	env := tenanttest.New(b)
	tn := env.Tenant(b, "bench")
	ctx := tenanttest.Ctx(tn)
	b.Run("scoped", func(b *testing.B) {
		for range b.N {
			if _, err := settingKeys(ctx, env.DB); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		q := `select key from ` + tn.Schema + `.settings order by key`
		for range b.N {
			tx, err := env.DB.BeginTxx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			var keys []string
			if err := tx.SelectContext(ctx, &keys, q); err != nil {
				b.Fatal(err)
			}
			tx.Commit()
		}
	})
}
