package connectors

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kept data: what an erasure leaves on a legal basis (GDPR Art. 17(3)(b): bookkeeping) and until when.
// The period is counted as the law counts it, from the end of the financial year (or calendar year) the
// record belongs to, not from the record's date. One function (KeepRule.Until) counts it for every
// connector: the postgres mapping, the SDK's helpers, the demo.

// Where a keep rule's years run from (legal_retention: years_after:). The statutes, and where their
// wording was checked:
//   - Norway, bokføringsloven § 13 (2): "fem år etter regnskapsårets slutt" (5 years after the end of the
//     financial year): end_of_financial_year. (Deloitte Norway, "Redusert oppbevaringstid for
//     regnskapsmateriale", quoting § 13 as amended from 1 February 2014.)
//   - Denmark, bogføringsloven: "5 år fra udgangen af det regnskabsår, som materialet vedrører":
//     end_of_financial_year. (Skattestyrelsen, Den juridiske vejledning A.B.3.1, info.skat.dk.)
//   - Sweden, bokföringslagen (1999:1078) 7 kap. 2 §: "fram till och med det sjunde året efter utgången av
//     det kalenderår då räkenskapsåret avslutades": 7 years, end_of_calendar_year_of_financial_year.
//     (FAR Online, "Arkivering"; Skatteverket, rättslig vägledning 324690.)
//   - Finland, kirjanpitolaki (1336/1997) 2 luku 10 §: vouchers "vähintään kuusi vuotta sen vuoden lopusta,
//     jonka aikana tilikausi on päättynyt": 6 years, end_of_calendar_year_of_financial_year (books and
//     financial statements: 10 years from the end of the financial year). (Azets, "Kirjanpitoaineiston
//     säilytysaika".)
//   - Germany, Abgabenordnung § 147 (3)-(4): books 10 years, vouchers (Buchungsbelege) 8 years, from "dem
//     Schluss des Kalenderjahrs" in which the record was made: end_of_calendar_year.
const (
	// YearsAfterFinancialYear counts from the last day of the financial year the record's date falls in.
	YearsAfterFinancialYear = "end_of_financial_year"
	// YearsAfterCalendarYearOfFinancialYear counts from 31 December of the year in which that financial
	// year ends.
	YearsAfterCalendarYearOfFinancialYear = "end_of_calendar_year_of_financial_year"
	// YearsAfterCalendarYear counts from 31 December of the record's year.
	YearsAfterCalendarYear = "end_of_calendar_year"
	// YearsAfterDate counts from the record's date itself.
	YearsAfterDate = "date"
)

// YearsAfterValues are the values years_after: accepts.
var YearsAfterValues = []string{YearsAfterFinancialYear, YearsAfterCalendarYearOfFinancialYear, YearsAfterCalendarYear, YearsAfterDate}

// KeepBases are the legal bases kept data may name (GDPR Art. 17(3)).
var KeepBases = []string{"legal_obligation", "legal_claims", "public_interest", "public_health", "archiving", "freedom_of_expression"}

// KeepRule is why and how long a record outlives an erasure: "Bookkeeping Act § 13: 5 years after the
// end of the financial year".
type KeepRule struct {
	// ID names the rule for the datasets that use it (retain: {rule: bookkeeping}).
	ID string `json:"id"`
	// Entity or Country says whom the rule binds: a legal entity (a connector's owner) or every entity
	// of a country (ISO 3166 alpha-2). An entity's own rule wins over its country's.
	Entity  string `json:"entity,omitempty"`
	Country string `json:"country,omitempty"`
	// Basis is the Art. 17(3) ground (KeepBases); Detail the law and its period, as the subject reads it.
	Basis  string `json:"basis"`
	Detail string `json:"detail"`
	Years  int    `json:"years"`
	// YearsAfter is one of YearsAfterValues.
	YearsAfter string `json:"years_after"`
}

// YearEnd is the last day of a financial year, as month and day: 12-31 unless the entity says otherwise.
type YearEnd struct {
	Month time.Month `json:"month"`
	Day   int        `json:"day"`
}

// CalendarYearEnd is the default financial year's end, 31 December.
var CalendarYearEnd = YearEnd{Month: time.December, Day: 31}

var yearEndPattern = regexp.MustCompile(`^(\d{2})-(\d{2})$`)

// ParseYearEnd reads a financial year's end as MM-DD: 12-31, 06-30. 29 February is refused: a
// financial year needs an end every year.
func ParseYearEnd(s string) (YearEnd, error) {
	m := yearEndPattern.FindStringSubmatch(s)
	if m != nil {
		month, _ := strconv.Atoi(m[1])
		day, _ := strconv.Atoi(m[2])
		// 2025 is not a leap year: a day that exists in it exists every year.
		if t := time.Date(2025, time.Month(month), day, 0, 0, 0, 0, time.UTC); month >= 1 && month <= 12 && t.Day() == day {
			return YearEnd{Month: time.Month(month), Day: day}, nil
		}
	}
	return YearEnd{}, fmt.Errorf("financial_year_end %q must be a day of the year as MM-DD, like 12-31 or 06-30", s)
}

