package deadline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Every expected date below was checked by hand: weekdays with Python's datetime, Easter with
// dateutil.easter, and each holiday against the country's law.
func TestCompute(t *testing.T) {
	tests := []struct {
		name     string
		country  string
		j        Jurisdiction
		received string // YYYY-MM-DD (start of that local day) or RFC 3339
		due      string
		ext      string // "" when the case is not about the extension
	}{
		// Month arithmetic (Regulation 1182/71 Art. 3(2)(c)).
		{"NO Jan 31 -> Feb 28 is a Saturday -> Monday", "NO", GDPR, "2026-01-31", "2026-03-02", "2026-04-30"},
		{"NO extension counts three months from receipt, not from the due date", "NO", GDPR, "2026-03-02", "2026-04-07", "2026-06-02"},
		{"NO Nov 30 -> Dec 30; extension Feb 28 is a Saturday", "NO", GDPR, "2025-11-30", "2025-12-30", "2026-03-02"},
		{"NO leap year: Jan 31 -> Feb 29 (Tue); extension Apr 30 Sun, May 1 holiday", "NO", GDPR, "2028-01-31", "2028-02-29", "2028-05-02"},
		{"NO ordinary day stays", "NO", GDPR, "2026-03-15", "2026-04-15", "2026-06-15"},

		// Norwegian holidays.
		{"NO Easter 2026: Maundy Thu, Good Fri, weekend, Easter Monday", "NO", GDPR, "2026-03-02", "2026-04-07", ""},
		{"NO May 1 2026 (Fri)", "NO", GDPR, "2026-04-01", "2026-05-04", ""},
		{"NO Ascension 2026 (Thu May 14)", "NO", GDPR, "2026-04-14", "2026-05-15", ""},
		{"NO Whit Monday 2026 (May 25)", "NO", GDPR, "2026-04-25", "2026-05-26", ""},
		{"NO May 17 2027 (Mon, also Whit Monday)", "NO", GDPR, "2027-04-17", "2027-05-18", ""},
		{"NO May 17 2026 is a Sunday", "NO", GDPR, "2026-04-17", "2026-05-18", ""},
		{"NO Christmas 2025: Thu 25, Fri 26, weekend", "NO", GDPR, "2025-11-25", "2025-12-29", ""},
		{"NO Dec 24 is not a public holiday", "NO", GDPR, "2025-11-24", "2025-12-24", ""},

		// Time zone: the receipt instant is taken to its date in the country.
		{"NO 23:30 UTC is already the next day in Oslo", "NO", GDPR, "2026-03-14T23:30:00Z", "2026-04-15", ""},
		{"NO 22:59 UTC is still the same day in Oslo (CET)", "NO", GDPR, "2026-03-14T22:59:00Z", "2026-04-14", ""},
		{"NO offset in the input does not matter, only the instant", "NO", GDPR, "2026-03-14T18:30:00-05:00", "2026-04-15", ""},
		{"NO DST start night: 00:30 UTC Mar 29 is 01:30 CET", "NO", GDPR, "2026-03-29T00:30:00Z", "2026-04-29", ""},
		{"NO DST end night: 22:30 UTC Oct 24 is 00:30 CEST Oct 25", "NO", GDPR, "2026-10-24T22:30:00Z", "2026-11-25", "2027-01-25"},
		{"NO DST end night: 21:59 UTC Oct 24 is 23:59 CEST Oct 24", "NO", GDPR, "2026-10-24T21:59:00Z", "2026-11-24", "2027-01-25"},

		// Sweden.
		{"SE midsummer eve (Fri Jun 19 2026) is not a public holiday", "SE", GDPR, "2026-05-19", "2026-06-19", "2026-08-19"},
		{"SE midsummer day is a Saturday", "SE", GDPR, "2026-05-20", "2026-06-22", ""},
		{"SE national day Jun 6 2025 (Fri)", "SE", GDPR, "2025-05-06", "2025-06-09", ""},
		{"SE Epiphany Jan 6 2026 (Tue)", "SE", GDPR, "2025-12-06", "2026-01-07", ""},
		{"SE Christmas Eve is not a public holiday", "SE", GDPR, "2025-11-24", "2025-12-24", ""},
		{"SE Christmas Day and Boxing Day 2025", "SE", GDPR, "2025-11-25", "2025-12-29", ""},

		// Iceland: the First Day of Summer (Thu Apr 23 2026).
		{"IS the First Day of Summer moves the due date to Friday", "IS", GDPR, "2026-03-23", "2026-04-24", ""},

		// Great Britain (England and Wales).
		{"GB Boxing Day 2026 is a Saturday, substitute Mon Dec 28", "GB", GDPR, "2026-11-28", "2026-12-29", "2027-03-01"},
		{"GB Christmas 2027 on a weekend: substitutes Mon 27 and Tue 28", "GB", GDPR, "2027-11-27", "2027-12-29", ""},
		{"GB early May bank holiday 2026 (Mon May 4)", "GB", GDPR, "2026-04-04", "2026-05-05", ""},
		{"GB 23:30 UTC Jun 30 is Jul 1 in London (BST)", "GB", GDPR, "2026-06-30T23:30:00Z", "2026-08-03", ""},

		// Germany: federal holidays only.
		{"DE Day of German Unity 2025 (Fri Oct 3)", "DE", GDPR, "2025-09-03", "2025-10-06", ""},
		{"DE Corpus Christi is a Land holiday, not counted", "DE", GDPR, "2026-05-04", "2026-06-04", ""},
		{"DE Reformation Day (Fri Oct 31 2025) is a Land holiday, not counted", "DE", GDPR, "2025-07-31", "2025-09-01", "2025-10-31"},

		// Denmark.
		{"DK Store bededag 2023 (Fri May 5) still a holiday", "DK", GDPR, "2023-04-05", "2023-05-08", ""},
		{"DK Store bededag abolished from 2024 (would be Fri Apr 26)", "DK", GDPR, "2024-03-26", "2024-04-26", ""},
		{"DK Constitution Day Jun 5 2026 (Fri)", "DK", GDPR, "2026-05-05", "2026-06-08", ""},

		// Finland (holidays defined in this package).
		{"FI Independence Day Dec 6 2024 (Fri)", "FI", GDPR, "2024-11-06", "2024-12-09", ""},
		{"FI Epiphany Jan 6 2026 (Tue)", "FI", GDPR, "2025-12-06", "2026-01-07", ""},
		{"FI Good Friday 2026 (Apr 3) through Easter Monday", "FI", GDPR, "2026-03-03", "2026-04-07", ""},
		{"FI midsummer eve is not a public holiday", "FI", GDPR, "2026-05-19", "2026-06-19", ""},

		// Other countries, one holiday each.
		{"NL King's Day 2026 (Mon Apr 27)", "NL", GDPR, "2026-03-27", "2026-04-28", ""},
		{"FR Bastille Day 2026 (Tue)", "FR", GDPR, "2026-06-14", "2026-07-15", ""},
		{"IE St Patrick's Day 2026 (Tue)", "IE", GDPR, "2026-02-17", "2026-03-18", ""},
		{"BE National Day 2026 (Tue Jul 21)", "BE", GDPR, "2026-06-21", "2026-07-22", ""},
		{"AT National Day 2026 (Mon Oct 26)", "AT", GDPR, "2026-09-26", "2026-10-27", ""},
		{"PL Christmas Eve is a holiday from 2025: 24, 25, 26, weekend", "PL", GDPR, "2025-11-24", "2025-12-29", ""},
		{"PL Christmas Eve 2024 was a working day", "PL", GDPR, "2024-11-24", "2024-12-24", ""},

		// CCPA: calendar days, no move off weekends.
		{"CCPA 45 and 90 days", "US", CCPA, "2026-01-31", "2026-03-17", "2026-05-01"},
		{"CCPA due on a Sunday stays", "US", CCPA, "2026-01-01", "2026-02-15", "2026-04-01"},
		{"CCPA across a year end", "US", CCPA, "2026-12-20", "2027-02-03", "2027-03-20"},
		{"CCPA 05:00 UTC Feb 1 is still Jan 31 in Los Angeles", "US", CCPA, "2026-02-01T05:00:00Z", "2026-03-17", "2026-05-01"},
		{"CCPA country code in lower case", "us", CCPA, "2026-01-31", "2026-03-17", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			received, err := ParseReceived(tt.received, tt.country)
			if err != nil {
				t.Fatalf("ParseReceived(%q, %q): %v", tt.received, tt.country, err)
			}
			got, err := Compute(received, tt.country, tt.j)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if got.Due.String() != tt.due {
				t.Errorf("Due = %s (%s), want %s", got.Due, got.Due.Weekday(), tt.due)
			}
			if tt.ext != "" && got.ExtendedDue.String() != tt.ext {
				t.Errorf("ExtendedDue = %s (%s), want %s", got.ExtendedDue, got.ExtendedDue.Weekday(), tt.ext)
			}
		})
	}
}

