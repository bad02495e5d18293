package answer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Outcome is one connector job's outcome, as the workflow collected it.
type Outcome struct {
	ConnectorID string
	// Owner is the legal entity the connector's system belongs to: "Example Billing AS".
	Owner string
	// Role is connectors.RoleSubsidiary or connectors.RolePartner.
	Role   string
	Action dsrflow.Action
	// Status is completed, not_found, exempt or failed; failed means it could not be done by the
	// deadline, and the answer says so.
	Status     connectors.Status
	Detail     string
	Records    []connectors.Record
	Exemptions []connectors.Exemption
	Counts     map[string]int
	// Items are the per-item outcomes (fields corrected, purposes withdrawn) when the connector gave them.
	Items []connectors.ItemResult
	// ToSubject: Detail is a person's reason for marking the job failed, written for the subject; the
	// answer gives it. Otherwise a failed job's Detail is the connector's text, for staff only.
	ToSubject bool
}

// CustomerContact is a customer controlling data the group holds for it: its legal name and privacy
// contact, as customers.yaml gives them.
type CustomerContact struct {
	LegalName, Contact string
}

// Input is what the answer to one request is made of. Times are shown in their own location.
type Input struct {
	RequestID string
	// Controllers are the business customers a processor system found the subject's data for (issue
	// 22): the request was forwarded to each; the answer names them and holds none of their data.
	Controllers []CustomerContact
	Type        dsrflow.RequestType
	// Country is the handling entity's country (ISO code): its working days and time zone.
	Country string
	// Residence is the subject's country of residence (ISO code); it picks the supervisory authority they
	// are told about (Art. 77). Empty (a request from before it was recorded): Country.
	Residence string
	// Language is the subject's language (dsrflow.Languages), as recorded on the request: the answer is
	// written in it. Empty or unknown: English.
	Language string
	// Jurisdiction is the law the request was made under: "gdpr" (or empty) or "ccpa" (ccpa.go).
	Jurisdiction  string
	Received, Due time.Time
	Closed        time.Time
	// Status is completed, rejected, lapsed, canceled or aborted; any other is answered as completed.
	Status dsrflow.Status
	// Reason says why a request was rejected, canceled or lapsed: the reviewer's or agent's reason, or
	// the lapse rule. It is shown to the subject as written.
	Reason string
	// Ground is a refused request's dsrflow.RefusalGround (Art. 12(5), 11(2)); "" when it was not refused.
	Ground   string
	Outcomes []Outcome
	// Corrections maps a data category to its corrected value (rectification). The answer names the
	// categories, not the values.
	Corrections map[string]string
	// Purposes are the purpose ids (or names) consent was withdrawn for.
	Purposes []string
	// RestrictionGround is a restriction's case of Art. 18(1) (dsrflow.RestrictionGround); "" for other
	// requests and restrictions received before grounds were asked for.
	RestrictionGround string
	// ExportAvailableUntil is when the export's download link expires (access, portability); nil when
	// the export is attached to the message.
	ExportAvailableUntil *time.Time
	// ExportURL is the signed download link of the export, shown with ExportAvailableUntil.
	ExportURL string
	// Recipients are the partners that received the subject's data from the systems that hold it; the
	// answer names them, and only them.
	Recipients []PartnerReceipt
	// RecipientsKnown says Recipients was worked out from the connectors' configuration (the worker
	// sets it): a partner told of the request but not among them (a request started before recipients
	// were tracked told every partner) is then not said to have received the data.
	RecipientsKnown bool
	// Unable are the group's systems that cannot carry out the request's action, so no job went to them.
	Unable []System
}

// residence is the country whose supervisory authority the subject is told about.
func (in Input) residence() string {
	if in.Residence != "" {
		return in.Residence
	}
	return in.Country
}

// lang is the language the answer is written in: the request's, but English for a request under the
// CCPA, whose answer (ccpa.go) is English throughout.
func (in Input) lang() lang {
	if in.underCCPA() {
		return lang(dsrflow.DefaultLanguage)
	}
	return langOf(in.Language)
}

// retention says how long the request's record is kept: the default in the subject's language, a
// period the controller wrote as written.
func (l lang) retention(period string) string {
	if period == "" || period == DefaultRecordRetention {
		return l.t("record.default_period")
	}
	return period
}

// Message is the answer to the subject.
type Message struct {
	Subject string
	Text    string
}

