package retention

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDecideAlert(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 3, 0, 0, 0, time.UTC) }
	at := func(d int) *time.Time { v := day(d); return &v }
	prev := &AlertSnapshot{RunAt: day(1), Level: RiskMedium, PAlive: 0.8}
	// forecast on day 3 with a 6-day usual gap: due on day 6
	cur := func(level RiskLevel, palive float64, forecast *time.Time, run int) AlertSnapshot {
		return AlertSnapshot{RunAt: day(run), Level: level, PAlive: palive, ForecastAt: forecast, UsualGapDays: 6}
	}
	cases := []struct {
		name string
		in   AlertInput
		want AlertReason
	}{
		{"medium to high", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertRiskHigh},
		{"high stays high", AlertInput{Status: StatusActive, Previous: &AlertSnapshot{RunAt: day(1), Level: RiskHigh}, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertNone},
		{"high but alert open", AlertInput{Status: StatusActive, AlertOpen: true, Previous: prev, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertNone},
		{"high but legacy", AlertInput{Status: StatusLegacy, Previous: prev, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertNone},
		{"high but inactive", AlertInput{Status: StatusInactive, Previous: prev, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertNone},
		{"first run is baseline", AlertInput{Status: StatusActive, Current: cur(RiskHigh, 0.2, nil, 8)}, AlertNone},
		{"forecast due between runs", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskMedium, 0.5, at(3), 8)}, AlertForecastPassed},
		{"forecast due exactly at this run", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskMedium, 0.5, at(3), 6)}, AlertForecastPassed},
		{"forecast due after this run", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskMedium, 0.5, at(3), 5)}, AlertNone},
		{"forecast due before previous run", AlertInput{Status: StatusActive, Previous: &AlertSnapshot{RunAt: day(7), Level: RiskLow}, Current: cur(RiskLow, 0.5, at(3), 9)}, AlertNone},
		{"forecast due but P(alive) < 0.3", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskMedium, 0.29, at(3), 8)}, AlertNone},
		{"forecast due at P(alive) = 0.3", AlertInput{Status: StatusActive, Previous: prev, Current: cur(RiskMedium, 0.3, at(3), 8)}, AlertForecastPassed},
		{"forecast due, alert open", AlertInput{Status: StatusActive, AlertOpen: true, Previous: prev, Current: cur(RiskMedium, 0.5, at(3), 8)}, AlertNone},
	}
	for _, c := range cases {
		if got := DecideAlert(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestBaselineAlerts(t *testing.T) {
	var cands []BaselineCandidate
	// owner a: 25 high-risk customers with CLV 0…24, one legacy with the
	// highest CLV, one with an open alert; owner b: two high, one medium.
	for i := 0; i < 25; i++ {
		cands = append(cands, BaselineCandidate{Owner: "a", Status: StatusActive, Level: RiskHigh, CLV: int64(i)})
	}
	cands = append(cands,
		BaselineCandidate{Owner: "a", Status: StatusLegacy, Level: RiskHigh, CLV: 1000},
		BaselineCandidate{Owner: "a", Status: StatusActive, AlertOpen: true, Level: RiskHigh, CLV: 999},
		BaselineCandidate{Owner: "b", Status: StatusActive, Level: RiskHigh, CLV: 5},
		BaselineCandidate{Owner: "b", Status: StatusActive, Level: RiskMedium, CLV: 500},
		BaselineCandidate{Owner: "b", Status: StatusActive, Level: RiskHigh, CLV: 7},
	)
	got := BaselineAlerts(cands, 0)
	if len(got) != 22 {
		t.Fatalf("got %d alerts, want 20 for a and 2 for b", len(got))
	}
	for k := 0; k < 20; k++ { // a's top 20: CLV 24 down to 5
		if c := cands[got[k]]; c.Owner != "a" || c.CLV != int64(24-k) {
			t.Errorf("alert %d = %+v, want owner a CLV %d", k, c, 24-k)
		}
	}
	if cands[got[20]].CLV != 7 || cands[got[21]].CLV != 5 {
		t.Errorf("owner b alerts = %+v, %+v; want CLV 7 then 5", cands[got[20]], cands[got[21]])
	}
}

func TestBaselinePickerMatchesBaselineAlerts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	levels := []RiskLevel{RiskLow, RiskMedium, RiskHigh, RiskHigh}
	statuses := []Status{StatusActive, StatusActive, StatusActive, StatusInactive, StatusLegacy}
	for round := range 50 {
		n := rng.IntN(400)
		cands := make([]BaselineCandidate, n)
		for i := range cands {
			cands[i] = BaselineCandidate{
				Owner:     fmt.Sprintf("o%d", rng.IntN(1+round%7)),
				Status:    statuses[rng.IntN(len(statuses))],
				AlertOpen: rng.IntN(10) == 0,
				Level:     levels[rng.IntN(len(levels))],
				CLV:       int64(rng.IntN(30)) * 100, // many ties
			}
		}
		per := 1 + rng.IntN(25)
		want := BaselineAlerts(cands, per)
		p := NewBaselinePicker[int](per)
		for i, c := range cands {
			p.Offer(c, func() int { return i })
		}
		if got := p.Picked(); !slices.Equal(got, want) {
			t.Fatalf("round %d (n=%d, per owner %d): picker chose %v, BaselineAlerts %v", round, n, per, got, want)
		}
	}
}
