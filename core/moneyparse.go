package core

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Errors of the number parsers. Their messages are safe to show next to
// the field or cell they came from.
var (
	ErrNumberEmpty     = errors.New("empty number")
	ErrNumberSyntax    = errors.New("not a number")
	ErrNumberGrouping  = errors.New("digit groups must have three digits")
	ErrNumberRange     = errors.New("number out of range")
	ErrTooManyDecimals = errors.New("too many decimals")
)

// ParseMoney parses a human-written amount into minor units of currency,
// exactly: the digits are read as integers, never through a float.
//
// Digits may be ASCII, Persian (۰–۹) or Arabic-Indic (٠–٩), mixed. A
// leading '-', '+' or '−' sets the sign. Separators:
//   - '٫' (Arabic decimal separator) is always the decimal point;
//   - '٬' (Arabic thousands separator) and '،' (Arabic comma) always group;
//   - ',' and '.': when both appear, the one that appears last is the
//     decimal point and the other groups ("1,234.56", "1.234,56"); when only
//     one of them appears, ',' groups and '.' is the decimal point.
//
// Groups after the first have exactly three digits, so "1,5" is an error
// rather than a guess. More decimals than the currency's exponent is an
// error (ErrTooManyDecimals), even when they are zeros: "1.00" is not an
// amount of IRR. Bidirectional marks and ZWNJ around the number, which RTL
// text often carries, are ignored.
func ParseMoney(s, currency string) (int64, error) {
	exp, ok := CurrencyExponent(currency)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	return ParseDecimal(s, exp)
}

// ParseDecimal parses s like ParseMoney and returns it scaled by 10^scale:
// ParseDecimal("1.5", 4) = 15000. It allows at most scale decimals.
func ParseDecimal(s string, scale int) (int64, error) {
	rs := cleanNumber(s)
	if len(rs) == 0 {
		return 0, ErrNumberEmpty
	}
	neg := false
	switch rs[0] {
	case '-', '−':
		neg = true
		rs = rs[1:]
	case '+':
		rs = rs[1:]
	}
	if len(rs) == 0 {
		return 0, ErrNumberSyntax
	}
	// Decide which rune is the decimal point.
	lastComma, lastDot, hasArabicDecimal := -1, -1, false
	for i, r := range rs {
		switch r {
		case ',':
			lastComma = i
		case '.':
			lastDot = i
		case '٫':
			hasArabicDecimal = true
		}
	}
	var decimal rune = -1
	switch {
	case hasArabicDecimal:
		decimal = '٫'
	case lastComma >= 0 && lastDot >= 0:
		if lastDot > lastComma {
			decimal = '.'
		} else {
			decimal = ','
		}
	case lastDot >= 0:
		decimal = '.'
	}
	isGroup := func(r rune) bool {
		if r == decimal {
			return false
		}
		return r == ',' || r == '.' || r == '٬' || r == '،'
	}

	var intDigits, fracDigits []int
	seenPoint := false
	groupLen := -1 // digits since the last group separator; -1 before any
	firstGroup := 0
	for _, r := range rs {
		switch {
		case r == decimal:
			if seenPoint {
				return 0, ErrNumberSyntax
			}
			if groupLen >= 0 && groupLen != 3 {
				return 0, ErrNumberGrouping
			}
			seenPoint = true
		case isGroup(r):
			if seenPoint {
				return 0, ErrNumberSyntax
			}
			if groupLen < 0 {
				if firstGroup == 0 || firstGroup > 3 {
					return 0, ErrNumberGrouping
				}
			} else if groupLen != 3 {
				return 0, ErrNumberGrouping
			}
			groupLen = 0
		default:
			d, ok := DigitValue(r)
			if !ok {
				return 0, ErrNumberSyntax
			}
			if seenPoint {
				fracDigits = append(fracDigits, d)
				continue
			}
			intDigits = append(intDigits, d)
			if groupLen >= 0 {
				groupLen++
			} else {
				firstGroup++
			}
		}
	}
	if !seenPoint && groupLen >= 0 && groupLen != 3 {
		return 0, ErrNumberGrouping
	}
	if len(intDigits) == 0 && len(fracDigits) == 0 {
		return 0, ErrNumberSyntax
	}
	if seenPoint && len(fracDigits) == 0 {
		return 0, ErrNumberSyntax
	}
	if len(fracDigits) > scale {
		return 0, ErrTooManyDecimals
	}
	for len(fracDigits) < scale {
		fracDigits = append(fracDigits, 0)
	}
	// Accumulate as a negative number so that math.MinInt64 fits.
	var v int64
	for _, d := range append(intDigits, fracDigits...) {
		if v < (math.MinInt64+int64(d))/10 {
			return 0, ErrNumberRange
		}
		v = v*10 - int64(d)
	}
	if !neg {
		if v == math.MinInt64 {
			return 0, ErrNumberRange
		}
		v = -v
	}
	return v, nil
}

// ParseInteger parses a whole number written with any of the digits and
// group separators ParseMoney accepts.
func ParseInteger(s string) (int64, error) { return ParseDecimal(s, 0) }

// DigitValue returns the value of an ASCII, Persian or Arabic-Indic digit.
func DigitValue(r rune) (int, bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= '۰' && r <= '۹':
		return int(r - '۰'), true
	case r >= '٠' && r <= '٩':
		return int(r - '٠'), true
	}
	return 0, false
}

// FoldDigits rewrites Persian and Arabic-Indic digits as ASCII digits and
// leaves everything else alone.
func FoldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if d, ok := DigitValue(r); ok {
			return rune('0' + d)
		}
		return r
	}, s)
}

// cleanNumber drops surrounding white space and the invisible marks RTL
// text puts around numbers (LRM, RLM, ALM, ZWNJ, ZWJ, isolates).
func cleanNumber(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch r {
		case '\u200c', '\u200d', '\u200e', '\u200f', '\u061c',
			'\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
			'\u2066', '\u2067', '\u2068', '\u2069', '\ufeff':
			continue
		}
		out = append(out, r)
	}
	i, j := 0, len(out)
	for i < j && unicode.IsSpace(out[i]) {
		i++
	}
	for j > i && unicode.IsSpace(out[j-1]) {
		j--
	}
	return out[i:j]
}

// FormatDecimal writes v scaled by 10^scale as a plain ASCII decimal
// ("-1234.56"), the form ParseDecimal reads back exactly.
func FormatDecimal(v int64, scale int) string {
	neg := v < 0
	var digits string
	if neg {
		// Avoid overflow on MinInt64 by formatting the unsigned magnitude.
		digits = fmt.Sprintf("%d", uint64(-(v+1))+1)
	} else {
		digits = fmt.Sprintf("%d", v)
	}
	if scale > 0 {
		for len(digits) <= scale {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// FormatMoney writes an amount of currency's minor units as a plain ASCII
// decimal with the currency's exponent.
func FormatMoney(v int64, currency string) string {
	exp, _ := CurrencyExponent(currency)
	return FormatDecimal(v, exp)
}