func TestComputeReceivedIsLocalDate(t *testing.T) {
	got, err := Compute(time.Date(2026, 1, 30, 23, 30, 0, 0, time.UTC), "NO", GDPR)
	if err != nil {
		t.Fatal(err)
	}
	if got.Received.String() != "2026-01-31" {
		t.Errorf("Received = %s, want 2026-01-31 (Oslo date of 23:30 UTC)", got.Received)
	}
}

func TestParseReceived(t *testing.T) {
	tests := []struct {
		in, country string
		want        string // RFC 3339 in UTC
	}{
		{"2026-01-31", "NO", "2026-01-30T23:00:00Z"},                // midnight CET
		{"2026-07-01", "NO", "2026-06-30T22:00:00Z"},                // midnight CEST
		{"2026-03-29", "NO", "2026-03-28T23:00:00Z"},                // DST starts at 02:00 that day
		{"2026-10-25", "NO", "2026-10-24T22:00:00Z"},                // DST ends at 03:00 that day
		{"2026-07-01", "GB", "2026-06-30T23:00:00Z"},                // midnight BST
		{"2026-01-31", "us", "2026-01-31T08:00:00Z"},                // midnight PST
		{"2026-01-31T09:30:00+01:00", "NO", "2026-01-31T08:30:00Z"}, // an instant is kept as is
		{"2026-01-31T09:30:00.123Z", "SE", "2026-01-31T09:30:00.123Z"},
	}
	for _, tt := range tests {
		got, err := ParseReceived(tt.in, tt.country)
		if err != nil {
			t.Errorf("ParseReceived(%q, %q): %v", tt.in, tt.country, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("ParseReceived(%q, %q) = %s, want %s", tt.in, tt.country, s, tt.want)
		}
	}

	for _, in := range []string{"", "2026-02-30", "31.01.2026", "2026-01-31 09:30", "2026-01-31T09:30:00"} {
		if _, err := ParseReceived(in, "NO"); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("ParseReceived(%q): err = %v, want EINVALID", in, err)
		}
	}
	if _, err := ParseReceived("2026-01-31", "XX"); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("ParseReceived with country XX: err = %v, want EINVALID", err)
	}
}

