package deadline

import (
	"slices"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"

	// Embedded zone data: deadlines must not depend on the host having /usr/share/zoneinfo.
	_ "time/tzdata"
)

// country is what the arithmetic needs to know about a controller's country.
type country struct {
	code         string
	jurisdiction Jurisdiction
	loc          *time.Location
	// workdays is nil for CCPA, which counts calendar days only.
	workdays *cal.BusinessCalendar
}

// Every EEA country has a calendar, and the United Kingdom and Switzerland. Public holidays are those of
// github.com/rickar/cal/v2 v2.1.13 (data as of April 2023) where it has the country, with the changes
// noted below; the others (holidays.go) are written out from their laws. Only national holidays count: a
// controller whose region has more (a German Land, a Swiss canton, Alsace-Moselle, Scotland) gets a due
// date that is never later than its own, which is the safe side of a legal deadline. The same reasoning
// leaves out days that are customarily free but not public holidays by law (Swedish and Finnish
// midsummer eve and Christmas Eve, Swedish New Year's Eve, Icelandic half days).
//
// The table is built on first use, not at package init: loading thirty-two time zones from the embedded
// zone data is most of this package's start-up, which every `starter` command would pay.
var countries = sync.OnceValue(func() map[string]*country {
	return map[string]*country{
		"AT": gdpr("AT", "Europe/Vienna", at.Holidays),
		"BE": gdpr("BE", "Europe/Brussels", be.Holidays),
		"BG": gdpr("BG", "Europe/Sofia", bg.Holidays),
		"CH": gdpr("CH", "Europe/Zurich", switzerland), // the revised FADP; counted like the GDPR's month
		"CY": gdpr("CY", "Asia/Nicosia", cyprus),
		"CZ": gdpr("CZ", "Europe/Prague", cz.Holidays),
		// DE: federal holidays only (the nine in every Land); Land holidays are not counted.
		"DE": gdpr("DE", "Europe/Berlin", de.Holidays),
		"DK": gdpr("DK", "Europe/Copenhagen", dk.Holidays), // Store bededag ends with 2023 in the data
		"EE": gdpr("EE", "Europe/Tallinn", estonia),
		"ES": gdpr("ES", "Europe/Madrid", es.Holidays), // national days; not the regions' own
		"FI": gdpr("FI", "Europe/Helsinki", finland),
		"FR": gdpr("FR", "Europe/Paris", fr.Holidays), // metropolitan France; not the Alsace-Moselle extras
		// GB: UK GDPR rather than Regulation 1182/71, but the ICO counts the month the same way. England and
		// Wales bank holidays, with their weekend substitutes (Boxing Day on a Saturday moves to Monday).
		"GB": gdpr("GB", "Europe/London", gb.Holidays),
		"GR": gdpr("GR", "Europe/Athens", gr.Holidays), // with the Orthodox Easter
		"HR": gdpr("HR", "Europe/Zagreb", hr.Holidays),
		"HU": gdpr("HU", "Europe/Budapest", hungary),
		"IE": gdpr("IE", "Europe/Dublin", ie.Holidays),
		"IS": gdpr("IS", "Atlantic/Reykjavik", iceland),
		"IT": gdpr("IT", "Europe/Rome", it.Holidays),
		"LI": gdpr("LI", "Europe/Vaduz", liechtenstein),
		"LT": gdpr("LT", "Europe/Vilnius", lt.Holidays),
		"LU": gdpr("LU", "Europe/Luxembourg", luxembourg),
		"LV": gdpr("LV", "Europe/Riga", lv.Holidays),
		"MT": gdpr("MT", "Europe/Malta", malta),
		"NL": gdpr("NL", "Europe/Amsterdam", nl.Holidays),
		"NO": gdpr("NO", "Europe/Oslo", no.Holidays),
		"PL": gdpr("PL", "Europe/Warsaw", append(slices.Clone(pl.Holidays), polishChristmasEve)),
		"PT": gdpr("PT", "Europe/Lisbon", portugal),
		"RO": gdpr("RO", "Europe/Bucharest", ro.Holidays),
		"SE": gdpr("SE", "Europe/Stockholm", sweden),
		"SI": gdpr("SI", "Europe/Ljubljana", si.Holidays),
		"SK": gdpr("SK", "Europe/Bratislava", slovakia),

		// California: the CCPA is the only US law dsrflow computes deadlines for.
		"US": {code: "US", jurisdiction: CCPA, loc: mustLoad("America/Los_Angeles")},
	}
})

