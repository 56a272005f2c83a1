package retention

import (
	"slices"
)

// Segment is one of the eleven standard RFM segment names.
type Segment string

// The eleven segments of the common RFM grid.
const (
	Champions         Segment = "Champions"
	Loyal             Segment = "Loyal"
	PotentialLoyalist Segment = "Potential loyalist"
	NewCustomers      Segment = "New"
	Promising         Segment = "Promising"
	NeedAttention     Segment = "Need attention"
	AboutToSleep      Segment = "About to sleep"
	AtRisk            Segment = "At risk"
	CantLoseThem      Segment = "Can't lose them"
	Hibernating       Segment = "Hibernating"
	Lost              Segment = "Lost"
)

// RFMInput is what RFM scoring needs from one customer.
type RFMInput struct {
	// DaysSinceLast is the recency: fewer days is better.
	DaysSinceLast int
	// Purchases is the frequency: purchase days in the period.
	Purchases int
	// Monetary is the total spend in minor units.
	Monetary int64
}

// RFMScore holds a customer's quintiles (1 worst … 5 best) and segment.
type RFMScore struct {
	R, F, M int
	Segment Segment
}

// segmentGrid maps the recency score (row, R−1) and the rounded mean of
// the frequency and monetary scores (column, FM−1) to a segment. This is
// the widely used 5×5 R × FM grid (the "RFM segments" chart many CRM and
// analytics tools ship):
//
//	R \ FM   1            2            3                  4                  5
//	5        New          Potential    Potential          Loyal              Champions
//	4        Promising    Potential    Potential          Loyal              Champions
//	3        About to     About to     Need attention     Loyal              Loyal
//	         sleep        sleep
//	2        Hibernating  Hibernating  At risk            At risk            Can't lose them
//	1        Lost         Lost         At risk            At risk            Can't lose them
//
// Reading it: recent buyers who buy often and much are Champions; recent
// low-FM buyers are New (R 5) or Promising (R 4); good customers fading
// away are At risk, and the best of them Can't lose them.
var segmentGrid = [5][5]Segment{
	/* R=1 */ {Lost, Lost, AtRisk, AtRisk, CantLoseThem},
	/* R=2 */ {Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem},
	/* R=3 */ {AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},
	/* R=4 */ {Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Champions},
	/* R=5 */ {NewCustomers, PotentialLoyalist, PotentialLoyalist, Loyal, Champions},
}

// SegmentFor returns the grid segment of quintile scores r, f, m (1–5).
// FM is the mean of f and m rounded half up, so (5, 4) counts as 5.
func SegmentFor(r, f, m int) Segment {
	r, f, m = clampInt(r, 1, 5), clampInt(f, 1, 5), clampInt(m, 1, 5)
	fm := (f + m + 1) / 2
	return segmentGrid[r-1][fm-1]
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(hi, v))
}

// ScoreRFM gives each customer tenant-relative quintile scores: 5 is the
// best fifth (most recent, most frequent, highest spend). Tied values share
// the score of their first rank so equal customers are never split, which
// matters for frequency where most customers have the same few values.
func ScoreRFM(in []RFMInput) []RFMScore {
	n := len(in)
	out := make([]RFMScore, n)
	if n == 0 {
		return out
	}
	// higher "goodness" is better; recency is inverted
	r := quintilesInt(n, func(i int) int { return -in[i].DaysSinceLast })
	f := quintilesInt(n, func(i int) int { return in[i].Purchases })
	m := quintiles(n, func(i int) float64 { return float64(in[i].Monetary) })
	for i := range out {
		out[i] = RFMScore{R: r[i], F: f[i], M: m[i], Segment: SegmentFor(r[i], f[i], m[i])}
	}
	return out
}

// quintiles scores 1–5 by rank: rank k of n (0-based, ties at their first
// rank) gets 1 + floor(5k/n).
func quintiles(n int, val func(int) float64) []int {
	type iv struct {
		v float64
		i int32
	}
	vs := make([]iv, n)
	for i := range vs {
		vs[i] = iv{val(i), int32(i)}
	}
	slices.SortFunc(vs, func(a, b iv) int {
		if c := cmpFloat(a.v, b.v); c != 0 {
			return c
		}
		return int(a.i - b.i)
	})
	out := make([]int, n)
	first := 0
	for k, e := range vs {
		if k > 0 && e.v != vs[k-1].v {
			first = k
		}
		out[e.i] = 1 + 5*first/n
	}
	return out
}

// quintilesInt is quintiles for small-range integers (days, counts): a
// counting pass instead of a sort, since recency and frequency take a few
// hundred distinct values across tens of thousands of customers.
func quintilesInt(n int, val func(int) int) []int {
	if n == 0 {
		return nil
	}
	lo, hi := val(0), val(0)
	for i := 1; i < n; i++ {
		v := val(i)
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo > 4*n+1024 {
		return quintiles(n, func(i int) float64 { return float64(val(i)) })
	}
	// first[v] = number of customers with a smaller value: their rank
	first := make([]int, hi-lo+2)
	for i := 0; i < n; i++ {
		first[val(i)-lo+1]++
	}
	for k := 1; k < len(first); k++ {
		first[k] += first[k-1]
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 1 + 5*first[val(i)-lo]/n
	}
	return out
}
