package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// The privacy center speaks the subject's language (dsrflow.Languages): the one they chose with the
// switch on every page (?lang=, remembered in a cookie), else the best match for their browser's
// Accept-Language, else English. The console stays in English.

const langCookie = "dsr_lang"

// langTags are dsrflow.Languages as tags, in the same order; the first is the matcher's fallback.
var langTags = func() []language.Tag {
	out := make([]language.Tag, len(dsrflow.Languages))
	for i, l := range dsrflow.Languages {
		out[i] = language.MustParse(l)
	}
	return out
}()

var langMatcher = language.NewMatcher(langTags)

// subjectLanguage is the language for the privacy-center page answering r. An explicit ?lang= is
// remembered in a cookie for the pages that follow.
func subjectLanguage(w http.ResponseWriter, r *http.Request) string {
	if l, ok := dsrflow.ParseLanguage(r.URL.Query().Get("lang")); ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := dsrflow.ParseLanguage(c.Value); ok {
			return l
		}
	}
	return acceptLanguage(r)
}

// acceptLanguage matches the request's Accept-Language against dsrflow.Languages (Norwegian "no" and
// Nynorsk "nn" match Bokmål, as a Norwegian reader expects).
func acceptLanguage(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return dsrflow.DefaultLanguage
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return dsrflow.DefaultLanguage
	}
	return dsrflow.Languages[i]
}

// langLink is one entry of the language switch.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

// languageSwitch links the page r shows in every language, each named in itself: the same page for a
// GET, the privacy center's first page after a POST.
func languageSwitch(r *http.Request, current string) []langLink {
	if r.Method != http.MethodGet {
		return switchAt("/privacy", nil, current)
	}
	return switchAt(r.URL.Path, r.URL.Query(), current)
}

// switchAt links path with query q in every language.
func switchAt(path string, q url.Values, current string) []langLink {
	out := make([]langLink, 0, len(dsrflow.Languages))
	for i, l := range dsrflow.Languages {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("lang", l)
		out = append(out, langLink{Code: l, Name: display.Self.Name(langTags[i]), Href: path + "?" + v.Encode(), Current: l == current})
	}
	return out
}

// countryChoice is one country of residence the privacy-center form offers.
type countryChoice struct {
	Code, Name string
	Selected   bool
}

// residenceChoices lists the countries whose supervisory authority dsrflow knows (every EEA state, the
// UK and Switzerland), named in lang and sorted by that name, then "another country" (""), with
// selected chosen. The subject's residence picks the authority the answer names (Art. 77).
func residenceChoices(lang, selected string) []countryChoice {
	namer := display.Regions(language.MustParse(lang))
	var out []countryChoice
	for _, code := range answer.AuthorityCountries() {
		out = append(out, countryChoice{Code: code, Name: namer.Name(language.MustParseRegion(code)), Selected: code == selected})
	}
	order := collate.New(language.MustParse(lang)) // Å, Ä and Ö sort after Z in Swedish, as readers expect
	slices.SortFunc(out, func(a, b countryChoice) int { return order.CompareString(a.Name, b.Name) })
	return append(out, countryChoice{Code: "", Name: mustTextIn(lang, "form.residence.other"), Selected: selected == ""})
}

// defaultResidence guesses the subject's country from Accept-Language: the region of the first
// language they name where it has one of residenceChoices ("sv-FI" is Finland), else the country the
// language is most spoken in ("sv" is Sweden); "" (another country) when neither is one of them.
func defaultResidence(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return ""
	}
	region, _ := tags[0].Region()
	if code := region.String(); answer.KnownAuthority(code) {
		return code
	}
	return ""
}

// languageName names a subject's language in English for the console (which stays English): "Swedish
// (sv)". An unknown code is shown as it is.
func languageName(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	if name := display.English.Languages().Name(tag); name != "" {
		return name + " (" + code + ")"
	}
	return code
}
