package retention

import "testing"

func TestSegmentGrid(t *testing.T) {
	// Transcribed from the grid in the documentation, one probe per cell
	// family plus the rounding rule.
	cases := []struct {
		r, f, m int
		want    Segment
	}{
		{5, 5, 5, Champions},
		{4, 5, 4, Champions}, // FM = round(4.5) = 5
		{5, 4, 4, Loyal},
		{3, 5, 5, Loyal},
		{3, 4, 3, Loyal}, // FM = round(3.5) = 4
		{5, 2, 3, PotentialLoyalist},
		{4, 3, 3, PotentialLoyalist},
		{5, 1, 1, NewCustomers},
		{4, 1, 1, Promising},
		{3, 3, 3, NeedAttention},
		{3, 1, 2, AboutToSleep},
		{2, 3, 3, AtRisk},
		{1, 4, 4, AtRisk},
		{1, 5, 5, CantLoseThem},
		{2, 5, 4, CantLoseThem},
		{2, 1, 2, Hibernating},
		{1, 1, 1, Lost},
		{1, 2, 1, Lost},
	}
	for _, c := range cases {
		if got := SegmentFor(c.r, c.f, c.m); got != c.want {
			t.Errorf("SegmentFor(%d,%d,%d) = %q, want %q", c.r, c.f, c.m, got, c.want)
		}
	}
}

func TestScoreRFMQuintiles(t *testing.T) {
	// Ten customers: recency 10…100 days, frequency 10…1, spend equal for
	// the last two. Worked by hand: rank k of 10 scores 1 + 5k/10.
	var in []RFMInput
	for i := 0; i < 10; i++ {
		in = append(in, RFMInput{DaysSinceLast: 10 * (i + 1), Purchases: 10 - i, Monetary: int64(1000 - 100*i)})
	}
	in[9].Monetary = in[8].Monetary // a tie: both get the lower rank's score
	got := ScoreRFM(in)
	wantR := []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1}
	wantM := []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1}
	for i := range got {
		if got[i].R != wantR[i] || got[i].F != wantR[i] || got[i].M != wantM[i] {
			t.Errorf("customer %d: R,F,M = %d,%d,%d, want %d,%d,%d", i, got[i].R, got[i].F, got[i].M, wantR[i], wantR[i], wantM[i])
		}
	}
	if got[0].Segment != Champions || got[9].Segment != Lost || got[4].Segment != NeedAttention {
		t.Errorf("segments %q, %q, %q; want Champions, Need attention, Lost", got[0].Segment, got[4].Segment, got[9].Segment)
	}
	// Heavy ties: seven one-time buyers all share frequency score 1.
	tied := make([]RFMInput, 10)
	for i := range tied {
		tied[i] = RFMInput{Purchases: 1}
	}
	tied[7].Purchases, tied[8].Purchases, tied[9].Purchases = 2, 3, 4
	fs := ScoreRFM(tied)
	for i, want := range []int{1, 1, 1, 1, 1, 1, 1, 4, 5, 5} {
		if fs[i].F != want {
			t.Errorf("tied customer %d: F = %d, want %d", i, fs[i].F, want)
		}
	}
}

func TestQuintilesIntMatchesSort(t *testing.T) {
	vals := make([]int, 997)
	for i := range vals {
		vals[i] = (i*7919)%313 - 100 // many ties, negative values
	}
	a := quintilesInt(len(vals), func(i int) int { return vals[i] })
	b := quintiles(len(vals), func(i int) float64 { return float64(vals[i]) })
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("value %d: counting gives %d, sorting %d", vals[i], a[i], b[i])
		}
	}
}