// Compose writes the answer to the subject in plain language, in the request's language (Input.Language):
// what was found and done in each company, what was kept and why, which partners were told, and where to
// complain. The same input gives the same text. It names no internal ids other than the request reference.
func Compose(c Controller, in Input) Message {
	l := in.lang()
	outcomes := sortOutcomes(in.Outcomes)
	var subs, partners []Outcome
	for _, o := range outcomes {
		if o.Role == connectors.RolePartner {
			partners = append(partners, o)
		} else {
			subs = append(subs, o)
		}
	}
	w := &textWriter{}
	w.para(l.t("hello"))

	var subject string
	short := l.shortName(in.Type)
	switch in.Status {
	case dsrflow.StatusRejected:
		subject = l.t("subject.answer", "request", short, "ref", in.RequestID)
		if in.Ground != "" {
			refused(w, in)
		} else {
			rejected(w, c, in)
		}
	case dsrflow.StatusLapsed:
		subject = l.t("subject.closed", "request", short, "ref", in.RequestID)
		lapsed(w, in)
	case dsrflow.StatusCanceled:
		subject = l.t("subject.canceled", "request", short, "ref", in.RequestID)
		canceled(w, in)
	case dsrflow.StatusAborted:
		subject = l.t("subject.closed", "request", short, "ref", in.RequestID)
		aborted(w, in)
	default:
		subject = l.t("subject.answer", "request", short, "ref", in.RequestID)
		completed(w, c, in)
	}

	if len(subs) > 0 {
		if answeredAsCompleted(in.Status) {
			w.heading(l.t("heading.found"))
		} else {
			w.heading(l.t("heading.before_closed"))
		}
		companies(w, c, in, subs)
	}
	if answeredAsCompleted(in.Status) {
		if lines := notDone(c, in, subs); len(lines) > 0 {
			w.heading(l.t("heading.not_done"))
			w.para(strings.Join(lines, "\n"))
			w.para(remedy(c, in, l.t("lead.disagree_any")) + "\n" + l.t("dpo.more"))
		}
	}
	switch {
	case len(partners) > 0 && in.RecipientsKnown && !allReceived(partners, in.Recipients):
		// A request started before recipients were tracked told every partner: say only that.
		w.heading(l.t("heading.partners_told"))
		w.para(l.t("partners.told"))
		var lines []string
		for _, o := range partners {
			lines = append(lines, partnerLines(c, l, o)...)
		}
		w.para(strings.Join(lines, "\n"))
	case len(partners) > 0:
		// Only partners that received the subject's data from a system that held it are told (Art. 19).
		w.heading(l.t("heading.partners_received"))
		w.para(l.t("partners.received_told"))
		var lines []string
		for _, o := range partners {
			lines = append(lines, partnerLines(c, l, o)...)
		}
		w.para(strings.Join(lines, "\n"))
	case len(in.Recipients) > 0:
		w.heading(l.t("heading.partners_received"))
		w.para(l.t("partners.received_from") + "\n" + strings.Join(receivedLines(in), "\n"))
	}

	if len(in.Controllers) > 0 && (answeredAsCompleted(in.Status) || in.Status == dsrflow.StatusRejected) {
		// GDPR Art. 28(3)(e): data the group processes for a customer is the customer's to decide on. A
		// refusal is the group's answer for its own data only: the customers it forwarded the request to
		// before decide on theirs, and the subject is told who they are.
		w.heading(l.t("heading.controllers"))
		if in.Status == dsrflow.StatusRejected {
			w.para(l.t("controllers.forwarded_refused"))
		} else {
			w.para(l.t("controllers.forwarded"))
		}
		var lines []string
		for _, ctl := range in.Controllers {
			lines = append(lines, fmt.Sprintf("- %s, %s", ctl.LegalName, ctl.Contact))
		}
		w.para(strings.Join(lines, "\n"))
	}

	w.heading(l.t("heading.record"))
	w.para(l.t("record.kept", "period", l.retention(c.RecordRetention)))

	w.heading(l.t("heading.questions"))
	if c.DPO.Email != "" {
		w.para(l.t("dpo.contact", "email", c.DPO.Email))
	}
	var complain string
	switch {
	case in.underCCPA() && in.Status == dsrflow.StatusRejected:
		complain = ccpaComplaint("If you disagree with our decision")
	case in.underCCPA():
		complain = ccpaComplaint("If you are not satisfied with how we handled your request")
	case in.Ground != "":
		complain = refusalRemedy(c, l, in.residence())
	case in.Status == dsrflow.StatusRejected:
		complain = l.remedy(c, in.residence(), l.t("lead.disagree_decision"))
	default:
		a := c.Authority(in.residence())
		complain = l.t("complain.not_satisfied", "authority", a.Name, "url", a.URL)
		if s := l.addressSentence(a); s != "" {
			complain += "\n" + s
		}
		if a.Note != "" {
			complain += "\n" + sentence(a.Note)
		}
	}
	w.para(complain)
	w.para(l.t("regards") + "\n" + c.Name)
	return Message{Subject: subject, Text: w.String()}
}

