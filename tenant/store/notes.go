package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// CreateNote adds a note to a customer the actor can see; the author is
// the actor.
func (s *Store) CreateNote(ctx context.Context, customerID uuid.UUID, in core.NoteUpdate) (core.Note, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Note{}, err
	}
	n := core.Note{ID: core.NewID(), CustomerID: customerID, Kind: "note", AuthorID: sc.author()}
	in.Apply(&n)
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		if err := n.Validate(); err != nil {
			return err
		}
		return tx.GetContext(ctx, &n, `insert into notes (id, customer_id, kind, body, author_id)
			values ($1, $2, $3, $4, $5) returning `+noteCols, n.ID, n.CustomerID, n.Kind, n.Body, n.AuthorID)
	})
	return n, err
}

const noteCols = `id, customer_id, kind, body, author_id, created_at, updated_at`

// Note returns one note the actor can see.
func (s *Store) Note(ctx context.Context, id uuid.UUID) (core.Note, error) {
	var n core.Note
	err := s.lrReadOne(ctx, &n, "notes", noteCols, id)
	return n, err
}

// Notes lists notes, newest first.
func (s *Store) Notes(ctx context.Context, f LinkFilter) (LinkPage[core.Note], error) {
	return lrList[core.Note](ctx, s, "notes", noteCols, f)
}

// UpdateNote changes a note the actor can see.
func (s *Store) UpdateNote(ctx context.Context, id uuid.UUID, u core.NoteUpdate) (core.Note, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Note{}, err
	}
	var n core.Note
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getLinked(ctx, tx, &n, "notes", noteCols, id, true); err != nil {
			return err
		}
		u.Apply(&n)
		if err := n.Validate(); err != nil {
			return err
		}
		return tx.GetContext(ctx, &n, `update notes set kind = $2, body = $3, updated_at = now() where id = $1 returning `+noteCols, n.ID, n.Kind, n.Body)
	})
	return n, err
}

// DeleteNote deletes a note the actor can see.
func (s *Store) DeleteNote(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "notes", id)
}

// ---- Helpers shared by the linked-record stores ----

// lrScope is what the actor may see of the tenant's customers. Every query
// of a linked-record store starts its arguments with ($1 own-records-only,
// $2 user id) so that lrScopeCond can be pasted into any statement.
type lrScope struct {
	own  bool
	user uuid.UUID
	sys  bool
}

// lrScopeOf reads the actor's scope; without an actor, storage fails closed.
func lrScopeOf(ctx context.Context) (lrScope, error) {
	a, ok := core.ActorFrom(ctx)
	if !ok {
		return lrScope{}, &core.Error{Code: core.CodeInternal, Message: "no actor in context"}
	}
	return lrScope{own: a.OwnRecordsOnly && !a.System, user: a.UserID, sys: a.System}, nil
}

func (sc lrScope) args(more ...any) []any { return append([]any{sc.own, sc.user}, more...) }

func (sc lrScope) author() *uuid.UUID {
	if sc.user == uuid.Nil {
		return nil
	}
	u := sc.user
	return &u
}

// lrScopeCond is the condition that a customer id column names a customer
// the actor may see (all of them unless the own-records lrScope applies).
func lrScopeCond(col string) string {
	return `(not $1::boolean or ` + col + ` in (select id from customers where owner_id = $2::uuid))`
}

// customerVisible answers not_found unless the customer exists and the
// actor may see it: a foreign or hidden customer is indistinguishable
// from a missing one.
func (sc lrScope) customerVisible(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) error {
	var one int
	err := tx.GetContext(ctx, &one, `select 1 from customers c where c.id = $3 and `+lrScopeCond("c.id"), sc.args(id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "customer not found")
	}
	return err
}

// getLinked loads one row of a customer-linked table that the actor may
// see, optionally locking it for an update.
func (sc lrScope) getLinked(ctx context.Context, tx *sqlx.Tx, dst any, table, cols string, id uuid.UUID, lock bool) error {
	q := `select ` + cols + ` from ` + table + ` where id = $3 and ` + lrScopeCond("customer_id")
	if lock {
		q += ` for update`
	}
	err := tx.GetContext(ctx, dst, q, sc.args(id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "%s not found", lrSingular(table))
	}
	return err
}

// lrReadOne is getLinked in its own read-only transaction.
func (s *Store) lrReadOne(ctx context.Context, dst any, table, cols string, id uuid.UUID) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	return tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return sc.getLinked(ctx, tx, dst, table, cols, id, false)
	})
}

