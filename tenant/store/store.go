// Package store holds the tenant-data stores: customers and everything that
// hangs off them, scores, imports. Every method runs inside tenant.Tx (or
// tenant.ReadTx), so it needs a tenant in its context and can only ever see
// that tenant's schema. SQL lives next to the method that runs it, in a
// file named for its noun; one method is one transaction.
package store

import (
	"github.com/jmoiron/sqlx"
)

// Store is the entry point to one installation's tenant data. It holds no
// tenant itself: the tenant comes from each call's context.
type Store struct {
	db *sqlx.DB
}

// New returns a Store over db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB exposes the pool for callers that compose their own scoped
// transactions (bulk loads, scoring).
func (s *Store) DB() *sqlx.DB { return s.db }
