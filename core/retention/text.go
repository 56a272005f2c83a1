package retention

import (
	"strconv"
	"strings"
)

// trimFloat formats v with at most one decimal, without trailing zeros.
func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s
}

// persianDigits rewrites ASCII digits, the decimal point and the minus
// sign for Persian text: "3.5" → "۳٫۵".
func persianDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune('۰' + (r - '0'))
		case r == '.':
			b.WriteRune('٫')
		case r == '-':
			b.WriteRune('−')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
