package invoicing

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
)

// Period is a calendar month in a tenant's time zone, the span of one
// invoice.
type Period struct {
	Year  int
	Month time.Month
}

var periodRE = regexp.MustCompile(`^(2[0-9]{3})-(0[1-9]|1[0-2])$`)

// ParsePeriod parses "YYYY-MM" (2000-01 to 2999-12). Returns Invalid with
// a field error on "period" otherwise.
func ParsePeriod(s string) (Period, error) {
	m := periodRE.FindStringSubmatch(s)
	if m == nil {
		var fe core.FieldErrors
		fe.Add("period", "invoicing.field.period_invalid")
		return Period{}, fe.Err()
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	return Period{Year: y, Month: time.Month(mo)}, nil
}

// PeriodOf returns the period t falls in, in loc.
func PeriodOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	return Period{Year: t.Year(), Month: t.Month()}
}

// String is "YYYY-MM".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Bounds returns the first instant of the period and of the next one, in
// loc, as UTC times.
func (p Period) Bounds(loc *time.Location) (start, end time.Time) {
	s := time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, loc)
	return s.UTC(), s.AddDate(0, 1, 0).UTC()
}

// FirstDay is "YYYY-MM-01".
func (p Period) FirstDay() string { return p.String() + "-01" }

// LastDay is the period's last day, "YYYY-MM-DD".
func (p Period) LastDay() string {
	return time.Date(p.Year, p.Month+1, 0, 0, 0, 0, 0, time.UTC).Format(DateLayout)
}

// Next is the following month.
func (p Period) Next() Period {
	if p.Month == time.December {
		return Period{p.Year + 1, time.January}
	}
	return Period{p.Year, p.Month + 1}
}

// Prev is the month before.
func (p Period) Prev() Period {
	if p.Month == time.January {
		return Period{p.Year - 1, time.December}
	}
	return Period{p.Year, p.Month - 1}
}

// index counts months from year 0, for differences.
func (p Period) index() int { return p.Year*12 + int(p.Month) - 1 }

// DateLayout is the layout of plan start dates.
const DateLayout = "2006-01-02"

// parseDate parses a start date "YYYY-MM-DD" (years 2000 to 2999).
func parseDate(fe *core.FieldErrors, field, s string) string {
	d, err := time.Parse(DateLayout, s)
	if s == "" {
		fe.Add(field, "field.required")
	} else if err != nil || d.Year() < 2000 || d.Year() > 2999 {
		fe.Add(field, "invoicing.field.date_invalid")
	}
	return s
}

// periodOfDate is the period of a date "YYYY-MM-DD".
func periodOfDate(d string) Period {
	t, _ := time.Parse(DateLayout, d)
	return Period{Year: t.Year(), Month: t.Month()}
}
