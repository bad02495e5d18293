package dsrflow

import (
	"slices"
	"strings"
)

// Languages are the languages a subject can be served in: the privacy center's pages, and the language
// recorded on a request. The first is the default. (The mails and the export are written in English
// only for now; the language is recorded so that they can follow it.)
var Languages = []string{"en", "nb", "sv", "da", "fi"}

// DefaultLanguage is the language of a request that names none.
const DefaultLanguage = "en"

// ParseLanguage returns the language code s names (any case, surrounding space ignored), or ok false
// when it is not one of Languages.
func ParseLanguage(s string) (lang string, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, slices.Contains(Languages, s)
}
