// Package jalali converts between the Jalali (Solar Hijri, Iran's civil
// calendar) and the Gregorian calendar. It is pure arithmetic: the leap
// years follow the astronomical "breaks" table used by Iran's calendar
// authority (as in Borkowski's algorithm, valid for Jalali years
// -61…3177), not the plain 33-year rule, so years such as 1403 (leap) and
// 1404 (common) come out right.
package jalali

import (
	"fmt"
	"time"
)

// Date is a day in the Jalali calendar. Month is 1 (Farvardin) … 12
// (Esfand).
type Date struct {
	Year, Month, Day int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// breaks are the Jalali years in which the leap-year pattern of the
// 33-year cycle shifts.
var breaks = [...]int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}

// MinYear and MaxYear bound the years this package converts.
const (
	MinYear = -61
	MaxYear = 3177
)

// cal returns, for Jalali year jy, the Gregorian year in which it starts,
// the March day of its first day (Farvardin 1), and its position in the
// leap cycle (0 means leap).
func cal(jy int) (gy, march, leap int) {
	gy = jy + 621
	leapJ := -14
	jp := breaks[0]
	jump := 0
	for i := 1; i < len(breaks); i++ {
		jm := breaks[i]
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += n/33*8 + (n%33+3)/4
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	leapG := gy/4 - (gy/100+1)*3/4 - 150
	march = 20 + leapJ - leapG
	if jump-n < 6 {
		n = n - jump + (jump+4)/33*33
	}
	leap = ((n+1)%33 - 1) % 4
	if leap == -1 {
		leap = 4
	}
	return gy, march, leap
}

func checkYear(jy int) error {
	if jy < MinYear || jy > MaxYear {
		return fmt.Errorf("jalali year %d out of range %d…%d", jy, MinYear, MaxYear)
	}
	return nil
}

// IsLeap reports whether Jalali year jy has 366 days (Esfand has 30).
func IsLeap(jy int) bool {
	if checkYear(jy) != nil {
		return false
	}
	_, _, leap := cal(jy)
	return leap == 0
}

// MonthLength is the number of days of month m of Jalali year jy: 31 for
// the first six months, 30 for the next five, and 29 or 30 for Esfand.
func MonthLength(jy, m int) int {
	switch {
	case m >= 1 && m <= 6:
		return 31
	case m >= 7 && m <= 11:
		return 30
	case m == 12:
		if IsLeap(jy) {
			return 30
		}
		return 29
	}
	return 0
}

// Valid reports whether d names a real Jalali day.
func (d Date) Valid() bool {
	return checkYear(d.Year) == nil && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= MonthLength(d.Year, d.Month)
}

// gregorianDay is the day number of a Gregorian date (days since
// 1970-01-01), computed by the time package, which knows the proleptic
// Gregorian calendar.
func gregorianDay(y int, m time.Month, d int) int {
	// Midnight UTC is an exact multiple of a day, so the division is exact
	// also before 1970.
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func fromDay(n int) (int, time.Month, int) {
	return time.Unix(int64(n)*86400+43200, 0).UTC().Date()
}

// ToGregorian converts a Jalali date to the Gregorian calendar.
func ToGregorian(d Date) (year int, month time.Month, day int, err error) {
	if !d.Valid() {
		return 0, 0, 0, fmt.Errorf("invalid jalali date %s", d)
	}
	gy, march, _ := cal(d.Year)
	n := gregorianDay(gy, time.March, march) + (d.Month-1)*31 - d.Month/7*(d.Month-7) + d.Day - 1
	y, m, dd := fromDay(n)
	return y, m, dd, nil
}

// FromGregorian converts a Gregorian date to the Jalali calendar.
func FromGregorian(year int, month time.Month, day int) Date {
	n := gregorianDay(year, month, day)
	gy, _, _ := fromDay(n)
	jy := gy - 621
	_, march, leap := cal(jy)
	k := n - gregorianDay(gy, time.March, march)
	if k >= 0 {
		if k <= 185 {
			return Date{Year: jy, Month: 1 + k/31, Day: k%31 + 1}
		}
		k -= 186
	} else {
		jy--
		k += 179
		if leap == 1 {
			k++
		}
	}
	return Date{Year: jy, Month: 7 + k/30, Day: k%30 + 1}
}

// FromTime returns the Jalali day of t in t's own location; callers put t
// in the tenant's time zone first.
func FromTime(t time.Time) Date {
	y, m, d := t.Date()
	return FromGregorian(y, m, d)
}

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) (time.Time, error) {
	y, m, dd, err := ToGregorian(d)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(y, m, dd, 0, 0, 0, 0, loc), nil
}

// MonthNamesFa are the Persian month names, Farvardin first.
var MonthNamesFa = [12]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
	"مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}

// MonthNamesEn are the month names transliterated for English text.
var MonthNamesEn = [12]string{"Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
	"Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand"}
