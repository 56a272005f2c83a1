package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// keyTomanDisplay is the settings key of an IRR tenant's choice to show
// amounts in the UI in toman (rials ÷ 10), as Iranians usually quote them.
// It is display only: stored money stays integer rials, and the API speaks
// rials.
const keyTomanDisplay = "ui.toman"

// TomanDisplay reports whether the tenant in ctx shows amounts in toman;
// false for a tenant that never chose, and for every non-IRR tenant.
func TomanDisplay(ctx context.Context, db *sqlx.DB) (bool, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return false, err
	}
	if t.Currency != "IRR" {
		return false, nil
	}
	var on bool
	err = ReadTx(ctx, db, func(tx *sqlx.Tx) error {
		var raw []byte
		err := tx.GetContext(ctx, &raw, `select value from settings where key = $1`, keyTomanDisplay)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &on)
	})
	return on, err
}

// SetTomanDisplay turns the toman display of the tenant in ctx on or off;
// turning it on is invalid for a tenant whose currency is not IRR.
func SetTomanDisplay(ctx context.Context, db *sqlx.DB, on bool) error {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	if on && t.Currency != "IRR" {
		return core.Invalid(map[string]string{"money_display": "toman is only for IRR tenants"})
	}
	v, _ := json.Marshal(on)
	return Tx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			insert into settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value, updated_at = now()`,
			keyTomanDisplay, string(v))
		return err
	})
}
