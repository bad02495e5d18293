package web

import (
	"context"
	"crypto/hmac"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The privacy center (/privacy) is where data subjects make requests themselves: choose a right, give an
// email, confirm with the mailed code, follow the request on a page reached by an unguessable link, and
// download the answer. It answers the same whether or not the address is known to us or already has an
// open request, so nobody learns anything about someone else's address by typing it in.

// privacyCenter is the principal the center acts as towards the request service.
var privacyCenter = Principal{ID: "privacy-center", Role: RoleAgent}

type rightItem struct{ Type, Title, Text string }

func rightItems(lang string) []rightItem {
	var out []rightItem
	for _, r := range dsrflow.Rights {
		// The privacy center takes GDPR requests (its country is DefaultCountry's); a right of another
		// law only (CCPA's do_not_sell) is taken by agents with its jurisdiction.
		if !r.ExistsUnder("gdpr") {
			continue
		}
		t := r.Type
		title, _ := textIn(lang, "right."+string(t)+".title")
		body, _ := textIn(lang, "right."+string(t)+".text")
		out = append(out, rightItem{string(t), title, body})
	}
	return out
}

func (s *server) handlePrivacyHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := subjectLanguage(w, r)
		s.render(w, r, http.StatusOK, "privacy", view{Title: mustTextIn(lang, "center.title"), Public: true, Lang: lang,
			Data: privacyHome{Rights: rightItems(lang), GPC: gpcSignal(r)}})
	})
}

// privacyHome is the first page: the rights, and whether the browser sends a Global Privacy Control
// signal (the page then says what it does, and that nobody is identified here).
type privacyHome struct {
	Rights []rightItem
	GPC    bool
}

// gpcSignal reports whether the request carries a Global Privacy Control signal: the Sec-GPC header with
// the value 1 (GPC specification, privacycg.github.io/gpc-spec, "The Sec-GPC Header Field").
func gpcSignal(r *http.Request) bool { return strings.TrimSpace(r.Header.Get("Sec-GPC")) == "1" }

type privacyForm struct {
	Right                 rightItem
	Email, Name, Grounds  string
	Corrections, Purposes string
	// CorrectionRows are the labelled rows of a rectification ("Name: now / correct").
	CorrectionRows               []correctionRow
	Choices                      []purposeChoice
	Errors                       map[string]string
	NeedsCorrections, NeedsPurps bool
	NeedsGrounds                 bool
	// Countries are the choices of the subject's country of residence (language.go).
	Countries []countryChoice
	// NeedsGround: a restriction names its ground of GDPR Art. 18(1), one of GroundChoices.
	NeedsGround   bool
	Ground        string
	GroundChoices []string
	// NoEID: the controller marks the type sensitive and eID verification is not configured, so the
	// page says to contact support instead of taking a request no code may verify.
	NoEID bool
}

func (s *server) newPrivacyForm(lang, typ string) (privacyForm, bool) {
	items := rightItems(lang)
	i := slices.IndexFunc(items, func(it rightItem) bool { return it.Type == typ })
	if i < 0 {
		return privacyForm{}, false
	}
	t := dsrflow.RequestType(typ)
	return privacyForm{Right: items[i], Errors: map[string]string{},
		NoEID:            s.Sensitive.Has(t) && s.EID == nil && t.DefaultVerification() != dsrflow.VerifyNone,
		NeedsCorrections: t.Needs(dsrflow.InputCorrections), NeedsPurps: t.Needs(dsrflow.InputPurposes), NeedsGrounds: t.Accepts(dsrflow.InputGrounds),
		NeedsGround: t.Needs(dsrflow.InputRestrictionGround), GroundChoices: restrictionGrounds()}, true
}

func (s *server) handlePrivacyForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := subjectLanguage(w, r)
		f, ok := s.newPrivacyForm(lang, r.URL.Query().Get("type"))
		if !ok {
			http.Redirect(w, r, "/privacy", http.StatusSeeOther)
			return
		}
		f.Choices = s.purposeChoices(nil, true)
		f.Countries = residenceChoices(lang, defaultResidence(r))
		if f.NeedsCorrections {
			f.CorrectionRows = s.correctionRows(lang)
		}
		s.render(w, r, http.StatusOK, "privacy_form", view{Title: f.Right.Title, Public: true, Lang: lang, Data: f})
	})
}

