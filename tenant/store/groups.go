package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

type groupRow struct {
	ID          uuid.UUID `db:"id"`
	Name        string    `db:"name"`
	IsVIP       bool      `db:"is_vip"`
	Description string    `db:"description"`
	Customers   int       `db:"customers"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

func (r groupRow) group() core.Group {
	return core.Group{ID: r.ID, Name: r.Name, IsVIP: r.IsVIP, Description: r.Description, Customers: r.Customers, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// groupSelect counts only the customers the actor may see.
func groupSelect(ctx context.Context, q *cuQuery) (string, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	count := `(select count(*) from customer_groups cg where cg.group_id = g.id)`
	if a.OwnRecordsOnly {
		count = `(select count(*) from customer_groups cg join customers c on c.id = cg.customer_id
			where cg.group_id = g.id and c.owner_id = ` + q.arg(a.UserID) + `)`
	}
	return `select g.id, g.name, g.is_vip, g.description, g.created_at, g.updated_at, ` + count + ` as customers from groups g`, nil
}

// Groups lists the tenant's groups by name with the number of customers
// in each the actor may see.
func (s *Store) Groups(ctx context.Context) ([]core.Group, error) {
	out := []core.Group{}
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		q := &cuQuery{}
		sel, err := groupSelect(ctx, q)
		if err != nil {
			return err
		}
		var rows []groupRow
		if err := tx.SelectContext(ctx, &rows, sel+` order by lower(g.name), g.id`, q.args...); err != nil {
			return fmt.Errorf("list groups: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.group())
		}
		return nil
	})
	return out, err
}

func getGroup(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (core.Group, error) {
	q := &cuQuery{}
	sel, err := groupSelect(ctx, q)
	if err != nil {
		return core.Group{}, err
	}
	var r groupRow
	err = tx.GetContext(ctx, &r, sel+` where g.id = `+q.arg(id), q.args...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Group{}, core.Errorf(core.CodeNotFound, "group not found")
	}
	if err != nil {
		return core.Group{}, fmt.Errorf("get group: %w", err)
	}
	return r.group(), nil
}

// Group returns one group.
func (s *Store) Group(ctx context.Context, id uuid.UUID) (core.Group, error) {
	var g core.Group
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		g, err = getGroup(ctx, tx, id)
		return err
	})
	return g, err
}

var errGroupName = &core.Error{Code: core.CodeConflict, Message: "a group with this name exists", Fields: map[string]string{"name": "already used"}}

// CreateGroup stores a new group; names are unique regardless of case.
func (s *Store) CreateGroup(ctx context.Context, in core.GroupInput) (core.Group, error) {
	if f := in.Normalize(); len(f) > 0 {
		return core.Group{}, core.Invalid(f)
	}
	var g core.Group
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		id := core.NewID()
		_, err := tx.ExecContext(ctx, `insert into groups (id, name, is_vip, description) values ($1, $2, $3, $4)`, id, in.Name, in.IsVIP, in.Description)
		if _, ok := cuUnique(err); ok {
			return errGroupName
		}
		if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		g, err = getGroup(ctx, tx, id)
		return err
	})
	return g, err
}

// UpdateGroup applies u to a group.
func (s *Store) UpdateGroup(ctx context.Context, id uuid.UUID, u core.GroupUpdate) (core.Group, error) {
	var g core.Group
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		old, err := getGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		in := core.GroupInput{Name: old.Name, IsVIP: old.IsVIP, Description: old.Description}
		u.Apply(&in)
		if f := in.Normalize(); len(f) > 0 {
			return core.Invalid(f)
		}
		_, err = tx.ExecContext(ctx, `update groups set name = $2, is_vip = $3, description = $4, updated_at = now() where id = $1`, id, in.Name, in.IsVIP, in.Description)
		if _, ok := cuUnique(err); ok {
			return errGroupName
		}
		if err != nil {
			return fmt.Errorf("update group: %w", err)
		}
		g, err = getGroup(ctx, tx, id)
		return err
	})
	return g, err
}

// DeleteGroup deletes a group; its customers stay, without it.
func (s *Store) DeleteGroup(ctx context.Context, id uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from groups where id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.CodeNotFound, "group not found")
		}
		return nil
	})
}
