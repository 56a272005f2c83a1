package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

type fieldDefRow struct {
	ID        uuid.UUID `db:"id"`
	Entity    string    `db:"entity"`
	Key       string    `db:"key"`
	Label     string    `db:"label"`
	Type      string    `db:"type"`
	Options   []byte    `db:"options"`
	Required  bool      `db:"required"`
	Position  int       `db:"position"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (r fieldDefRow) def() core.CustomFieldDef {
	d := core.CustomFieldDef{ID: r.ID, Entity: r.Entity, Key: r.Key, Label: r.Label, Type: core.CustomFieldType(r.Type),
		Options: []string{}, Required: r.Required, Position: r.Position, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal(r.Options, &d.Options)
	return d
}

const fieldDefCols = `id, entity, key, label, type, options, required, position, created_at, updated_at`

// customFieldDefs lists the definitions of an entity ("" for all), in
// display order.
func customFieldDefs(ctx context.Context, tx *sqlx.Tx, entity string) ([]core.CustomFieldDef, error) {
	var rows []fieldDefRow
	err := tx.SelectContext(ctx, &rows, `select `+fieldDefCols+` from custom_field_defs
		where $1 = '' or entity = $1 order by entity, position, key`, entity)
	if err != nil {
		return nil, fmt.Errorf("list custom field definitions: %w", err)
	}
	out := make([]core.CustomFieldDef, len(rows))
	for i, r := range rows {
		out[i] = r.def()
	}
	return out, nil
}

// CustomFieldDefs lists the tenant's custom field definitions for entity
// (customer or contact; empty for both).
func (s *Store) CustomFieldDefs(ctx context.Context, entity string) ([]core.CustomFieldDef, error) {
	if entity != "" && entity != "customer" && entity != "contact" {
		return nil, core.Invalid(map[string]string{"entity": "must be customer or contact"})
	}
	var out []core.CustomFieldDef
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		out, err = customFieldDefs(ctx, tx, entity)
		return err
	})
	return out, err
}

func getFieldDef(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, lock bool) (core.CustomFieldDef, error) {
	var r fieldDefRow
	q := `select ` + fieldDefCols + ` from custom_field_defs where id = $1`
	if lock {
		q += " for update"
	}
	err := tx.GetContext(ctx, &r, q, id)
	if errors.Is(err, sql.ErrNoRows) {
		return core.CustomFieldDef{}, core.Errorf(core.CodeNotFound, "custom field not found")
	}
	if err != nil {
		return core.CustomFieldDef{}, fmt.Errorf("get custom field definition: %w", err)
	}
	return r.def(), nil
}

// CustomFieldDef returns one definition.
func (s *Store) CustomFieldDef(ctx context.Context, id uuid.UUID) (core.CustomFieldDef, error) {
	var d core.CustomFieldDef
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		d, err = getFieldDef(ctx, tx, id, false)
		return err
	})
	return d, err
}

// CreateCustomFieldDef stores a new definition; keys are unique per entity.
func (s *Store) CreateCustomFieldDef(ctx context.Context, in core.CustomFieldDefInput) (core.CustomFieldDef, error) {
	if f := in.Normalize(); len(f) > 0 {
		return core.CustomFieldDef{}, core.Invalid(f)
	}
	var d core.CustomFieldDef
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		opts, _ := json.Marshal(in.Options)
		id := core.NewID()
		_, err := tx.ExecContext(ctx, `insert into custom_field_defs (id, entity, key, label, type, options, required, position)
			values ($1, $2, $3, $4, $5, $6, $7, $8)`, id, in.Entity, in.Key, in.Label, in.Type, opts, in.Required, in.Position)
		if _, ok := cuUnique(err); ok {
			return &core.Error{Code: core.CodeConflict, Message: "a custom field with this key exists", Fields: map[string]string{"key": "already used"}}
		}
		if err != nil {
			return fmt.Errorf("insert custom field definition: %w", err)
		}
		d, err = getFieldDef(ctx, tx, id, false)
		return err
	})
	return d, err
}

// UpdateCustomFieldDef changes a definition's label, options, required
// flag or position.
func (s *Store) UpdateCustomFieldDef(ctx context.Context, id uuid.UUID, u core.CustomFieldDefUpdate) (core.CustomFieldDef, error) {
	var d core.CustomFieldDef
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		old, err := getFieldDef(ctx, tx, id, true)
		if err != nil {
			return err
		}
		in := core.CustomFieldDefInput{Entity: old.Entity, Key: old.Key, Label: old.Label, Type: old.Type, Options: old.Options, Required: old.Required, Position: old.Position}
		u.Apply(&in)
		if f := in.Normalize(); len(f) > 0 {
			return core.Invalid(f)
		}
		opts, _ := json.Marshal(in.Options)
		if _, err := tx.ExecContext(ctx, `update custom_field_defs set label = $2, options = $3, required = $4, position = $5, updated_at = now() where id = $1`,
			id, in.Label, opts, in.Required, in.Position); err != nil {
			return fmt.Errorf("update custom field definition: %w", err)
		}
		d, err = getFieldDef(ctx, tx, id, false)
		return err
	})
	return d, err
}

// DeleteCustomFieldDef deletes a definition and removes its values from
// every customer or contact, so a later field with the same key starts
// clean.
func (s *Store) DeleteCustomFieldDef(ctx context.Context, id uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		d, err := getFieldDef(ctx, tx, id, true)
		if err != nil {
			return err
		}
		table := "customers"
		if d.Entity == "contact" {
			table = "contacts"
		}
		if _, err := tx.ExecContext(ctx, `update `+table+` set custom = custom - $1 where custom ? $1`, d.Key); err != nil {
			return fmt.Errorf("remove custom values: %w", err)
		}
		_, err = tx.ExecContext(ctx, `delete from custom_field_defs where id = $1`, id)
		return err
	})
}
