package jobs

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/jmoiron/sqlx"
)

// sessionLock is a Postgres session-level advisory lock held on its own
// connection. If the process dies the connection closes and Postgres
// releases the lock at once, which is what makes it a safe leader lock
// and a safe "someone is working on this" marker.
type sessionLock struct {
	conn *sql.Conn
	key  string
}

// tryLock takes the advisory lock named key without waiting.
func tryLock(ctx context.Context, db *sqlx.DB, key string) (*sessionLock, bool, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `select pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&ok); err != nil {
		discard(conn)
		return nil, false, err
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &sessionLock{conn: conn, key: key}, true, nil
}

// alive checks that the lock's connection (and so the lock) still stands.
func (l *sessionLock) alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return l.conn.PingContext(ctx) == nil
}

// release unlocks and returns the connection to the pool; a connection
// that cannot be unlocked is discarded so no pooled connection keeps it.
func (l *sessionLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ok bool
	if err := l.conn.QueryRowContext(ctx, `select pg_advisory_unlock(hashtextextended($1, 0))`, l.key).Scan(&ok); err != nil || !ok {
		discard(l.conn)
		return
	}
	l.conn.Close()
}

// lockFree reports whether nobody holds the advisory lock named key.
func lockFree(ctx context.Context, db *sqlx.DB, key string) (bool, error) {
	l, ok, err := tryLock(ctx, db, key)
	if err != nil || !ok {
		return false, err
	}
	l.release()
	return true, nil
}

func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
