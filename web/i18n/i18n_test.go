package i18n

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCataloguesHaveTheSameKeys: a key in one language and not the other
// is a failure, and so is an empty message.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	for _, a := range Langs {
		for _, b := range Langs {
			if a == b {
				continue
			}
			for _, k := range Keys(a) {
				if !Has(b, k) {
					t.Errorf("key %q is in %s.json but missing from %s.json", k, a, b)
				}
			}
		}
		for _, k := range Keys(a) {
			if strings.TrimSpace(catalogues[a][k]) == "" {
				t.Errorf("%s.json: %q is empty", a, k)
			}
		}
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[a-zA-Z]`)

// TestPlaceholdersMatch: both languages take the same arguments, and
// numbers go in as %s (T formats them with the language's digits).
func TestPlaceholdersMatch(t *testing.T) {
	for _, k := range Keys(En) {
		en, fa := verbRE.FindAllString(catalogues[En][k], -1), verbRE.FindAllString(catalogues[Fa][k], -1)
		if len(en) != len(fa) {
			t.Errorf("%q: en has %d arguments, fa %d", k, len(en), len(fa))
		}
		for _, v := range append(en, fa...) {
			if !strings.HasSuffix(v, "s") && !strings.HasSuffix(v, "v") {
				t.Errorf("%q uses %s: numbers are passed as strings (%%s)", k, v)
			}
		}
	}
}

func TestPersianHasNoLatinDigits(t *testing.T) {
	for _, k := range Keys(Fa) {
		if strings.ContainsAny(catalogues[Fa][k], "0123456789") {
			t.Errorf("fa %q = %q has ASCII digits", k, catalogues[Fa][k])
		}
	}
}

func TestMissingKeyIsMarked(t *testing.T) {
	p := New(Fa, nil, "IRR")
	if got := p.T("no.such.key"); !strings.HasPrefix(got, MissingMark) {
		t.Errorf("T(missing) = %q, want it marked with %s", got, MissingMark)
	}
}

func TestNumbers(t *testing.T) {
	fa, en := New(Fa, nil, "IRR"), New(En, nil, "USD")
	cases := []struct {
		got, want string
	}{
		{fa.Int(1234567), "۱٬۲۳۴٬۵۶۷"},
		{en.Int(1234567), "1,234,567"},
		{fa.Int(-42), "−۴۲"},
		{en.Int(0), "0"},
		{en.Int(999), "999"},
		{en.Int(-1000), "-1,000"},
		{fa.Percent(0.425), "۴۲٪"},
		{en.Percent(0.876), "88%"},
		{fa.Decimal(3.25, 2), "۳٫۲۵"},
		{en.Decimal(1234.5, 1), "1,234.5"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestMoneyUsesTheCurrencyDecimals(t *testing.T) {
	fa, en := New(Fa, nil, "IRR"), New(En, nil, "USD")
	cases := []struct {
		got, want string
	}{
		{fa.Money(125000000, ""), "۱۲۵٬۰۰۰٬۰۰۰ ریال"},
		{en.Money(125000000, "IRR"), "IRR 125,000,000"},
		{en.Money(123456, ""), "USD 1,234.56"},
		{en.Money(-5, "USD"), "USD -0.05"},
		{fa.Money(123456, "USD"), "۱٬۲۳۴٫۵۶ دلار"},
		{en.Money(1000, "KWD"), "KWD 1.000"},
		{en.Money(1500, "JPY"), "JPY 1,500"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	tehran, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	fa, en := New(Fa, tehran, "IRR"), New(En, tehran, "USD")
	lastOf1403 := time.Date(2025, 3, 20, 10, 0, 0, 0, time.UTC)
	nowruz := time.Date(2025, 3, 20, 21, 0, 0, 0, time.UTC) // 00:30 on 21 March in Tehran
	cases := []struct {
		got, want string
	}{
		{fa.Date(lastOf1403), "۱۴۰۳/۱۲/۳۰"},
		{fa.Date(nowruz), "۱۴۰۴/۰۱/۰۱"},
		{en.Date(nowruz), "2025-03-21"},
		{fa.LongDate(lastOf1403), "۳۰ اسفند ۱۴۰۳"},
		{en.LongDate(lastOf1403), "20 March 2025"},
		{fa.Day(time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)), "۱۴۰۳/۱۲/۳۰"},
		{fa.DateTime(nowruz), "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tehran, _ := time.LoadLocation("Asia/Tehran")
	fa := New(Fa, tehran, "IRR")
	for _, in := range []string{"۱۴۰۳/۱۲/۳۰", "1403-12-30", "١٤٠٣/١٢/٣٠", "2025-03-20", "۲۰۲۵-۰۳-۲۰"} {
		got, err := fa.ParseDate(in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", in, err)
			continue
		}
		if want := time.Date(2025, 3, 20, 0, 0, 0, 0, tehran); !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"", "1404/12/30", "tomorrow", "2025-02-30"} {
		if _, err := fa.ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) succeeded, want an error", in)
		}
	}
}

// TestToman: with the toman display, IRR amounts show as rials ÷ 10, with
// the one decimal a rial amount not divisible by ten needs; other
// currencies are untouched; typed toman come back as rials.
func TestToman(t *testing.T) {
	fa, en := New(Fa, nil, "IRR"), New(En, nil, "IRR")
	fa.Toman, en.Toman = true, true
	for _, c := range []struct {
		p        *Printer
		amount   int64
		currency string
		want     string
	}{
		{en, 1234560, "", "Toman 123,456"},
		{en, 1234565, "IRR", "Toman 123,456.5"},
		{en, -15, "", "Toman -1.5"},
		{en, 5, "", "Toman 0.5"},
		{en, 0, "", "Toman 0"},
		{en, -9223372036854775808, "", "Toman -922,337,203,685,477,580.8"},
		{fa, 1234565, "", "۱۲۳٬۴۵۶٫۵ تومان"},
		{en, 1250, "USD", "USD 12.50"},
	} {
		if got := c.p.Money(c.amount, c.currency); got != c.want {
			t.Errorf("%s Money(%d, %q) = %q, want %q", c.p.Lang, c.amount, c.currency, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want int64
	}{{"123456", 1234560}, {"۱۲۳٬۴۵۶٫۵", 1234565}, {"0.5", 5}} {
		if got, err := fa.ParseAmount(c.in); err != nil || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d rials", c.in, got, err, c.want)
		}
	}
	if _, err := fa.ParseAmount("1.25"); err == nil {
		t.Error("ParseAmount(1.25 toman) succeeded: that is a fraction of a rial")
	}
	rial := New(En, nil, "IRR")
	if got := rial.Money(1234565, ""); got != "IRR 1,234,565" {
		t.Errorf("without toman: %q, want IRR 1,234,565", got)
	}
}
