package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/workflows"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// The support console (/console): agents start and follow requests, reviewers decide, admins see the
// outbox. Every change goes through the request service as the signed-in person (consolePage puts the
// session's principal in the request's context), with the same validation, role checks and messages as
// the JSON API's.

var (
	consoleEveryone = []string{RoleAgent, RoleReviewer, RoleDPO}
	consoleAgents   = []string{RoleAgent, RoleDPO}
)

type signInData struct {
	Next, DevToken string
	OIDC           bool
}

func (s *server) handleSignInPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.readSession(r); ok {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		s.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Data: s.signInData(r, r.URL.Query().Get("next"))})
	})
}

// signInData offers the dev token only in dev mode and only to someone on this machine.
func (s *server) signInData(r *http.Request, next string) signInData {
	d := signInData{Next: safeNext(next), OIDC: s.OIDC != nil}
	if s.DevSignIn != "" && loopbackHost(r) {
		d.DevToken = s.DevSignIn
	}
	return d
}

func (s *server) handleSignIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		token := strings.TrimSpace(r.PostFormValue("token"))
		next := r.PostFormValue("next")
		var p Principal
		err := error(errSignIn)
		if token != "" && s.Auth != nil {
			p, err = s.Auth.Authenticate(r.Context(), token)
		}
		if err != nil {
			if code := dsrflow.ErrorCode(err); code != dsrflow.EUNAUTHORIZED {
				s.renderFailure(w, r, err)
				return
			}
			s.render(w, r, http.StatusUnauthorized, "signin", view{Title: "Sign in", Error: "Unknown or revoked token.", Data: s.signInData(r, next)})
			return
		}
		// A store token's session lasts only while the token does; the dev token has no record to check.
		tokenHash := ""
		if strings.HasPrefix(p.ID, "token:") {
			tokenHash = TokenHash(token)
		}
		if _, err := s.startSession(w, r, p, tokenHash); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	})
}

func (s *server) handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.endSession(w, r); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
	})
}

type requestPage struct {
	R        RequestView
	Messages []MessageView
	Tasks    []RequestTaskView
	Actions  []string
	// Me is the signed-in person's id (assign to me); Errors are the refused form's (Form) fields.
	Me     string
	Form   string
	Errors map[string]string
	// D is an authority request's case, for a disclosure; nil otherwise.
	D *disclosurePage
	// Routed are the request's routed items: customer tenants of processor systems holding data about
	// the subject, forwarded to the customer (issue 22).
	Routed []dsrflow.RoutedItem
}

// ActionBox: the Actions box has something in it (the notes have their own section).
func (p requestPage) ActionBox() bool {
	return slices.ContainsFunc(p.Actions, func(a string) bool { return a != "note" })
}

func (s *server) handleConsoleRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.showRequestPage(w, r, http.StatusOK, "")
	})
}

func (s *server) showRequestPage(w http.ResponseWriter, r *http.Request, status int, errMsg string, fields ...map[string]string) {
	p := currentSession(r).Principal
	id := r.PathValue("id")
	var page requestPage
	var err error
	if page.R, err = s.svc().GetRequest(r.Context(), id); err != nil {
		s.renderFailure(w, r, err)
		return
	}
	if page.Messages, err = s.svc().RequestMessages(r.Context(), id); err != nil && dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
		s.renderFailure(w, r, err)
		return
	}
	if p.Role != RoleReviewer {
		if page.Tasks, err = s.svc().RequestTasks(r.Context(), id); err != nil {
			s.renderFailure(w, r, err)
			return
		}
	}
	if page.Routed, err = s.svc().ListRouted(r.Context(), id); err != nil && dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
		s.renderFailure(w, r, err)
		return
	}
	page.Actions = allowedActions(p.Role, page.R)
	page.Me, page.Form, page.Errors = p.ID, r.PathValue("action"), map[string]string{}
	for _, f := range fields {
		for k, v := range f {
			page.Errors[k] = v
		}
	}
	if page.R.Type == workflows.TypeDisclosure {
		if page.D, err = s.disclosurePage(r.Context(), page.R, p.ID); err != nil {
			s.renderFailure(w, r, err)
			return
		}
	}
	s.render(w, r, status, "request", view{Title: "Request " + id, Nav: "requests", Flash: flash(r), Error: errMsg, Data: page})
}

