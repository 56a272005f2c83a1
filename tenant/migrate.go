package tenant

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// ControlSchema is the installation-wide schema of agencies, tenants, users
// and everything else that is not one tenant's business data.
const ControlSchema = "control"

var schemaRE = regexp.MustCompile(`^t_[0-9a-f]{12}$`)

func validSchema(s string) bool { return schemaRE.MatchString(s) }

// Migrator applies forward-only SQL migrations: the control set to the
// control schema, the tenant set to every tenant schema. Each file runs in
// its own transaction under a per-schema advisory lock and is recorded in
// that schema's schema_migrations table, so a failed file leaves the schema
// at the last file that succeeded and the next run resumes there.
type Migrator struct {
	DB      *sqlx.DB
	Control fs.FS
	Tenant  fs.FS
	// Parallel bounds how many tenant schemas migrate at once.
	Parallel int
	Log      *slog.Logger
}

// Versions lists the migration versions (file names without .sql) in order.
func Versions(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			vs = append(vs, strings.TrimSuffix(e.Name(), ".sql"))
		}
	}
	sort.Strings(vs)
	return vs, nil
}

// Latest is the last version in fsys, or "" if there is none.
func Latest(fsys fs.FS) string {
	vs, err := Versions(fsys)
	if err != nil || len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// MigrateControl applies pending control migrations and returns how many ran.
func (m *Migrator) MigrateControl(ctx context.Context) (int, error) {
	return m.migrateSchema(ctx, ControlSchema, m.Control)
}

// MigrateSchema applies pending tenant migrations to one tenant schema.
func (m *Migrator) MigrateSchema(ctx context.Context, schema string) (int, error) {
	if !validSchema(schema) {
		return 0, fmt.Errorf("malformed tenant schema %q", schema)
	}
	return m.migrateSchema(ctx, schema, m.Tenant)
}

// Result reports what MigrateAll did for one tenant.
type Result struct {
	Slug    string
	Schema  string
	Applied int
	Err     error
}

// MigrateAll applies control migrations, then every tenant's pending
// migrations with bounded parallelism. A failing tenant does not stop the
// others; every failure is in the returned results and the joined error.
func (m *Migrator) MigrateAll(ctx context.Context) ([]Result, error) {
	if _, err := m.MigrateControl(ctx); err != nil {
		return nil, err
	}
	var rows []struct{ Slug, Schema string }
	if err := m.DB.SelectContext(ctx, &rows, `select slug, schema from control.tenants order by created_at, slug`); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	par := m.Parallel
	if par < 1 {
		par = 4
	}
	results := make([]Result, len(rows))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := m.MigrateSchema(ctx, r.Schema)
			if err != nil {
				err = fmt.Errorf("tenant %s (%s): %w", r.Slug, r.Schema, err)
			}
			results[i] = Result{Slug: r.Slug, Schema: r.Schema, Applied: n, Err: err}
		}()
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return results, errors.Join(errs...)
}

func (m *Migrator) migrateSchema(ctx context.Context, schema string, fsys fs.FS) (int, error) {
	versions, err := Versions(fsys)
	if err != nil {
		return 0, err
	}
	if err := m.ensureVersionTable(ctx, schema); err != nil {
		return 0, err
	}
	applied := 0
	for _, v := range versions {
		ran, err := m.applyFile(ctx, schema, fsys, v)
		if err != nil {
			return applied, fmt.Errorf("migration %s.sql: %w", v, err)
		}
		if ran {
			applied++
			if m.Log != nil {
				m.Log.Debug("migration applied", "schema", schema, "version", v)
			}
		}
	}
	return applied, nil
}

func (m *Migrator) ensureVersionTable(ctx context.Context, schema string) error {
	tx, err := m.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `select pg_advisory_xact_lock(hashtext('gomato.migrate.' || $1))`, schema); err != nil {
		return err
	}
	// schema is validated (control or t_<12 hex>) before it reaches here.
	stmt := fmt.Sprintf(`create schema if not exists %[1]s;
		create table if not exists %[1]s.schema_migrations (
			version text primary key,
			applied_at timestamptz not null default now())`, schema)
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("prepare %s: %w", schema, err)
	}
	return tx.Commit()
}

// applyFile runs one migration file if it has not run yet in schema.
func (m *Migrator) applyFile(ctx context.Context, schema string, fsys fs.FS, version string) (bool, error) {
	body, err := fs.ReadFile(fsys, version+".sql")
	if err != nil {
		return false, err
	}
	tx, err := m.DB.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `select pg_advisory_xact_lock(hashtext('gomato.migrate.' || $1))`, schema); err != nil {
		return false, err
	}
	if err := scope(ctx, tx, schema); err != nil {
		return false, err
	}
	var done bool
	if err := tx.GetContext(ctx, &done, `select exists(select 1 from schema_migrations where version = $1)`, version); err != nil {
		return false, err
	}
	if done {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `insert into schema_migrations (version) values ($1)`, version); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// SchemaVersion is the last applied version in schema, or "" if none.
func SchemaVersion(ctx context.Context, db sqlx.QueryerContext, schema string) (string, error) {
	if schema != ControlSchema && !validSchema(schema) {
		return "", fmt.Errorf("malformed schema %q", schema)
	}
	var v *string
	q := fmt.Sprintf(`select max(version) from %s.schema_migrations`, schema)
	if err := sqlx.GetContext(ctx, db, &v, q); err != nil {
		return "", err
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}
