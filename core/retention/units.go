package retention

import (
	"fmt"
	"time"
)

// TimeUnit is the model time unit, expressed as its length in days. The
// BG/NBD family is scale-free, so the unit only changes the numbers the
// parameters take (α in weeks is α in days ÷ 7); naming it stops a weekly
// fit from being read as daily, the mistake behind lifetimes' CDNOW CLV.
type TimeUnit int

const (
	// Days measures model time in days.
	Days TimeUnit = 1
	// Weeks measures model time in weeks of 7 days.
	Weeks TimeUnit = 7
)

// DaysPer returns how many days one unit lasts.
func (u TimeUnit) DaysPer() float64 {
	if u <= 0 {
		return 1
	}
	return float64(u)
}

// FromDays converts a number of days into this unit.
func (u TimeUnit) FromDays(days float64) float64 { return days / u.DaysPer() }

// ToDays converts an amount of this unit into days.
func (u TimeUnit) ToDays(v float64) float64 { return v * u.DaysPer() }

// String names the unit for logs and model descriptions.
func (u TimeUnit) String() string {
	switch u {
	case Days:
		return "days"
	case Weeks:
		return "weeks"
	default:
		return fmt.Sprintf("%d-day units", int(u))
	}
}

// daysPerMonth is the mean Gregorian month. CLV sums month by month, and a
// fixed month length keeps "12 months" the same span for every customer.
const daysPerMonth = 365.2425 / 12

// civilDay numbers the calendar day containing t in loc (days since
// 1970-01-01). Purchases are days in the tenant's time zone, so a late
// evening order in Tehran is not moved to the next UTC day.
func civilDay(t time.Time, loc *time.Location) int32 {
	if loc == nil || loc == time.UTC {
		// UTC days need no zone lookup: floor(unix / 86400).
		u := t.Unix()
		d := u / 86400
		if u%86400 < 0 {
			d--
		}
		return int32(d)
	}
	y, m, d := t.In(loc).Date()
	return int32(daysFromCivil(y, int(m), d))
}

// daysFromCivil is Howard Hinnant's days_from_civil; it avoids building a
// time.Time per transaction.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dayStart is the first instant of civil day n in loc.
func dayStart(n int32, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	u := time.Unix(int64(n)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, loc)
}
