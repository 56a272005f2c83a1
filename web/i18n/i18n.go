// Package i18n holds the web UI's message catalogues (Persian and English)
// and the locale-aware formatting of numbers, money and dates: Persian
// digits and separators and Jalali dates for fa, ASCII digits and
// Gregorian dates for en. Every string the UI shows comes from a
// catalogue; a key missing from one is a test failure, and at run time it
// shows as ⟦key⟧ so that tests scanning pages find it.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/jalali"
)

// Lang is a UI language.
type Lang string

// The UI languages.
const (
	En Lang = "en"
	Fa Lang = "fa"
)

// Langs lists the UI languages.
var Langs = []Lang{Fa, En}

// Parse returns the language named by s, or ok=false.
func Parse(s string) (Lang, bool) {
	switch Lang(strings.ToLower(strings.TrimSpace(s))) {
	case En:
		return En, true
	case Fa:
		return Fa, true
	}
	return "", false
}

// MissingMark wraps a key that has no message, so that it shows on the page
// and tests find it.
const MissingMark = "⟦"

//go:embed en.json fa.json
var files embed.FS

var catalogues = map[Lang]map[string]string{}

func init() {
	for _, l := range Langs {
		b, err := files.ReadFile(string(l) + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n: %s.json: %v", l, err))
		}
		catalogues[l] = m
	}
}

