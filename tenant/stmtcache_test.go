package tenant_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// preparedCount is how many statements the pool's one connection keeps.
func preparedCount(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `select count(*) from pg_prepared_statements`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStmtCacheFollowsTheScope runs one parameterised statement, kept
// prepared on a single pooled connection, in two tenants' scopes in turn —
// past Postgres's switch to a generic plan — and checks that each run
// reads its own tenant's table.
func TestStmtCacheFollowsTheScope(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	db, err := tenant.Open(context.Background(), env.URL, tenant.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tn := range []core.Tenant{a, b} {
		if err := putSetting(tenanttest.Ctx(tn), db, "owner", tn.Slug); err != nil {
			t.Fatal(err)
		}
	}
	const q = `select value #>> '{}' from settings where key = $1`
	read := func(tn core.Tenant) string {
		var v string
		err := tenant.ReadTx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error {
			return tx.Get(&v, q, "owner")
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := preparedCount(t, db)
	for round := range 3 {
		for _, tn := range []core.Tenant{a, a, a, a, a, a, a, b, b, b, b, b, b, b} {
			if got := read(tn); got != tn.Slug {
				t.Fatalf("round %d: tenant %s read %q: a cached statement crossed tenants", round, tn.Slug, got)
			}
		}
	}
	if after := preparedCount(t, db); after <= before {
		t.Fatalf("prepared statements %d → %d: the statement was not kept prepared", before, after)
	}
}

// TestStmtCacheIsBounded runs more distinct statements than the cache
// holds and checks the connection keeps at most StmtCacheSize of them; a
// statement that fails to prepare leaves the connection usable.
func TestStmtCacheIsBounded(t *testing.T) {
	env := tenanttest.New(t)
	db, err := tenant.Open(context.Background(), env.URL, tenant.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range tenant.StmtCacheSize + 20 {
		var n int
		if err := db.Get(&n, fmt.Sprintf(`select $1::int + %d`, i), 1); err != nil {
			t.Fatal(err)
		}
		if n != i+1 {
			t.Fatalf("statement %d answered %d", i, n)
		}
	}
	if n := preparedCount(t, db); n > tenant.StmtCacheSize {
		t.Fatalf("the connection keeps %d prepared statements, more than %d", n, tenant.StmtCacheSize)
	}
	var n int
	if err := db.Get(&n, `selec $1::int`, 1); err == nil {
		t.Fatal("a syntax error was accepted")
	}
	if err := db.Get(&n, `select $1::int * 2`, 21); err != nil || n != 42 {
		t.Fatalf("after a failed prepare: %d, %v", n, err)
	}
}

// TestStmtCacheRecoversFromAChangedTable: after a migration changes the
// columns a cached statement returns, Postgres refuses to run it ("cached
// plan must not change result type"); that use fails, and the next one
// prepares the statement afresh instead of failing for the connection's
// lifetime.
func TestStmtCacheRecoversFromAChangedTable(t *testing.T) {
	env := tenanttest.New(t)
	a := env.Tenant(t, "alpha")
	db, err := tenant.Open(context.Background(), env.URL, tenant.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := tenanttest.Ctx(a)
	if err := putSetting(ctx, db, "k", "v"); err != nil {
		t.Fatal(err)
	}
	count := func() (int, error) {
		var cols []string
		err := tenant.ReadTx(ctx, db, func(tx *sqlx.Tx) error {
			rows, err := tx.Query(`select * from settings where key = $1`, "k")
			if err != nil {
				return err
			}
			defer rows.Close()
			cols, err = rows.Columns()
			return err
		})
		return len(cols), err
	}
	before, err := count()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`alter table ` + a.Schema + `.settings add column extra int`); err != nil {
		t.Fatal(err)
	}
	_, _ = count() // may fail: the cached plan's result type changed
	after, err := count()
	if err != nil || after != before+1 {
		t.Fatalf("after the change: %d columns, %v; want %d and no error", after, err, before+1)
	}
}
