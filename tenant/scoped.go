package tenant

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// Tx runs fn in a transaction scoped to the tenant carried by ctx and
// commits when fn returns nil. Without a tenant in ctx it returns
// core.ErrNoTenant and touches nothing. The scope is transaction-local, so
// the pooled connection carries nothing over to the next user.
func Tx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	return tx(ctx, db, nil, fn)
}

// ReadTx is Tx with a read-only transaction.
func ReadTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	return tx(ctx, db, &sql.TxOptions{ReadOnly: true}, fn)
}

func tx(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) (err error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	if !validSchema(t.Schema) {
		return fmt.Errorf("tenant %s: malformed schema name %q", t.Slug, t.Schema)
	}
	tx, err := db.BeginTxx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = scope(ctx, tx, t.Schema); err != nil {
		return err
	}
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// scope sets the transaction-local search path to the tenant's schema and
// the extension schema.
func scope(ctx context.Context, tx *sqlx.Tx, schema string) error {
	// schema is validated (control or t_<12 hex>), so it is inlined: a query
	// without parameters goes over lib/pq's simple protocol in one round trip
	// instead of two.
	if schema != ControlSchema && !validSchema(schema) {
		return fmt.Errorf("malformed schema %q", schema)
	}
	_, err := tx.ExecContext(ctx, `select set_config('search_path', '`+schema+`, ext', true)`)
	if err != nil {
		return fmt.Errorf("scope transaction to %s: %w", schema, err)
	}
	return nil
}
