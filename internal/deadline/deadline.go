// Package deadline computes the legal due dates of data-subject requests: when the answer is due, and
// when it is due at the latest if the period is extended.
//
// Due dates are civil Dates in the controller's country, not instants: the law counts days. EndOfDay gives
// the instant a due date expires, for timers and the DsrDueAt search attribute.
//
// GDPR (Art. 12(3)) counts months as Regulation (EEC, Euratom) No 1182/71 Art. 3 does: the receipt instant
// is taken to its date in the country's time zone; that day is not counted; the month ends on the same date
// one month later, or on that month's last day if the date does not exist; a Saturday, Sunday or public
// holiday of the country moves the end to the next working day. The extension (two further months) is
// counted the same way as three months from receipt, not from the first due date.
//
// CCPA (Cal. Civ. Code 1798.130(a)(2)) gives 45 days from receipt, extendable once by 45 more.
package deadline

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Jurisdiction is the law whose deadline applies to a request.
type Jurisdiction string

// Jurisdictions dsrflow computes deadlines for.
const (
	GDPR Jurisdiction = "gdpr" // EU/EEA GDPR, and UK GDPR for GB
	CCPA Jurisdiction = "ccpa" // California Consumer Privacy Act, country US
)

// Due holds the due dates of one request, as dates in the controller's country.
type Due struct {
	// Received is the date of receipt in the country's time zone: the day the count starts from.
	Received Date
	// Due is the last day to answer.
	Due Date
	// ExtendedDue is the last day to answer when the period is extended (the subject must be told the
	// reasons before Due passes).
	ExtendedDue Date
}

// Year bounds for receipt dates. Nothing is received before the laws existed, and a date far in the future
// is a typo; both are rejected rather than given a deadline.
const (
	minYear = 2000
	maxYear = 2999
)

// Compute returns the due dates of a request received at the instant received by a controller in country
// (ISO 3166-1 alpha-2, any case) under jurisdiction j. Errors are *dsrflow.Error with code EINVALID for an
// unknown or mismatched country or jurisdiction, and for a receipt outside the years 2000–2999.
func Compute(received time.Time, country string, j Jurisdiction) (Due, error) {
	c, err := lookup(country, j)
	if err != nil {
		return Due{}, err
	}
	local := DateOf(received.In(c.loc))
	if local.Year < minYear || local.Year > maxYear {
		return Due{}, dsrflow.Errorf(dsrflow.EINVALID, "received date %s is outside the years %d–%d", local, minYear, maxYear)
	}

	due := Due{Received: local}
	switch c.jurisdiction {
	case GDPR:
		if due.Due, err = c.nextWorkday(local.addMonths(1)); err != nil {
			return Due{}, err
		}
		if due.ExtendedDue, err = c.nextWorkday(local.addMonths(3)); err != nil {
			return Due{}, err
		}
	case CCPA:
		// Calendar days with no move off weekends or holidays: 11 CCR 7021(b) counts calendar days, and
		// not moving never makes the date later than the statute's.
		due.Due = local.AddDays(45)
		due.ExtendedDue = local.AddDays(90)
	}
	return due, nil
}

// ComputeFor returns the due dates of a request of right r: Compute's, unless the right has a deadline
// of its own (Right.BusinessDays), which then is both Due and ExtendedDue (no extension). An EINVALID
// error names a right that does not exist under j.
//
// Business days are the country's working days (no weekends, no public holidays) where dsrflow knows its
// holidays; for the United States, Monday to Friday: the CCPA regulations do not define business days,
// and not skipping holidays never makes the date later than the rule's (11 CCR 7026(f), "no later than
// 15 business days from the date the business receives the request").
func ComputeFor(received time.Time, country string, j Jurisdiction, r dsrflow.Right) (Due, error) {
	if !r.ExistsUnder(string(j)) {
		return Due{}, dsrflow.Errorf(dsrflow.EINVALID, "a %s request does not exist under %s", r.Type, j)
	}
	due, err := Compute(received, country, j)
	if err != nil || r.BusinessDays <= 0 {
		return due, err
	}
	c, err := lookup(country, j)
	if err != nil {
		return Due{}, err
	}
	d := due.Received
	for n := 0; n < r.BusinessDays; {
		d = d.AddDays(1)
		if c.isWorkday(d) {
			n++
		}
	}
	due.Due, due.ExtendedDue = d, d
	return due, nil
}