// lrDelete deletes one visible row of a customer-linked table and
// refreshes its customer's facts.
func (s *Store) lrDelete(ctx context.Context, table string, id uuid.UUID) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		var cust *uuid.UUID
		err := tx.GetContext(ctx, &cust, `delete from `+table+` where id = $3 and `+lrScopeCond("customer_id")+` returning customer_id`, sc.args(id)...)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.CodeNotFound, "%s not found", lrSingular(table))
		}
		if err != nil {
			return err
		}
		if cust != nil && lrFactTables[table] {
			return RecomputeFactsTx(ctx, tx, []uuid.UUID{*cust})
		}
		return nil
	})
}

// lrFactTables are the tables whose rows feed the customers' denormalised
// facts.
var lrFactTables = map[string]bool{"invoices": true, "payments": true, "tickets": true}

func lrSingular(table string) string { return strings.TrimSuffix(table, "s") }

// LinkFilter selects linked records for a list: of one customer or all
// the actor may see, optionally by status, newest first, keyset-paginated.
type LinkFilter struct {
	CustomerID *uuid.UUID
	Status     []string
	Cursor     string
	Limit      int
}

// LinkPage is one page of a list; NextCursor is empty on the last page.
type LinkPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// lrLimit bounds a page size.
func lrLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// lrList lists a customer-linked table by id descending (ids are
// UUIDv7, so that is newest first) with an id cursor.
func lrList[T any](ctx context.Context, s *Store, table, cols string, f LinkFilter) (LinkPage[T], error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return LinkPage[T]{}, err
	}
	var cursor *uuid.UUID
	if f.Cursor != "" {
		id, err := lrDecodeCursor(f.Cursor)
		if err != nil {
			return LinkPage[T]{}, err
		}
		cursor = &id
	}
	limit := lrLimit(f.Limit)
	q := `select ` + cols + ` from ` + table + ` where ` + lrScopeCond("customer_id") + `
		and ($3::uuid is null or customer_id = $3)
		and (cardinality($4::text[]) = 0 or status = any($4))
		and ($5::uuid is null or id < $5)
		order by id desc limit $6`
	// Status filters on the kind of notes and rewards and on the method
	// of payments, which have no status.
	switch table {
	case "notes", "rewards":
		q = strings.Replace(q, "status = any($4)", "kind = any($4)", 1)
	case "payments":
		q = strings.Replace(q, "status = any($4)", "method = any($4)", 1)
	}
	p := LinkPage[T]{Items: []T{}}
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if f.CustomerID != nil {
			if err := sc.customerVisible(ctx, tx, *f.CustomerID); err != nil {
				return err
			}
		}
		return tx.SelectContext(ctx, &p.Items, q, sc.args(f.CustomerID, pq.Array(lrNonNil(f.Status)), cursor, limit+1)...)
	})
	if err != nil {
		return LinkPage[T]{}, err
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.NextCursor = lrEncodeCursor(lrIDOf(p.Items[limit-1]))
	}
	return p, nil
}

func lrNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lrIDOf reads the ID field of a record through its JSON form, which every
// linked record has.
func lrIDOf(v any) uuid.UUID {
	b, _ := json.Marshal(v)
	var x struct {
		ID uuid.UUID `json:"id"`
	}
	_ = json.Unmarshal(b, &x)
	return x.ID
}

func lrEncodeCursor(id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func lrDecodeCursor(s string) (uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return uuid.Nil, core.Invalid(map[string]string{"cursor": "is not a cursor this list issued"})
	}
	return uuid.UUID(b), nil
}

// lrSame reports whether two records read the same; replays of an
// upsert that change nothing are not written.
func lrSame(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// lrMicro brings a time to what Postgres keeps: microseconds, and UTC so
// that replays compare equal.
func lrMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func lrMicroPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := lrMicro(*t)
	return &v
}

// lrUnique maps a unique-constraint error to a conflict.
func lrUnique(err error, msg string) error {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &core.Error{Code: core.CodeConflict, Message: msg, Err: err}
	}
	return err
}

// lrByRef finds the id of a row by its external ref (nil if none).
func lrByRef(ctx context.Context, tx *sqlx.Tx, table string, ref *string) (*uuid.UUID, error) {
	if ref == nil {
		return nil, nil
	}
	var id uuid.UUID
	err := tx.GetContext(ctx, &id, `select id from `+table+` where external_ref = $1`, *ref)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s by external ref: %w", table, err)
	}
	return &id, nil
}

// CheckCustomer answers not_found unless the customer exists in the
// context's tenant and the actor may see it: the gate of nested URLs whose
// store call takes the customer from the body.
func (s *Store) CheckCustomer(ctx context.Context, id uuid.UUID) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	return tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error { return sc.customerVisible(ctx, tx, id) })
}
