package web

import (
	"context"
	"crypto/hmac"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The subject's own help on the privacy center (issue 17): a new code from the status page, the links
// of their open requests by mail when the link is lost, and a status page that says what was done.

// Limits of the resend and the lost-link recovery, per window, in the shared store like the others.
var (
	requestResendLimit = limit{n: 3, per: time.Hour}
	ipResendLimit      = limit{n: 10, per: time.Hour}
	ipLostLimit        = limit{n: 20, per: time.Hour}
	emailLostLimit     = limit{n: 3, per: time.Hour}
)

// languageChosen reports whether the visitor chose the page's language: the switch's ?lang= or its
// cookie, rather than the browser's Accept-Language.
func languageChosen(r *http.Request) bool {
	if _, ok := dsrflow.ParseLanguage(r.URL.Query().Get("lang")); ok {
		return true
	}
	c, err := r.Cookie(langCookie)
	if err != nil {
		return false
	}
	_, ok := dsrflow.ParseLanguage(c.Value)
	return ok
}

// humanDate writes a date (YYYY-MM-DD) as the page's language does ("2 April 2030"); anything else is
// shown as it is.
func humanDate(lang, date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return answer.FormatDate(lang, d)
}

// companyOutcome is what one company did with an answered request, in one sentence.
type companyOutcome struct {
	Owner, Text string
}

// companyOutcomes say per company what the answer's jobs came to, in the order the jobs list them: a
// company where something could not be done says so first, then one that kept data on a legal basis,
// then done, then nothing held. The answer's mail gives the details; partners are the ones told.
func companyOutcomes(lang string, typ dsrflow.RequestType, jobs []dsrflow.JobView) []companyOutcome {
	done := "outcome.done"
	if typ.HasExport() {
		// A search's result is the download: "done" would not say whether anything was found.
		done = "outcome.searched"
	}
	rank := map[string]int{"outcome.not_done": 4, "outcome.kept": 3, done: 2, "outcome.notified": 1, "outcome.none": 0}
	var owners []string
	worst := map[string]string{}
	for _, j := range jobs {
		key := "outcome.none"
		switch connectors.Status(j.Status) {
		case connectors.StatusCompleted:
			key = done
			if j.Role == string(connectors.RolePartner) {
				key = "outcome.notified"
			}
		case connectors.StatusExempt:
			key = "outcome.kept"
		case connectors.StatusNotFound:
			key = "outcome.none"
		default:
			key = "outcome.not_done"
		}
		owner := j.Owner
		if owner == "" {
			owner = j.Connector
		}
		if !slices.Contains(owners, owner) {
			owners = append(owners, owner)
			worst[owner] = key
		} else if rank[key] > rank[worst[owner]] {
			worst[owner] = key
		}
	}
	out := make([]companyOutcome, len(owners))
	for i, o := range owners {
		out[i] = companyOutcome{Owner: o, Text: mustTextIn(lang, worst[o])}
	}
	return out
}

// handlePrivacyResend sends a new code for a request waiting for one, from its status page. The answer
// is the same whatever the request's state (a code sent, none needed any more, the workflow's own limit
// reached): the page says a new code is on its way if the request still waits for one.
func (s *server) handlePrivacyResend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		id, token := r.PathValue("id"), r.PostFormValue("t")
		if !hmac.Equal([]byte(token), []byte(s.Key.StatusToken(id))) {
			s.renderLinkGone(w, r)
			return
		}
		ok, err := s.allow(r, "resend-ip:"+s.clientIP(r), ipResendLimit)
		if err == nil && ok {
			ok, err = s.allow(r, "resend:"+id, requestResendLimit)
		}
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		if !ok {
			s.showStatus(w, r, http.StatusTooManyRequests, mustTextIn(subjectLanguage(w, r), "error.rate"), token)
			return
		}
		if _, err := s.svc().ResendCode(dsrflow.WithPrincipal(r.Context(), privacyCenter), id); err != nil {
			switch dsrflow.ErrorCode(err) {
			case dsrflow.ECONFLICT, dsrflow.EINVALID, dsrflow.ENOTFOUND:
				// Confirmed meanwhile, closed, or out of resends: the same answer.
			default:
				s.renderFailure(w, r, err)
				return
			}
		}
		http.Redirect(w, r, "/privacy/requests/"+url.PathEscape(id)+"?t="+url.QueryEscape(token)+"&done=resent", http.StatusSeeOther)
	})
}

// lostForm is the lost-link page: the address, and its error.
type lostForm struct {
	Email string
	Error string
}

func (s *server) handlePrivacyLost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := subjectLanguage(w, r)
		s.render(w, r, http.StatusOK, "privacy_lost", view{Title: mustTextIn(lang, "lost.title"), Public: true, Lang: lang, Data: lostForm{}})
	})
}

// handlePrivacyLostSubmit mails the status links of the address's open requests, one message per
// request through the outbox, and answers one sentence whether or not there are any, under the same
// time floor as a submission (DefaultSubmitFloor), so that neither the page nor its timing tells
// whether the address has requests.
func (s *server) handlePrivacyLostSubmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		lang := subjectLanguage(w, r)
		f := lostForm{Email: strings.TrimSpace(r.PostFormValue("email"))}
		if len(f.Email) > 254 || !service.ValidEmail(f.Email) {
			f.Error = mustTextIn(lang, "error.field.email")
			s.render(w, r, http.StatusBadRequest, "privacy_lost", view{Title: mustTextIn(lang, "lost.title"), Public: true, Lang: lang, Error: mustTextIn(lang, "error.fields"), Data: f})
			return
		}
		ok, err := s.allow(r, "lost-ip:"+s.clientIP(r), ipLostLimit)
		if err == nil && ok {
			ok, err = s.allow(r, "lost-email:"+s.Key.SubjectKey(f.Email), emailLostLimit)
		}
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		if !ok {
			s.render(w, r, http.StatusTooManyRequests, "privacy_lost", view{Title: mustTextIn(lang, "lost.title"), Public: true, Lang: lang, Error: mustTextIn(lang, "error.rate"), Data: f})
			return
		}
		if err := s.mailLostLinks(r.Context(), f.Email, lang); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.waitFloor(began)
		s.render(w, r, http.StatusOK, "privacy_lost_sent", view{Title: mustTextIn(lang, "lost.title"), Public: true, Lang: lang})
	})
}

// lostLinksMax bounds the links one recovery mails (the service allows one open request per type).
const lostLinksMax = 20

// mailLostLinks queues, for each open request of the address, a message with its status link.
func (s *server) mailLostLinks(ctx context.Context, email, lang string) error {
	open, err := s.svc().ListRequests(dsrflow.WithPrincipal(ctx, privacyCenter), dsrflow.RequestQuery{Email: email, Open: true, Limit: lostLinksMax})
	if err != nil {
		return err
	}
	now := s.now().UTC()
	for _, req := range open {
		title, _ := textIn(lang, "right."+req.Type+".title")
		body := strings.NewReplacer("{url}", s.statusURL(req.ID), "{right}", title).Replace(mustTextIn(lang, "mail.lost_link.body"))
		subject := strings.NewReplacer("{id}", req.ID).Replace(mustTextIn(lang, "mail.lost_link.subject"))
		if _, err := s.Store.EnqueueMessage(ctx, store.Message{
			ID: "lost-link:" + req.ID + ":" + now.Format("20060102T150405.000000"), RequestID: req.ID, Kind: "status_link",
			To: email, Subject: subject, Body: body, CreatedAt: now,
		}); err != nil {
			return err
		}
	}
	return nil
}
