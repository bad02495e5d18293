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

// Message is the answer to the subject.
type Message struct {
	Subject string
	Text    string
}

// Compose writes the answer to the subject in plain language: what was found and done in each company,
// what was kept and why, which partners were told, and where to complain. The same input gives the same
// text. It names no internal ids other than the request reference.
func Compose(c Controller, in Input) Message {
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
	w.para("Hello,")

	var subject string
	switch in.Status {
	case dsrflow.StatusRejected:
		subject = fmt.Sprintf("Our answer to your %s (reference %s)", shortName(in.Type), in.RequestID)
		if in.Ground != "" {
			refused(w, in)
		} else {
			rejected(w, c, in)
		}
	case dsrflow.StatusLapsed:
		subject = fmt.Sprintf("Your %s (reference %s) was closed", shortName(in.Type), in.RequestID)
		lapsed(w, in)
	case dsrflow.StatusCanceled:
		subject = fmt.Sprintf("Your %s (reference %s) was canceled", shortName(in.Type), in.RequestID)
		canceled(w, in)
	case dsrflow.StatusAborted:
		subject = fmt.Sprintf("Your %s (reference %s) was closed", shortName(in.Type), in.RequestID)
		aborted(w, in)
	default:
		subject = fmt.Sprintf("Our answer to your %s (reference %s)", shortName(in.Type), in.RequestID)
		completed(w, c, in)
	}

	if len(subs) > 0 {
		if answeredAsCompleted(in.Status) {
			w.heading("What we found and did")
		} else {
			w.heading("What we had done before we closed the request")
		}
		companies(w, c, in.Type, subs)
	}
	if answeredAsCompleted(in.Status) {
		if lines := notDone(c, in, subs); len(lines) > 0 {
			w.heading("What we could not do")
			w.para(strings.Join(lines, "\n"))
			w.para(remedy(c, in, "If you disagree with any of this") + "\nOur data protection officer can tell you more.")
		}
	}
	switch {
	case len(partners) > 0 && in.RecipientsKnown && !allReceived(partners, in.Recipients):
		// A request started before recipients were tracked told every partner: say only that.
		w.heading("Partners we told about your request")
		w.para("We told these partners about your request.")
		var lines []string
		for _, o := range partners {
			lines = append(lines, partnerLines(c, o)...)
		}
		w.para(strings.Join(lines, "\n"))
	case len(partners) > 0:
		// Only partners that received the subject's data from a system that held it are told (Art. 19).
		w.heading("Partners who received your data")
		w.para("These partners received your data from us. We told them about your request, as the law requires.")
		var lines []string
		for _, o := range partners {
			lines = append(lines, partnerLines(c, o)...)
		}
		w.para(strings.Join(lines, "\n"))
	case len(in.Recipients) > 0:
		w.heading("Partners who received your data")
		w.para("These partners received your data from the companies of our group named here:\n" + strings.Join(receivedLines(in), "\n"))
	}

	if len(in.Controllers) > 0 && answeredAsCompleted(in.Status) {
		// GDPR Art. 28(3)(e): data the group processes for a customer is the customer's to decide on.
		w.heading("Data we hold for other companies")
		w.para("We also process data about you on behalf of these companies, under their instructions. They decide what happens to that data, so we have forwarded your request to them, and this answer includes none of that data. You can also contact them directly:")
		var lines []string
		for _, ctl := range in.Controllers {
			lines = append(lines, fmt.Sprintf("- %s, %s", ctl.LegalName, ctl.Contact))
		}
		w.para(strings.Join(lines, "\n"))
	}

	w.heading("Our record of your request")
	w.para(fmt.Sprintf("We keep a record of your request and of this answer for %s, to show that we handled it as the law requires. Then we delete it.", c.RecordRetention))

	w.heading("Questions and complaints")
	if c.DPO.Email != "" {
		w.para(fmt.Sprintf("You can contact our data protection officer at %s.", c.DPO.Email))
	}
	var complain string
	switch {
	case in.underCCPA() && in.Status == dsrflow.StatusRejected:
		complain = ccpaComplaint("If you disagree with our decision")
	case in.underCCPA():
		complain = ccpaComplaint("If you are not satisfied with how we handled your request")
	case in.Ground != "":
		complain = refusalRemedy(c, in.residence())
	case in.Status == dsrflow.StatusRejected:
		complain = Remedy(c, in.residence(), "If you disagree with our decision")
	default:
		a := c.Authority(in.residence())
		complain = fmt.Sprintf("If you are not satisfied with how we handled your request, you can complain to %s: %s", a.Name, a.URL)
		if s := a.addressSentence(); s != "" {
			complain += "\n" + s
		}
		if a.Note != "" {
			complain += "\n" + sentence(a.Note)
		}
	}
	w.para(complain)
	w.para("Kind regards,\n" + c.Name)
	return Message{Subject: subject, Text: w.String()}
}