func TestComputeErrors(t *testing.T) {
	at := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		received time.Time
		country  string
		j        Jurisdiction
		contains []string
	}{
		{"unknown country", at, "XX", GDPR, []string{`"XX"`, "AT, BE, BG, CH, CY, CZ, DE, DK, EE, ES, FI, FR, GB, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK, US"}},
		{"empty country", at, "", GDPR, []string{`""`, "NO"}},
		{"unknown jurisdiction", at, "NO", "lgpd", []string{`"lgpd"`, "gdpr", "ccpa"}},
		{"ccpa outside the US", at, "NO", CCPA, []string{"NO", "ccpa", "supported are US"}},
		{"gdpr for the US", at, "US", GDPR, []string{"US", "gdpr", "AT, BE, BG, CH, CY, CZ, DE, DK, EE, ES, FI, FR, GB, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK"}},
		{"long bad value is cut", at, strings.Repeat("x", 100), GDPR, []string{`"xxxxxxxxxxxxxxxx"…`}},
		{"zero time", time.Time{}, "NO", GDPR, []string{"outside the years"}},
		{"year 3000", time.Date(3000, 6, 1, 0, 0, 0, 0, time.UTC), "NO", GDPR, []string{"3000-06-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.received, tt.country, tt.j)
			if dsrflow.ErrorCode(err) != dsrflow.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestSupported(t *testing.T) {
	for _, c := range []string{"NO", "no", " se ", "DE", "GB", "US", "FI", "PL", "IS", "ch", "IT", "EE", "LV", "LT"} {
		if !Supported(c) {
			t.Errorf("Supported(%q) = false", c)
		}
	}
	for _, c := range []string{"", "XX", "UK", "EU", "NOR"} {
		if Supported(c) {
			t.Errorf("Supported(%q) = true", c)
		}
	}
	if got := strings.Join(CountriesFor(CCPA), ","); got != "US" {
		t.Errorf("CountriesFor(CCPA) = %s, want US", got)
	}
	if got := len(CountriesFor("lgpd")); got != 0 {
		t.Errorf("CountriesFor(lgpd) has %d countries, want 0", got)
	}
	for _, c := range Countries() {
		if _, err := Compute(time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), c, countries()[c].jurisdiction); err != nil {
			t.Errorf("Compute for listed country %s: %v", c, err)
		}
	}
}

func TestEndOfDay(t *testing.T) {
	tests := []struct {
		d, country, want string
	}{
		{"2026-03-02", "NO", "2026-03-02T23:00:00Z"},
		{"2026-03-28", "NO", "2026-03-28T23:00:00Z"}, // the next day starts in CET, DST begins later on it
		{"2026-07-15", "NO", "2026-07-15T22:00:00Z"},
		{"2026-12-31", "GB", "2027-01-01T00:00:00Z"},
		{"2026-03-17", "US", "2026-03-18T07:00:00Z"}, // PDT
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := EndOfDay(d, tt.country)
		if err != nil {
			t.Fatalf("EndOfDay(%s, %s): %v", tt.d, tt.country, err)
		}
		if s := got.UTC().Format(time.RFC3339); s != tt.want {
			t.Errorf("EndOfDay(%s, %s) = %s, want %s", tt.d, tt.country, s, tt.want)
		}
	}
	if _, err := EndOfDay(Date{2026, 1, 1}, "XX"); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("EndOfDay with country XX: err = %v, want EINVALID", err)
	}
}

func TestDate(t *testing.T) {
	d := Date{2028, time.February, 29}
	if d.String() != "2028-02-29" || d.Weekday() != time.Tuesday {
		t.Errorf("%s is a %s, want 2028-02-29 Tuesday", d, d.Weekday())
	}
	if got := d.AddDays(1).String(); got != "2028-03-01" {
		t.Errorf("AddDays(1) = %s, want 2028-03-01", got)
	}
	for _, tt := range []struct {
		from   string
		months int
		want   string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2028-01-31", 1, "2028-02-29"},
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-12-15", 1, "2027-01-15"},
		{"2026-10-31", 3, "2027-01-31"},
	} {
		from, _ := ParseDate(tt.from)
		if got := from.addMonths(tt.months).String(); got != tt.want {
			t.Errorf("%s + %d months = %s, want %s", tt.from, tt.months, got, tt.want)
		}
	}

	b, err := json.Marshal(Due{Due: d})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Due":"2028-02-29"`) {
		t.Errorf("JSON %s does not hold \"Due\":\"2028-02-29\"", b)
	}
	var back Due
	if err := json.Unmarshal(b, &back); err != nil || back.Due != d {
		t.Errorf("JSON round trip: %v, %v", back.Due, err)
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("ParseDate(2026-02-30) succeeded")
	}
}

