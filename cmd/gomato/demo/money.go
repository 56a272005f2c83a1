package demo

import (
	"fmt"

	"github.com/gomato/gomato/core"
)

// extraScale is how many decimals beyond a currency's own the source
// amounts may carry before they are rounded (the online retailer's £0.001
// lines need one).
const extraScale = 4

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// parseScaled reads an exact decimal as an integer scaled by
// 10^(exp+extraScale). It never goes through a float.
func parseScaled(s string, exp int) (int64, error) {
	v, err := core.ParseDecimal(s, exp+extraScale)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	return v, nil
}

// roundHalfEven divides v by 10^extraScale, rounding half to even: the
// rounding of bankers and of ISO 80000, so a run of halves does not drift
// one way.
func roundHalfEven(v int64) int64 {
	d := pow10[extraScale]
	q, r := v/d, v%d
	if r < 0 {
		r = -r
	}
	switch {
	case 2*r > d, 2*r == d && q%2 != 0:
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// minorUnits reads an exact decimal amount and rounds it half-even to the
// minor units of a currency with exp decimals.
func minorUnits(s string, exp int) (int64, error) {
	v, err := parseScaled(s, exp)
	if err != nil {
		return 0, err
	}
	return roundHalfEven(v), nil
}

// lineAmount is quantity × unit price, computed exactly and then rounded
// half-even to minor units.
func lineAmount(qty int64, price string, exp int) (int64, error) {
	v, err := parseScaled(price, exp)
	if err != nil {
		return 0, err
	}
	return roundHalfEven(qty * v), nil
}
