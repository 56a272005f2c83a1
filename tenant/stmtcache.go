package tenant

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"
)

// StmtCacheSize bounds the prepared statements kept on each connection.
// The hot read paths use a few dozen distinct statements; the bound keeps
// list queries built from rare filter combinations from growing a
// backend without limit.
const StmtCacheSize = 128

// stmtCacheConnector opens lib/pq connections that keep their
// parameterised statements prepared (see cachingConn).
type stmtCacheConnector struct {
	pq   *pq.Connector
	size int
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.size)
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.pq.Driver() }

// pqConn is what lib/pq's connection implements and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// pqStmt is what lib/pq's prepared statement implements.
type pqStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

// cachingConn keeps every statement that carries parameters prepared on
// its connection, keyed by its text, so a repeated query is neither parsed
// nor (once Postgres settles on a generic plan) planned again, and runs in
// one round trip instead of lib/pq's two. Statements without parameters
// (BEGIN, the tenant scope's set_config, COMMIT) keep the simple protocol.
//
// Tenant isolation does not depend on the cache: Postgres re-analyses a
// prepared statement when the search_path differs from the one it was
// analysed under (PostgreSQL ≥ 9.3), so a statement prepared in one
// tenant's scope reads the next tenant's tables (TestStmtCacheFollowsTheScope).
//
// database/sql uses a driver connection from one goroutine at a time, so
// the cache needs no lock.
type cachingConn struct {
	pqConn
	size  int
	order *list.List // of *cachedStmt, most recently used first
	stmts map[string]*list.Element
}

type cachedStmt struct {
	query string
	stmt  pqStmt
}

func newCachingConn(c driver.Conn, size int) (driver.Conn, error) {
	if size <= 0 {
		return c, nil
	}
	pc, ok := c.(pqConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("tenant: the postgres driver's connection lacks an interface the statement cache needs")
	}
	return &cachingConn{pqConn: pc, size: size, order: list.New(), stmts: map[string]*list.Element{}}, nil
}

// prepared returns the connection's statement for query, preparing it
// on first use and closing the least recently used one beyond the bound.
// A statement that fails to prepare is not kept.
func (c *cachingConn) prepared(ctx context.Context, query string) (pqStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt, nil
	}
	s, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ps, ok := s.(pqStmt)
	if !ok {
		_ = s.Close()
		return nil, errors.New("tenant: the postgres driver's statement lacks an interface the statement cache needs")
	}
	c.stmts[query] = c.order.PushFront(&cachedStmt{query: query, stmt: ps})
	for c.order.Len() > c.size {
		old := c.order.Back()
		cs := c.order.Remove(old).(*cachedStmt)
		delete(c.stmts, cs.query)
		if err := cs.stmt.Close(); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// QueryContext runs a parameterised query through its cached statement.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	s, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args)
	c.forgetIfStale(query, err)
	return rows, err
}

// ExecContext runs a parameterised statement through its cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	s, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := s.ExecContext(ctx, args)
	c.forgetIfStale(query, err)
	return res, err
}

// forgetIfStale drops a statement Postgres will not run again: after a
// migration changed the columns it returns, every execution fails with
// "cached plan must not change result type" (feature_not_supported), so
// the next use prepares it afresh. It is not closed — the transaction
// has failed — and goes with its connection.
func (c *cachingConn) forgetIfStale(query string, err error) {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "0A000" {
		if e, ok := c.stmts[query]; ok {
			c.order.Remove(e)
			delete(c.stmts, query)
		}
	}
}
