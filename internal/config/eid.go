package config

import (
	"net/url"
	"strings"
)

// EID is verification with an electronic ID (BankID, MitID, the Finnish Trust Network) through an
// OpenID Connect broker, offered by the privacy center. The zero value means it is off.
type EID struct {
	Issuer, ClientID, ClientSecret string
	// Label is the privacy center's button, e.g. "Verify with BankID / MitID / Finnish bank ID".
	Label string
	// Scopes are asked for beside openid.
	Scopes []string
	// The claims carrying the national identity number, the name and the birth date.
	ClaimNationalID, ClaimName, ClaimBirthdate string
}

// Enabled reports whether eID verification is configured.
func (e EID) Enabled() bool { return e.Issuer != "" }

// eidVars are the eID settings, read only when DSR_EID_ISSUER is set.
var eidVars = []string{"DSR_EID_CLIENT_ID", "DSR_EID_CLIENT_SECRET", "DSR_EID_LABEL", "DSR_EID_SCOPES", "DSR_EID_CLAIM_NATIONAL_ID", "DSR_EID_CLAIM_NAME", "DSR_EID_CLAIM_BIRTHDATE"}

// eid reads the DSR_EID_* variables. The redirect is DSR_PUBLIC_URL's /privacy/eid/callback; the front
// door needs DSR_PUBLIC_URL anyway.
func (r *reader) eid() EID {
	e := EID{Issuer: strings.TrimRight(r.str("DSR_EID_ISSUER"), "/"), ClientID: r.str("DSR_EID_CLIENT_ID"), ClientSecret: r.str("DSR_EID_CLIENT_SECRET"),
		Label: r.str("DSR_EID_LABEL"), ClaimNationalID: r.str("DSR_EID_CLAIM_NATIONAL_ID"), ClaimName: r.str("DSR_EID_CLAIM_NAME"), ClaimBirthdate: r.str("DSR_EID_CLAIM_BIRTHDATE")}
	if e.Issuer == "" {
		for _, name := range eidVars {
			if r.str(name) != "" {
				r.fail("DSR_EID_ISSUER", "must be set when %s is (eID verification is configured only partly)", name)
				break
			}
		}
		return EID{}
	}
	if u, err := url.Parse(e.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.fail("DSR_EID_ISSUER", "%q is not an absolute http(s) URL", e.Issuer)
	}
	if e.ClientID == "" {
		r.required("DSR_EID_CLIENT_ID")
	}
	for _, s := range strings.FieldsFunc(r.str("DSR_EID_SCOPES"), func(c rune) bool { return c == ',' || c == ' ' }) {
		if s != "openid" {
			e.Scopes = append(e.Scopes, s)
		}
	}
	for i, v := range []string{e.ClaimNationalID, e.ClaimName, e.ClaimBirthdate} {
		if strings.ContainsAny(v, " \t,") {
			name := eidVars[4+i]
			r.fail(name, "%q is not a claim name", v)
		}
	}
	if e.ClaimNationalID == "" {
		e.ClaimNationalID = "national_id"
	}
	if e.ClaimName == "" {
		e.ClaimName = "name"
	}
	if e.ClaimBirthdate == "" {
		e.ClaimBirthdate = "birthdate"
	}
	if e.Label == "" {
		e.Label = "Verify with BankID / MitID / Finnish bank ID"
	}
	return e
}
