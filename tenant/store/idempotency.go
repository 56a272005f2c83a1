package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// idempotencyStale is how long a claimed key may stay without a response
// before it is considered abandoned (its request crashed) and may be
// claimed again.
const idempotencyStale = 2 * time.Minute

// IdempotencyRecord is what is remembered under a key: the hash of the
// first request and, once it finished, its response.
type IdempotencyRecord struct {
	RequestHash []byte
	Status      int // 0 while the first request is still running
	Response    []byte
	CreatedAt   time.Time
}

// IdempotencyKey names a key: scoped to the tenant (the table lives in
// its schema), the caller and the route.
type IdempotencyKey struct {
	Caller string
	Key    string
	Route  string
}

// ClaimIdempotencyKey claims k for a request whose body hashes to hash.
// It returns nil when the caller now owns the key and should run the
// request; otherwise the record already there: a finished response to
// replay, a different hash (conflict) or a request still running. Keys
// older than IdempotencyTTL are forgotten.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, hash []byte) (*IdempotencyRecord, error) {
	var rec *IdempotencyRecord
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `delete from idempotency_keys where caller = $1 and key = $2 and route = $3
			and (created_at < now() - $4::interval or (status = 0 and created_at < now() - $5::interval))`,
			k.Caller, k.Key, k.Route, fmt.Sprintf("%d seconds", int(IdempotencyTTL.Seconds())), fmt.Sprintf("%d seconds", int(idempotencyStale.Seconds()))); err != nil {
			return fmt.Errorf("expire idempotency key: %w", err)
		}
		res, err := tx.ExecContext(ctx, `insert into idempotency_keys (caller, key, route, request_hash, status, response)
			values ($1, $2, $3, $4, 0, '') on conflict do nothing`, k.Caller, k.Key, k.Route, hash)
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var r struct {
			RequestHash []byte    `db:"request_hash"`
			Status      int       `db:"status"`
			Response    []byte    `db:"response"`
			CreatedAt   time.Time `db:"created_at"`
		}
		err = tx.GetContext(ctx, &r, `select request_hash, status, response, created_at from idempotency_keys
			where caller = $1 and key = $2 and route = $3`, k.Caller, k.Key, k.Route)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.CodeConflict, "the request with this Idempotency-Key is still running")
		}
		if err != nil {
			return err
		}
		rec = &IdempotencyRecord{RequestHash: r.RequestHash, Status: r.Status, Response: r.Response, CreatedAt: r.CreatedAt}
		return nil
	})
	return rec, err
}

// Same reports whether the record was made by a request with this hash.
func (r *IdempotencyRecord) Same(hash []byte) bool { return bytes.Equal(r.RequestHash, hash) }

// FinishIdempotencyKey stores the response of the request that claimed k.
func (s *Store) FinishIdempotencyKey(ctx context.Context, k IdempotencyKey, status int, response []byte) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `update idempotency_keys set status = $4, response = $5
			where caller = $1 and key = $2 and route = $3 and status = 0`, k.Caller, k.Key, k.Route, status, response)
		return err
	})
}

// ReleaseIdempotencyKey forgets a claim whose request failed, so that the
// client may retry with the same key.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `delete from idempotency_keys where caller = $1 and key = $2 and route = $3 and status = 0`, k.Caller, k.Key, k.Route)
		return err
	})
}

// PurgeIdempotencyKeys deletes the tenant's keys older than
// IdempotencyTTL and returns how many went.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	var n int64
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from idempotency_keys where created_at < now() - $1::interval`, fmt.Sprintf("%d seconds", int(IdempotencyTTL.Seconds())))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
