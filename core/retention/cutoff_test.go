package retention

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestDataAfterCutoffChangesNothing(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	c := loadCDNOW(t, "CDNOW_sample.txt", 1)
	build := func(mutate bool) TenantInput {
		in := TenantInput{Location: time.UTC}
		for i, txs := range c.txs {
			cp := append([]Transaction(nil), txs...)
			if mutate {
				var kept []Transaction
				for _, tx := range cp {
					if !tx.At.Before(cdnowCalEnd) {
						// change, refund or drop everything at or after the cut-off
						switch i % 3 {
						case 0:
							tx.Amount *= 7
						case 1:
							tx.Amount = -tx.Amount
						case 2:
							continue
						}
					}
					kept = append(kept, tx)
				}
				// and add purchases after it, one exactly at the cut-off
				kept = append(kept, Transaction{At: cdnowCalEnd, Amount: 999}, Transaction{At: cdnowCalEnd.AddDate(0, 2, 0), Amount: 12345})
				cp = kept
			}
			in.Customers = append(in.Customers, CustomerInput{ID: CustomerID(fmt.Sprint(i)), Status: StatusActive, Transactions: cp})
		}
		return in
	}
	opts := Options{AsOf: cdnowCalEnd, Unit: Weeks, CountFreeOrders: true}
	a, err := Score(build(false), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Score(build(true), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.BG, b.BG) || !reflect.DeepEqual(a.MBG, b.MBG) || !reflect.DeepEqual(a.GG, b.GG) {
		t.Errorf("fits changed with data after the cut-off:\n%+v\n%+v", a.BG, b.BG)
	}
	if !reflect.DeepEqual(a.Transaction, b.Transaction) {
		t.Errorf("churn model changed with data after the cut-off")
	}
	changed := 0
	for i := range a.Scores {
		if !reflect.DeepEqual(a.Scores[i], b.Scores[i]) {
			if changed < 3 {
				t.Errorf("customer %d score changed:\n%+v\n%+v", i, a.Scores[i], b.Scores[i])
			}
			changed++
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d scores changed", changed, len(a.Scores))
	}
	// And the mutation is real: with a later cut-off the scores differ.
	late := opts
	late.AsOf = cdnowCalEnd.AddDate(0, 3, 0)
	c1, _ := Score(build(false), late)
	c2, _ := Score(build(true), late)
	if reflect.DeepEqual(c1.BG, c2.BG) {
		t.Errorf("mutating data after %s did not change a fit with a later cut-off: the test proves nothing", cdnowCalEnd)
	}
}

func TestPurchaseDaysNetRefunds(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, loc) }
	txs := []Transaction{
		{at(1, 10), 5000},
		{at(1, 23), -1000}, // same Tehran day (20:30 UTC): nets to 4000
		{at(5, 9), 3000},
		{at(5, 18), -3000}, // refunded in full: not a purchase
		{at(8, 1), 2000},   // 22:30 UTC on the 7th, but the 8th in Tehran
		{at(9, 12), -500},  // a lone credit note: never a purchase
		{at(12, 12), 0},    // zero-value day: not a purchase by default
		{at(20, 12), 9000}, // after the cut-off
	}
	// A 7-day trend window covers the 8th–14th: 2,000 recent against
	// 4,000 over the 7 earlier days, half the earlier rate.
	s := Summarize(txs, SummaryOptions{AsOf: at(15, 0), Location: loc, Unit: Days, TrendDays: 7})
	want := Summary{Purchases: 2, X: 1, Tx: 7, T: 13, Unit: Days, FirstPurchase: at(1, 0), LastPurchase: at(8, 0),
		DaysSinceLast: 6, TotalSpend: 6000, TotalRepeatSpend: 2000, MeanRepeatSpend: 2000, UsualGap: 7,
		RecentSpend: 2000, EarlierSpend: 4000, EarlierDays: 7, TrendDays: 7}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("summary\n got %+v\nwant %+v", s, want)
	}
	if got := spendTrend(s); got != -0.5 {
		t.Errorf("spend trend %v, want -0.5", got)
	}
	free := Summarize(txs, SummaryOptions{AsOf: at(15, 0), Location: loc, Unit: Days, CountFreeOrders: true})
	if free.Purchases != 3 || free.X != 2 || free.Tx != 11 {
		t.Errorf("with free orders: %+v, want 3 purchases, last on the 12th", free)
	}
	sums := []Summary{s, {Purchases: 1, X: 0}, {Purchases: 3, X: 2, Tx: 30, UsualGap: 15}, {Purchases: 2, X: 1, Tx: 4, UsualGap: 4}}
	if med := FillUsualGaps(sums); med != 7 || sums[1].UsualGap != 7 {
		t.Errorf("median usual gap %v (one-time buyer got %v), want 7", med, sums[1].UsualGap)
	}
}
