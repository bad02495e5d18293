package deadline

import (
	"testing"
	"time"
)

// FuzzCompute checks the properties every deadline must have, for any receipt instant in the supported
// years and any supported country: the due dates lie after the local receipt date; GDPR due dates are the
// first working day on or after the counted month end; CCPA due dates are exactly 45 and 90 days on; later
// receipts never get earlier due dates; the extension is never before the first due date.
func FuzzCompute(f *testing.F) {
	seed := func(s string, delta time.Duration, country string) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			f.Fatal(err)
		}
		idx := -1
		for i, c := range Countries() {
			if c == country {
				idx = i
			}
		}
		if idx < 0 {
			f.Fatalf("seed country %s not supported", country)
		}
		f.Add(t.Unix(), int64(delta/time.Second), uint8(idx))
	}
	seed("2026-01-30T23:30:00Z", time.Hour, "NO")
	seed("2026-03-28T23:30:00Z", 2*time.Hour, "NO")         // DST start
	seed("2026-10-24T21:59:00Z", 2*time.Minute, "NO")       // DST end
	seed("2028-01-30T12:00:00Z", 36*time.Hour, "NO")        // leap February
	seed("2026-03-02T10:00:00Z", 24*time.Hour, "NO")        // Easter
	seed("2026-05-19T10:00:00Z", 24*time.Hour, "SE")        // midsummer
	seed("2025-11-24T10:00:00Z", 24*time.Hour, "PL")        // Christmas Eve from 2025
	seed("2027-11-27T10:00:00Z", 24*time.Hour, "GB")        // Christmas substitutes
	seed("2024-03-26T10:00:00Z", 24*time.Hour, "DK")        // Store bededag abolished
	seed("2026-02-01T05:00:00Z", 90*24*time.Hour, "US")     // CCPA, LA date differs from UTC
	seed("2026-01-31T00:00:00Z", 400*24*time.Hour, "FI")    // across a year
	seed("2999-12-31T10:00:00Z", 0, "DE")                   // last supported year
	seed("2000-01-01T12:00:00Z", 10*365*24*time.Hour, "IE") // first supported year

	// Receipt instants are mapped into [lo, hi] so every input exercises the arithmetic, not the range check.
	lo := time.Date(minYear, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(maxYear, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
	into := func(s int64) time.Time {
		span := hi - lo + 1
		return time.Unix(lo+((s%span)+span)%span, 0)
	}
	const maxDelta = 3 * 366 * 24 * 3600 // seconds; long enough to cross months, years and holidays

	f.Fuzz(func(t *testing.T, unix, delta int64, idx uint8) {
		codes := Countries()
		code := codes[int(idx)%len(codes)]
		c := countries()[code]
		r1 := into(unix)
		d := ((delta % maxDelta) + maxDelta) % maxDelta
		r2 := r1.Add(time.Duration(d) * time.Second)
		if r2.Unix() > hi {
			r2 = r1
		}

		due1 := mustCompute(t, r1, c)
		due2 := mustCompute(t, r2, c)

		if due2.Due.Before(due1.Due) {
			t.Errorf("%s: not monotone: received %s due %s, later received %s due %s", code, r1, due1.Due, r2, due2.Due)
		}
		if due2.ExtendedDue.Before(due1.ExtendedDue) {
			t.Errorf("%s: extension not monotone: received %s ext %s, later received %s ext %s",
				code, r1, due1.ExtendedDue, r2, due2.ExtendedDue)
		}
		for _, r := range []time.Time{r1, r2} {
			checkOne(t, r, c)
		}
	})
}

func mustCompute(t *testing.T, r time.Time, c *country) Due {
	t.Helper()
	due, err := Compute(r, c.code, c.jurisdiction)
	if err != nil {
		t.Fatalf("Compute(%s, %s, %s): %v", r, c.code, c.jurisdiction, err)
	}
	return due
}

func checkOne(t *testing.T, r time.Time, c *country) {
	t.Helper()
	due := mustCompute(t, r, c)
	local := DateOf(r.In(c.loc))
	if due.Received != local {
		t.Errorf("%s: received %s: Received = %s, want the local date %s", c.code, r, due.Received, local)
	}
	if !due.Due.After(local) {
		t.Errorf("%s: received %s (%s local): due %s is not after it", c.code, r, local, due.Due)
	}
	if !due.ExtendedDue.After(due.Due) {
		t.Errorf("%s: received %s: extended due %s is not after due %s", c.code, r, due.ExtendedDue, due.Due)
	}

	switch c.jurisdiction {
	case CCPA:
		if want := local.AddDays(45); due.Due != want {
			t.Errorf("%s: received %s: due %s, want %s (45 calendar days)", c.code, local, due.Due, want)
		}
		if want := local.AddDays(90); due.ExtendedDue != want {
			t.Errorf("%s: received %s: extended due %s, want %s (90 calendar days)", c.code, local, due.ExtendedDue, want)
		}
	case GDPR:
		for _, p := range []struct {
			months int
			got    Date
		}{{1, due.Due}, {3, due.ExtendedDue}} {
			end := local.addMonths(p.months)
			if end.Day != local.Day && end.AddDays(1).Month == end.Month {
				t.Errorf("%s: %s + %d months = %s: neither the same day nor the month's last day", c.code, local, p.months, end)
			}
			if p.got.Before(end) {
				t.Errorf("%s: received %s: due %s is before the month end %s", c.code, local, p.got, end)
			}
			if !workday(c, p.got) {
				t.Errorf("%s: received %s: due %s (%s) is not a working day", c.code, local, p.got, p.got.Weekday())
			}
			for d := end; d.Before(p.got); d = d.AddDays(1) {
				if workday(c, d) {
					t.Errorf("%s: received %s: due %s skips the working day %s", c.code, local, p.got, d)
				}
			}
		}
	}
}

// workday is the test's own reading of "working day": not a weekend, and neither the actual nor the
// observed date of any of the country's holidays.
func workday(c *country, d Date) bool {
	if w := d.Weekday(); w == time.Saturday || w == time.Sunday {
		return false
	}
	act, obs, _ := c.workdays.IsHoliday(d.noonUTC())
	return !act && !obs
}