// Compute is called from many activities at once; the shared holiday calendars must stand that (run with
// -race).
func TestComputeConcurrent(t *testing.T) {
	want, err := Compute(time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC), "PL", GDPR)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Due)
	for range 8 {
		go func() {
			var got Due
			for range 200 {
				got, _ = Compute(time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC), "PL", GDPR)
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Compute = %+v, want %+v", got, want)
		}
	}
}

// TestComputeForBusinessDays: a right with a deadline of its own counts business days from the day of
// receipt, with no extension; a right that does not exist under a jurisdiction is refused; every other
// right gets Compute's dates.
func TestComputeForBusinessDays(t *testing.T) {
	optoutSale := dsrflow.Right{Type: "optout_sale_test", Jurisdictions: []string{"ccpa"}, BusinessDays: 15}
	for _, tc := range []struct {
		received, country string
		j                 Jurisdiction
		want              string
	}{
		// Friday 4 December 2026 in California: 15 weekdays later is Friday 25 December (holidays are
		// not skipped in the US, which never makes the date later than the rule's).
		{"2026-12-04T18:00:00Z", "US", CCPA, "2026-12-25"},
		// Received late Friday evening in Los Angeles (Saturday in UTC): the count starts on Friday.
		{"2026-12-05T07:30:00Z", "US", CCPA, "2026-12-25"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.received)
		due, err := ComputeFor(at, tc.country, tc.j, optoutSale)
		if err != nil {
			t.Fatalf("%s: %v", tc.received, err)
		}
		if due.Due.String() != tc.want || due.ExtendedDue != due.Due {
			t.Errorf("%s %s: due %s, extended %s; want %s with no extension", tc.received, tc.country, due.Due, due.ExtendedDue, tc.want)
		}
	}
	// Where holidays are known they are skipped: in Norway 15 working days from Monday 14 December 2026
	// pass over Christmas Day (Friday 25th) and New Year's Day (Friday 1st): Wednesday 6 January 2027.
	nordic := dsrflow.Right{Type: "test", BusinessDays: 15}
	if due, err := ComputeFor(time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC), "NO", GDPR, nordic); err != nil || due.Due.String() != "2027-01-06" {
		t.Errorf("Norway: due %s, %v; want 2027-01-06", due.Due, err)
	}
	if _, err := ComputeFor(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), "NO", GDPR, optoutSale); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("a CCPA-only right under GDPR: %v, want EINVALID", err)
	}
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	plain, _ := Compute(at, "NO", GDPR)
	if got, err := ComputeFor(at, "NO", GDPR, dsrflow.Erasure.Right()); err != nil || got != plain {
		t.Errorf("erasure: %+v %v, want Compute's %+v", got, err, plain)
	}
}