func (e YearEnd) String() string { return fmt.Sprintf("%02d-%02d", int(e.Month), e.Day) }

func (e YearEnd) orDefault() YearEnd {
	if e.Month == 0 {
		return CalendarYearEnd
	}
	return e
}

// financialYearEnd returns the last day of the financial year that date falls in.
func (e YearEnd) financialYearEnd(date time.Time) time.Time {
	e = e.orDefault()
	end := time.Date(date.Year(), e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	if end.Before(date) {
		end = time.Date(date.Year()+1, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	}
	return end
}

// Until returns the last day a record dated date must be kept under the rule (midnight UTC of that day),
// when the entity's financial year ends on fyEnd (zero: 31 December). The record may go the day after.
// A period counted from a date that does not recur (29 February) ends on 28 February.
func (r KeepRule) Until(date time.Time, fyEnd YearEnd) time.Time {
	y, m, d := date.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var from time.Time
	switch r.YearsAfter {
	case YearsAfterFinancialYear:
		from = fyEnd.financialYearEnd(day)
	case YearsAfterCalendarYearOfFinancialYear:
		from = time.Date(fyEnd.financialYearEnd(day).Year(), time.December, 31, 0, 0, 0, 0, time.UTC)
	case YearsAfterCalendarYear:
		from = time.Date(y, time.December, 31, 0, 0, 0, 0, time.UTC)
	default: // YearsAfterDate
		from = day
	}
	until := time.Date(from.Year()+r.Years, from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	if until.Day() != from.Day() { // 29 February into a common year
		until = time.Date(from.Year()+r.Years, from.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return until
}

// Exemption describes records kept under the rule: the latest of their dates gives the until-date (nil
// when no date is known).
func (r KeepRule) Exemption(dataset string, categories []string, latest *time.Time, fyEnd YearEnd) Exemption {
	ex := Exemption{Dataset: dataset, Basis: r.Basis, Detail: r.Detail, Categories: slices.Clone(categories)}
	if latest != nil {
		until := r.Until(*latest, fyEnd)
		ex.Until = &until
	}
	return ex
}

// Check reports what is wrong with the rule; fields are the keys of a legal_retention: entry.
func (r KeepRule) Check() []Problem {
	var ps []Problem
	switch {
	case r.Basis == "":
		ps = append(ps, Problemf("basis", "basis is required (one of %s)", joinComma(KeepBases)))
	case !slices.Contains(KeepBases, r.Basis):
		ps = append(ps, Problemf("basis", "basis must be one of %s, not %q", joinComma(KeepBases), r.Basis))
	}
	if r.Detail == "" {
		ps = append(ps, Problemf("detail", "detail (the law or reason) is required"))
	}
	if r.Years < 1 || r.Years > 100 {
		ps = append(ps, Problemf("years", "years must be a whole number from 1 to 100"))
	}
	if !slices.Contains(YearsAfterValues, r.YearsAfter) {
		ps = append(ps, Problemf("years_after", "years_after must be one of %s, not %q", joinComma(YearsAfterValues), r.YearsAfter))
	}
	return ps
}

// LegalEntity is a company of the group as connectors.yaml's legal_entities: describes it: its country
// (whose keep rules bind it) and its financial year's end.
type LegalEntity struct {
	Name             string  `json:"name"`
	Country          string  `json:"country,omitempty"`
	FinancialYearEnd YearEnd `json:"financial_year_end"`
}

// Keeping is what binds one connector's owner: its entity and the keep rules that apply to it, by id.
type Keeping struct {
	Entity LegalEntity
	Rules  map[string]KeepRule
}

// Rule returns the keep rule id as it binds the connector's owner.
func (k Keeping) Rule(id string) (KeepRule, bool) {
	r, ok := k.Rules[id]
	return r, ok
}

// Until is KeepRule.Until for the owner's financial year.
func (k Keeping) Until(r KeepRule, date time.Time) time.Time {
	return r.Until(date, k.Entity.FinancialYearEnd)
}

// KeepConfig is connectors.yaml's legal_entities: and legal_retention: sections.
type KeepConfig struct {
	Entities  []LegalEntity
	Rules     []KeepRule
	ruleLines []int // connectors.yaml's line of each rule
}

// For returns what binds the legal entity owner: its own rules over its country's.
func (kc KeepConfig) For(owner string) Keeping {
	k := Keeping{Entity: LegalEntity{Name: owner, FinancialYearEnd: CalendarYearEnd}, Rules: map[string]KeepRule{}}
	for _, e := range kc.Entities {
		if e.Name == owner {
			k.Entity = e
			k.Entity.FinancialYearEnd = e.FinancialYearEnd.orDefault()
		}
	}
	for _, r := range kc.Rules {
		if r.Country != "" && r.Country == k.Entity.Country {
			k.Rules[r.ID] = r
		}
	}
	for _, r := range kc.Rules {
		if r.Entity == owner {
			k.Rules[r.ID] = r
		}
	}
	return k
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