func (s *server) handlePrivacySubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		lang := subjectLanguage(w, r)
		f, ok := s.newPrivacyForm(lang, r.PostFormValue("type"))
		if !ok {
			s.renderError(w, r, http.StatusBadRequest, "Choose one of the rights on the privacy center's first page.")
			return
		}
		f.Email, f.Name, f.Grounds = strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("name"), r.PostFormValue("grounds")
		f.Corrections, f.Purposes = r.PostFormValue("corrections"), formPurposes(r)
		residence := strings.TrimSpace(r.PostFormValue("residence"))
		f.Countries = residenceChoices(lang, residence)
		f.Ground = strings.TrimSpace(r.PostFormValue("ground"))
		ok, err := s.allow(r, "ip:"+s.clientIP(r), ipSubmitLimit)
		if err == nil && ok && f.Email != "" {
			ok, err = s.allow(r, "email:"+s.Key.SubjectKey(f.Email), emailSubmitLimit)
		}
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		if !ok {
			s.render(w, r, http.StatusTooManyRequests, "privacy_form", view{Title: f.Right.Title, Public: true, Lang: lang, Error: mustTextIn(lang, "error.rate"), Data: f})
			return
		}
		// The center starts its requests itself once it has answered (StartRequest below), so that the
		// answer takes the same time whatever the address's state.
		// The subject's residence picks the authority the answer names ("" is another country: the
		// center's own); the page's language is recorded with the request.
		in := NewRequest{Type: f.Right.Type, Email: f.Email, Name: strings.TrimSpace(f.Name), Channel: "web", Grounds: strings.TrimSpace(f.Grounds), Ground: f.Ground, DeferStart: true,
			Residence: residence, Language: lang}
		if f.NeedsCorrections {
			f.CorrectionRows = s.correctionRows(lang)
			var textOK, rowsOK bool
			in.Corrections, textOK, rowsOK = readCorrections(r, lang, f.CorrectionRows, f.Corrections)
			switch {
			case !textOK:
				f.Errors["corrections"] = mustTextIn(lang, "error.field.corrections")
			case !rowsOK:
				f.Errors["corrections"] = mustTextIn(lang, "error.field.corrections.rows")
			case len(in.Corrections) == 0:
				f.Errors["corrections"] = mustTextIn(lang, "error.field.corrections.none")
			}
		} else if in.Corrections, ok = parseCorrections(f.Corrections); !ok {
			f.Errors["corrections"] = mustTextIn(lang, "error.field.corrections")
		}
		in.Purposes = parsePurposes(f.Purposes)
		f.Choices = s.purposeChoices(in.Purposes, true)
		var created, existing string
		if len(f.Errors) == 0 {
			out, err := s.svc().CreateRequest(dsrflow.WithPrincipal(r.Context(), privacyCenter), in)
			e, isErr := err.(*dsrflow.Error)
			switch {
			case err == nil:
				created = out.ID
			case isErr && e.Code == dsrflow.ECONFLICT && e.Fields["existing_id"] != "":
				// An open request of this kind exists: its link goes to the address (after the answer,
				// below), and the page says exactly what it says for a new request.
				existing = e.Fields["existing_id"]
			case isErr && e.Code == dsrflow.EINVALID:
				for k, v := range e.Fields {
					// The service's messages are written for API clients ("not a valid email address"): a
					// field with its own text on the page gets that, in the page's language (issue 17).
					if t, err := textIn(lang, "error.field."+k); err == nil {
						v = t
					}
					f.Errors[k] = v
				}
			default:
				s.renderFailure(w, r, err)
				return
			}
		}
		if len(f.Errors) > 0 {
			// The page opens with a summary that links each error to its field, and takes the focus.
			s.render(w, r, http.StatusBadRequest, "privacy_form", view{Title: f.Right.Title, Public: true, Lang: lang, Data: f})
			return
		}
		if existing != "" {
			// The page says a link is on its way: it is queued (durably, in the outbox) before the page
			// says so, as a new request is recorded before it does.
			if err := s.mailStatusLink(r.Context(), existing, in.Email, lang); err != nil {
				s.renderFailure(w, r, err)
				return
			}
		}
		// Both answers wrote one transaction (the new request, or the open one's link mail); what is
		// left of the difference is hidden under a floor, so that the answer's time does not tell
		// whether the address has an open request (issue 14).
		s.waitFloor(began)
		sent := "code"
		switch {
		case dsrflow.RequestType(f.Right.Type).DefaultVerification() == dsrflow.VerifyNone:
			sent = "optout"
		case s.Sensitive.Has(dsrflow.RequestType(f.Right.Type)):
			sent = "eid"
		}
		s.render(w, r, http.StatusOK, "privacy_sent", view{Title: mustTextIn(lang, "sent.title"), Public: true, Lang: lang, Data: sent})
		// A new request's start (a store read, the Temporal call, the worker's first steps) happens after
		// the answer has gone out. It is durable from the commit above: the reconciler starts it if this
		// process dies first.
		if created != "" {
			_ = http.NewResponseController(w).Flush()
			go s.svc().StartRequest(dsrflow.WithPrincipal(context.WithoutCancel(r.Context()), privacyCenter), created)
		}
	})
}

