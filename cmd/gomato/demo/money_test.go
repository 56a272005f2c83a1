package demo

import "testing"

func TestMinorUnitsRoundsHalfEven(t *testing.T) {
	cases := []struct {
		in   string
		exp  int
		want int64
	}{
		{"2.55", 2, 255}, {"0.001", 2, 0}, {"0.005", 2, 0}, {"0.015", 2, 2}, {"0.025", 2, 2},
		{"0.0251", 2, 3}, {"-0.015", 2, -2}, {"-0.005", 2, 0}, {"-11062.06", 2, -1106206},
		{"77.00", 2, 7700}, {"1.5", 0, 2}, {"2.5", 0, 2}, {"۱۲٫۵", 2, 1250},
	}
	for _, c := range cases {
		got, err := minorUnits(c.in, c.exp)
		if err != nil || got != c.want {
			t.Errorf("minorUnits(%q, %d) = %d, %v; want %d", c.in, c.exp, got, err, c.want)
		}
	}
	if _, err := minorUnits("1e-3", 2); err == nil {
		t.Error("minorUnits accepted scientific notation")
	}
}

func TestLineAmountIsExact(t *testing.T) {
	cases := []struct {
		qty   int64
		price string
		want  int64
	}{
		{6, "2.55", 1530}, {1, "0.001", 0}, {5, "0.001", 0}, {10, "0.001", 1}, {-3, "1.25", -375}, {15, "0.005", 8},
	}
	for _, c := range cases {
		got, err := lineAmount(c.qty, c.price, 2)
		if err != nil || got != c.want {
			t.Errorf("lineAmount(%d, %q) = %d, %v; want %d", c.qty, c.price, got, err, c.want)
		}
	}
}
