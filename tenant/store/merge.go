package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// MergeResult says what a merge did: how many records of each kind moved
// to the survivor, how many duplicate links collapsed, and the referrals
// between the two customers that were dropped.
type MergeResult struct {
	SurvivorID  uuid.UUID        `json:"survivor_id"`
	DuplicateID uuid.UUID        `json:"duplicate_id"`
	Moved       map[string]int64 `json:"moved"`
	Collapsed   map[string]int64 `json:"collapsed"`
	// DroppedReferrals are the referrals between survivor and duplicate,
	// which mean nothing once they are one customer.
	DroppedReferrals []core.Referral `json:"dropped_referrals"`
}

// MergeCustomers folds the duplicate into the survivor in one transaction:
// every related record (contacts, tickets, contracts, proposals,
// invoices, payments, notes, tasks, referrals, rewards, groups,
// specialties, custom values) moves to the survivor; the survivor's
// non-empty fields win and the duplicate fills the rest (an address as a
// whole); a referral between the two is dropped; links the survivor
// already has collapse; the duplicate is deleted and the survivor's facts
// recomputed. When audit is not nil the event (with the result as detail)
// is written to the audit log in the same transaction.
func (s *Store) MergeCustomers(ctx context.Context, survivor, duplicate uuid.UUID, audit *tenant.AuditEvent) (MergeResult, error) {
	res := MergeResult{SurvivorID: survivor, DuplicateID: duplicate, Moved: map[string]int64{}, Collapsed: map[string]int64{}, DroppedReferrals: []core.Referral{}}
	if survivor == duplicate {
		return res, core.Invalid(map[string]string{"duplicate_id": "must be another customer"})
	}
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return res, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		// Lock both in id order so two merges of the same pair cannot deadlock.
		var locked []uuid.UUID
		if err := tx.SelectContext(ctx, &locked, `select id from customers c where c.id = any(array[$3, $4]::uuid[]) and `+lrScopeCond("c.id")+` order by id for update`,
			sc.args(survivor, duplicate)...); err != nil {
			return err
		}
		found := map[uuid.UUID]bool{}
		for _, id := range locked {
			found[id] = true
		}
		if !found[survivor] {
			return core.Errorf(core.CodeNotFound, "customer not found")
		}
		if !found[duplicate] {
			return core.Invalid(map[string]string{"duplicate_id": "no such customer"})
		}
		if err := mergeFields(ctx, tx, survivor, duplicate); err != nil {
			return err
		}
		if err := mergeReferrals(ctx, tx, survivor, duplicate, &res); err != nil {
			return err
		}
		// Only one primary contact per customer: the survivor's stays.
		if _, err := tx.ExecContext(ctx, `update contacts set is_primary = false
			where customer_id = $2 and is_primary and exists (select 1 from contacts where customer_id = $1 and is_primary)`, survivor, duplicate); err != nil {
			return err
		}
		for _, table := range []string{"contacts", "tickets", "contracts", "proposals", "invoices", "payments", "notes", "tasks", "rewards"} {
			r, err := tx.ExecContext(ctx, `update `+table+` set customer_id = $1 where customer_id = $2`, survivor, duplicate)
			if err != nil {
				return fmt.Errorf("move %s: %w", table, err)
			}
			res.Moved[table], _ = r.RowsAffected()
		}
		for _, l := range []struct{ table, col string }{{"customer_groups", "group_id"}, {"customer_specialties", "specialty_id"}} {
			var total int64
			if err := tx.GetContext(ctx, &total, `select count(*) from `+l.table+` where customer_id = $1`, duplicate); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, `insert into `+l.table+` (customer_id, `+l.col+`)
				select $1, `+l.col+` from `+l.table+` where customer_id = $2 on conflict do nothing`, survivor, duplicate)
			if err != nil {
				return fmt.Errorf("move %s: %w", l.table, err)
			}
			n, _ := r.RowsAffected()
			res.Moved[l.table], res.Collapsed[l.table] = n, total-n
		}
		if _, err := tx.ExecContext(ctx, `delete from customers where id = $1`, duplicate); err != nil {
			return fmt.Errorf("delete duplicate: %w", err)
		}
		// The duplicate's open tickets now belong to the survivor, and
		// get its VIP service (the groups were merged above).
		var tickets []uuid.UUID
		if err := tx.SelectContext(ctx, &tickets, `select id from tickets where customer_id = $1 and status <> 'closed'`, survivor); err != nil {
			return err
		}
		if len(tickets) > 0 {
			threshold, err := lastVIPThreshold(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := raiseTicketsForVIP(ctx, tx, threshold, tickets); err != nil {
				return err
			}
		}
		if err := RecomputeFactsTx(ctx, tx, []uuid.UUID{survivor}); err != nil {
			return err
		}
		if audit != nil {
			ev := *audit
			if ev.Detail == nil {
				ev.Detail = map[string]any{}
			}
			ev.Detail["survivor_id"], ev.Detail["duplicate_id"] = survivor, duplicate
			ev.Detail["moved"], ev.Detail["collapsed"], ev.Detail["dropped_referrals"] = res.Moved, res.Collapsed, res.DroppedReferrals
			if err := tenant.RecordAudit(ctx, tx, ev); err != nil {
				return fmt.Errorf("audit merge: %w", err)
			}
		}
		return nil
	})
	return res, err
}

