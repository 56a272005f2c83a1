package retention

import (
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestScratchPhases(t *testing.T) {
	in, _ := cdnowMasterTenant(t)
	asOf := cdnowHoldoutEnd
	loc := time.UTC
	E := lastObservedDay(asOf, loc)
	n := len(in.Customers)
	for rep := 0; rep < 2; rep++ {
		c0 := cpuNow()
		ledgers := make([]ledger, n)
		sums := make([]Summary, n)
		firstDay := E
		for i, c := range in.Customers {
			ledgers[i] = buildLedger(c.Transactions, asOf, loc)
			sums[i] = ledgers[i].summarize(E, Days, 90, true, loc)
			firstDay = min(firstDay, civilDay(sums[i].FirstPurchase, loc))
		}
		FillUsualGaps(sums)
		c1 := cpuNow()
		bg, mbg, gg, _ := fitPurchaseModels(sums, Days, true)
		c2 := cpuNow()
		tx := backtestTxChurn(ledgers, E, firstDay, 90, Days, true, loc)
		c3 := cpuNow()
		t.Logf("summaries %v, fits %v (bg evals %d, mbg %d, gg iters %d), backtest %v", c1-c0, c2-c1, bg.Evaluations, mbg.Evaluations, gg.Iterations, c3-c2)
		_ = tx
	}
}

func TestScratchFitParts(t *testing.T) {
	in, _ := cdnowMasterTenant(t)
	var hist []History
	var sums []Summary
	for _, c := range in.Customers {
		s := Summarize(c.Transactions, SummaryOptions{AsOf: cdnowHoldoutEnd, Unit: Days, CountFreeOrders: true})
		hist = append(hist, s.History())
		sums = append(sums, s)
	}
	for rep := 0; rep < 3; rep++ {
		w0 := time.Now()
		g := groupHistories(hist)
		w1 := time.Now()
		o := newBGObjective(BGNBD, g)
		w2 := time.Now()
		var gr [4]float64
		var h [4][4]float64
		o.eval(BGParams{1, 30, 1, 1}, gr[:], &h)
		w3 := time.Now()
		fitBG(BGNBD, hist, Days, false)
		w4 := time.Now()
		var obs []SpendObs
		for _, s := range sums {
			obs = append(obs, SpendObs{s.X, s.MeanRepeatSpend})
		}
		FitGammaGamma(obs)
		w5 := time.Now()
		t.Logf("group %v obj %v eval %v fit %v gg %v", w1.Sub(w0), w2.Sub(w1), w3.Sub(w2), w4.Sub(w3), w5.Sub(w4))
	}
}
