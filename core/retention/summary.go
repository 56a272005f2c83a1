package retention

import (
	"slices"
	"sort"
	"time"
)

// Transaction is one money movement on a customer's account. Invoices are
// positive; credit notes and refunds are negative and only ever reduce the
// amount of the day they fall on.
type Transaction struct {
	// At is when the transaction happened; its calendar day in the
	// tenant's time zone is what counts.
	At time.Time
	// Amount is the net amount in minor units (negative for refunds).
	Amount int64
}

// SummaryOptions fixes the cut-off, calendar and unit of a summary.
type SummaryOptions struct {
	// AsOf is the exclusive cut-off: only transactions strictly before it
	// are used. The observation's last day is the calendar day containing
	// the instant just before AsOf, so AsOf = 1997-10-01 00:00 observes
	// through 1997-09-30 inclusive.
	AsOf time.Time
	// Location is the tenant's time zone (UTC when nil).
	Location *time.Location
	// Unit is the model time unit of Tx, T and UsualGap.
	Unit TimeUnit
	// TrendDays is the length of the recent window the spend trend
	// compares against the customer's earlier spending (default 90).
	TrendDays int
	// CountFreeOrders makes a day whose transactions are all exactly zero
	// a purchase. Order feeds such as CDNOW record free items as 0.00
	// orders, and the published CDNOW summaries count them; a day netted to
	// zero or below by a credit note or refund is never a purchase.
	CountFreeOrders bool
}

// Summary is one customer's purchase history reduced to what the models
// need. Times are in Unit; money is in minor units.
type Summary struct {
	// Purchases counts purchase days (days netting > 0), the first included.
	// Zero means the customer never bought before the cut-off.
	Purchases int
	// X is the number of repeat purchase days (Purchases − 1).
	X int
	// Tx is the time from the first to the last purchase day.
	Tx float64
	// T is the time from the first purchase day to the observation's last day.
	T float64
	// Unit is the time unit of Tx, T and UsualGap.
	Unit TimeUnit
	// FirstPurchase and LastPurchase are the starts of those days.
	FirstPurchase, LastPurchase time.Time
	// DaysSinceLast counts whole days from the last purchase day to the
	// observation's last day.
	DaysSinceLast int
	// TotalSpend is the net amount of all purchase days.
	TotalSpend int64
	// TotalRepeatSpend is the net amount of the repeat purchase days.
	TotalRepeatSpend int64
	// MeanRepeatSpend is TotalRepeatSpend / X (minor units; 0 when X = 0).
	// It is the Gamma-Gamma input: the first purchase is left out because
	// it is known to differ (Fader & Hardie 2013).
	MeanRepeatSpend float64
	// UsualGap is Tx/X for a repeat buyer; FillUsualGaps sets it for
	// one-time buyers to the tenant median.
	UsualGap float64
	// RecentSpend is the net purchase amount in the last TrendDays days;
	// EarlierSpend the amount before that, over EarlierDays days since the
	// first purchase.
	RecentSpend, EarlierSpend int64
	// EarlierDays is the span of the earlier window (0 for new customers)
	// and TrendDays the length of the recent one.
	EarlierDays, TrendDays int
}

// History returns the (x, t_x, T) triple the BG/NBD family is fitted on.
func (s Summary) History() History { return History{X: s.X, Tx: s.Tx, T: s.T} }

// dayNet is one calendar day's net amount.
type dayNet struct {
	day int32
	net int64
	// free is true while every transaction of the day is exactly zero.
	free bool
}

// isPurchase applies DESIGN §7's purchase rule to one day.
func (d dayNet) isPurchase(countFree bool) bool {
	return d.net > 0 || (countFree && d.free && d.net == 0)
}

// ledger is a customer's transactions reduced to net amounts per day, in
// day order. It is built once and summarised at several cut-offs (today and
// the backtest date) without re-reading the transactions.
type ledger []dayNet

// buildLedger nets transactions strictly before asOf per calendar day.
func buildLedger(txs []Transaction, asOf time.Time, loc *time.Location) ledger {
	return buildLedgerInto(make(ledger, 0, len(txs)), txs, asOf, loc)
}

