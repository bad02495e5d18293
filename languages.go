package dsrflow

import (
	"slices"
	"strings"
)

// Languages are the languages a subject can be served in: the privacy center's pages, and the language
// recorded on a request, in which every mail to the subject and the export's summary are written
// (internal/answer/texts). The first is the default.
var Languages = []string{"en", "nb", "sv", "da", "fi"}

// DefaultLanguage is the language of a request that names none.
const DefaultLanguage = "en"

// ParseLanguage returns the language code s names (any case, surrounding space ignored), or ok false
// when it is not one of Languages.
func ParseLanguage(s string) (lang string, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, slices.Contains(Languages, s)
}

// countryLanguages are the languages of the countries whose official language is one of Languages
// (Bokmål for Norway, Swedish for Sweden, Danish for Denmark, Finnish for Finland).
var countryLanguages = map[string]string{"NO": "nb", "SE": "sv", "DK": "da", "FI": "fi"}

// CountryLanguage is the language a country's people are written to when nobody chose one: the
// country's own language when it is one of Languages, else DefaultLanguage. country is an ISO 3166
// alpha-2 code, any case.
func CountryLanguage(country string) string {
	if l, ok := countryLanguages[strings.ToUpper(strings.TrimSpace(country))]; ok {
		return l
	}
	return DefaultLanguage
}