// answeredAsCompleted reports whether the request is answered as fulfilled: every status but the four
// that end a request without fulfilling it.
func answeredAsCompleted(s dsrflow.Status) bool {
	return s != dsrflow.StatusRejected && s != dsrflow.StatusLapsed && s != dsrflow.StatusCanceled && s != dsrflow.StatusAborted
}

// intro says which request this is and when it was received.
func intro(w *textWriter, first string, in Input) {
	l := in.lang()
	s := first + "\n" + l.t("intro.reference", "ref", in.RequestID)
	if !in.Received.IsZero() {
		s += "\n" + l.t("intro.received", "date", l.date(in.Received))
	}
	w.para(s)
}

func completed(w *textWriter, c Controller, in Input) {
	l := in.lang()
	intro(w, l.t("completed.finished", "request", l.longName(in.Type)), in)
	if !in.Closed.IsZero() {
		p := l.t("completed.on", "date", l.date(in.Closed))
		if !in.Due.IsZero() && in.Closed.After(in.Due) && l.date(in.Closed) != l.date(in.Due) {
			p += " " + l.t("completed.late", "date", l.date(in.Due))
		}
		w.para(p)
	}

	if !rightParagraph(w, c, in) {
		// A right of dsrflow.Rights without a paragraph here: TestEveryRightHasItsTexts fails first.
		w.para(l.t("completed.handled", "request", l.longName(in.Type)))
	}
}

// rightParagraph writes what is particular to the answer of a completed request of in.Type, and reports
// false for a type it has nothing for.
func rightParagraph(w *textWriter, c Controller, in Input) bool {
	l := in.lang()
	switch in.Type {
	case dsrflow.Access, dsrflow.Portability:
		var p string
		if in.ExportAvailableUntil != nil {
			p = l.t("export.download_until", "date", l.date(*in.ExportAvailableUntil))
		} else {
			p = l.t("export.attached")
		}
		if in.underCCPA() {
			p += ccpaSummaryNote
		} else {
			p += " " + l.t("export.summary")
		}
		if in.Type.Right().Portable {
			p += " " + l.t("export.portable")
		}
		w.para(p)
		if in.ExportURL != "" && in.ExportAvailableUntil != nil {
			w.para(l.t("export.link", "url", in.ExportURL))
		}
	case dsrflow.Rectification:
		fields := make([]string, 0, len(in.Corrections))
		for k := range in.Corrections {
			fields = append(fields, humanize(k))
		}
		if fields = sortedUnique(fields); len(fields) > 0 {
			w.para(l.t("rectification.asked", "fields", l.list(fields)))
		}
		if p := itemsParagraph(c, in, subsidiaries(in.Outcomes)); p != "" {
			w.para(p)
		}
	case dsrflow.Restriction:
		ground := dsrflow.RestrictionGround(in.RestrictionGround)
		if letter, ok := restrictionLetter[ground]; ok {
			w.para(l.t("restriction.because", "because", l.t("restriction."+string(ground)+".because"), "letter", letter))
		}
		if !actedOn(in, subsidiaries(in.Outcomes)) {
			w.para(l.t("nothing_held"))
			break
		}
		p := l.t("restriction.while")
		if _, ok := restrictionLetter[ground]; ok && ground.UntilDecided() {
			p += " " + l.t("restriction.lasts", "until", l.t("restriction."+string(ground)+".until"))
		}
		w.para(p + " " + l.t("restriction.tell_before_lift"))
	case dsrflow.Objection:
		if !actedOn(in, subsidiaries(in.Outcomes)) {
			w.para(l.t("nothing_held"))
			break
		}
		w.para(l.t("objection.stopped"))
	case dsrflow.MarketingOptout:
		p := l.t("optout.done")
		// Only where a partner took the opt-out (GDPR Art. 21(3) binds the recipients of the data too).
		if slices.ContainsFunc(in.Outcomes, func(o Outcome) bool {
			return o.Role == connectors.RolePartner && o.Action == dsrflow.ActionOptout && o.Status == connectors.StatusCompleted
		}) {
			p += " " + l.t("optout.partners")
		}
		w.para(p + " " + l.t("optout.suppression"))
	case dsrflow.ConsentWithdrawal:
		names := make([]string, 0, len(in.Purposes))
		for _, id := range in.Purposes {
			if p, ok := c.purpose(id); ok {
				names = append(names, p.Name)
			} else {
				names = append(names, humanize(id))
			}
		}
		p := l.t("consent.withdrew")
		if names = sortedUnique(names); len(names) > 0 {
			p = l.t("consent.withdrew_for", "purposes", l.list(names))
		}
		switch subs := subsidiaries(in.Outcomes); {
		case len(names) > 0:
			p = joinSentences(p, itemsParagraph(c, in, subs))
		case actedOn(in, subs):
			p += " " + l.t("consent.no_longer")
		default:
			p += " " + l.t("nothing_held")
		}
		w.para(p)
	case dsrflow.DoNotSell:
		p := l.t("donotsell.done")
		// Only where a partner was told: a group that sold to nobody does not say it told anyone.
		if slices.ContainsFunc(in.Outcomes, func(o Outcome) bool {
			return o.Role == connectors.RolePartner && o.Status == connectors.StatusCompleted
		}) {
			p += " " + l.t("donotsell.partners")
		}
		w.para(p + " " + l.t("donotsell.lasts"))
	case dsrflow.Erasure:
		p := l.t("erasure.below")
		if hasExemptions(in.Outcomes) {
			p += " " + l.t("erasure.kept")
		}
		w.para(p)
	default:
		return false
	}
	return true
}