// allowedActions lists the actions the page offers: those the role may take in the request's status.
// The API decides in the end; this only spares people buttons that would be refused.
func allowedActions(role string, v RequestView) []string {
	agent := role == RoleAgent || role == RoleDPO || role == RoleAdmin
	reviewer := role == RoleReviewer || role == RoleDPO || role == RoleAdmin
	// A disclosure is decided by its own review and is not extended, canceled or refused here.
	subjects := v.Type != workflows.TypeDisclosure
	var out []string
	if v.Closed == nil {
		if agent && v.Status == string(dsrflow.StatusVerifying) {
			out = append(out, "verify", "resend")
		}
		if reviewer && v.Status == string(dsrflow.StatusInReview) {
			out = append(out, "decide")
		}
		// Once the answer is being sent (responding) the request can no longer be extended, canceled
		// or refused; once fulfilment has started (its jobs run or wait for tasks) it can no longer be
		// canceled (the workflow refuses it: the jobs may have erased data already), only refused.
		answering := v.Status == string(dsrflow.StatusResponding)
		fulfilling := v.Status == string(dsrflow.StatusFulfilling) || v.Status == string(dsrflow.StatusAwaitingTasks)
		if agent && subjects && v.ExtendedDue == "" && !answering {
			out = append(out, "extend")
		}
		if agent && subjects && !answering && !fulfilling {
			out = append(out, "cancel")
		}
		if reviewer && subjects && !answering {
			out = append(out, "refuse")
		}
		if agent {
			out = append(out, "assign")
		}
	}
	if agent && subjects {
		out = append(out, "note")
	}
	if agent && v.Status == string(dsrflow.StatusCompleted) && dsrflow.RequestType(v.Type).HasExport() {
		out = append(out, "export")
	}
	return out
}

// confirmed refuses a destructive action whose form's confirmation box was not ticked.
func confirmed(form func(string) string, what string) error {
	if form("confirm") == "yes" {
		return nil
	}
	return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "Tick the box to confirm that you want to " + what + ".",
		Fields: map[string]string{"confirm": "tick to confirm"}}
}

// consoleActions maps the page's forms to the request service: what each does with its form's fields.
var consoleActions = map[string]struct {
	do   func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error
	done string
}{
	"verify": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		_, err := svc.VerifyRequest(ctx, id, form("code"))
		return err
	}, "The code was accepted: the request goes on."},
	"resend": {func(ctx context.Context, svc dsrflow.RequestService, id string, _ func(string) string) error {
		_, err := svc.ResendCode(ctx, id)
		return err
	}, "A new code is on its way to the subject."},
	"decide": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		d := dsrflow.ReviewDecision{Decision: form("decision"), Reason: form("reason")}
		if d.Decision == string(dsrflow.VoteNarrow) {
			// A disclosure's vote may keep some of its categories: the form's checked boxes.
			d.Scope = splitScope(form("scope"))
		}
		_, err := svc.Decide(ctx, id, d)
		return err
	}, "Your decision was recorded."},
	"extend": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		_, err := svc.ExtendRequest(ctx, id, form("reason"))
		return err
	}, "The request was extended by two months; the subject will be told why."},
	"cancel": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		if err := confirmed(form, "cancel the request"); err != nil {
			return err
		}
		_, err := svc.CancelRequest(ctx, id, form("reason"))
		return err
	}, "The request was canceled."},
	"refuse": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		if err := confirmed(form, "refuse the request"); err != nil {
			return err
		}
		_, err := svc.RefuseRequest(ctx, id, dsrflow.Refusal{Ground: form("ground"), Reason: form("reason")})
		return err
	}, "The request was refused; the subject is told the reasons, the supervisory authority and the right to go to court."},
	"assign": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		_, err := svc.AssignRequest(ctx, id, form("assignee"))
		return err
	}, "The assignee was changed."},
	"note": {func(ctx context.Context, svc dsrflow.RequestService, id string, form func(string) string) error {
		_, err := svc.AddNote(ctx, id, form("text"))
		return err
	}, "Your note was added."},
}

func (s *server) handleConsoleAction() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action, ok := consoleActions[r.PathValue("action")]
		if !ok {
			s.renderError(w, r, http.StatusNotFound, "No such action.")
			return
		}
		form := func(name string) string {
			if name == "scope" {
				// The narrowing form's checkboxes, one value each.
				_ = r.ParseForm()
				return strings.Join(r.PostForm["scope"], scopeSep)
			}
			return strings.TrimSpace(r.PostFormValue(name))
		}
		id := r.PathValue("id")
		if err := action.do(r.Context(), s.svc(), id, form); err != nil {
			if isFormError(err) {
				var fields map[string]string
				if e, ok := err.(*dsrflow.Error); ok {
					fields = e.Fields
				}
				s.showRequestPage(w, r, httpStatus[dsrflow.ErrorCode(err)], dsrflow.ErrorMessage(err), fields)
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/requests/"+url.PathEscape(id)+"?done="+url.QueryEscape(r.PathValue("action")), http.StatusSeeOther)
	})
}

