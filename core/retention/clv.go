package retention

import "math"

// CLVOptions fixes the CLV horizon and discounting.
type CLVOptions struct {
	// Months is the horizon (default 12).
	Months int
	// MonthlyDiscount is the discount rate per month (default 0.01; a
	// negative value means no discounting).
	MonthlyDiscount float64
}

func (o CLVOptions) withDefaults() CLVOptions {
	if o.Months <= 0 {
		o.Months = 12
	}
	if o.MonthlyDiscount == 0 {
		o.MonthlyDiscount = 0.01
	} else if o.MonthlyDiscount < 0 {
		o.MonthlyDiscount = 0
	}
	return o
}

// CLV is the discounted value of a customer's expected purchases over the
// horizon: Σₖ spend × (E[Y(tₖ)] − E[Y(tₖ₋₁)]) / (1+d)ᵏ with tₖ the end of
// month k in the purchase model's unit (months are 365.2425/12 days).
// spend is the expected value per purchase in minor units; the result is
// rounded to whole minor units.
func CLV(purchases BGFit, h History, spend float64, opts CLVOptions) int64 {
	unit := purchases.Unit
	if unit <= 0 {
		unit = Days
	}
	return CLVFromCumulative(func(months float64) float64 {
		return purchases.ExpectedPurchases(h, unit.FromDays(months*daysPerMonth))
	}, spend, opts)
}

// CLVFromCumulative is CLV for any purchase model: cumulative(m) is the
// expected number of purchases in the next m months.
func CLVFromCumulative(cumulative func(months float64) float64, spend float64, opts CLVOptions) int64 {
	return roundMoney(spend * discountedPurchases(cumulative, opts))
}

// discountedPurchases is Σₖ (cumulative(k) − cumulative(k−1)) / (1+d)ᵏ:
// CLV per unit of spend. It depends on the history only, so scoring
// computes it once per distinct history.
func discountedPurchases(cumulative func(months float64) float64, opts CLVOptions) float64 {
	opts = opts.withDefaults()
	var total, prev float64
	disc := 1.0
	for k := 1; k <= opts.Months; k++ {
		e := cumulative(float64(k))
		disc /= 1 + opts.MonthlyDiscount
		total += (e - prev) * disc
		prev = e
	}
	return total
}

// ContractCLV is the discounted value of a contract customer: Σₖ monthly
// value × P(still a customer at the end of month k) / (1+d)ᵏ. The survival
// comes from a constant monthly hazard matched to churnProb, the
// probability of churning within horizonDays: the monthly survival is
// (1 − churnProb)^(month/horizon).
func ContractCLV(monthlyValue int64, churnProb float64, horizonDays int, opts CLVOptions) int64 {
	opts = opts.withDefaults()
	if horizonDays <= 0 {
		horizonDays = 90
	}
	churnProb = math.Min(math.Max(churnProb, 0), 1)
	s := math.Pow(1-churnProb, daysPerMonth/float64(horizonDays))
	var total float64
	surv, disc := 1.0, 1.0
	for k := 1; k <= opts.Months; k++ {
		surv *= s
		disc /= 1 + opts.MonthlyDiscount
		total += float64(monthlyValue) * surv * disc
	}
	return roundMoney(total)
}

// roundMoney rounds minor units half away from zero, saturating instead
// of overflowing.
func roundMoney(v float64) int64 {
	if math.IsNaN(v) {
		return 0
	}
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	if v <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(math.Round(v))
}
