package answer

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The supervisory authorities a subject can complain to (GDPR Art. 77): one for every EEA state, the
// United Kingdom's (ICO) and Switzerland's (FDPIC), in one data file. Names, postal addresses and
// websites are as the authorities publish them on their contact pages (the EDPB lists its members at
// https://www.edpb.europa.eu/about-edpb/about-edpb/members_en); controller.yaml's
// supervisory_authorities override any field per country (a note, a local name).

//go:embed authorities.json
var authoritiesJSON []byte

// authorities maps an ISO country code to its authority; a broken file is a build mistake.
var authorities = sync.OnceValue(func() map[string]Authority {
	var list []Authority
	if err := json.Unmarshal(authoritiesJSON, &list); err != nil {
		panic(fmt.Sprintf("answer: authorities.json: %v", err))
	}
	m := make(map[string]Authority, len(list))
	for _, a := range list {
		m[a.Country] = a
	}
	return m
})

// KnownAuthority reports whether the built-in table has the authority of country (ISO code, any case).
func KnownAuthority(country string) bool {
	_, ok := authorities()[strings.ToUpper(strings.TrimSpace(country))]
	return ok
}

// AuthorityCountries returns the country codes the built-in table covers, sorted.
func AuthorityCountries() []string {
	out := make([]string, 0, len(authorities()))
	for c := range authorities() {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// overlay returns a with o's non-empty fields in place of its own.
func (a Authority) overlay(o Authority) Authority {
	if o.Name != "" {
		a.Name = o.Name
	}
	if o.URL != "" {
		a.URL = o.URL
	}
	if o.Address != "" {
		a.Address = o.Address
	}
	if o.Note != "" {
		a.Note = o.Note
	}
	a.Country = o.Country
	return a
}

// Postal is the authority's postal address on one line, or "".
func (a Authority) Postal() string {
	var parts []string
	for _, l := range strings.Split(a.Address, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ", ")
}

// addressSentence is the sentence that gives the authority's postal address, or "" when none is known.
func (l lang) addressSentence(a Authority) string {
	if p := a.Postal(); p != "" {
		return l.t("authority.address", "authority", a.Name, "address", p)
	}
	return ""
}
