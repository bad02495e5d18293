package connectors_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/dsrflow/dsrflow/connectors"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The statutes' periods (keep.go names the sections): the invoice dated 2025-04-02.
var (
	norway  = KeepRule{ID: "bookkeeping", Country: "NO", Basis: "legal_obligation", Detail: "Bokføringsloven § 13", Years: 5, YearsAfter: YearsAfterFinancialYear}
	sweden  = KeepRule{ID: "bookkeeping", Country: "SE", Basis: "legal_obligation", Detail: "Bokföringslagen 7 kap. 2 §", Years: 7, YearsAfter: YearsAfterCalendarYearOfFinancialYear}
	finland = KeepRule{ID: "bookkeeping", Country: "FI", Basis: "legal_obligation", Detail: "Kirjanpitolaki 2:10", Years: 6, YearsAfter: YearsAfterCalendarYearOfFinancialYear}
	denmark = KeepRule{ID: "bookkeeping", Country: "DK", Basis: "legal_obligation", Detail: "Bogføringsloven", Years: 5, YearsAfter: YearsAfterFinancialYear}
	germany = KeepRule{ID: "bookkeeping", Country: "DE", Basis: "legal_obligation", Detail: "AO § 147", Years: 8, YearsAfter: YearsAfterCalendarYear}
	byDate  = KeepRule{ID: "claims", Country: "NO", Basis: "legal_claims", Detail: "Foreldelsesloven", Years: 5, YearsAfter: YearsAfterDate}
)

func TestKeepRuleUntil(t *testing.T) {
	june := YearEnd{Month: time.June, Day: 30}
	tests := []struct {
		name string
		rule KeepRule
		date string
		fy   YearEnd
		want string
	}{
		{"Norway, calendar financial year", norway, "2025-04-02", YearEnd{}, "2030-12-31"},
		{"Sweden, calendar financial year", sweden, "2025-04-02", CalendarYearEnd, "2032-12-31"},
		{"Finland", finland, "2025-04-02", CalendarYearEnd, "2031-12-31"},
		{"Denmark", denmark, "2025-12-31", CalendarYearEnd, "2030-12-31"},
		{"Germany counts from the calendar year's end", germany, "2025-04-02", june, "2033-12-31"},
		{"Norway, financial year to 30 June, invoice before its end", norway, "2025-04-02", june, "2030-06-30"},
		{"Norway, financial year to 30 June, invoice after its end", norway, "2025-08-01", june, "2031-06-30"},
		{"Norway, invoice on the financial year's last day", norway, "2025-06-30", june, "2030-06-30"},
		{"Sweden, financial year to 30 June: the calendar year it ended in", sweden, "2025-08-01", june, "2033-12-31"},
		{"date counts from the record's date", byDate, "2025-04-02", CalendarYearEnd, "2030-04-02"},
		{"date from 29 February", byDate, "2024-02-29", CalendarYearEnd, "2029-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A timestamp late in the day counts as its date.
			got := tt.rule.Until(day(tt.date).Add(23*time.Hour), tt.fy)
			if !got.Equal(day(tt.want)) {
				t.Fatalf("%s until = %s, want %s", tt.date, got.Format(time.DateOnly), tt.want)
			}
		})
	}
}

