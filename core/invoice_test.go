package core

import (
	"encoding/json"
	"testing"
)

func TestQuantityTimes(t *testing.T) {
	tests := []struct {
		q     string
		price int64
		want  int64
	}{
		{"1", 12345, 12345},
		{"2.5", 1001, 2503}, // 2502.5 rounds half away from zero
		{"-2.5", 1001, -2503},
		{"0.3333", 3, 1},
		{"۳", 1500000, 4500000},
		{"1.2345", 10000, 12345},
		{"0", 99, 0},
	}
	for _, tc := range tests {
		q, err := ParseQuantity(tc.q)
		if err != nil {
			t.Fatalf("ParseQuantity(%q): %v", tc.q, err)
		}
		if got := q.Times(tc.price); got != tc.want {
			t.Errorf("%s × %d = %d, want %d", tc.q, tc.price, got, tc.want)
		}
	}
	big, _ := ParseQuantity("99999999999999")
	if got := big.Times(1 << 62); got != overflowAmount {
		t.Errorf("overflowing amount = %d, want the overflow marker", got)
	}
	if _, err := ParseQuantity("1.23456"); err == nil {
		t.Error("five decimals: want an error")
	}
}

func TestQuantityJSON(t *testing.T) {
	var v struct{ Q Quantity }
	for in, want := range map[string]string{`{"Q":1.5}`: "1.5", `{"Q":"۲٫۲۵"}`: "2.25", `{"Q":10}`: "10", `{"Q":"-0.0001"}`: "-0.0001"} {
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if v.Q.String() != want {
			t.Errorf("%s → %s, want %s", in, v.Q, want)
		}
	}
	if err := json.Unmarshal([]byte(`{"Q":1e3}`), &v); err == nil {
		t.Error("exponent notation: want an error")
	}
}

func TestInvoiceValidate(t *testing.T) {
	inv := Invoice{Kind: "invoice", Status: "unpaid"}
	q, _ := ParseQuantity("2")
	lines := []InvoiceLineData{{Product: "x", Quantity: q, UnitPrice: 500}}
	total := int64(999)
	d := NewDate(2025, 3, 20)
	InvoiceUpdate{Number: lrPtr("INV-1"), Currency: lrPtr("XXX"), Lines: &lines, Total: &total, IssuedOn: &d}.Apply(&inv)
	err := inv.Validate()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("Validate = %v, want *Error", err)
	}
	for _, f := range []string{"customer_id", "currency", "total"} {
		if e.Fields[f] == "" {
			t.Errorf("no message for %s in %v", f, e.Fields)
		}
	}
	if inv.Lines[0].Amount != 1000 {
		t.Errorf("line amount = %d, want 1000", inv.Lines[0].Amount)
	}
}

func lrPtr[T any](v T) *T { return &v }
