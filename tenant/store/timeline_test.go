package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
)

// TestProfileAndTimeline: the profile carries recent records of every
// kind, referrals made and received, rewards, and a timeline whose pages
// together hold every event once, newest first.
func TestProfileAndTimeline(t *testing.T) {
	e := newLREnv(t)
	cust := e.customer(t, "نیکان", nil)
	friend := e.customer(t, "Friend", nil)
	e.oneOfEach(t, e.ctx, cust, friend, "P-1") // 10 events incl. a referral made
	if _, err := e.st.CreateReferral(e.ctx, core.ReferralUpdate{ReferrerID: &friend, ReferredID: &cust}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		if _, err := e.st.CreateNote(e.ctx, cust, core.NoteUpdate{Body: lrP("note")}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.st.Profile(e.ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Recent.Notes) != 5 || len(p.Recent.Tickets) != 1 || len(p.Recent.Invoices) != 1 || len(p.Recent.Payments) != 1 ||
		len(p.Recent.Contracts) != 1 || len(p.Recent.Proposals) != 1 || len(p.Recent.Tasks) != 1 || len(p.Recent.Rewards) != 1 || len(p.Recent.Referrals) != 2 {
		t.Errorf("recent sections: %s", lrJSON(p.Recent))
	}
	if p.Counts.Referrals != 1 || p.Counts.ReferralsReceived != 1 || p.Counts.Rewards != 1 {
		t.Errorf("counts: %+v", p.Counts)
	}
	if p.Recent.Invoices[0].Amount == nil || p.Recent.Invoices[0].Amount.Amount != 100 {
		t.Errorf("recent invoice: %+v", p.Recent.Invoices[0])
	}
	// 25 notes + note, task, ticket, contract, proposal, invoice, payment, reward,
	// referral made, referral received = 35 events.
	const want = 35
	if len(p.Timeline) != 20 || p.TimelineNextCursor == "" {
		t.Fatalf("profile timeline: %d entries, cursor %q", len(p.Timeline), p.TimelineNextCursor)
	}
	seen := map[uuid.UUID]bool{}
	kinds := map[string]int{}
	var last time.Time
	cursor := ""
	for page := 0; ; page++ {
		tp, err := e.st.Timeline(e.ctx, cust, cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range tp.Items {
			if seen[it.ID] {
				t.Errorf("%s %s twice", it.Kind, it.ID)
			}
			seen[it.ID] = true
			kinds[it.Kind]++
			if !last.IsZero() && it.At.After(last) {
				t.Errorf("timeline not newest first at %s", it.ID)
			}
			last = it.At
		}
		if tp.NextCursor == "" {
			break
		}
		cursor = tp.NextCursor
		if page > 10 {
			t.Fatal("timeline does not end")
		}
	}
	if len(seen) != want || kinds["note"] != 26 || kinds["referral_made"] != 1 || kinds["referral_received"] != 1 {
		t.Errorf("timeline: %d events %v, want %d", len(seen), kinds, want)
	}
	// Another tenant, or a bad cursor.
	other := e.env.Tenant(t, "beta")
	if _, err := e.st.Timeline(core.WithActor(core.WithTenant(t.Context(), other), core.SystemActor), cust, "", 10); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("other tenant's timeline: %v", err)
	}
	_, err = e.st.Timeline(e.ctx, cust, "nonsense", 10)
	lrCode(t, err, core.CodeInvalid)
}