// answeredAsCompleted reports whether the request is answered as fulfilled: every status but the four
// that end a request without fulfilling it.
func answeredAsCompleted(s dsrflow.Status) bool {
	return s != dsrflow.StatusRejected && s != dsrflow.StatusLapsed && s != dsrflow.StatusCanceled && s != dsrflow.StatusAborted
}

// intro says which request this is and when it was received.
func intro(w *textWriter, first string, in Input) {
	s := first + "\nYour reference: " + in.RequestID + "."
	if !in.Received.IsZero() {
		s += "\nWe received it on " + date(in.Received) + "."
	}
	w.para(s)
}

func completed(w *textWriter, c Controller, in Input) {
	s := "We have finished your " + longName(in.Type) + "."
	intro(w, s, in)
	if !in.Closed.IsZero() {
		p := "We finished it on " + date(in.Closed) + "."
		if !in.Due.IsZero() && in.Closed.After(in.Due) && date(in.Closed) != date(in.Due) {
			p += " That is later than the legal deadline of " + date(in.Due) + ". We are sorry."
		}
		w.para(p)
	}

	if !rightParagraph(w, c, in) {
		// A right of dsrflow.Rights without a paragraph here: TestEveryRightHasItsTexts fails first.
		w.para("We have handled your " + longName(in.Type) + ".")
	}
}

// rightParagraph writes what is particular to the answer of a completed request of in.Type, and reports
// false for a type it has nothing for.
func rightParagraph(w *textWriter, c Controller, in Input) bool {
	switch in.Type {
	case dsrflow.Access, dsrflow.Portability:
		var p string
		if in.ExportAvailableUntil != nil {
			p = fmt.Sprintf("Your data is in an export you can download until %s. After that date the download link no longer works.", date(*in.ExportAvailableUntil))
		} else {
			p = "Your data is in the export attached to this message."
		}
		if in.underCCPA() {
			p += ccpaSummaryNote
		} else {
			p += " Open summary.html in the export in a web browser: it shows what we found, and explains why we process your data, where it comes from, who receives it, how long we keep it and what your rights are."
		}
		if in.Type.Right().Portable {
			p += " The file data.json and the CSV files in the csv folder hold your data in machine-readable formats you can give to another service."
		}
		w.para(p)
		if in.ExportURL != "" && in.ExportAvailableUntil != nil {
			w.para("Download your export here: " + in.ExportURL)
		}
	case dsrflow.Rectification:
		fields := make([]string, 0, len(in.Corrections))
		for k := range in.Corrections {
			fields = append(fields, humanize(k))
		}
		if fields = sortedUnique(fields); len(fields) > 0 {
			w.para("You asked us to correct your " + list(fields) + ".")
		}
		if p := itemsParagraph(c, in, subsidiaries(in.Outcomes)); p != "" {
			w.para(p)
		}
	case dsrflow.Restriction:
		ground := dsrflow.RestrictionGround(in.RestrictionGround)
		if p, ok := restrictionGroundText[ground]; ok {
			w.para("You asked for the restriction because " + p.because + " (GDPR Art. 18(1)(" + p.letter + ")).")
		}
		if !actedOn(in, subsidiaries(in.Outcomes)) {
			w.para(nothingHeld)
			break
		}
		p := "While the restriction applies, we store your data but do not otherwise use it without your consent, " +
			"except for legal claims, to protect the rights of others, or for important reasons of public interest."
		if until, ok := restrictionGroundText[ground]; ok && ground.UntilDecided() {
			p += " The restriction lasts until " + until.until + "."
		}
		w.para(p + " We will tell you before we lift the restriction.")
	case dsrflow.Objection:
		if !actedOn(in, subsidiaries(in.Outcomes)) {
			w.para(nothingHeld)
			break
		}
		w.para("We have stopped processing your data for the purposes you objected to, in the systems named below.")
	case dsrflow.MarketingOptout:
		p := "You will no longer receive marketing from us, and we no longer use your data for profiling."
		// Only where a partner took the opt-out (GDPR Art. 21(3) binds the recipients of the data too).
		if slices.ContainsFunc(in.Outcomes, func(o Outcome) bool {
			return o.Role == connectors.RolePartner && o.Action == dsrflow.ActionOptout && o.Status == connectors.StatusCompleted
		}) {
			p += " We have told the partners who market our products to stop marketing to you as well."
		}
		w.para(p + " We keep a coded form of your email address on a suppression list only to make sure we do not send you marketing again.")
	case dsrflow.ConsentWithdrawal:
		names := make([]string, 0, len(in.Purposes))
		for _, id := range in.Purposes {
			if p, ok := c.purpose(id); ok {
				names = append(names, p.Name)
			} else {
				names = append(names, humanize(id))
			}
		}
		p := "You withdrew your consent."
		if names = sortedUnique(names); len(names) > 0 {
			p = "You withdrew your consent for: " + list(names) + "."
		}
		switch subs := subsidiaries(in.Outcomes); {
		case len(names) > 0:
			p = joinSentences(p, itemsParagraph(c, in, subs))
		case actedOn(in, subs):
			p += " We no longer process your data on the basis of your consent. This does not affect what we did before you withdrew it."
		default:
			p += " " + nothingHeld
		}
		w.para(p)
	case dsrflow.DoNotSell:
		p := "We no longer sell or share your personal information."
		// Only where a partner was told: a group that sold to nobody does not say it told anyone.
		if slices.ContainsFunc(in.Outcomes, func(o Outcome) bool {
			return o.Role == connectors.RolePartner && o.Status == connectors.StatusCompleted
		}) {
			p += " We have told the companies we sold or shared it with to stop as well."
		}
		w.para(p + " You do not need to ask again: the opt-out lasts until you tell us otherwise.")
	case dsrflow.Erasure:
		p := "Below, we list what we did in each company of our group."
		if hasExemptions(in.Outcomes) {
			p += " Where the law requires us to keep some of your data, we say what we kept, why and until when."
		}
		w.para(p)
	default:
		return false
	}
	return true
}