func rejected(w *textWriter, c Controller, in Input) {
	l := in.lang()
	reason := sentence(in.Reason)
	if in.Type == dsrflow.Objection {
		intro(w, l.t("objection.assessed", "request", l.longName(in.Type)), in)
		p := l.t("objection.continue")
		if reason != "" {
			p += "\n" + l.t("objection.grounds", "reason", reason)
		}
		w.para(p)
		return
	}
	intro(w, l.t("rejected.decided", "request", l.longName(in.Type)), in)
	if reason != "" {
		w.para(l.t("rejected.reason", "reason", reason))
	} else {
		w.para(l.t("dpo.why"))
	}
}

func lapsed(w *textWriter, in Input) {
	l := in.lang()
	reason := sentence(in.Reason)
	if reason == "" {
		reason = l.t("lapsed.not_verified")
	}
	intro(w, l.t("lapsed.closed", "request", l.longName(in.Type))+" "+reason, in)
	w.para(l.t("new_request"))
}

func canceled(w *textWriter, in Input) {
	l := in.lang()
	s := l.t("canceled.closed", "request", l.longName(in.Type))
	if reason := sentence(in.Reason); reason != "" {
		s += " " + l.t("canceled.reason", "reason", reason)
	}
	intro(w, s, in)
	w.para(l.t("new_request"))
}

// aborted is a request whose processing was stopped by a fault or by an operator outside the normal
// steps (the reconciler closes it): not finished, and the subject may ask again.
func aborted(w *textWriter, in Input) {
	l := in.lang()
	reason := sentence(in.Reason)
	if reason == "" {
		reason = l.t("aborted.stopped")
	}
	intro(w, l.t("aborted.closed", "request", l.longName(in.Type))+" "+reason, in)
	w.para(l.t("aborted.sorry"))
}

// subsidiaries are the outcomes of the group's own systems.
func subsidiaries(outcomes []Outcome) []Outcome {
	var out []Outcome
	for _, o := range outcomes {
		if o.Role != connectors.RolePartner {
			out = append(out, o)
		}
	}
	return out
}

func hasExemptions(outcomes []Outcome) bool {
	return slices.ContainsFunc(outcomes, func(o Outcome) bool { return len(o.Exemptions) > 0 })
}

// companies writes, per subsidiary, what was found and done. A company where nothing was found in any
// system gets one line saying so; otherwise its empty systems are not mentioned.
func companies(w *textWriter, c Controller, in Input, outcomes []Outcome) {
	l, t := in.lang(), in.Type
	var owners []string
	byOwner := map[string][]Outcome{}
	for _, o := range outcomes {
		owner := o.Owner
		if owner == "" {
			owner = c.Name
		}
		if _, ok := byOwner[owner]; !ok {
			owners = append(owners, owner)
		}
		byOwner[owner] = append(byOwner[owner], o)
	}
	for _, owner := range owners {
		outs := byOwner[owner]
		nothing := !slices.ContainsFunc(outs, func(o Outcome) bool { return o.Status != connectors.StatusNotFound })
		var lines []string
		if nothing {
			lines = []string{"- " + l.t("found.none")}
		}
		for _, o := range outs {
			if o.Status == connectors.StatusNotFound {
				continue
			}
			said := outcomeLines(c, l, o)
			if hasItems(t) && len(o.Items) > 0 && o.Status != connectors.StatusIdentityConflict {
				said = itemLines(c, l, t, o)
			}
			for _, line := range said {
				if !slices.Contains(lines, line) {
					lines = append(lines, line)
				}
			}
		}
		w.para(owner + "\n" + strings.Join(lines, "\n"))
	}
}

