package retention

import "testing"

// TestFrequencyReasonWording: a customer with no repeat purchase is told
// so, not "only 0 repeat purchases so far".
func TestFrequencyReasonWording(t *testing.T) {
	for _, tc := range []struct {
		repeat int
		wantEN string
		wantFA string
	}{
		{0, "no repeat purchase yet", "هنوز هیچ خرید تکراری نداشته"},
		{1, "only 1 repeat purchase so far", "تاکنون فقط ۱ خرید تکراری"},
		{3, "only 3 repeat purchases so far", "تاکنون فقط ۳ خرید تکراری"},
	} {
		r := Reason{Code: "frequency"}
		wordTxReason(&r, ChurnFeatures{Repeat: tc.repeat}, 90)
		if r.TextEN != tc.wantEN || r.TextFA != tc.wantFA {
			t.Errorf("repeat %d: got %q / %q, want %q / %q", tc.repeat, r.TextEN, r.TextFA, tc.wantEN, tc.wantFA)
		}
	}
}