// Keys returns the sorted keys of l's catalogue.
func Keys(l Lang) []string {
	var ks []string
	for k := range catalogues[l] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Has reports whether l's catalogue has key.
func Has(l Lang, key string) bool {
	_, ok := catalogues[l][key]
	return ok
}

// Printer formats for one language, time zone and currency: one per
// request.
type Printer struct {
	Lang     Lang
	Loc      *time.Location
	Currency string
	// Toman shows IRR amounts in toman (rials ÷ 10), the tenant's choice;
	// amounts are still rials everywhere but on the page.
	Toman bool
}

// New returns a printer; a nil location means UTC.
func New(l Lang, loc *time.Location, currency string) *Printer {
	if loc == nil {
		loc = time.UTC
	}
	if _, ok := catalogues[l]; !ok {
		l = En
	}
	return &Printer{Lang: l, Loc: loc, Currency: currency}
}

// T returns the message for key, formatted with args (fmt verbs; use
// %[1]s-style indexes where languages order arguments differently).
// Numeric arguments are printed with the language's digits.
func (p *Printer) T(key string, args ...any) string {
	msg, ok := catalogues[p.Lang][key]
	if !ok {
		return MissingMark + key + "⟧"
	}
	if len(args) == 0 {
		return msg
	}
	for i, a := range args {
		switch v := a.(type) {
		case int:
			args[i] = p.Int(int64(v))
		case int64:
			args[i] = p.Int(v)
		}
	}
	return fmt.Sprintf(msg, args...)
}

// Dir is the text direction of the language: rtl or ltr.
func (p *Printer) Dir() string {
	if p.Lang == Fa {
		return "rtl"
	}
	return "ltr"
}

// Digits rewrites ASCII digits in the language's digits, and '.' between
// digits as the Persian decimal separator.
func (p *Printer) Digits(s string) string {
	if p.Lang != Fa {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune('۰' + (r - '0'))
		case r == '.' && i > 0 && i+1 < len(rs) && isDigit(rs[i-1]) && isDigit(rs[i+1]):
			b.WriteRune('٫')
		case r == ',' && i > 0 && i+1 < len(rs) && isDigit(rs[i-1]) && isDigit(rs[i+1]):
			b.WriteRune('٬')
		case r == '-' && i+1 < len(rs) && isDigit(rs[i+1]):
			b.WriteRune('−')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// group inserts thousands separators into an ASCII decimal ("-1234567.5" →
// "-1,234,567.5").
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := sign + b.String()
	if hasFrac {
		out += "." + frac
	}
	return out
}

// Int formats n with thousands separators in the language's digits.
func (p *Printer) Int(n int64) string { return p.Digits(group(strconv.FormatInt(n, 10))) }

// Decimal formats v with the given number of decimals.
func (p *Printer) Decimal(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return p.Digits(group(strconv.FormatFloat(v, 'f', decimals, 64)))
}

// Percent formats a fraction 0…1 as a whole percentage ("42%", "۴۲٪").
func (p *Printer) Percent(v float64) string {
	s := p.Decimal(v*100, 0)
	if p.Lang == Fa {
		return s + "٪"
	}
	return s + "%"
}

// Money formats an amount in minor units of currency (the printer's when
// empty) with the currency's own decimals: IRR 0, USD 2.
func (p *Printer) Money(amount int64, currency string) string {
	if currency == "" {
		currency = p.Currency
	}
	s := p.Digits(group(core.FormatMoney(amount, currency)))
	name := currency
	if p.Toman && currency == "IRR" {
		s, name = p.Digits(group(tomans(amount))), "toman"
	}
	if m, ok := catalogues[p.Lang]["currency."+name]; ok {
		name = m
	}
	if p.Lang == Fa {
		return s + " " + name
	}
	return name + " " + s
}

// tomans writes rials as toman: whole, or with the one decimal a rial
// amount not divisible by ten needs (nothing is rounded away).
func tomans(rials int64) string {
	sign := ""
	u := uint64(rials)
	if rials < 0 {
		sign, u = "-", uint64(-(rials+1))+1
	}
	if u%10 == 0 {
		return sign + strconv.FormatUint(u/10, 10)
	}
	return sign + strconv.FormatUint(u/10, 10) + "." + strconv.FormatUint(u%10, 10)
}

// ParseAmount reads an amount typed in a filter or form in the unit the
// page shows (toman when the printer shows toman) and returns minor units
// of the printer's currency.
func (p *Printer) ParseAmount(s string) (int64, error) {
	if p.Toman && p.Currency == "IRR" {
		// One decimal of toman is a whole rial.
		v, err := core.ParseDecimal(s, 1)
		return v, err
	}
	return core.ParseMoney(s, p.Currency)
}

// MoneyInput writes an amount the way a form field shows it for editing:
// the currency's decimals, no grouping, ASCII digits (the parser accepts
// any digits back).
func (p *Printer) MoneyInput(amount int64, currency string) string {
	if currency == "" {
		currency = p.Currency
	}
	return core.FormatMoney(amount, currency)
}

// Date formats the calendar day of t in the printer's time zone: Jalali
// with Persian digits for fa ("۱۴۰۳/۱۲/۳۰"), ISO Gregorian for en
// ("2025-03-20").
func (p *Printer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(p.Loc)
	if p.Lang == Fa {
		j := jalali.FromTime(t)
		return p.Digits(fmt.Sprintf("%04d/%02d/%02d", j.Year, j.Month, j.Day))
	}
	return t.Format("2006-01-02")
}

// Day formats a calendar day (a date column, no time zone): it is shown as
// the same day whatever the zone.
func (p *Printer) Day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	y, m, d := t.Date()
	return (&Printer{Lang: p.Lang, Loc: time.UTC}).Date(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// LongDate formats t as words: "30 اسفند ۱۴۰۳" or "20 March 2025".
func (p *Printer) LongDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(p.Loc)
	if p.Lang == Fa {
		j := jalali.FromTime(t)
		return p.Digits(strconv.Itoa(j.Day)) + " " + jalali.MonthNamesFa[j.Month-1] + " " + p.Digits(strconv.Itoa(j.Year))
	}
	return t.Format("2 January 2006")
}

// DateTime formats t with its time of day.
func (p *Printer) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return p.Date(t) + " " + p.Digits(t.In(p.Loc).Format("15:04"))
}

// DateInput formats t for a date field: always ISO Gregorian, which
// <input type="date"> needs, in the printer's zone.
func (p *Printer) DateInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Loc).Format("2006-01-02")
}

// ParseDate reads a date typed by a user: ISO Gregorian (what date inputs
// send) or, for Persian, a Jalali "1403/12/30" in any digits. The result
// is midnight in the printer's zone.
func (p *Printer) ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(core.FoldDigits(s))
	if s == "" {
		return time.Time{}, core.ErrNumberEmpty
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) == 3 {
		y, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		d, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil {
			// Years of the current Jalali era are far from Gregorian ones
			// anyone types, so the year tells the calendar.
			if y >= 1200 && y < 1600 {
				return jalali.Date{Year: y, Month: m, Day: d}.Time(p.Loc)
			}
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, p.Loc)
			if y >= 1600 && t.Year() == y && int(t.Month()) == m && t.Day() == d {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}
