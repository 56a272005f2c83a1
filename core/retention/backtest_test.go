package retention

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// cdnowMasterTenant turns the CDNOW master file into a tenant input.
func cdnowMasterTenant(t testing.TB) (TenantInput, cdnowCustomers) {
	c := loadCDNOW(t, "CDNOW_master.txt", 0)
	in := TenantInput{Location: time.UTC, Customers: make([]CustomerInput, len(c.ids))}
	for i, id := range c.ids {
		in.Customers[i] = CustomerInput{ID: CustomerID(fmt.Sprintf("%05d", id)), Status: StatusActive, Owner: "o", Transactions: c.txs[i]}
	}
	return in, c
}

var cdnowHoldoutEnd = time.Date(1998, 7, 1, 0, 0, 0, 0, time.UTC) // exclusive: through 1998-06-30

func TestCDNOWMasterBacktest(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	in, c := cdnowMasterTenant(t)
	if c.rows != 69659 || len(c.ids) != 23570 {
		t.Fatalf("master has %d rows and %d customers, want 69659 and 23570", c.rows, len(c.ids))
	}
	// The scoring horizon is the holdout's length (273 days). History
	// before the cut-off is only 273 days too, so the churn model learns on
	// the documented shorter window: half the history, 136 days.
	holdoutDays := int(cdnowHoldoutEnd.Sub(cdnowCalEnd).Hours() / 24)
	res, err := Score(in, Options{AsOf: cdnowCalEnd, HorizonDays: holdoutDays, CountFreeOrders: true})
	if err != nil {
		t.Fatal(err)
	}
	tx := res.Transaction
	t.Logf("transaction model: default=%v window %d days from %s, %d customers, %d lapsed, held-out backtest AUC %.4f, weights %.3f",
		tx.Default, tx.WindowDays, tx.TrainCutoff.Format("2006-01-02"), tx.NTrain, tx.NLapsed, tx.BacktestAUC, tx.Weights)
	if tx.Default || tx.WindowDays != 136 {
		t.Fatalf("want weights learned on a 136-day window, got default=%v (%s), window %d", tx.Default, tx.Why, tx.WindowDays)
	}
	if !(tx.BacktestAUC > 0.6) {
		t.Errorf("held-out backtest AUC %.4f: the learned weights rank no better than chance", tx.BacktestAUC)
	}
	// Holdout truth, from data the model never saw.
	lapsed := make([]bool, len(c.ids))
	actual := make([]int, len(c.ids))
	for i, txs := range c.txs {
		l := buildLedger(txs, cdnowHoldoutEnd, time.UTC)
		actual[i] = l.purchasesBetween(civilDay(cdnowCalEnd, time.UTC), civilDay(cdnowHoldoutEnd, time.UTC)-1, true)
		lapsed[i] = actual[i] == 0
	}
	risk := make([]float64, len(c.ids))
	negExp := make([]float64, len(c.ids))
	recency := make([]float64, len(c.ids))
	for i, s := range res.Scores {
		if s.Model != ModelTransaction {
			t.Fatalf("customer %s scored by %q", s.ID, s.Model)
		}
		risk[i] = s.Risk
		negExp[i] = -s.ExpectedPurchases
		recency[i] = float64(s.DaysSinceLast)
	}
	aucCombined := ROCAUC(risk, lapsed)
	aucExp := ROCAUC(negExp, lapsed)
	aucRec := ROCAUC(recency, lapsed)
	t.Logf("holdout no-purchase AUC: combined %.4f, BG/NBD expected purchases %.4f, recency %.4f", aucCombined, aucExp, aucRec)
	// The single-feature baselines are quoted as ≈ 0.763 and ≈ 0.759.
	if math.Abs(aucExp-0.763) > 0.01 || math.Abs(aucRec-0.759) > 0.01 {
		t.Errorf("baselines %.4f and %.4f, expected about 0.763 and 0.759", aucExp, aucRec)
	}
	if !(aucCombined > aucExp && aucCombined > aucRec) {
		t.Errorf("combined AUC %.4f does not beat the baselines (%.4f, %.4f)", aucCombined, aucExp, aucRec)
	}
	// Predicted vs actual holdout purchases by calibration frequency.
	var pred, act [8]float64
	var cnt [8]int
	for i, s := range res.Scores {
		x := min(in.Customers[i].summaryX(res), 7)
		pred[x] += s.ExpectedPurchases
		act[x] += float64(actual[i])
		cnt[x]++
	}
	var tp, ta float64
	for x := range pred {
		label := fmt.Sprint(x)
		if x == 7 {
			label = "7+"
		}
		t.Logf("x=%-2s customers %5d  predicted %8.1f  actual %6.0f", label, cnt[x], pred[x], act[x])
		tp += pred[x]
		ta += act[x]
	}
	t.Logf("total predicted %.1f, actual %.0f", tp, ta)
	// Expected purchases must rank the classes as the data does: more
	// calibration purchases, more holdout purchases per customer.
	for x := 1; x < len(pred); x++ {
		if !(pred[x]/float64(cnt[x]) > pred[x-1]/float64(cnt[x-1])) || !(act[x]/float64(cnt[x]) > act[x-1]/float64(cnt[x-1])) {
			t.Errorf("class %d: per-customer predicted %.3f / actual %.3f not above class %d", x, pred[x]/float64(cnt[x]), act[x]/float64(cnt[x]), x-1)
		}
	}
}

// summaryX is the calibration repeat frequency of a scored customer.
func (c CustomerInput) summaryX(res Result) int {
	s := Summarize(c.Transactions, SummaryOptions{AsOf: res.AsOf, Unit: res.Unit, CountFreeOrders: true})
	return s.X
}

func TestCDNOWMasterOneTimeBuyers(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	in, _ := cdnowMasterTenant(t)
	hist := make([]History, len(in.Customers))
	oneTime := 0
	for i, c := range in.Customers {
		s := Summarize(c.Transactions, SummaryOptions{AsOf: cdnowHoldoutEnd, Unit: Weeks, CountFreeOrders: true})
		hist[i] = s.History()
		if s.X == 0 {
			oneTime++
		}
	}
	// DESIGN §7: 12,054 of the 23,570 CDNOW master customers bought once.
	if oneTime != 12054 {
		t.Fatalf("one-time buyers = %d, want 12054", oneTime)
	}
	bg, err := FitBG(BGNBD, hist, Weeks)
	if err != nil {
		t.Fatal(err)
	}
	mbg, err := FitBG(MBGNBD, hist, Weeks)
	if err != nil {
		t.Fatal(err)
	}
	bgOne, mbgLow := 0, 0
	for _, h := range hist {
		if h.X != 0 {
			continue
		}
		if bg.PAlive(h) == 1 {
			bgOne++
		}
		if mbg.PAlive(h) < 0.5 {
			mbgLow++
		}
	}
	t.Logf("one-time buyers: BG/NBD P(alive)=1 for %d; MBG/NBD P(alive) < 0.5 for %d", bgOne, mbgLow)
	if bgOne != oneTime {
		t.Errorf("BG/NBD gives P(alive)=1 to %d one-time buyers, want all %d", bgOne, oneTime)
	}
	if mbgLow < oneTime/2 {
		t.Errorf("MBG/NBD leaves %d of %d one-time buyers (most silent for over a year) at P(alive) ≥ 0.5", oneTime-mbgLow, oneTime)
	}
}