func rejected(w *textWriter, c Controller, in Input) {
	reason := sentence(in.Reason)
	if in.Type == dsrflow.Objection {
		intro(w, "We have assessed your "+longName(in.Type)+".", in)
		p := "We have decided to continue processing your data, because we have compelling legitimate grounds that override your interests, rights and freedoms."
		if reason != "" {
			p += "\nOur grounds: " + reason
		}
		w.para(p)
		return
	}
	intro(w, "We have decided not to carry out your "+longName(in.Type)+".", in)
	if reason != "" {
		w.para("Our reason: " + reason)
	} else {
		w.para("Our data protection officer can tell you why.")
	}
}

func lapsed(w *textWriter, in Input) {
	reason := sentence(in.Reason)
	if reason == "" {
		reason = "We could not verify your identity in time."
	}
	intro(w, "We have closed your "+longName(in.Type)+" without acting on it. "+reason, in)
	w.para("You may send a new request at any time.")
}

func canceled(w *textWriter, in Input) {
	s := "Your " + longName(in.Type) + " was canceled, and we have closed it."
	if reason := sentence(in.Reason); reason != "" {
		s += " Reason: " + reason
	}
	intro(w, s, in)
	w.para("You may send a new request at any time.")
}

// aborted is a request whose processing was stopped by a fault or by an operator outside the normal
// steps (the reconciler closes it): not finished, and the subject may ask again.
func aborted(w *textWriter, in Input) {
	reason := sentence(in.Reason)
	if reason == "" {
		reason = "Our system stopped handling it."
	}
	intro(w, "We have closed your "+longName(in.Type)+" before we could finish it. "+reason, in)
	w.para("We are sorry. You may send a new request at any time, and we will handle it from the start. " +
		"Our data protection officer can tell you more.")
}

// nothingHeld is said when no system the request reached held the subject's data.
const nothingHeld = "None of the systems we asked holds data about you, so there was nothing to change."

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
func companies(w *textWriter, c Controller, t dsrflow.RequestType, outcomes []Outcome) {
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
			lines = []string{"- We found no data about you."}
		}
		for _, o := range outs {
			if o.Status == connectors.StatusNotFound {
				continue
			}
			said := outcomeLines(c, o)
			if hasItems(t) && len(o.Items) > 0 && o.Status != connectors.StatusIdentityConflict {
				said = itemLines(c, t, o)
			}
			for _, l := range said {
				if !slices.Contains(lines, l) {
					lines = append(lines, l)
				}
			}
		}
		w.para(owner + "\n" + strings.Join(lines, "\n"))
	}
}