// DefaultSubmitFloor is the least time the privacy center takes to answer a valid submission. Issue 14
// measured a new address's answer at 50-240 ms on a busy machine; with a floor above the work, both
// answers take the floor.
const DefaultSubmitFloor = 300 * time.Millisecond

// waitFloor sleeps until the submission that began at began has taken the configured floor.
func (s *server) waitFloor(began time.Time) {
	floor := s.SubmitFloor
	if floor == 0 {
		floor = DefaultSubmitFloor
	}
	if left := floor - time.Since(began); left > 0 {
		time.Sleep(left)
	}
}

// mailStatusLink queues a message with the link to an open request's status page, in the language of
// the page the person asked from.
func (s *server) mailStatusLink(ctx context.Context, requestID, to, lang string) error {
	now := s.now().UTC()
	body := strings.NewReplacer("{url}", s.statusURL(requestID)).Replace(mustTextIn(lang, "mail.status_link.body"))
	subject := strings.NewReplacer("{id}", requestID).Replace(mustTextIn(lang, "mail.status_link.subject"))
	_, err := s.Store.EnqueueMessage(ctx, store.Message{
		ID: "status-link:" + requestID + ":" + now.Format("20060102T150405.000000"), RequestID: requestID, Kind: "status_link",
		To: to, Subject: subject, Body: body, CreatedAt: now,
	})
	return err
}

// statusURL is the subject's link to the status page. Its base is the configured public URL only: a
// request's Host or X-Forwarded-* headers are the sender's to choose, and a link built from them would
// mail the subject's status token to whatever site the sender named.
func (s *server) statusURL(requestID string) string {
	return s.publicURL() + "/privacy/requests/" + url.PathEscape(requestID) + "?t=" + s.Key.StatusToken(requestID)
}

type statusPage struct {
	ID, Token, Type, Status, Due string
	Explain                      string
	CanVerify                    bool
	// Received is the day the request arrived, Due the day it is answered by, as the page's language
	// writes dates (answer.FormatDate).
	Received string
	// Outcomes say per company what was done, once the request is answered.
	Outcomes []companyOutcome
	// AskAgain is the form that makes a new request of the same right (a lapsed request's page).
	AskAgain string
	// Code: the request takes a code (CanVerify shows its form); EIDLabel: the eID button, when eID
	// verification is configured (privacy_eid.go).
	Code      bool
	EIDLabel  string
	ExportURL string
	// GPC is the Global Privacy Control notice: "" without the signal, "recorded" (GPCRef is the
	// do_not_sell request), or "pending" while the subject has not proven the address.
	GPC, GPCRef string
	// CodeError is why the code entered was not taken, in the page's language, by its field.
	CodeError string
}

func (s *server) handlePrivacyStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.showStatus(w, r, http.StatusOK, "", r.URL.Query().Get("t"))
	})
}

func (s *server) showStatus(w http.ResponseWriter, r *http.Request, status int, errMsg, token string) {
	s.showStatusOf(w, r, status, errMsg, nil, token)
}