// ParseReceived parses a receipt time given as "YYYY-MM-DD" (the start of that day in country's time zone)
// or as RFC 3339 ("2026-01-31T23:30:00Z", an instant; the zone it names does not matter to Compute).
func ParseReceived(s, country string) (time.Time, error) {
	c, err := lookupCountry(country)
	if err != nil {
		return time.Time{}, err
	}
	if d, err := ParseDate(s); err == nil {
		return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, c.loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// The input is not echoed: it is free text and could hold anything.
		return time.Time{}, dsrflow.Errorf(dsrflow.EINVALID,
			"received time: want YYYY-MM-DD or RFC 3339 such as 2026-01-31T09:30:00Z")
	}
	return t, nil
}

// EndOfDay returns the instant date d ends in country's time zone (the start of the next day): the moment a
// due date has passed.
func EndOfDay(d Date, country string) (time.Time, error) {
	c, err := lookupCountry(country)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, c.loc), nil
}

// Supported reports whether deadlines can be computed for country under some jurisdiction.
func Supported(country string) bool {
	_, ok := countries()[normCountry(country)]
	return ok
}

// Countries returns the supported country codes, sorted.
func Countries() []string { return codes("") }

// CountriesFor returns the country codes supported under j, sorted; none for an unknown jurisdiction.
func CountriesFor(j Jurisdiction) []string { return codes(j) }

func lookup(country string, j Jurisdiction) (*country, error) {
	if j != GDPR && j != CCPA {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "unknown jurisdiction %s: supported are %s, %s", quote(string(j)), GDPR, CCPA)
	}
	c, err := lookupCountry(country)
	if err != nil {
		return nil, err
	}
	if c.jurisdiction != j {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "country %s is not supported under %s: supported are %s",
			c.code, j, strings.Join(codes(j), ", "))
	}
	return c, nil
}

func lookupCountry(code string) (*country, error) {
	c, ok := countries()[normCountry(code)]
	if !ok {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "unknown country %s: supported are %s", quote(code), strings.Join(Countries(), ", "))
	}
	return c, nil
}

func normCountry(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// quote shows a bad value in an error, cut short: a country or jurisdiction is not personal data, but a
// caller may pass the wrong field.
func quote(s string) string {
	const limit = 16
	if r := []rune(s); len(r) > limit {
		return fmt.Sprintf("%q…", string(r[:limit]))
	}
	return fmt.Sprintf("%q", s)
}

// Location returns the time zone deadlines are counted in for country.
func Location(country string) (*time.Location, error) {
	c, err := lookupCountry(country)
	if err != nil {
		return nil, err
	}
	return c.loc, nil
}

// DateOfEnd is the inverse of EndOfDay: the due date whose end is the instant t, in country's zone.
func DateOfEnd(t time.Time, country string) string {
	loc, err := Location(country)
	if err != nil {
		loc = time.UTC
	}
	return DateOf(t.In(loc).Add(-time.Nanosecond)).String()
}

// AddWorkingDays returns the instant n working days after t in country: the same local time of day on
// the n-th working day (no weekend, no public holiday of country) after t's local date. Reviewers'
// reminders and escalations count in working days.
func AddWorkingDays(t time.Time, n int, country string) (time.Time, error) {
	c, err := lookupCountry(country)
	if err != nil {
		return time.Time{}, err
	}
	local := t.In(c.loc)
	d := DateOf(local)
	for left, guard := n, 0; left > 0; guard++ {
		if guard > 31*(n+1) {
			return time.Time{}, dsrflow.Errorf(dsrflow.EINTERNAL, "deadline: no working day after %s in %s", d, c.code)
		}
		d = d.AddDays(1)
		if c.isWorkday(d) {
			left--
		}
	}
	return time.Date(d.Year, d.Month, d.Day, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), c.loc), nil
}
