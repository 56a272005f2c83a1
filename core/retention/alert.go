package retention

import (
	"slices"
	"time"
)

// Status is a customer's lifecycle status (DESIGN §1).
type Status string

// Lifecycle statuses. Legacy customers are set by people or imports, never
// by scoring, and are never alerted on.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusLegacy   Status = "legacy"
)

// AlertSnapshot is what one scoring run said about a customer.
type AlertSnapshot struct {
	RunAt      time.Time
	Level      RiskLevel
	PAlive     float64
	ForecastAt *time.Time
	// UsualGapDays is the customer's usual gap between purchases in days.
	UsualGapDays float64
}

// AlertInput is the customer state the alert decision reads.
type AlertInput struct {
	Status Status
	// AlertOpen is true while an earlier rescue alert is unresolved.
	AlertOpen bool
	// Previous is the last run's snapshot; nil on the tenant's first run.
	Previous *AlertSnapshot
	Current  AlertSnapshot
}

// AlertReason says why an alert fired.
type AlertReason string

// Alert reasons.
const (
	AlertNone AlertReason = ""
	// AlertRiskHigh: the level rose to high between two runs.
	AlertRiskHigh AlertReason = "risk_high"
	// AlertForecastPassed: the expected purchase is overdue by half a
	// usual gap while the customer is still likely alive.
	AlertForecastPassed AlertReason = "forecast_passed"
)

// DecideAlert decides whether this run raises a rescue alert (DESIGN §7
// "Alerts"). Alerts are events, not states: it fires when the level rises
// to high between the previous run and this one, or when the moment
// "forecast time + half the usual gap" falls in (previous run, this run]
// while P(alive) ≥ 0.3. It never fires while an alert is open, for legacy
// or inactive customers, or on a first run (Previous == nil), whose
// baseline is chosen by BaselineAlerts instead.
func DecideAlert(in AlertInput) AlertReason {
	if in.AlertOpen || in.Status == StatusLegacy || in.Status == StatusInactive || in.Previous == nil {
		return AlertNone
	}
	prev, cur := in.Previous, in.Current
	if cur.Level == RiskHigh && prev.Level != RiskHigh {
		return AlertRiskHigh
	}
	if cur.ForecastAt != nil && cur.PAlive >= 0.3 {
		due := cur.ForecastAt.Add(time.Duration(cur.UsualGapDays / 2 * float64(24*time.Hour)))
		if due.After(prev.RunAt) && !due.After(cur.RunAt) {
			return AlertForecastPassed
		}
	}
	return AlertNone
}

// BaselineCandidate is one customer considered on a tenant's first run.
type BaselineCandidate struct {
	Owner     string
	Status    Status
	AlertOpen bool
	Level     RiskLevel
	CLV       int64
}

// BaselineFirstRun is how many alerts each owner gets on a first run.
const BaselineFirstRun = 20

// BaselineAlerts picks the first run's alerts: per owner, the perOwner
// (default 20) most valuable high-risk customers, so nobody starts with
// thousands of tasks. It returns indices into cands, grouped by owner in
// order of first appearance, most valuable first; ties keep input order.
func BaselineAlerts(cands []BaselineCandidate, perOwner int) []int {
	if perOwner <= 0 {
		perOwner = BaselineFirstRun
	}
	byOwner := map[string][]int{}
	var owners []string
	for i, c := range cands {
		if c.Level != RiskHigh || c.AlertOpen || c.Status == StatusLegacy || c.Status == StatusInactive {
			continue
		}
		if _, ok := byOwner[c.Owner]; !ok {
			owners = append(owners, c.Owner)
		}
		byOwner[c.Owner] = append(byOwner[c.Owner], i)
	}
	var out []int
	for _, o := range owners {
		idx := byOwner[o]
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case cands[a].CLV > cands[b].CLV:
				return -1
			case cands[a].CLV < cands[b].CLV:
				return 1
			}
			return 0
		})
		if len(idx) > perOwner {
			idx = idx[:perOwner]
		}
		out = append(out, idx...)
	}
	return out
}

// BaselinePicker makes BaselineAlerts' choice over customers that arrive
// in batches, holding only the chosen so far: per owner, the perOwner most
// valuable eligible customers. Offer customers in input order; Picked
// returns the same customers, in the same order, as BaselineAlerts would
// over the whole input. T is what the caller keeps of a chosen customer.
type BaselinePicker[T any] struct {
	per    int
	owners []string
	top    map[string][]baselinePick[T]
}

type baselinePick[T any] struct {
	clv int64
	v   T
}

// NewBaselinePicker returns a picker of perOwner (default 20) per owner.
func NewBaselinePicker[T any](perOwner int) *BaselinePicker[T] {
	if perOwner <= 0 {
		perOwner = BaselineFirstRun
	}
	return &BaselinePicker[T]{per: perOwner, top: map[string][]baselinePick[T]{}}
}

// Offer considers the next customer; v is called only when it is chosen
// (for now), to build what is kept.
func (p *BaselinePicker[T]) Offer(c BaselineCandidate, v func() T) {
	if c.Level != RiskHigh || c.AlertOpen || c.Status == StatusLegacy || c.Status == StatusInactive {
		return
	}
	top, seen := p.top[c.Owner]
	if !seen {
		p.owners = append(p.owners, c.Owner)
	}
	// After every kept customer at least as valuable: ties keep input order.
	i := len(top)
	for i > 0 && top[i-1].clv < c.CLV {
		i--
	}
	if i >= p.per {
		p.top[c.Owner] = top // the owner is known even when nothing is kept yet
		return
	}
	top = slices.Insert(top, i, baselinePick[T]{clv: c.CLV, v: v()})
	if len(top) > p.per {
		top = top[:p.per]
	}
	p.top[c.Owner] = top
}

// Picked returns the chosen, grouped by owner in order of first
// appearance, most valuable first.
func (p *BaselinePicker[T]) Picked() []T {
	var out []T
	for _, o := range p.owners {
		for _, k := range p.top[o] {
			out = append(out, k.v)
		}
	}
	return out
}
