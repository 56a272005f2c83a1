package textnorm

import "testing"

func TestSearch(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"persian with zwnj", "کتاب‌فروشی نیکان", "کتابفروشی نیکان"},
		{"arabic kaf and yeh, no zwnj", "كتابفروشي نيكان", "کتابفروشی نیکان"},
		{"alef maksura", "موسى", "موسی"},
		{"diacritics and tatweel", "مُحَمَّـــد", "محمد"},
		{"persian digits", "تلفن ۰۹۱۲۳۴۵۶۷۸۹", "تلفن 09123456789"},
		{"arabic-indic digits", "٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"bidi marks", "\u200fسلام\u200e \u202bدنیا\u202c", "سلام دنیا"},
		{"lowercase and spaces", "  ACME\t  Trading\n Co ", "acme trading co"},
		{"teh marbuta", "مدرسة", "مدرسه"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := Search(tt.in); got != tt.want {
			t.Errorf("%s: Search(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestSearchMeets: what a user types and what was stored reach the same form.
func TestSearchMeets(t *testing.T) {
	stored := Search("کتاب‌فروشی نیکان")
	for _, typed := range []string{"كتابفروشي نيكان", "کتاب‌فروشی نیکان", "كتاب\u200cفروشي  نيكان"} {
		if got := Search(typed); got != stored {
			t.Errorf("Search(%q) = %q, stored %q", typed, got, stored)
		}
	}
}

func TestPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"۰۹۱۲ ۳۴۵ ۶۷۸۹", "09123456789"},
		{"+98 (21) 8888-1234", "982188881234"},
		{"٠٢١-٨٨٨٨١٢٣٤", "02188881234"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLooksLikePhone(t *testing.T) {
	for in, want := range map[string]bool{"۰۹۱۲۳": true, "+98 21 888": true, "12": false, "acme 123": false, "نیکان": false} {
		if got := LooksLikePhone(in); got != want {
			t.Errorf("LooksLikePhone(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"۱۲۳۴", 1234, true},
		{"٤٢", 42, true},
		{"-۷", -7, true},
		{"1,250,000", 1250000, true},
		{"۱٬۲۵۰", 1250, true},
		{" 15 ", 15, true},
		{"1.5", 0, false},
		{"abc", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"۱۲٫۵", "12.5", true},
		{"-0.25", "-0.25", true},
		{"+3", "3", true},
		{"١٢٣", "123", true},
		{"1.", "", false},
		{".5", "", false},
		{"1.2.3", "", false},
		{"1e5", "", false},
		{"-", "", false},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDecimal(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