func TestParseYearEnd(t *testing.T) {
	for in, want := range map[string]YearEnd{"12-31": CalendarYearEnd, "06-30": {Month: time.June, Day: 30}} {
		if got, err := ParseYearEnd(in); err != nil || got != want {
			t.Errorf("ParseYearEnd(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"02-29", "13-01", "6-30", "06-31", "December"} {
		if _, err := ParseYearEnd(in); err == nil {
			t.Errorf("ParseYearEnd(%q) accepted", in)
		}
	}
}

// keepYAML is validYAML's connectors with two legal entities and the bookkeeping rule of their countries.
const keepYAML = validYAML + `legal_entities:
  - name: Example Billing AS
    country: NO
  - name: Example Marketing AS
    country: SE
    financial_year_end: 06-30
legal_retention:
  - id: bookkeeping
    country: NO
    basis: legal_obligation
    detail: "Bokføringsloven § 13: 5 years after the end of the financial year"
    years: 5
    years_after: end_of_financial_year
  - id: bookkeeping
    country: SE
    basis: legal_obligation
    detail: "Bokföringslagen 7 kap. 2 §: 7 years after the calendar year the financial year ended"
    years: 7
    years_after: end_of_calendar_year_of_financial_year
  - id: claims
    entity: Example Billing AS
    basis: legal_claims
    detail: "Limitation Act: 3 years"
    years: 3
    years_after: date
`

func TestParseKeepRulesPerCountry(t *testing.T) {
	reg, err := Parse([]byte(keepYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	invoice := day("2025-04-02")
	for id, want := range map[string]string{"billing": "2030-12-31", "crm": "2032-12-31"} {
		c, _ := reg.Get(id)
		rule, ok := c.Keeping.Rule("bookkeeping")
		if !ok {
			t.Fatalf("%s: no bookkeeping rule", id)
		}
		if got := c.Keeping.Until(rule, invoice); !got.Equal(day(want)) {
			t.Errorf("%s (%s): invoice of 2025-04-02 kept until %s, want %s", id, c.Keeping.Entity.Country, got.Format(time.DateOnly), want)
		}
	}
	crm, _ := reg.Get("crm")
	if crm.Keeping.Entity.FinancialYearEnd != (YearEnd{Month: time.June, Day: 30}) {
		t.Errorf("crm's financial year ends %v", crm.Keeping.Entity.FinancialYearEnd)
	}
	if _, ok := crm.Keeping.Rule("claims"); ok {
		t.Error("Example Billing AS's own rule binds Example Marketing AS")
	}
	billing, _ := reg.Get("billing")
	if r, ok := billing.Keeping.Rule("claims"); !ok || !billing.Keeping.Until(r, invoice).Equal(day("2028-04-02")) {
		t.Errorf("billing's claims rule: %+v, %v", r, ok)
	}
	partner, _ := reg.Get("adpartner")
	if len(partner.Keeping.Rules) != 0 || partner.Keeping.Entity.FinancialYearEnd != CalendarYearEnd {
		t.Errorf("an entity not listed: %+v", partner.Keeping)
	}
}

func TestParseKeepRulesErrorsNameTheLine(t *testing.T) {
	lines := strings.Split(keepYAML, "\n")
	at := func(text string) int {
		for i, l := range lines {
			if l == text {
				return i + 1
			}
		}
		t.Fatalf("no line %q", text)
		return 0
	}
	replace := func(old, new string) string { return strings.Replace(keepYAML, old, new, 1) }
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"years_after unknown", replace("    years_after: end_of_financial_year\n", "    years_after: invoice_date\n"),
			`connectors.yaml:%d: legal_retention bookkeeping: years_after must be one of end_of_financial_year, end_of_calendar_year_of_financial_year, end_of_calendar_year, date, not "invoice_date"`},
		{"years missing", replace("    years: 5\n", ""), "connectors.yaml:%d: legal_retention bookkeeping: years must be a whole number from 1 to 100"},
		{"financial year end", replace("    financial_year_end: 06-30\n", "    financial_year_end: 30 June\n"),
			`connectors.yaml:%d: legal entity Example Marketing AS: financial_year_end "30 June" must be a day of the year as MM-DD`},
		{"country and entity", replace("    country: NO\n    basis", "    country: NO\n    entity: Example Billing AS\n    basis"),
			"connectors.yaml:%d: legal_retention bookkeeping: give either entity (a legal entity) or country (every entity of that country)"},
		{"entity not listed", replace("    entity: Example Billing AS\n", "    entity: Example Billing Ltd\n"),
			`connectors.yaml:%d: legal_retention claims: entity "Example Billing Ltd" is not listed under legal_entities`},
		{"unknown key", replace("    years: 7\n", "    years: 7\n    months: 3\n"), `connectors.yaml:%d: legal_retention bookkeeping: unknown field "months"`},
	}
	wantLines := []int{
		at("    years_after: end_of_financial_year"),
		at("  - id: bookkeeping"),
		at("    financial_year_end: 06-30"),
		at("  - id: bookkeeping"),
		at("  - id: claims"),
		at("    years: 7") + 1,
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), testEnv)
			want := strings.ReplaceAll(tt.want, "%d", strconv.Itoa(wantLines[i]))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant %s", err, want)
			}
		})
	}
}
