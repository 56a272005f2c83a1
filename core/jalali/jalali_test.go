package jalali

import (
	"testing"
	"time"
)

// Known correspondences, taken from Iran's official calendar (Nowruz
// dates, public holidays), not from this code.
var vectors = []struct {
	j Date
	y int
	m time.Month
	d int
}{
	{Date{1403, 12, 30}, 2025, time.March, 20}, // last day of the leap year 1403
	{Date{1404, 1, 1}, 2025, time.March, 21},   // Nowruz 1404
	{Date{1403, 1, 1}, 2024, time.March, 20},   // Nowruz 1403
	{Date{1402, 12, 29}, 2024, time.March, 19}, // 1402 is a common year
	{Date{1400, 1, 1}, 2021, time.March, 21},   // Nowruz 1400
	{Date{1399, 12, 30}, 2021, time.March, 20}, // 1399 is leap
	{Date{1399, 1, 1}, 2020, time.March, 20},   // Nowruz 1399
	{Date{1357, 11, 22}, 1979, time.February, 11},
	{Date{1403, 7, 1}, 2024, time.September, 22}, // 1 Mehr, schools open
	{Date{1403, 9, 30}, 2024, time.December, 20}, // Yalda
	{Date{1403, 10, 11}, 2024, time.December, 31},
	{Date{1403, 10, 12}, 2025, time.January, 1},
	{Date{1379, 10, 11}, 2000, time.December, 31},
	{Date{1354, 1, 1}, 1975, time.March, 21},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		if got := FromGregorian(v.y, v.m, v.d); got != v.j {
			t.Errorf("FromGregorian(%d-%02d-%02d) = %s, want %s", v.y, v.m, v.d, got, v.j)
		}
		y, m, d, err := ToGregorian(v.j)
		if err != nil || y != v.y || m != v.m || d != v.d {
			t.Errorf("ToGregorian(%s) = %d-%02d-%02d, %v; want %d-%02d-%02d", v.j, y, m, d, err, v.y, v.m, v.d)
		}
	}
}

func TestLeapYears(t *testing.T) {
	// Leap years of the current era per the official calendar.
	leap := map[int]bool{1391: true, 1395: true, 1399: true, 1403: true, 1408: true}
	for jy := 1390; jy <= 1410; jy++ {
		if got := IsLeap(jy); got != leap[jy] {
			t.Errorf("IsLeap(%d) = %v, want %v", jy, got, leap[jy])
		}
	}
	if (Date{1404, 12, 30}).Valid() {
		t.Error("1404-12-30 is valid, want invalid: 1404 is a common year")
	}
	if _, _, _, err := ToGregorian(Date{1404, 12, 30}); err == nil {
		t.Error("ToGregorian(1404-12-30) succeeded, want an error")
	}
	if _, _, _, err := ToGregorian(Date{1403, 13, 1}); err == nil {
		t.Error("ToGregorian(1403-13-01) succeeded, want an error")
	}
}

// TestRoundTrip walks every day of 1900–2100: each converts there and back,
// and consecutive Gregorian days are consecutive Jalali days.
func TestRoundTrip(t *testing.T) {
	day := time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC)
	end := time.Date(2100, 12, 31, 12, 0, 0, 0, time.UTC)
	prev := FromTime(day.AddDate(0, 0, -1))
	for ; !day.After(end); day = day.AddDate(0, 0, 1) {
		j := FromTime(day)
		if !j.Valid() {
			t.Fatalf("%s → %s, not a valid jalali day", day.Format(time.DateOnly), j)
		}
		y, m, d, err := ToGregorian(j)
		if err != nil || y != day.Year() || m != day.Month() || d != day.Day() {
			t.Fatalf("%s → %s → %d-%02d-%02d (%v)", day.Format(time.DateOnly), j, y, m, d, err)
		}
		next := Date{prev.Year, prev.Month, prev.Day + 1}
		if next.Day > MonthLength(prev.Year, prev.Month) {
			next = Date{prev.Year, prev.Month + 1, 1}
			if next.Month > 12 {
				next = Date{prev.Year + 1, 1, 1}
			}
		}
		if j != next {
			t.Fatalf("%s → %s, want %s (the day after %s)", day.Format(time.DateOnly), j, next, prev)
		}
		prev = j
	}
}

func TestTimeUsesLocation(t *testing.T) {
	tehran, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	// 2025-03-20 21:00 UTC is already 2025-03-21 00:30 in Tehran: Nowruz.
	instant := time.Date(2025, 3, 20, 21, 0, 0, 0, time.UTC)
	if got := FromTime(instant.In(tehran)); got != (Date{1404, 1, 1}) {
		t.Errorf("FromTime(Tehran) = %s, want 1404-01-01", got)
	}
	if got := FromTime(instant); got != (Date{1403, 12, 30}) {
		t.Errorf("FromTime(UTC) = %s, want 1403-12-30", got)
	}
	mid, err := (Date{1404, 1, 1}).Time(tehran)
	if err != nil || !mid.Equal(time.Date(2025, 3, 20, 20, 30, 0, 0, time.UTC)) {
		t.Errorf("1404-01-01 midnight in Tehran = %v (%v), want 2025-03-20 20:30 UTC", mid, err)
	}
}
