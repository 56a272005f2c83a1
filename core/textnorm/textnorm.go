// Package textnorm owns the one normal form in which stored text and typed
// queries meet for search: Arabic and Persian Yeh and Kaf folded, ZWNJ and
// other zero-width and bidi marks removed, Arabic diacritics and tatweel
// removed, Persian and Arabic-Indic digits turned into ASCII, lowercased,
// whitespace folded. It also parses numbers typed with Persian or
// Arabic-Indic digits. It is pure: no I/O, stdlib only.
package textnorm

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// Fold maps one rune to its search form; ok is false for runes that are
// dropped.
func fold(r rune) (rune, bool) {
	switch {
	case r == 'ي' || r == 'ى' || r == 'ئ': // Arabic Yeh, Alef Maksura, Yeh with Hamza → Persian Yeh
		return 'ی', true
	case r == 'ك': // Arabic Kaf → Persian Keheh
		return 'ک', true
	case r == 'ة': // Teh Marbuta → Heh
		return 'ه', true
	case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ': // Alef forms → bare Alef
		return 'ا', true
	case r == 'ؤ':
		return 'و', true
	case r >= '۰' && r <= '۹': // Extended Arabic-Indic (Persian) digits
		return '0' + (r - '۰'), true
	case r >= '٠' && r <= '٩': // Arabic-Indic digits
		return '0' + (r - '٠'), true
	case r == 'ـ': // tatweel
		return 0, false
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r >= 0x06D6 && r <= 0x06ED: // harakat, superscript alef, Quranic marks
		return 0, false
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF: // zero-width space, ZWNJ, ZWJ, word joiner, BOM
		return 0, false
	case r == 0x200E || r == 0x200F || r == 0x061C || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069): // bidi marks, embeddings, isolates
		return 0, false
	case r == 0x00AD: // soft hyphen
		return 0, false
	}
	return unicode.ToLower(r), true
}

// Search returns s in the search normal form.
func Search(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		f, ok := fold(r)
		if !ok {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(f)
	}
	return b.String()
}

// Words splits the search form of s into its words.
func Words(s string) []string { return strings.Fields(Search(s)) }

// Digits converts Persian and Arabic-Indic digits in s to ASCII and leaves
// everything else as it was (unlike Search, which also folds letters).
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r == '٫': // Arabic decimal separator
			return '.'
		case r == '٬': // Arabic thousands separator
			return ','
		case r == 0x200C || r == 0x200E || r == 0x200F || r == 0x061C:
			return -1
		}
		return r
	}, s)
}

// Phone returns the digits of a phone number in ASCII, dropping spaces,
// dashes, dots, parentheses and a leading plus: the form stored for
// searching phones however they were typed.
func Phone(s string) string {
	var b strings.Builder
	for _, r := range Digits(s) {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LooksLikePhone reports whether s, typed as a query, is a phone number
// rather than words: digits (any script) with only phone punctuation.
func LooksLikePhone(s string) bool {
	n := 0
	for _, r := range Digits(s) {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' || r == '-' || r == ' ' || r == '(' || r == ')' || r == '.' || r == '/':
		default:
			return false
		}
	}
	return n >= 3
}

// ErrNotNumber is returned by the parsers for text that is not a number.
var ErrNotNumber = errors.New("not a number")

// ParseInt parses a base-10 integer typed with ASCII, Persian or
// Arabic-Indic digits, with an optional sign and thousands separators
// (",", "٬") between digit groups.
func ParseInt(s string) (int64, error) {
	t := strings.TrimSpace(Digits(s))
	t = strings.ReplaceAll(t, ",", "")
	if t == "" {
		return 0, ErrNotNumber
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, ErrNotNumber
	}
	return n, nil
}

// ParseDecimal checks that s is a decimal number typed with any of the
// supported digits and returns it in ASCII canonical text ("-12.50" →
// "-12.50", "۱۲٫۵" → "12.5"), suitable for a SQL numeric or a JSON number
// without passing through a float.
func ParseDecimal(s string) (string, error) {
	t := strings.TrimSpace(Digits(s))
	t = strings.ReplaceAll(t, ",", "")
	if t == "" {
		return "", ErrNotNumber
	}
	i := 0
	if t[0] == '-' || t[0] == '+' {
		i = 1
	}
	digits, dot := 0, false
	for _, c := range t[i:] {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return "", ErrNotNumber
		}
	}
	if digits == 0 || strings.HasSuffix(t, ".") || t[i] == '.' {
		return "", ErrNotNumber
	}
	if t[0] == '+' {
		t = t[1:]
	}
	return t, nil
}
