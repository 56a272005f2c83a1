package retention

import (
	"math"
	"testing"
)

func TestCLVHandComputed(t *testing.T) {
	// Half a purchase a month at 1,000 minor units, three months, 1 %:
	// 500/1.01 + 500/1.01² + 500/1.01³ = 495.05 + 490.15 + 485.30 = 1470.49.
	steady := func(m float64) float64 { return 0.5 * m }
	if got := CLVFromCumulative(steady, 1000, CLVOptions{Months: 3}); got != 1470 {
		t.Errorf("steady CLV = %d, want 1470", got)
	}
	// The BG/NBD form: one month, no discounting, is spend × E[Y(1 month)].
	fit := BGFit{Variant: BGNBD, Unit: Weeks, Params: pubBG}
	h := History{X: 2, Tx: 30.43, T: 38.86}
	month := Weeks.FromDays(daysPerMonth)
	e1 := fit.ExpectedPurchases(h, month)
	got := CLV(fit, h, 2466, CLVOptions{Months: 1, MonthlyDiscount: -1})
	if want := int64(math.Round(2466 * e1)); got != want {
		t.Errorf("one-month CLV = %d, want %d", got, want)
	}
	// Two months at 1 %: spend × (E1/1.01 + (E2−E1)/1.01²), computed here
	// step by step.
	e2 := fit.ExpectedPurchases(h, 2*month)
	want2 := 2466 * (e1/1.01 + (e2-e1)/(1.01*1.01))
	if got := CLV(fit, h, 2466, CLVOptions{Months: 2}); got != int64(math.Round(want2)) {
		t.Errorf("two-month CLV = %d, want %.0f", got, want2)
	}
	// Twelve months undiscounted telescopes to spend × E[Y(12 months)].
	e12 := fit.ExpectedPurchases(h, 12*month)
	if got := CLV(fit, h, 1000, CLVOptions{MonthlyDiscount: -1}); math.Abs(float64(got)-1000*e12) > 0.5 {
		t.Errorf("undiscounted 12-month CLV = %d, want %.1f", got, 1000*e12)
	}
}

func TestContractCLVHandComputed(t *testing.T) {
	// 10,000 minor units a month, churn probability over a 12-month
	// horizon chosen so the monthly survival is exactly 0.9:
	// 1 − 0.9^(horizon/month). Horizon = 12 months of days.
	horizon := int(math.Round(12 * daysPerMonth)) // 365 days
	s := 0.9
	p := 1 - math.Pow(s, float64(horizon)/daysPerMonth)
	// Three months, 1 %: 10000 × (0.9/1.01 + 0.81/1.01² + 0.729/1.01³)
	want := 10000 * (0.9/1.01 + 0.81/(1.01*1.01) + 0.729/(1.01*1.01*1.01))
	got := ContractCLV(10000, p, horizon, CLVOptions{Months: 3})
	if math.Abs(float64(got)-want) > 0.5 {
		t.Errorf("ContractCLV = %d, want %.2f", got, want)
	}
	if got := ContractCLV(10000, 0, 90, CLVOptions{Months: 2, MonthlyDiscount: -1}); got != 20000 {
		t.Errorf("no churn, no discount, 2 months: %d, want 20000", got)
	}
	if got := ContractCLV(10000, 1, 90, CLVOptions{}); got != 0 {
		t.Errorf("certain churn: %d, want 0", got)
	}
}