// showStatusOf is showStatus with the service's refusal of a code (VerifyRequest), which the page says
// by the code's field, in its own words and language (codeError), never as the API's English.
func (s *server) showStatusOf(w http.ResponseWriter, r *http.Request, status int, errMsg string, codeErr error, token string) {
	lang := subjectLanguage(w, r)
	id := r.PathValue("id")
	if !hmac.Equal([]byte(token), []byte(s.Key.StatusToken(id))) {
		s.renderLinkGone(w, r)
		return
	}
	v, err := s.svc().GetRequest(dsrflow.WithPrincipal(r.Context(), privacyCenter), id)
	if err != nil {
		s.renderFailure(w, r, err)
		return
	}
	// A visitor who has not chosen a language (the switch, or its cookie) reads the page, its dates
	// included, in the request's language: the one its mails are written in.
	if l, ok := dsrflow.ParseLanguage(v.Language); ok && !languageChosen(r) {
		lang = l
	}
	now := s.now()
	var exp *dsrflow.Export
	if v.Status == string(dsrflow.StatusCompleted) && dsrflow.RequestType(v.Type).HasExport() {
		if e, err := s.svc().RequestExport(dsrflow.WithPrincipal(r.Context(), privacyCenter), id); err == nil {
			exp = &e
		}
	}
	if end, ok := statusLinkEnd(v, exp); ok && !now.Before(end) {
		s.renderLinkGone(w, r)
		return
	}
	title, _ := textIn(lang, "right."+v.Type+".title")
	explain, _ := textIn(lang, "status."+v.Status)
	p := statusPage{ID: id, Token: token, Type: title, Status: v.Status, Due: humanDate(lang, v.Due), Explain: explain, CanVerify: v.Status == string(dsrflow.StatusVerifying),
		Code:     v.Verification != string(dsrflow.VerifyEID),
		Received: humanDate(lang, deadline.DateOfEnd(v.Received.Add(time.Nanosecond), v.Country))}
	if v.Status == string(dsrflow.StatusLapsed) {
		// A lapsed request has its own page: it was never confirmed, so nothing was done, and the right
		// can be asked for again at once.
		p.AskAgain = "/privacy/request?type=" + url.QueryEscape(v.Type)
		s.render(w, r, status, "privacy_lapsed", view{Title: mustTextIn(lang, "lapsed.title"), Public: true, Lang: lang, Data: p})
		return
	}
	if v.Status == string(dsrflow.StatusCompleted) {
		p.Outcomes = companyOutcomes(lang, dsrflow.RequestType(v.Type), v.Jobs)
	}
	if codeErr != nil {
		p.CodeError = codeError(lang, codeErr)
	}
	if s.EID != nil {
		p.EIDLabel = s.EID.button(lang)
	}
	if p.CanVerify && !p.Code {
		p.Explain = mustTextIn(lang, "eid.required")
	}
	if exp != nil {
		// A fresh link for the next hour, never past the download window.
		until := now.Add(time.Hour)
		if exp.ExpiresAt.Before(until) {
			until = exp.ExpiresAt
		}
		p.ExportURL = "/exports/" + url.PathEscape(id) + "?" + s.Key.ExportLink(id, until)
	}
	if gpcSignal(r) {
		// The link's holder is the request's subject once they proved the address: the signal is then
		// theirs to record (service.RecordGPC, 11 CCR §7025(c)(1)).
		switch g, err := s.svc().RecordGPC(dsrflow.WithPrincipal(r.Context(), privacyCenter), id); {
		case err != nil:
			// The page then says nothing about the signal: it was not recorded.
			s.Logger.Error("record a Global Privacy Control signal", "request", id, "error", err)
		case g.Identified:
			p.GPC, p.GPCRef = "recorded", g.OptOutID
		default:
			p.GPC = "pending"
		}
	}
	flash := ""
	switch r.URL.Query().Get("done") {
	case "verified":
		flash = mustTextIn(lang, "status.verified")
	case "resent":
		flash = mustTextIn(lang, "status.resent")
	}
	page := view{Title: mustTextIn(lang, "status.title"), Public: true, Lang: lang, Flash: flash, Error: errMsg, Data: p}
	s.render(w, r, status, "privacy_status", page)
}

// statusLinkEnd is when a request's status link stops working, as the answer's mail says: when the
// download window ends. That is the export's expiry where there is one (the date the mail gives), else
// DeadlinePolicy.ExportValidFor after the request closed. An open request's link does not end.
func statusLinkEnd(v RequestView, exp *dsrflow.Export) (time.Time, bool) {
	switch {
	case exp != nil:
		return exp.ExpiresAt, true
	case v.Closed != nil:
		return v.Closed.Add(dsrflow.DeadlinePolicy.ExportValidFor), true
	}
	return time.Time{}, false
}