// outcomeLines says what one job found and did, as list items.
func outcomeLines(c Controller, l lang, o Outcome) []string {
	var lines []string
	switch o.Status {
	case connectors.StatusCompleted:
		lines = append(lines, "- "+doneSentence(l, o))
	case connectors.StatusNotFound:
		lines = append(lines, "- "+l.t("found.none"))
	case connectors.StatusExempt:
		s := "- " + l.t("outcome.exempt")
		if n := l.counts(o.Counts); n != "" {
			s += " " + l.t("outcome.exempt_rest", "counts", n)
		}
		lines = append(lines, s)
		if len(o.Exemptions) == 0 {
			if d := sentence(o.Detail); d != "" {
				lines = append(lines, "  - "+d)
			}
		}
	case connectors.StatusFailed:
		if o.ToSubject && sentence(o.Detail) != "" {
			lines = append(lines, "- "+l.t("outcome.failed")+" "+sentence(o.Detail))
			break
		}
		lines = append(lines, "- "+l.t("outcome.failed_deadline"))
	case connectors.StatusIdentityConflict:
		lines = append(lines, "- "+l.t("outcome.identity_conflict"))
	default:
		lines = append(lines, "- "+l.t("outcome.pending"))
	}
	for _, e := range sortExemptions(o.Exemptions) {
		lines = append(lines, "  - "+l.exemptionText(c, e))
	}
	return lines
}

// doneAction is the text key of what a completed job of each action did.
var doneAction = map[dsrflow.Action]string{
	dsrflow.ActionErase:           "done.erased",
	dsrflow.ActionPurge:           "done.erased",
	dsrflow.ActionRectify:         "done.corrected",
	dsrflow.ActionRestrict:        "done.restricted",
	dsrflow.ActionObject:          "done.objection",
	dsrflow.ActionOptout:          "done.optout",
	dsrflow.ActionOptoutSale:      "done.optout_sale",
	dsrflow.ActionWithdrawConsent: "done.consent",
}

// doneSentence says what a completed job did.
func doneSentence(l lang, o Outcome) string {
	if o.Action == dsrflow.ActionAccess {
		if len(o.Records) == 0 {
			return l.t("found.none")
		}
		var sets []string
		for _, r := range o.Records {
			sets = append(sets, humanize(r.Dataset))
		}
		return l.t("done.access", "records", l.plural(len(o.Records), "n.record"), "datasets", l.list(sortedUnique(sets)))
	}
	key, ok := doneAction[o.Action]
	if !ok {
		key = "done.other"
	}
	s := l.t(key)
	if n := l.counts(o.Counts); n != "" {
		s = strings.TrimSuffix(s, ".") + " (" + n + ")."
	}
	return s
}

// partnerStatus is the text key of what came of telling a partner, by the job's status.
var partnerStatus = map[connectors.Status]string{
	connectors.StatusCompleted: "partner.told",
	connectors.StatusNotFound:  "partner.told_none",
	connectors.StatusExempt:    "partner.told_exempt",
	connectors.StatusFailed:    "partner.failed",
}

// partnerLines says what came of telling one partner, as list items.
func partnerLines(c Controller, l lang, o Outcome) []string {
	owner := o.Owner
	if owner == "" {
		owner = l.t("partner.unnamed")
	}
	key, ok := partnerStatus[o.Status]
	if !ok {
		key = "partner.waiting"
	}
	lines := []string{"- " + owner + ": " + l.t(key)}
	for _, e := range sortExemptions(o.Exemptions) {
		lines = append(lines, "  - "+l.exemptionText(c, e))
	}
	return lines
}

// textWriter builds the plain-text message: paragraphs separated by blank lines.
type textWriter struct{ paras []string }

func (w *textWriter) para(s string) { w.paras = append(w.paras, s) }

// heading starts a section; in plain text it is a paragraph of its own.
func (w *textWriter) heading(s string) { w.paras = append(w.paras, s) }

func (w *textWriter) String() string { return strings.Join(w.paras, "\n\n") + "\n" }
