package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestCustomersSortedByScores pages through the list sorted by CLV, risk
// and next purchase, both ways, with a status filter, in pages of 3: the
// order must be the one the sort's expression defines — customers without
// a score (or without a forecast) where its default puts them, ties broken
// by id — with every customer exactly once.
func TestCustomersSortedByScores(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "scoresort")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	type row struct {
		id       uuid.UUID
		active   bool
		scored   bool
		clv      int64
		risk     float64
		forecast *time.Time
	}
	var rows []row
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 17 {
		st := core.CustomerActive
		if i%5 == 4 {
			st = core.CustomerInactive
		}
		c := mustCustomer(t, s, ctx, core.CustomerInput{Name: fmt.Sprintf("C%02d", i), Status: st})
		r := row{id: c.ID, active: st == core.CustomerActive, scored: i%4 != 3,
			clv: int64((i * 7) % 5 * 1000), risk: float64((i*3)%4) / 4}
		if r.scored && i%3 != 0 {
			f := base.AddDate(0, 0, (i*5)%6)
			r.forecast = &f
		}
		rows = append(rows, r)
	}
	run := core.NewID()
	err := tenant.Tx(ctx, env.DB, func(tx *sqlx.Tx) error {
		for _, r := range rows {
			if !r.scored {
				continue
			}
			level := "low"
			if r.risk >= 0.5 {
				level = "high"
			}
			if _, err := tx.Exec(`insert into scores (customer_id, run_id, computed_at, model, risk, risk_level, clv, forecast_at)
				values ($1, $2, now(), 'bgnbd', $3, $4, $5, $6)`, r.id, run, r.risk, level, r.clv, r.forecast); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	infinity := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := map[core.CustomerSort]func(r row) float64{
		core.SortCLV: func(r row) float64 {
			if !r.scored {
				return -1
			}
			return float64(r.clv)
		},
		core.SortRisk: func(r row) float64 {
			if !r.scored {
				return -1
			}
			return r.risk
		},
		core.SortNextPurchase: func(r row) float64 {
			if r.forecast == nil {
				return float64(infinity.Unix())
			}
			return float64(r.forecast.Unix())
		},
	}
	for sortKey, key := range keys {
		for _, desc := range []bool{false, true} {
			sort := sortKey
			if desc {
				sort = "-" + sortKey
			}
			var want []uuid.UUID
			active := slices.DeleteFunc(slices.Clone(rows), func(r row) bool { return !r.active })
			slices.SortFunc(active, func(a, b row) int {
				c := cmp.Compare(key(a), key(b))
				if c == 0 {
					c = slices.Compare(a.id[:], b.id[:])
				}
				if desc {
					c = -c
				}
				return c
			})
			for _, r := range active {
				want = append(want, r.id)
			}
			var got []uuid.UUID
			f := core.CustomerFilter{Sort: sort, Limit: 3, Status: []core.CustomerStatus{core.CustomerActive}}
			for pages := 0; ; pages++ {
				if pages > len(rows) {
					t.Fatalf("%s: the cursor does not advance", sort)
				}
				page, err := s.Customers(ctx, f)
				if err != nil {
					t.Fatalf("%s: %v", sort, err)
				}
				for _, c := range page.Items {
					got = append(got, c.ID)
				}
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got\n%v\nwant\n%v", sort, got, want)
			}
		}
	}
}
