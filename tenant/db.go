package tenant

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PoolConfig bounds the connection pool. Connections are recycled because a
// backend that touched many tenant schemas keeps their catalog caches.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
	MaxIdleTime time.Duration
}

// DefaultPool is sized for one 2-core machine.
var DefaultPool = PoolConfig{MaxOpen: 32, MaxIdle: 16, MaxLifetime: 30 * time.Minute, MaxIdleTime: 5 * time.Minute}

// Open connects to Postgres and checks the connection. Its connections
// keep their parameterised statements prepared (stmtcache.go).
func Open(ctx context.Context, url string, pc PoolConfig) (*sqlx.DB, error) {
	conn, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(stmtCacheConnector{pq: conn, size: StmtCacheSize}), "postgres")
	db.SetMaxOpenConns(pc.MaxOpen)
	db.SetMaxIdleConns(pc.MaxIdle)
	db.SetConnMaxLifetime(pc.MaxLifetime)
	db.SetConnMaxIdleTime(pc.MaxIdleTime)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres at %s is not reachable (start it with deploy/local/services.sh): %w", redact(url), err)
	}
	return db, nil
}