// sweden is se.Holidays without Midsommarafton, Julafton and Nyårsafton, which cal lists as
// ObservanceOther: they are not allmänna helgdagar (lag 1989:253).
var sweden = []*cal.Holiday{
	se.Nyarsdagen,
	se.TrettondedagJul,
	se.Langfredagen,
	se.AnnandagPask,
	se.ForstaMaj,
	se.KristiHimmelfardsdag,
	se.Nationaldagen,
	se.Midsommardagen,
	se.AllaHelgonsDag,
	se.Juldagen,
	se.AnnandagJul,
}

// finland lists the Finnish public holidays; cal v2.1.13 has no package for Finland. Midsummer Day and
// All Saints' Day fall on the Saturday of the same weeks as in Sweden.
var finland = []*cal.Holiday{
	aa.NewYear,
	aa.Epiphany,
	aa.GoodFriday,
	aa.EasterMonday,
	aa.WorkersDay,
	aa.AscensionDay,
	se.Midsommardagen.Clone(&cal.Holiday{Name: "Juhannuspäivä"}),
	se.AllaHelgonsDag.Clone(&cal.Holiday{Name: "Pyhäinpäivä"}),
	{Name: "Itsenäisyyspäivä", Type: cal.ObservancePublic, Month: time.December, Day: 6, Func: cal.CalcDayOfMonth},
	aa.ChristmasDay,
	aa.ChristmasDay2,
}

// polishChristmasEve became a public holiday in Poland from 2025, after cal v2.1.13 was released.
var polishChristmasEve = &cal.Holiday{
	Name:      "Wigilia Bożego Narodzenia",
	Type:      cal.ObservancePublic,
	Month:     time.December,
	Day:       24,
	Func:      cal.CalcDayOfMonth,
	StartYear: 2025,
}

func gdpr(code, zone string, holidays []*cal.Holiday) *country {
	// A BusinessCalendar without Cacheable is read-only after set-up, so one is shared by all goroutines.
	workdays := cal.NewBusinessCalendar()
	workdays.AddHoliday(holidays...)
	return &country{code: code, jurisdiction: GDPR, loc: mustLoad(zone), workdays: workdays}
}

func mustLoad(zone string) *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic("deadline: time zone " + zone + ": " + err.Error()) // tzdata is embedded; cannot happen
	}
	return loc
}

// isWorkday reports whether d is neither a Saturday, a Sunday nor a public holiday of c (a weekend holiday's
// substitute day, where the country has one, counts as a holiday). Where c's holidays are not kept (the US:
// the CCPA counts calendar days), it is Monday to Friday: a processor's customer still counts its DPA's
// business days there.
func (c *country) isWorkday(d Date) bool {
	if c.workdays == nil {
		wd := d.Weekday()
		return wd != time.Saturday && wd != time.Sunday
	}
	return c.workdays.IsWorkday(d.noonUTC())
}

// nextWorkday returns d if it is a working day, else the first working day after it.
func (c *country) nextWorkday(d Date) (Date, error) {
	// No country has more than a handful of days off in a row; the bound only guards against bad data.
	for i := range 31 {
		if day := d.AddDays(i); c.isWorkday(day) {
			return day, nil
		}
	}
	return Date{}, dsrflow.Errorf(dsrflow.EINTERNAL, "deadline: no working day in the 31 days from %s in %s", d, c.code)
}

// codes returns the sorted country codes for j, or for every jurisdiction when j is "".
func codes(j Jurisdiction) []string {
	var out []string
	for code, c := range countries() {
		if j == "" || c.jurisdiction == j {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}
