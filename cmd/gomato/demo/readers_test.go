package demo

import (
	"encoding/json"
	"testing"
	"time"
)

// TestMusicWholeFile: the CDNOW master file has 23,570 customers and 69,659
// purchase rows (80 of them 0.00, which get no payment) worth $2,500,315.63
// (summed with Python's decimal module), i.e. that many cents × 10,000
// rials at 1,000,000 rials per dollar.
func TestMusicWholeFile(t *testing.T) {
	t.Parallel()
	ds, err := ReadMusic(dataPath(MusicFile), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	st := ds.Stats
	if st.Customers != 23570 || st.Invoices != 69659 || st.Payments != 69659-80 {
		t.Errorf("customers %d, invoices %d, payments %d; want 23570, 69659, 69579", st.Customers, st.Invoices, st.Payments)
	}
	if want := int64(250031563) * 10000; st.KeptTotal != want {
		t.Errorf("total %d rials, want %d", st.KeptTotal, want)
	}
	if st.Referrals == 0 || st.Rewards == 0 || st.Rewards > st.Referrals {
		t.Errorf("referrals %d, rewards %d: want a few of each, no more rewards than referrals", st.Referrals, st.Rewards)
	}
	for _, r := range ds.Bulk.Referrals {
		if !r.Generated {
			t.Fatal("a generated referral is not marked generated")
		}
	}
	for _, r := range ds.Bulk.Rewards {
		if !r.Generated {
			t.Fatal("a generated reward is not marked generated")
		}
	}
	vip := 0
	for _, g := range ds.Bulk.Groups {
		if g.IsVIP {
			vip++
		}
	}
	if vip != 1 {
		t.Errorf("%d VIP groups, want 1", vip)
	}
	// CDNOW ends on 1998-06-30; the shift puts that three days before today.
	if want := testToday.AddDate(0, 0, -3); !time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, st.ShiftDays).Equal(want) {
		t.Errorf("shift %d days does not move 1998-06-30 to %s", st.ShiftDays, want.Format(time.DateOnly))
	}
	// Same input, same people: names are deterministic.
	again, err := ReadMusic(dataPath(MusicFile), Options{Today: testToday, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Bulk.Customers {
		if again.Bulk.Customers[i].Name != ds.Bulk.Customers[i].Name || again.Bulk.Customers[i].BillingCity != ds.Bulk.Customers[i].BillingCity {
			t.Fatalf("customer %d: %q in %q, then %q in %q", i, ds.Bulk.Customers[i].Name, ds.Bulk.Customers[i].BillingCity,
				again.Bulk.Customers[i].Name, again.Bulk.Customers[i].BillingCity)
		}
	}
}

// TestTelecomWholeFile: figures from the dataset README (7,043 customers,
// 1,869 churned) and from Python over the CSV: Σ tenure = 227,990 monthly
// invoices, Σ tenure × MonthlyCharges = $16,055,091.45, and 1,371 rows
// whose TotalCharges differs from that product by more than 5 % of
// TotalCharges.
func TestTelecomWholeFile(t *testing.T) {
	t.Parallel()
	ds, err := ReadTelecom(dataPath(TelecomFile), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	st := ds.Stats
	if st.Customers != 7043 || st.Contracts != 7043 || st.Churned != 1869 {
		t.Errorf("customers %d, contracts %d, churned %d; want 7043, 7043, 1869", st.Customers, st.Contracts, st.Churned)
	}
	if st.Invoices != 227990 || st.Payments != 227990 || st.KeptTotal != 1605509145 {
		t.Errorf("invoices %d, payments %d, total %d; want 227990, 227990, 1605509145", st.Invoices, st.Payments, st.KeptTotal)
	}
	if st.Mismatched != 1371 {
		t.Errorf("TotalCharges mismatches %d, want 1371", st.Mismatched)
	}
	snapshot := testToday.AddDate(0, 0, -SnapshotDaysAgo)
	for _, c := range ds.Bulk.Contracts {
		switch {
		case *c.Churned && (!c.EndOn.Equal(snapshot) || c.Status != "ended"):
			t.Fatalf("churned contract ends %v with status %s, want the snapshot %s and ended", c.EndOn, c.Status, snapshot.Format(time.DateOnly))
		case !*c.Churned && (!c.EndOn.IsZero() || c.Status != "active"):
			t.Fatalf("a running contract ends %v with status %s", c.EndOn, c.Status)
		}
	}
	// First row: 7590-VHVEG, tenure 1, $29.85, TotalCharges 29.85.
	c := ds.Bulk.Customers[0]
	var custom map[string]any
	if err := json.Unmarshal(c.Custom, &custom); err != nil || custom["total_charges"] != 29.85 || custom["payment_method"] != "Electronic check" {
		t.Errorf("first customer custom %s, want total_charges 29.85 and Electronic check", c.Custom)
	}
	if got := ds.Bulk.Contracts[0].StartOn; !got.Equal(addMonths(snapshot, -1)) {
		t.Errorf("first contract starts %s, want a month before the snapshot", got.Format(time.DateOnly))
	}
}

func TestAddMonthsClamps(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	cases := []struct {
		from string
		n    int
		want string
	}{{"2024-01-31", 1, "2024-02-29"}, {"2023-03-31", -1, "2023-02-28"}, {"2024-10-04", -34, "2021-12-04"}, {"2024-12-15", 1, "2025-01-15"}}
	for _, c := range cases {
		if got := addMonths(d(c.from), c.n); !got.Equal(d(c.want)) {
			t.Errorf("addMonths(%s, %d) = %s, want %s", c.from, c.n, got.Format(time.DateOnly), c.want)
		}
	}
}