// mergeFields fills the survivor's empty fields from the duplicate.
func mergeFields(ctx context.Context, tx *sqlx.Tx, survivor, duplicate uuid.UUID) error {
	// The duplicate's external ref may move to the survivor: free it first.
	var dupRef sql.NullString
	if err := tx.GetContext(ctx, &dupRef, `select external_ref from customers where id = $1`, duplicate); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `update customers set external_ref = null where id = $1`, duplicate); err != nil {
		return err
	}
	text := func(col string) string {
		return col + ` = case when s.` + col + ` <> '' then s.` + col + ` else d.` + col + ` end`
	}
	block := func(prefix string) string {
		cols := []string{"street", "city", "province", "postal_code", "country"}
		empty := ""
		for i, c := range cols {
			if i > 0 {
				empty += " and "
			}
			empty += "s." + prefix + c + " = ''"
		}
		out := ""
		for i, c := range cols {
			if i > 0 {
				out += ", "
			}
			out += prefix + c + ` = case when ` + empty + ` then d.` + prefix + c + ` else s.` + prefix + c + ` end`
		}
		return out
	}
	q := `update customers c set ` + text("name") + `, ` + text("email") + `, ` + text("phone") + `, ` + text("website") + `, ` +
		text("vat_id") + `, ` + text("source") + `, ` + block("billing_") + `, ` + block("shipping_") + `,
		owner_id = coalesce(s.owner_id, d.owner_id),
		value_added_deals = case when s.value_added_deals > 0 then s.value_added_deals else d.value_added_deals end,
		custom = d.custom || (select coalesce(jsonb_object_agg(k, v), '{}') from jsonb_each(s.custom) e(k, v)
			where v not in ('""'::jsonb, 'null'::jsonb, '[]'::jsonb)),
		sales_forecast_at = coalesce(s.sales_forecast_at, d.sales_forecast_at),
		sales_forecast = coalesce(s.sales_forecast, d.sales_forecast),
		forecast_override_at = case when s.forecast_override_at is not null then s.forecast_override_at else d.forecast_override_at end,
		forecast_override_by = case when s.forecast_override_at is not null then s.forecast_override_by else d.forecast_override_by end,
		forecast_override_set = case when s.forecast_override_at is not null then s.forecast_override_set else d.forecast_override_set end,
		external_ref = coalesce(s.external_ref, $3),
		created_at = least(s.created_at, d.created_at),
		updated_at = now()
		from customers s, customers d
		where c.id = $1 and s.id = $1 and d.id = $2`
	if _, err := tx.ExecContext(ctx, q, survivor, duplicate, dupRef); err != nil {
		return fmt.Errorf("merge fields: %w", err)
	}
	// The search text follows the merged fields.
	var in core.CustomerInput
	row := tx.QueryRowxContext(ctx, `select name, email, phone, vat_id from customers where id = $1`, survivor)
	if err := row.Scan(&in.Name, &in.Email, &in.Phone, &in.VATID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `update customers set search_norm = $2 where id = $1`, survivor, in.SearchText())
	return err
}

// mergeReferrals drops referrals between the two, and moves the
// duplicate's other referrals to the survivor, collapsing those the
// survivor already has (their rewards follow the kept referral).
func mergeReferrals(ctx context.Context, tx *sqlx.Tx, survivor, duplicate uuid.UUID, res *MergeResult) error {
	if err := tx.SelectContext(ctx, &res.DroppedReferrals, `delete from referrals
		where (referrer_id = $1 and referred_id = $2) or (referrer_id = $2 and referred_id = $1)
		returning `+referralCols, survivor, duplicate); err != nil {
		return fmt.Errorf("drop referrals between the two: %w", err)
	}
	var moved, collapsed int64
	for _, side := range []struct{ self, other string }{{"referrer_id", "referred_id"}, {"referred_id", "referrer_id"}} {
		// Repoint rewards of referrals that collapse into the survivor's.
		if _, err := tx.ExecContext(ctx, `update rewards w set referral_id = keep.id
			from referrals dup join referrals keep on keep.`+side.self+` = $1 and keep.`+side.other+` = dup.`+side.other+`
			where dup.`+side.self+` = $2 and w.referral_id = dup.id`, survivor, duplicate); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `delete from referrals dup using referrals keep
			where dup.`+side.self+` = $2 and keep.`+side.self+` = $1 and keep.`+side.other+` = dup.`+side.other, survivor, duplicate)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		collapsed += n
		r, err = tx.ExecContext(ctx, `update referrals set `+side.self+` = $1 where `+side.self+` = $2`, survivor, duplicate)
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		moved += n
	}
	res.Moved["referrals"], res.Collapsed["referrals"] = moved, collapsed
	return nil
}
