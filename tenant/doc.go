// Package tenant owns Gomato's control plane in Postgres: the connection
// pool, the migration runner, the tenant and agency registry, schema
// provisioning, and the one helper that runs tenant-scoped transactions.
//
// Every tenant query runs inside Tx, which scopes the transaction with the
// transaction-local set_config('search_path', ..., true). Nothing else in
// the product sets search_path: a session-level SET stays on a pooled
// connection and would leak one tenant's rows to another.
package tenant
