package retention

import "testing"

func ptr[T any](v T) *T { return &v }

func TestHealth(t *testing.T) {
	cases := []struct {
		name string
		in   HealthInput
		want int
	}{
		{"perfect", HealthInput{PaymentPunctuality: ptr(1.0), Satisfaction: ptr(5.0), HasPurchase: true, DaysSinceLast: 10, UsualGapDays: 30, Risk: ptr(0.0)}, 100},
		// payment 0.75, support (0.5 + 0.5)/2 = 0.5, engagement 30/90, retention 0.4:
		// 25·0.75 + 20·0.5 + 25·(1/3) + 30·0.4 = 18.75 + 10 + 8.33 + 12 = 49.08
		{"troubled", HealthInput{PaymentPunctuality: ptr(1.0), OverdueInvoices: 1, OpenTickets: 2, Satisfaction: ptr(3.0), HasPurchase: true, DaysSinceLast: 90, UsualGapDays: 30, Risk: ptr(0.6)}, 49},
		// same without risk: (18.75 + 10 + 8.33) / 0.70 = 52.98
		{"troubled, no risk", HealthInput{PaymentPunctuality: ptr(1.0), OverdueInvoices: 1, OpenTickets: 2, Satisfaction: ptr(3.0), HasPurchase: true, DaysSinceLast: 90, UsualGapDays: 30}, 53},
		// never bought: engagement 0; payment 1, support 1, retention 0.5:
		// 25 + 20 + 0 + 15 = 60
		{"never bought", HealthInput{Risk: ptr(0.5)}, 60},
		// a subscriber without purchases: engagement 1 → 25 + 20 + 25 + 15 = 85
		{"running contract", HealthInput{ActiveContract: true, Risk: ptr(0.5)}, 85},
	}
	for _, c := range cases {
		got, comp := Health(c.in)
		if got != c.want {
			t.Errorf("%s: health %d, want %d (components %+v)", c.name, got, c.want, comp)
		}
		if s := comp.WPayment + comp.WSupport + comp.WEngagement + comp.WRetention; s < 0.999999 || s > 1.000001 {
			t.Errorf("%s: weights sum to %v", c.name, s)
		}
	}
	_, comp := Health(HealthInput{HasPurchase: true})
	if comp.WRetention != 0 || comp.Retention != 0 {
		t.Errorf("variant without risk still has a risk component: %+v", comp)
	}
}