// outcomeLines says what one job found and did, as list items.
func outcomeLines(c Controller, o Outcome) []string {
	var lines []string
	switch o.Status {
	case connectors.StatusCompleted:
		lines = append(lines, "- "+doneSentence(o))
	case connectors.StatusNotFound:
		lines = append(lines, "- We found no data about you.")
	case connectors.StatusExempt:
		s := "- We kept some of your data here, because the law requires it."
		if n := counts(o.Counts); n != "" {
			s += " What we did with the rest: " + n + "."
		}
		lines = append(lines, s)
		if len(o.Exemptions) == 0 {
			if d := sentence(o.Detail); d != "" {
				lines = append(lines, "  - "+d)
			}
		}
	case connectors.StatusFailed:
		if o.ToSubject && sentence(o.Detail) != "" {
			lines = append(lines, "- We could not complete this. "+sentence(o.Detail))
			break
		}
		lines = append(lines, "- We could not complete this before the deadline. We are sorry.")
	case connectors.StatusIdentityConflict:
		lines = append(lines, "- "+conflictSentence)
	default:
		lines = append(lines, "- This part is not finished yet.")
	}
	for _, e := range sortExemptions(o.Exemptions) {
		lines = append(lines, "  - "+exemptionText(c, e))
	}
	return lines
}

// conflictSentence is what a subject is told of a system that answered identity_conflict: an extra
// identifier the request gave matched a record the verified identity does not reach, and nothing of it
// is in the answer.
const conflictSentence = "We have not answered from this system yet, because an identifier you gave us (such as a customer number or a phone number) could not be confirmed as yours. We will check it with you, or answer without it."

// doneSentence says what a completed job did.
func doneSentence(o Outcome) string {
	var s string
	switch o.Action {
	case dsrflow.ActionAccess:
		if len(o.Records) == 0 {
			return "We found no data about you."
		}
		var sets []string
		for _, r := range o.Records {
			sets = append(sets, humanize(r.Dataset))
		}
		return fmt.Sprintf("We found %s (%s). They are in your export.", plural(len(o.Records), "record", "records"), list(sortedUnique(sets)))
	case dsrflow.ActionErase, dsrflow.ActionPurge:
		s = "We erased your data."
	case dsrflow.ActionRectify:
		s = "We corrected your data."
	case dsrflow.ActionRestrict:
		s = "We restricted the use of your data."
	case dsrflow.ActionObject:
		s = "We stopped processing your data as you asked."
	case dsrflow.ActionOptout:
		s = "We recorded your opt-out from marketing and profiling."
	case dsrflow.ActionOptoutSale:
		s = "We stopped selling and sharing your personal information."
	case dsrflow.ActionWithdrawConsent:
		s = "We recorded the withdrawal of your consent."
	default:
		s = "We carried out your request."
	}
	if n := counts(o.Counts); n != "" {
		s = strings.TrimSuffix(s, ".") + " (" + n + ")."
	}
	return s
}

// partnerLines says what came of telling one partner, as list items.
func partnerLines(c Controller, o Outcome) []string {
	owner := o.Owner
	if owner == "" {
		owner = "A partner"
	}
	var s string
	switch o.Status {
	case connectors.StatusCompleted:
		s = owner + ": we told them about your request."
	case connectors.StatusNotFound:
		s = owner + ": we told them about your request. They hold no data about you."
	case connectors.StatusExempt:
		s = owner + ": we told them about your request. They keep some data because the law requires it."
	case connectors.StatusFailed:
		s = owner + ": we tried to tell them, but could not confirm it before the deadline."
	default:
		s = owner + ": we told them about your request and are waiting for their confirmation."
	}
	lines := []string{"- " + s}
	for _, e := range sortExemptions(o.Exemptions) {
		lines = append(lines, "  - "+exemptionText(c, e))
	}
	return lines
}

// textWriter builds the plain-text message: paragraphs separated by blank lines.
type textWriter struct{ paras []string }

func (w *textWriter) para(s string) { w.paras = append(w.paras, s) }

// heading starts a section; in plain text it is a paragraph of its own.
func (w *textWriter) heading(s string) { w.paras = append(w.paras, s) }

func (w *textWriter) String() string { return strings.Join(w.paras, "\n\n") + "\n" }
