package retention

import (
	"strconv"
	"strings"
	"unicode/utf8"
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
	b := make([]byte, 0, 2*len(s)+2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b = utf8.AppendRune(b, '۰'+rune(c-'0'))
		case c == '.':
			b = utf8.AppendRune(b, '٫')
		case c == '-':
			b = utf8.AppendRune(b, '−')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