// buildLedgerInto is buildLedger appending to l, whose capacity must hold
// len(txs) days: scoring carves every customer's ledger out of one array
// instead of allocating tens of thousands of small ones.
func buildLedgerInto(l ledger, txs []Transaction, asOf time.Time, loc *time.Location) ledger {
	sorted := true
	for _, t := range txs {
		if !t.At.Before(asOf) {
			continue
		}
		d := civilDay(t.At, loc)
		if n := len(l); n > 0 {
			if l[n-1].day == d {
				l[n-1].net += t.Amount
				l[n-1].free = l[n-1].free && t.Amount == 0
				continue
			}
			if l[n-1].day > d {
				sorted = false
			}
		}
		l = append(l, dayNet{day: d, net: t.Amount, free: t.Amount == 0})
	}
	if !sorted {
		slices.SortStableFunc(l, func(a, b dayNet) int { return int(a.day) - int(b.day) })
		out := l[:0]
		for _, dn := range l {
			if n := len(out); n > 0 && out[n-1].day == dn.day {
				out[n-1].net += dn.net
				out[n-1].free = out[n-1].free && dn.free
				continue
			}
			out = append(out, dn)
		}
		l = out
	}
	return l
}

// lastObservedDay is the calendar day containing the instant before asOf.
func lastObservedDay(asOf time.Time, loc *time.Location) int32 {
	return civilDay(asOf.Add(-time.Nanosecond), loc)
}

// summarize reduces the ledger's days up to and including endDay.
func (l ledger) summarize(endDay int32, unit TimeUnit, trendDays int, countFree bool, loc *time.Location) Summary {
	s := Summary{Unit: unit}
	if trendDays <= 0 {
		trendDays = 90
	}
	s.TrendDays = trendDays
	var first, last int32
	recentFrom := endDay - int32(trendDays) + 1
	for _, dn := range l {
		if dn.day > endDay {
			break
		}
		if !dn.isPurchase(countFree) {
			continue
		}
		if s.Purchases == 0 {
			first = dn.day
		} else {
			s.TotalRepeatSpend += dn.net
		}
		last = dn.day
		s.Purchases++
		s.TotalSpend += dn.net
		if dn.day >= recentFrom {
			s.RecentSpend += dn.net
		} else {
			s.EarlierSpend += dn.net
		}
	}
	if s.Purchases == 0 {
		return s
	}
	s.X = s.Purchases - 1
	s.Tx = unit.FromDays(float64(last - first))
	s.T = unit.FromDays(float64(endDay - first))
	s.FirstPurchase = dayStart(first, loc)
	s.LastPurchase = dayStart(last, loc)
	s.DaysSinceLast = int(endDay - last)
	if recentFrom > first {
		s.EarlierDays = int(recentFrom - first)
	}
	if s.X > 0 {
		s.MeanRepeatSpend = float64(s.TotalRepeatSpend) / float64(s.X)
		s.UsualGap = s.Tx / float64(s.X)
	}
	return s
}

// purchasesBetween counts purchase days in [from, to].
func (l ledger) purchasesBetween(from, to int32, countFree bool) int {
	n := 0
	i := sort.Search(len(l), func(i int) bool { return l[i].day >= from })
	for ; i < len(l) && l[i].day <= to; i++ {
		if l[i].isPurchase(countFree) {
			n++
		}
	}
	return n
}

// Summarize builds one customer's summary from its transactions, using only
// those strictly before opts.AsOf. Call FillUsualGaps on the tenant's
// summaries afterwards to give one-time buyers a usual gap.
func Summarize(txs []Transaction, opts SummaryOptions) Summary {
	unit := opts.Unit
	if unit <= 0 {
		unit = Days
	}
	l := buildLedger(txs, opts.AsOf, opts.Location)
	return l.summarize(lastObservedDay(opts.AsOf, opts.Location), unit, opts.TrendDays, opts.CountFreeOrders, opts.Location)
}

// FillUsualGaps sets the usual gap of every one-time buyer to the median
// usual gap among the tenant's repeat buyers, which it returns (0 when
// nobody bought twice). A single purchase says nothing about a customer's
// own rhythm, and the tenant's typical rhythm is the honest prior.
func FillUsualGaps(sums []Summary) float64 {
	gaps := make([]float64, 0, len(sums))
	for _, s := range sums {
		if s.X > 0 {
			gaps = append(gaps, s.UsualGap)
		}
	}
	med := median(gaps)
	for i := range sums {
		if sums[i].Purchases > 0 && sums[i].X == 0 {
			sums[i].UsualGap = med
		}
	}
	return med
}

// median returns the median of v (0 for an empty slice); v is reordered.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
