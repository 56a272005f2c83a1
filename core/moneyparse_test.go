package core

import (
	"errors"
	"math"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		err      error
	}{
		{"1,234.56", "USD", 123456, nil},
		{"1234.56", "USD", 123456, nil},
		{"1234.5", "USD", 123450, nil},
		{"1234", "USD", 123400, nil},
		{"-120", "USD", -12000, nil},
		{"-120", "IRR", -120, nil},
		{"+98", "IRR", 98, nil},
		{"−5", "IRR", -5, nil}, // U+2212 minus sign
		{"۱٬۲۳۴٫۵۶", "USD", 123456, nil},
		{"١٢٣٤", "IRR", 1234, nil},
		{"١٬٢٣٤٬٥٦٧", "IRR", 1234567, nil},
		{"۱۲،۵۰۰،۰۰۰", "IRR", 12500000, nil},
		{"1.234,56", "USD", 123456, nil},
		{"1.234.567,5", "EUR", 123456750, nil},
		{"12,500,000", "IRR", 12500000, nil},
		{"۱۲۳,۴۵۶.۷", "USD", 12345670, nil},
		{"  \u200f۲۵۰۰۰\u200e ", "IRR", 25000, nil},
		{"0.005", "KWD", 5, nil},
		{".5", "USD", 50, nil},
		{"0", "USD", 0, nil},
		{"9223372036854775807", "IRR", math.MaxInt64, nil},
		{"-9223372036854775808", "IRR", math.MinInt64, nil},
		{"9223372036854775808", "IRR", 0, ErrNumberRange},
		{"92233720368547758.08", "USD", 0, ErrNumberRange},
		{"1.5", "IRR", 0, ErrTooManyDecimals},
		{"1.00", "IRR", 0, ErrTooManyDecimals},
		{"1.234", "USD", 0, ErrTooManyDecimals},
		{"۱٫۲۳۴", "USD", 0, ErrTooManyDecimals},
		{"1,5", "USD", 0, ErrNumberGrouping},
		{"1,2345", "IRR", 0, ErrNumberGrouping},
		{"1234,567", "IRR", 0, ErrNumberGrouping},
		{",123", "IRR", 0, ErrNumberGrouping},
		{"1,23,456", "IRR", 0, ErrNumberGrouping},
		{"1.2.3", "USD", 0, ErrNumberSyntax},
		{"12a", "USD", 0, ErrNumberSyntax},
		{"1e3", "USD", 0, ErrNumberSyntax},
		{"1.", "USD", 0, ErrNumberSyntax},
		{"-", "USD", 0, ErrNumberSyntax},
		{"--1", "USD", 0, ErrNumberSyntax},
		{"1 234", "USD", 0, ErrNumberSyntax},
		{"", "USD", 0, ErrNumberEmpty},
		{"   ", "USD", 0, ErrNumberEmpty},
	}
	for _, tc := range tests {
		got, err := ParseMoney(tc.in, tc.currency)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseMoney(%q, %s) = %d, %v; want error %v", tc.in, tc.currency, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMoney(%q, %s) = %d, %v; want %d", tc.in, tc.currency, got, err, tc.want)
		}
	}
	if _, err := ParseMoney("1", "XYZ"); err == nil {
		t.Error("ParseMoney with an unknown currency: want an error")
	}
}

func TestFormatDecimalRoundTrip(t *testing.T) {
	tests := []struct {
		v     int64
		scale int
		want  string
	}{
		{123456, 2, "1234.56"},
		{-12000, 2, "-120.00"},
		{5, 3, "0.005"},
		{-5, 2, "-0.05"},
		{0, 2, "0.00"},
		{1234, 0, "1234"},
		{math.MinInt64, 0, "-9223372036854775808"},
		{math.MaxInt64, 2, "92233720368547758.07"},
	}
	for _, tc := range tests {
		got := FormatDecimal(tc.v, tc.scale)
		if got != tc.want {
			t.Errorf("FormatDecimal(%d, %d) = %q, want %q", tc.v, tc.scale, got, tc.want)
		}
		back, err := ParseDecimal(got, tc.scale)
		if err != nil || back != tc.v {
			t.Errorf("ParseDecimal(%q, %d) = %d, %v; want %d", got, tc.scale, back, err, tc.v)
		}
	}
}
