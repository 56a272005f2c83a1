package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// lrRelated counts every kind of record hanging off one customer.
func (e *lrEnv) related(t *testing.T, cust uuid.UUID) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"contacts", "tickets", "contracts", "proposals", "invoices", "payments", "notes", "tasks", "rewards", "customer_groups", "customer_specialties"} {
		out[table] = e.count(t, `select count(*) from `+table+` where customer_id = $1`, cust)
	}
	out["referrals"] = e.count(t, `select count(*) from referrals where referrer_id = $1 or referred_id = $1`, cust)
	return out
}

func (e *lrEnv) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := tenant.Tx(e.ctx, e.env.DB, func(tx *sqlx.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestMergeCustomers: every related record of the duplicate ends on the
// survivor — the count before equals the count after, for every kind,
// less only the collapsed duplicate links and the referral between the
// two, which the test works out itself.
func TestMergeCustomers(t *testing.T) {
	e := newLREnv(t)
	owner := core.NewID()
	surv := e.customer(t, "شرکت آلفا", nil)
	dup := e.customer(t, "Alpha Co (duplicate)", &owner)
	friend := e.customer(t, "Friend", nil)
	e.exec(t, `update customers set email = '', phone = '', website = 'alpha.example', custom = '{"tier":"gold","note":""}' where id = $1`, surv)
	e.exec(t, `update customers set email = 'alpha@example.com', phone = '+98 912 000 0000', website = 'dup.example', external_ref = 'crm-9',
		billing_city = 'تهران', billing_country = 'IR', custom = '{"tier":"silver","note":"from dup","size":12}' where id = $1`, dup)

	// Records on both; a few on the duplicate alone.
	e.oneOfEach(t, e.ctx, surv, friend, "S-1")
	_ = e.oneOfEach(t, e.ctx, dup, friend, "D-1") // dup → friend collapses into surv → friend
	// A referral between the two (dropped) and one from friend to dup (moves).
	between, err := e.st.CreateReferral(e.ctx, core.ReferralUpdate{ReferrerID: &surv, ReferredID: &dup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateReferral(e.ctx, core.ReferralUpdate{ReferrerID: &friend, ReferredID: &dup}); err != nil {
		t.Fatal(err)
	}
	// Contacts, each with a primary; groups and specialties, one shared.
	for _, c := range []uuid.UUID{surv, dup} {
		e.exec(t, `insert into contacts (id, customer_id, first_name, is_primary) values ($1, $2, 'primary', true), ($3, $2, 'second', false)`, core.NewID(), c, core.NewID())
	}
	g1, g2, sp := core.NewID(), core.NewID(), core.NewID()
	e.exec(t, `insert into groups (id, name) values ($1, 'VIP'), ($2, 'عمده\u200cفروش')`, g1, g2)
	e.exec(t, `insert into specialties (id, name, name_norm) values ($1, 'Jazz', 'jazz')`, sp)
	e.exec(t, `insert into customer_groups values ($1, $3), ($2, $3), ($2, $4)`, surv, dup, g1, g2)
	e.exec(t, `insert into customer_specialties values ($1, $2)`, dup, sp)

	before, dupBefore := e.related(t, surv), e.related(t, dup)
	actor := core.NewID()
	res, err := e.st.MergeCustomers(e.ctx, surv, dup, &tenant.AuditEvent{TenantID: &e.tn.ID, ActorID: &actor, Action: "customer.merged", Target: surv.String()})
	if err != nil {
		t.Fatal(err)
	}
	after := e.related(t, surv)
	// What the test expects, worked out from the setup above.
	collapsed := map[string]int{"customer_groups": 1, "referrals": 1}
	dropped := map[string]int{"referrals": 1} // counted on both sides before
	for kind, n := range before {
		// A referral between the two was counted on both sides; it is dropped.
		want := n + dupBefore[kind] - collapsed[kind] - 2*dropped[kind]
		if after[kind] != want {
			t.Errorf("%s on the survivor: %d, want %d (before: survivor %d + duplicate %d)", kind, after[kind], want, n, dupBefore[kind])
		}
	}
	var audited int
	if err := e.env.DB.Get(&audited, `select count(*) from control.audit_log where action = 'customer.merged' and actor_id = $1 and detail->>'duplicate_id' = $2`, actor, dup.String()); err != nil || audited != 1 {
		t.Errorf("%d audit events for the merge (%v), want 1", audited, err)
	}
	if n := e.count(t, `select count(*) from customers where id = $1`, dup); n != 0 {
		t.Error("duplicate still exists")
	}
	if len(res.DroppedReferrals) != 1 || res.DroppedReferrals[0].ID != between.ID {
		t.Errorf("dropped referrals %+v, want the one between the two", res.DroppedReferrals)
	}
	if n := e.count(t, `select count(*) from contacts where customer_id = $1 and is_primary`, surv); n != 1 {
		t.Errorf("%d primary contacts, want 1", n)
	}
	// Both rewards still point at a referral that exists.
	if n := e.count(t, `select count(*) from rewards where customer_id = $1 and referral_id is not null and referral_id in (select id from referrals)`, surv); n != 2 {
		t.Errorf("%d rewards keep their referral, want 2", n)
	}

	// Fields: the survivor's non-empty ones win, the duplicate fills the rest.
	var got struct {
		Name, Email, Phone, Website, City, Country, Custom, Search string
		Owner                                                      *uuid.UUID
		Ref                                                        *string
		Invoiced                                                   int64
	}
	err = tenant.ReadTx(e.ctx, e.env.DB, func(tx *sqlx.Tx) error {
		return tx.QueryRow(`select name, email, phone, website, billing_city, billing_country, custom::text, search_norm, owner_id, external_ref, invoiced_total from customers where id = $1`, surv).
			Scan(&got.Name, &got.Email, &got.Phone, &got.Website, &got.City, &got.Country, &got.Custom, &got.Search, &got.Owner, &got.Ref, &got.Invoiced)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "شرکت آلفا" || got.Email != "alpha@example.com" || got.Phone != "+98 912 000 0000" || got.Website != "alpha.example" ||
		got.City != "تهران" || got.Country != "IR" || got.Owner == nil || *got.Owner != owner || got.Ref == nil || *got.Ref != "crm-9" {
		t.Errorf("merged fields: %+v", got)
	}
	if got.Custom != `{"note": "from dup", "size": 12, "tier": "gold"}` {
		t.Errorf("merged custom values: %s", got.Custom)
	}
	if got.Invoiced != 200 {
		t.Errorf("survivor's invoiced total %d, want 200 (both invoices)", got.Invoiced)
	}

	// Merging into itself or with an unknown id is a validation error.
	_, err = e.st.MergeCustomers(e.ctx, surv, surv, nil)
	lrCode(t, err, core.CodeInvalid)
	_, err = e.st.MergeCustomers(e.ctx, surv, core.NewID(), nil)
	lrCode(t, err, core.CodeInvalid)
	// Another tenant cannot merge our customers.
	other := e.env.Tenant(t, "beta")
	octx := core.WithActor(core.WithTenant(context.Background(), other), core.SystemActor)
	_, err = e.st.MergeCustomers(octx, surv, friend, nil)
	lrCode(t, err, core.CodeNotFound)
}
