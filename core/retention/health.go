package retention

import "math"

// HealthInput is what the health score reads about one customer.
type HealthInput struct {
	// PaymentPunctuality is the share of invoices paid on time (0–1);
	// nil when unknown, which counts as punctual.
	PaymentPunctuality *float64
	// OverdueInvoices is the number of invoices now overdue.
	OverdueInvoices int
	// OpenTickets is the number of open support tickets.
	OpenTickets int
	// Satisfaction is the latest satisfaction rating on 1–5; nil if none.
	Satisfaction *float64
	// HasPurchase is false for customers who never bought.
	HasPurchase bool
	// ActiveContract is true while the customer holds a running contract:
	// a subscriber is engaged whether or not invoices show as purchases.
	ActiveContract bool
	// DaysSinceLast is the number of days since the last purchase.
	DaysSinceLast int
	// UsualGapDays is the customer's usual gap between purchases in days.
	UsualGapDays float64
	// Risk is the churn risk (0–1); nil for the variant shown to roles
	// that may not see scores.
	Risk *float64
}

// HealthComponents are the parts of the health score, each 0–1 (1 is
// healthy), with the weights they were combined with (summing to 1).
type HealthComponents struct {
	Payment, Support, Engagement, Retention float64
	// Weights in the same order; Retention's is 0 in the variant without
	// risk, the others renormalised.
	WPayment, WSupport, WEngagement, WRetention float64
}

// Health weights (DESIGN §7): money and relationship signals first.
// Payment punctuality 25 %, support load and satisfaction 20 %, engagement
// recency 25 %, and 1 − churn risk 30 %; without risk the first three are
// renormalised to 100 %.
const (
	healthWPayment    = 0.25
	healthWSupport    = 0.20
	healthWEngagement = 0.25
	healthWRetention  = 0.30
)

// Health returns the 0–100 health score and its components:
//
//   - Payment = punctuality (1 if unknown) × 0.75 per overdue invoice, so
//     one overdue invoice costs a quarter and three leave 42 %.
//   - Support = 1/(1 + open tickets/2), averaged with (satisfaction − 1)/4
//     when a rating exists: two open tickets halve the ticket part.
//   - Engagement = 1 while the days since the last purchase stay within
//     the usual gap, then usual gap ÷ days (3× the gap scores 1/3); 0 for
//     customers who never bought. A usual gap of 0 is taken as 30 days.
//     A running contract counts as fully engaged.
//   - Retention = 1 − risk.
func Health(in HealthInput) (int, HealthComponents) {
	var c HealthComponents
	pay := 1.0
	if in.PaymentPunctuality != nil {
		pay = clamp01(*in.PaymentPunctuality)
	}
	c.Payment = pay * math.Pow(0.75, float64(max(0, in.OverdueInvoices)))
	c.Support = 1 / (1 + float64(max(0, in.OpenTickets))/2)
	if in.Satisfaction != nil {
		c.Support = (c.Support + clamp01((*in.Satisfaction-1)/4)) / 2
	}
	if in.ActiveContract {
		c.Engagement = 1
	} else if in.HasPurchase {
		gap := in.UsualGapDays
		if !(gap > 0) {
			gap = 30
		}
		c.Engagement = 1
		if d := float64(in.DaysSinceLast); d > gap {
			c.Engagement = gap / d
		}
	}
	c.WPayment, c.WSupport, c.WEngagement = healthWPayment, healthWSupport, healthWEngagement
	if in.Risk != nil {
		c.Retention = 1 - clamp01(*in.Risk)
		c.WRetention = healthWRetention
	} else {
		s := healthWPayment + healthWSupport + healthWEngagement
		c.WPayment, c.WSupport, c.WEngagement = c.WPayment/s, c.WSupport/s, c.WEngagement/s
	}
	v := c.WPayment*c.Payment + c.WSupport*c.Support + c.WEngagement*c.Engagement + c.WRetention*c.Retention
	return int(math.Round(100 * v)), c
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Min(1, math.Max(0, v))
}
