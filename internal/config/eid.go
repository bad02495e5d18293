package config

import (
	"net/url"
	"os"
	"strings"

	"github.com/dsrflow/dsrflow/internal/eid"
)

// EID is verification with an electronic ID (BankID, MitID, the Finnish Trust Network) through an
// OpenID Connect broker, offered by the privacy center. The zero value means it is off.
type EID struct {
	Issuer, ClientID, ClientSecret string
	// Label names the eID brands on the privacy center's button ("Verify with {label}" in the subject's
	// language); "" for the default, which names BankID, MitID and Finnish bank ID in that language.
	Label string
	// ClientKey, from DSR_EID_CLIENT_KEY_FILE, authenticates with private_key_jwt and decrypts
	// encrypted ID tokens; nil for a client secret.
	ClientKey *eid.ClientKey
	// Scopes are asked for beside openid.
	Scopes []string
	// The claims carrying the national identity number, the name and the birth date.
	ClaimNationalID, ClaimName, ClaimBirthdate string
}

// Enabled reports whether eID verification is configured.
func (e EID) Enabled() bool { return e.Issuer != "" }

// eidVars are the eID settings, read only when DSR_EID_ISSUER is set.
var eidVars = []string{"DSR_EID_CLIENT_ID", "DSR_EID_CLIENT_SECRET", "DSR_EID_LABEL", "DSR_EID_SCOPES", "DSR_EID_CLAIM_NATIONAL_ID", "DSR_EID_CLAIM_NAME", "DSR_EID_CLAIM_BIRTHDATE",
	"DSR_EID_CLIENT_KEY_FILE", "DSR_EID_CLIENT_KEY_ID"}

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
	if path := r.str("DSR_EID_CLIENT_KEY_FILE"); path != "" {
		if e.ClientSecret != "" {
			r.fail("DSR_EID_CLIENT_KEY_FILE", "set either it (private_key_jwt) or DSR_EID_CLIENT_SECRET, not both")
		}
		if b, err := os.ReadFile(path); err != nil {
			r.fail("DSR_EID_CLIENT_KEY_FILE", "cannot read file %q: %v", path, err)
		} else if e.ClientKey, err = eid.ParseClientKey(b, r.str("DSR_EID_CLIENT_KEY_ID")); err != nil {
			r.fail("DSR_EID_CLIENT_KEY_FILE", "%q: %v", path, err)
		}
	} else if r.str("DSR_EID_CLIENT_KEY_ID") != "" {
		r.fail("DSR_EID_CLIENT_KEY_ID", "names the key of DSR_EID_CLIENT_KEY_FILE, which is not set")
	}
	return e
}