// renderLinkGone answers an unknown and an expired status link alike, and says how to ask again.
func (s *server) renderLinkGone(w http.ResponseWriter, r *http.Request) {
	lang := subjectLanguage(w, r)
	// The switch leads to the first page: an ended link and a made-up one are answered alike.
	s.render(w, r, http.StatusNotFound, "error", view{Title: mustTextIn(lang, "status.title"), Public: true, Lang: lang,
		Langs: switchAt("/privacy", nil, lang), Error: mustTextIn(lang, "error.link")})
}

func (s *server) handlePrivacyVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		id, token := r.PathValue("id"), r.PostFormValue("t")
		if !hmac.Equal([]byte(token), []byte(s.Key.StatusToken(id))) {
			s.renderLinkGone(w, r)
			return
		}
		if ok, err := s.allow(r, "verify-ip:"+s.clientIP(r), ipVerifyLimit); err != nil {
			s.renderFailure(w, r, err)
			return
		} else if !ok {
			s.showStatus(w, r, http.StatusTooManyRequests, mustTextIn(subjectLanguage(w, r), "error.rate"), token)
			return
		}
		if _, err := s.svc().VerifyRequest(dsrflow.WithPrincipal(r.Context(), privacyCenter), id, r.PostFormValue("code")); err != nil {
			code := dsrflow.ErrorCode(err)
			if code == dsrflow.EINVALID || code == dsrflow.ECONFLICT {
				s.showStatusOf(w, r, httpStatus[code], "", err, token)
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/privacy/requests/"+url.PathEscape(id)+"?t="+url.QueryEscape(token)+"&done=verified", http.StatusSeeOther)
	})
}

// clientIP is the address of the client: the peer's, or, when the peer is a trusted proxy
// (DSR_TRUSTED_PROXIES), the nearest address in X-Forwarded-For that is not one of the trusted proxies.
// Addresses a client writes into the header itself lie to the left of what its proxy appends, so
// walking from the right stops at the first address no trusted proxy vouches for.
func (s *server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: what lies left of it cannot be trusted either
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func (s *server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Rate limits of the privacy center, per window.
var (
	ipSubmitLimit    = limit{n: 20, per: time.Hour}
	emailSubmitLimit = limit{n: 5, per: time.Hour}
	ipVerifyLimit    = limit{n: 30, per: time.Hour}
)

type limit struct {
	n   int
	per time.Duration
}

// allow counts one event for key and reports whether it is within lim. The counts live in the store,
// so every front door on it shares them; the store sees a keyed hash of key, never an address.
func (s *server) allow(r *http.Request, key string, lim limit) (bool, error) {
	n, err := s.Store.CountHit(r.Context(), s.Key.Hash("ratelimit", key), lim.per, s.now())
	if err != nil {
		return false, err
	}
	return n <= lim.n, nil
}

// restrictionGrounds are the grounds of GDPR Art. 18(1) the restriction forms offer, in the law's order.
func restrictionGrounds() []string {
	out := make([]string, len(dsrflow.RestrictionGrounds))
	for i, g := range dsrflow.RestrictionGrounds {
		out[i] = string(g)
	}
	return out
}

// codeError says in the page's language why VerifyRequest did not take a code: not six digits, wrong
// (with the attempts left, or none), expired, or a request that takes no code (any more).
func codeError(lang string, err error) string {
	var e *dsrflow.Error
	if !errors.As(err, &e) {
		return mustTextIn(lang, "status.code.none")
	}
	switch {
	case e.Code == dsrflow.EINVALID && e.Fields["code"] == "wrong" && e.Fields["attempts_left"] == "0":
		return mustTextIn(lang, "status.code.dead")
	case e.Code == dsrflow.EINVALID && e.Fields["code"] == "wrong":
		return strings.ReplaceAll(mustTextIn(lang, "status.code.wrong"), "{n}", e.Fields["attempts_left"])
	case e.Code == dsrflow.EINVALID:
		return mustTextIn(lang, "status.code.digits")
	case strings.Contains(e.Message, "expired"):
		return mustTextIn(lang, "status.code.expired")
	}
	return mustTextIn(lang, "status.code.none")
}