// flash is the confirmation shown after a redirect: only the fixed texts above, never user input.
func flash(r *http.Request) string {
	if a, ok := consoleActions[r.URL.Query().Get("done")]; ok {
		return a.done
	}
	if r.URL.Query().Get("done") == "created" {
		return "The request was started."
	}
	return ""
}

func (s *server) handleConsoleExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		exp, err := s.svc().RequestExport(r.Context(), id)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		writeZip(w, id, exp.Data)
	})
}

type newData struct {
	In                    NewRequest
	Corrections, Purposes string
	Errors                map[string]string
	Channels              []string
	Choices               []purposeChoice
	// Types are the rights to choose from (the first step, while Right is unset); Right is the chosen
	// one, whose row of dsrflow.Rights decides which fields the form shows.
	Types  []dsrflow.Right
	Right  *dsrflow.Right
	Asks   map[string]bool
	Laws   []string
	Verify string
	// Sensitive: the controller marks the right sensitive (controller.yaml verification.sensitive), so
	// no emailed code verifies it: the subject verifies with eID through their status link when EID,
	// else an agent's attestation is required.
	Sensitive, EID bool
}

// Countries are the handling countries dsrflow computes deadlines for (deadline.Countries), a select
// with the form's country chosen.
func (d newData) Countries() []countryChoice { return handlingCountries(d.In.Country) }

// newFormOrder is the order of the new-request form's fields that can be refused, as the page shows them.
var newFormOrder = []string{"email", "country", "residence", "language", "jurisdiction", "received", "attest", "corrections", "ground", "grounds"}

// Focus is the first refused field in the page's order: the one the browser focuses (autofocus), so
// that a keyboard or screen-reader user lands on what to correct. HTML allows one autofocus per page.
func (d newData) Focus() string {
	for _, f := range newFormOrder {
		if d.Errors[f] != "" {
			return f
		}
	}
	return ""
}

// Residences are the subject's countries of residence whose supervisory authority the answer can name,
// after "" (the handling country's: what the API takes for a request that names none).
func (d newData) Residences() []countryChoice {
	// The privacy center's "another country" ("") is the handling country's here.
	others := slices.DeleteFunc(residenceChoices(dsrflow.DefaultLanguage, strings.ToUpper(d.In.Residence)), func(c countryChoice) bool { return c.Code == "" })
	return append([]countryChoice{{Code: "", Name: "Same as the handling country", Selected: d.In.Residence == ""}}, others...)
}

// LanguageChoices are the languages the subject can be written to (dsrflow.Languages), named in English;
// the form's language chosen, else the default the API takes.
func (d newData) LanguageChoices() []countryChoice {
	chosen := d.In.Language
	if chosen == "" {
		chosen = dsrflow.DefaultLanguage
	}
	var out []countryChoice
	for _, l := range dsrflow.Languages {
		out = append(out, countryChoice{Code: l, Name: languageName(l), Selected: l == strings.ToLower(chosen)})
	}
	return out
}

