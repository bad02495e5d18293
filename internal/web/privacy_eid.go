package web

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
)

// eID verification in the privacy center (issue 18): the status page of a request waiting for its
// subject offers one button, "Verify with BankID, MitID or Finnish bank ID" in the subject's language, which starts the code flow
// at the broker (internal/eid). The flow is kept in a signed, short-lived cookie bound to the request;
// the callback spends its state once in the shared store, verifies the ID token and verifies the
// request with method eid (RequestService.VerifyEID). Nothing of the claims is logged.

// EID is the privacy center's eID verification; nil in Deps when it is off.
type EID struct {
	RP *eid.RelyingParty
	// Label names the eID brands on the button (DSR_EID_LABEL): the button reads "Verify with {label}"
	// in the subject's language (eid.button); "" names BankID, MitID and Finnish bank ID in that
	// language (eid.brands).
	Label string
	// Key is the relying party's client key (DSR_EID_CLIENT_KEY_FILE), whose public half is published
	// at /privacy/eid/jwks.json; nil with a client secret.
	Key *eid.ClientKey
}

// button is the eID button's text in lang.
func (e *EID) button(lang string) string {
	brands := e.Label
	if brands == "" {
		brands = mustTextIn(lang, "eid.brands")
	}
	return strings.ReplaceAll(mustTextIn(lang, "eid.button"), "{label}", brands)
}

// handlePrivacyEIDKeys publishes the client key's public half (a JWKS: one key for signatures, one for
// encryption), for brokers that fetch the relying party's keys rather than have them registered by
// hand; 404 without a client key.
func (s *server) handlePrivacyEIDKeys() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.EID == nil || s.EID.Key == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(s.EID.Key.JWKS())
	})
}

// StoreLedger spends eID states in the store, so that a state is used once whichever front door the
// callback reaches: one counter per flow (a keyed hash of its state), in the window of its start.
type StoreLedger struct {
	Store *store.Store
	Key   secret.Key
}

// Spend implements eid.Ledger.
func (l StoreLedger) Spend(ctx context.Context, state string, issued time.Time) (bool, error) {
	n, err := l.Store.CountHit(ctx, l.Key.Hash("eid-state", state), 2*eid.FlowTTL, issued)
	return n == 1, err
}

const eidCookie = "dsr_eid"

// eidCookieValue is what the cookie holds: the flow and the request's status token, to return to its page.
type eidCookieValue struct {
	Flow  eid.Flow `json:"f"`
	Token string   `json:"t"`
}

func (s *server) eidCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: eidCookie, Value: value, Path: "/privacy/eid/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)}
}

func (s *server) handlePrivacyEIDStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		id, token := r.PathValue("id"), r.PostFormValue("t")
		if r.Method == http.MethodGet {
			token = r.URL.Query().Get("t")
		}
		if !hmac.Equal([]byte(token), []byte(s.Key.StatusToken(id))) {
			s.renderLinkGone(w, r)
			return
		}
		if s.EID == nil {
			s.showStatus(w, r, http.StatusNotFound, mustTextIn(subjectLanguage(w, r), "eid.support"), token)
			return
		}
		if ok, err := s.allow(r, "verify-ip:"+s.clientIP(r), ipVerifyLimit); err != nil {
			s.renderFailure(w, r, err)
			return
		} else if !ok {
			s.showStatus(w, r, http.StatusTooManyRequests, mustTextIn(subjectLanguage(w, r), "error.rate"), token)
			return
		}
		authURL, flow, err := s.EID.RP.Begin(r.Context(), id)
		if err != nil {
			s.Logger.Warn("eid broker unavailable", "request", id)
			s.renderFailure(w, r, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "eID verification is unavailable: the broker cannot be reached"))
			return
		}
		body, _ := json.Marshal(eidCookieValue{Flow: flow, Token: token})
		payload := base64.RawURLEncoding.EncodeToString(body)
		http.SetCookie(w, s.eidCookie(r, payload+"."+s.Key.Hash("privacy-eid", payload), int(eid.FlowTTL.Seconds())))
		http.Redirect(w, r, authURL, http.StatusSeeOther)
	})
}

// readEIDCookie is the flow this browser started, if its signature holds.
func (s *server) readEIDCookie(r *http.Request) (eidCookieValue, bool) {
	c, err := r.Cookie(eidCookie)
	if err != nil {
		return eidCookieValue{}, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.Key.Hash("privacy-eid", payload))) {
		return eidCookieValue{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	var v eidCookieValue
	if err != nil || json.Unmarshal(body, &v) != nil || v.Flow.RequestID == "" {
		return eidCookieValue{}, false
	}
	return v, true
}

func (s *server) handlePrivacyEIDCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := subjectLanguage(w, r)
		v, ok := s.readEIDCookie(r)
		if !ok || s.EID == nil {
			s.render(w, r, http.StatusBadRequest, "error", view{Title: mustTextIn(lang, "status.title"), Public: true, Lang: lang,
				Langs: switchAt("/privacy", nil, lang), Error: mustTextIn(lang, "eid.expired")})
			return
		}
		http.SetCookie(w, s.eidCookie(r, "", -1))
		id := v.Flow.RequestID
		// The status page is the request's: showStatus reads the request id from the path.
		r.SetPathValue("id", id)
		person, err := s.EID.RP.Complete(r.Context(), v.Flow, r.URL.Query())
		if err != nil {
			// Which check failed, never a claim: eid's errors carry none.
			s.Logger.Warn("eid verification refused", "request", id, "reason", eidReason(err))
			status, msg := http.StatusUnauthorized, mustTextIn(lang, "eid.failed")
			if errors.Is(err, eid.ErrState) || errors.Is(err, eid.ErrExpired) || errors.Is(err, eid.ErrReplayed) {
				status, msg = http.StatusBadRequest, mustTextIn(lang, "eid.expired")
			}
			s.showStatus(w, r, status, msg, v.Token)
			return
		}
		confirmed := dsrflow.EIDPerson{NationalID: person.NationalID, Name: person.Name, Birthdate: person.Birthdate}
		if _, err := s.svc().VerifyEID(dsrflow.WithPrincipal(r.Context(), privacyCenter), id, confirmed); err != nil {
			code := dsrflow.ErrorCode(err)
			if code == dsrflow.EINVALID || code == dsrflow.ECONFLICT {
				s.showStatus(w, r, httpStatus[code], dsrflow.ErrorMessage(err), v.Token)
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/privacy/requests/"+url.PathEscape(id)+"?t="+url.QueryEscape(v.Token)+"&done=verified", http.StatusSeeOther)
	})
}

// eidReason names the check an eID verification failed, for the log.
func eidReason(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{{eid.ErrState, "state"}, {eid.ErrExpired, "expired"}, {eid.ErrReplayed, "replayed"}, {eid.ErrRefused, "refused_at_broker"},
		{eid.ErrExchange, "code_exchange"}, {eid.ErrDecrypt, "decrypt"}, {eid.ErrToken, "id_token"}, {eid.ErrNonce, "nonce"}, {eid.ErrNoID, "no_national_id"}, {eid.ErrUnavailable, "unavailable"}} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "store"
}
