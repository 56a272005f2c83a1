package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // time zones never depend on the host's tz database

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// Settings are a tenant's own configuration. Locale and time zone live on
// the tenant's control row (everything above the tenant reads them); the
// rest in the tenant schema's settings table.
type Settings struct {
	Locale   string `json:"locale"`
	TimeZone string `json:"time_zone"`
	// DefaultAssignee gets rescue alerts for customers without an owner.
	DefaultAssignee *uuid.UUID `json:"default_assignee"`
	// Risk levels: low < RiskMedium ≤ medium < RiskHigh ≤ high (DESIGN §7).
	RiskMedium float64 `json:"risk_medium"`
	RiskHigh   float64 `json:"risk_high"`
}

// Default risk thresholds (DESIGN §7).
const (
	DefaultRiskMedium = 0.3
	DefaultRiskHigh   = 0.6
)

// SettingsUpdate changes settings; nil fields stay as they are.
// ClearDefaultAssignee removes the default assignee.
type SettingsUpdate struct {
	Locale               *string
	TimeZone             *string
	DefaultAssignee      *uuid.UUID
	ClearDefaultAssignee bool
	RiskMedium           *float64
	RiskHigh             *float64
}

const (
	keyDefaultAssignee = "alerts.default_assignee"
	keyRiskThresholds  = "risk.thresholds"
)

type riskThresholds struct {
	Medium float64 `json:"medium"`
	High   float64 `json:"high"`
}

// LoadSettings reads the settings of the tenant in ctx.
func LoadSettings(ctx context.Context, db *sqlx.DB) (Settings, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return Settings{}, err
	}
	st := Settings{RiskMedium: DefaultRiskMedium, RiskHigh: DefaultRiskHigh}
	if err := db.QueryRowxContext(ctx, `select locale, time_zone from control.tenants where id = $1`, t.ID).Scan(&st.Locale, &st.TimeZone); err != nil {
		return Settings{}, err
	}
	err = ReadTx(ctx, db, func(tx *sqlx.Tx) error { return readSettings(ctx, tx, &st) })
	return st, err
}

func readSettings(ctx context.Context, tx *sqlx.Tx, st *Settings) error {
	var rows []struct {
		Key   string `db:"key"`
		Value []byte `db:"value"`
	}
	if err := tx.SelectContext(ctx, &rows, `select key, value from settings where key = any($1)`, "{"+keyDefaultAssignee+","+keyRiskThresholds+"}"); err != nil {
		return err
	}
	for _, r := range rows {
		switch r.Key {
		case keyDefaultAssignee:
			var id uuid.UUID
			if json.Unmarshal(r.Value, &id) == nil {
				st.DefaultAssignee = &id
			}
		case keyRiskThresholds:
			var th riskThresholds
			if json.Unmarshal(r.Value, &th) == nil {
				st.RiskMedium, st.RiskHigh = th.Medium, th.High
			}
		}
	}
	return nil
}

// UpdateSettings validates and applies u to the tenant in ctx and returns
// the settings after it. The default assignee must be an active member.
func UpdateSettings(ctx context.Context, db *sqlx.DB, u SettingsUpdate) (Settings, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return Settings{}, err
	}
	cur, err := LoadSettings(ctx, db)
	if err != nil {
		return Settings{}, err
	}
	f := map[string]string{}
	next := cur
	if u.Locale != nil {
		if *u.Locale != "en" && *u.Locale != "fa" {
			f["locale"] = "must be en or fa"
		}
		next.Locale = *u.Locale
	}
	if u.TimeZone != nil {
		if _, err := time.LoadLocation(*u.TimeZone); err != nil || *u.TimeZone == "" || *u.TimeZone == "Local" {
			f["time_zone"] = "unknown IANA time zone, e.g. Asia/Tehran"
		}
		next.TimeZone = *u.TimeZone
	}
	if u.RiskMedium != nil {
		next.RiskMedium = *u.RiskMedium
	}
	if u.RiskHigh != nil {
		next.RiskHigh = *u.RiskHigh
	}
	if !(next.RiskMedium > 0 && next.RiskMedium < 1) {
		f["risk_medium"] = "must be between 0 and 1"
	}
	if !(next.RiskHigh > 0 && next.RiskHigh < 1) {
		f["risk_high"] = "must be between 0 and 1"
	} else if next.RiskHigh <= next.RiskMedium {
		f["risk_high"] = "must be above risk_medium"
	}
	if u.ClearDefaultAssignee {
		next.DefaultAssignee = nil
	} else if u.DefaultAssignee != nil {
		var st string
		err := db.GetContext(ctx, &st, `select status from control.memberships where tenant_id = $1 and user_id = $2`, t.ID, *u.DefaultAssignee)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && st != MemberActive) {
			f["default_assignee"] = "not an active member of this tenant"
		} else if err != nil {
			return Settings{}, err
		}
		next.DefaultAssignee = u.DefaultAssignee
	}
	if len(f) > 0 {
		return Settings{}, core.Invalid(f)
	}
	err = Tx(ctx, db, func(tx *sqlx.Tx) error {
		if next.Locale != cur.Locale || next.TimeZone != cur.TimeZone {
			if _, err := tx.ExecContext(ctx, `update control.tenants set locale = $2, time_zone = $3 where id = $1`, t.ID, next.Locale, next.TimeZone); err != nil {
				return fmt.Errorf("update tenant locale: %w", err)
			}
		}
		th, _ := json.Marshal(riskThresholds{Medium: next.RiskMedium, High: next.RiskHigh})
		if _, err := tx.ExecContext(ctx, `
			insert into settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value, updated_at = now()`,
			keyRiskThresholds, string(th)); err != nil {
			return err
		}
		if next.DefaultAssignee == nil {
			_, err := tx.ExecContext(ctx, `delete from settings where key = $1`, keyDefaultAssignee)
			return err
		}
		v, _ := json.Marshal(next.DefaultAssignee)
		_, err := tx.ExecContext(ctx, `
			insert into settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value, updated_at = now()`,
			keyDefaultAssignee, string(v))
		return err
	})
	if err == nil && (next.Locale != cur.Locale || next.TimeZone != cur.TimeZone) {
		controlChanged() // the committed change voids the cached tenant
	}
	return next, err
}