// newRequestData is the new-request form: without a known type, the choice of right (a GET form, so
// that no JavaScript is needed); with one, only the fields the right needs or accepts.
func (s *server) newRequestData(in NewRequest, corrections, purposes string, errs map[string]string) newData {
	d := newData{In: in, Corrections: corrections, Purposes: purposes, Errors: errs, Channels: []string{"web", "email", "phone", "letter"},
		Choices: s.purposeChoices(parsePurposes(purposes), false), Types: dsrflow.Rights, Asks: map[string]bool{}}
	if right, ok := dsrflow.LookupRight(dsrflow.RequestType(in.Type)); ok {
		d.Right = &right
		for _, input := range []dsrflow.Input{dsrflow.InputCorrections, dsrflow.InputPurposes, dsrflow.InputGrounds, dsrflow.InputRestrictionGround} {
			d.Asks[string(input)] = right.Type.Accepts(input)
		}
		for _, law := range []string{string(deadline.GDPR), string(deadline.CCPA)} {
			if right.ExistsUnder(law) {
				d.Laws = append(d.Laws, law)
			}
		}
		d.Verify = string(right.Type.DefaultVerification())
		d.Sensitive, d.EID = d.Verify != string(dsrflow.VerifyNone) && s.Sensitive.Has(right.Type), s.EID != nil
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if msg, ok := d.Errors["verification"]; ok && d.Errors["attest"] == "" {
		// The form has no verification field: the attestation is how an agent answers it.
		d.Errors["attest"] = msg
	}
	return d
}

// handlingCountries are the new-request form's choices of country, named in English, with selected
// chosen; a value that is none of them (a refused form's) stays offered, so that its error is readable.
func handlingCountries(selected string) []countryChoice {
	namer := display.Regions(language.English)
	var out []countryChoice
	for _, code := range deadline.Countries() {
		name := code
		if region, err := language.ParseRegion(code); err == nil {
			name = namer.Name(region) + " (" + code + ")"
		}
		out = append(out, countryChoice{Code: code, Name: name, Selected: code == selected})
	}
	if selected != "" && !slices.ContainsFunc(out, func(c countryChoice) bool { return c.Selected }) {
		out = append([]countryChoice{{Code: selected, Name: selected, Selected: true}}, out...)
	}
	return out
}

func (s *server) handleNewRequestPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := NewRequest{Country: DefaultCountry, Jurisdiction: string(deadline.GDPR), Channel: "email", Type: r.URL.Query().Get("type")}
		d := s.newRequestData(in, "", "", nil)
		if d.Right != nil && !d.Right.ExistsUnder(in.Jurisdiction) && len(d.Laws) > 0 {
			d.In.Jurisdiction = d.Laws[0]
			if countries := deadline.CountriesFor(deadline.Jurisdiction(d.In.Jurisdiction)); len(countries) > 0 {
				d.In.Country = countries[0]
			}
		}
		if in.Type != "" && d.Right == nil {
			d.Errors["type"] = "choose one of the rights listed"
		}
		s.render(w, r, http.StatusOK, "new", view{Title: "New request", Nav: "new", Data: d})
	})
}

func (s *server) handleNewRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := NewRequest{Type: r.PostFormValue("type"), Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"),
			Country: r.PostFormValue("country"), Jurisdiction: r.PostFormValue("jurisdiction"), Received: r.PostFormValue("received"),
			Channel: r.PostFormValue("channel"), Attest: r.PostFormValue("attest"), Grounds: r.PostFormValue("grounds"),
			Ground: r.PostFormValue("ground"), Verification: r.PostFormValue("verification"),
			Residence: r.PostFormValue("residence"), Language: r.PostFormValue("language")}
		corrections, purposes := r.PostFormValue("corrections"), formPurposes(r)
		errs := map[string]string{}
		var ok bool
		if in.Corrections, ok = parseCorrections(corrections); !ok {
			errs["corrections"] = "write each correction as category=value"
		}
		in.Purposes = parsePurposes(purposes)
		if len(errs) > 0 {
			s.render(w, r, http.StatusBadRequest, "new", view{Title: "New request", Nav: "new", Error: "Please correct the fields marked below.", Data: s.newRequestData(in, corrections, purposes, errs)})
			return
		}
		created, err := s.svc().CreateRequest(r.Context(), in)
		if err != nil {
			e, ok := err.(*dsrflow.Error)
			if ok && (e.Code == dsrflow.EINVALID || e.Code == dsrflow.ECONFLICT) {
				if e.Code == dsrflow.ECONFLICT {
					e.Fields = nil // the message names the open request
				}
				s.render(w, r, httpStatus[e.Code], "new", view{Title: "New request", Nav: "new", Error: e.Message, Data: s.newRequestData(in, corrections, purposes, maps.Clone(e.Fields))})
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/requests/"+url.PathEscape(created.ID)+"?done=created", http.StatusSeeOther)
	})
}

func (s *server) handleConsoleOutbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rows, err := s.svc().Outbox(r.Context(), dsrflow.OutboxQuery{})
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		slices.Reverse(rows)
		s.render(w, r, http.StatusOK, "outbox", view{Title: "Outbox", Nav: "outbox", Data: rows})
	})
}

// parseCorrections reads a form's corrections, one "category=value" per line; ok is false when a
// non-empty line has no "=".
func parseCorrections(text string) (map[string]string, bool) {
	var out map[string]string
	ok := true
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		k, v, found := strings.Cut(line, "=")
		if !found {
			ok = false
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, ok
}

// parsePurposes reads a form's comma-separated purposes, without blanks or repeats.
func parsePurposes(text string) []string {
	var out []string
	for _, p := range strings.Split(text, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// isFormError reports whether the API refused a form's input or the action in this state: the page is
// shown again with the message, rather than an error page.
func isFormError(err error) bool {
	switch dsrflow.ErrorCode(err) {
	case dsrflow.EINVALID, dsrflow.ECONFLICT, dsrflow.EFORBIDDEN:
		return true
	}
	return false
}
