package answer

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// A request under the California Consumer Privacy Act (Input.Jurisdiction "ccpa") is answered in the
// CCPA's terms: the law it cites is Cal. Civ. Code §1798.100 ff., an access answer's standing
// information follows the categories of §1798.110(a) rather than GDPR Art. 15, and complaints go to
// the California Privacy Protection Agency or the Attorney General, never to an EU authority. This file
// holds every CCPA text of the answer, the export's summary and the acknowledgement of receipt.

// CCPA is the jurisdiction of the California Consumer Privacy Act, as requests name it.
const CCPA = "ccpa"

func (in Input) underCCPA() bool { return strings.EqualFold(in.Jurisdiction, CCPA) }

// ccpaAuthorities are where a Californian may complain: the CPPA, which administers and enforces the
// CCPA (Cal. Civ. Code §1798.199.10, §1798.199.45: complaints), and the Attorney General, who also
// enforces it (§1798.199.90).
var ccpaAuthorities = []Authority{
	{Name: "the California Privacy Protection Agency (CPPA)", URL: "https://cppa.ca.gov/webapplications/complaint"},
	{Name: "the California Attorney General", URL: "https://oag.ca.gov/contact/consumer-complaint-against-business-or-company"},
}

// ccpaComplaint is where to complain, after lead ("If you disagree with our decision"). The CCPA gives
// no private action for how a request was handled (its §1798.150 covers data breaches only), so unlike
// Remedy it does not send the consumer to court.
func ccpaComplaint(lead string) string {
	var to []string
	for _, a := range ccpaAuthorities {
		to = append(to, a.Name+": "+a.URL)
	}
	s := "you can complain to " + strings.Join(to, ", or to ") + "."
	if lead = strings.TrimSpace(lead); lead != "" {
		return lead + ", " + s
	}
	return capitalize(s)
}

// remedy is what follows anything not done or a decision against the subject: under the CCPA the
// California authorities, otherwise the supervisory authority and the courts (Remedy).
func remedy(c Controller, in Input, lead string) string {
	if in.underCCPA() {
		return ccpaComplaint(lead)
	}
	return in.lang().remedy(c, in.residence(), lead)
}

// ccpaRefusalGrounds say each dsrflow.RefusalGround under the CCPA.
var ccpaRefusalGrounds = map[dsrflow.RefusalGround]string{
	dsrflow.RefusalManifestlyUnfounded: "We consider your request manifestly unfounded, so we do not act on it (California Consumer Privacy Act, Cal. Civ. Code §1798.145(h)).",
	dsrflow.RefusalManifestlyExcessive: "We consider your request manifestly excessive, for example because it repeats a request we answered recently, so we do not act on it (California Consumer Privacy Act, Cal. Civ. Code §1798.145(h)).",
	dsrflow.RefusalIdentityNotConfirmed: "We tried, but could not verify that you are the consumer the request is about, so we cannot act on it (Cal. Code Regs. tit. 11 §§7060-7062). " +
		"You may send a new request with information that lets us verify who you are.",
	dsrflow.RefusalOther: "We have decided not to act on your request.",
}

// ccpaSummaryNote is what the answer to a completed access request says of summary.html under the CCPA.
const ccpaSummaryNote = " Open summary.html in the export in a web browser. It lists the specific pieces of personal information we found about you, " +
	"and what the California Consumer Privacy Act (Cal. Civ. Code §1798.110) entitles you to know: the categories of personal information we collect, " +
	"the categories of sources we collect it from, our business or commercial purposes for collecting, selling or sharing it, " +
	"and the categories of third parties we disclose it to."

// ccpaRights are the consumer's rights the summary names (Cal. Civ. Code §§1798.105-1798.125).
var ccpaRights = []string{
	"Right to know. You can ask what personal information we collect about you, where it comes from, why we use it and to whom we disclose it, and for a copy of it (Cal. Civ. Code §§1798.110, 1798.115).",
	"Right to delete. You can ask us to delete personal information we collected from you, except what the law allows us to keep (§1798.105).",
	"Right to correct. You can ask us to correct inaccurate personal information about you (§1798.106).",
	"Right to opt out of sale or sharing. You can tell us not to sell or share your personal information (§1798.120).",
	"Right to non-discrimination. We do not treat you differently because you used these rights (§1798.125).",
	"Authorized agent. Someone you authorize in writing may make these requests for you; we then still verify the request with you.",
}

// ccpaAbout is the standing information of a CCPA access answer's summary, under the headings of
// Cal. Civ. Code §1798.110(a), each with its lines.
type ccpaAbout struct {
	Heading string
	Intro   string
	Lines   []string
}

func ccpaAboutSections(c Controller) []ccpaAbout {
	var cats, purposes, parties, kept []string
	for _, cat := range c.Categories {
		cats = append(cats, strings.TrimSpace(cat.Name+". "+cat.Description))
	}
	for _, p := range c.Purposes {
		purposes = append(purposes, strings.TrimSpace(p.Name+". "+p.Description))
	}
	for _, r := range c.Recipients {
		parties = append(parties, strings.TrimSpace(r.Name+". "+r.Description+" "+r.Condition))
	}
	for _, r := range c.Retention {
		kept = append(kept, r.Data+": "+r.Period)
	}
	return []ccpaAbout{
		{Heading: "The categories of personal information we collect", Lines: cats},
		{Heading: "The categories of sources of your personal information", Intro: "We collect most personal information from you. We also collect it:", Lines: c.Sources},
		{Heading: "Our business or commercial purposes for collecting, selling or sharing it", Lines: purposes},
		{Heading: "The categories of third parties we disclose it to", Lines: parties},
		{Heading: "How long we keep it", Lines: kept},
		{Heading: "Your rights under the California Consumer Privacy Act", Lines: ccpaRights},
	}
}

// ccpaAboutIntro opens the summary's standing information.
const ccpaAboutIntro = "What the California Consumer Privacy Act (Cal. Civ. Code §1798.110) entitles you to know. The specific pieces of personal information we found about you are listed above, under What we found."

// ccpaAboutText writes the standing information of a CCPA summary.txt.
func ccpaAboutText(t *textWriter, c Controller) {
	t.para(underline("About your personal information", "-"))
	t.para(ccpaAboutIntro)
	who := c.Name
	if len(c.GroupCompanies) > 0 {
		who += ": " + list(c.GroupCompanies)
	}
	t.para("Who we are\n" + who + ".\nContact: " + joinNonEmpty(c.Contact.Email, c.Contact.Address, c.Contact.URL) + ".")
	for _, sec := range ccpaAboutSections(c) {
		p := sec.Heading
		if sec.Intro != "" {
			p += "\n" + sec.Intro
		}
		t.para(p + "\n" + bullets(sec.Lines))
	}
	t.para("Where to complain\n" + ccpaComplaint("If you are not satisfied with how we handled your request"))
}

// ccpaAboutHTML is the standing information of a CCPA summary.html; summaryHTML runs it as "ccpa".
const ccpaAboutHTML = `
<h2>About your personal information</h2>
<p>{{.CCPAIntro}}</p>
{{- with .Controller}}
<h3>Who we are</h3>
<p>{{.Name}}{{if .GroupCompanies}}: {{join .GroupCompanies}}{{end}}.</p>
<p>Contact: {{.Contact.Email}}{{if .Contact.Address}}, {{.Contact.Address}}{{end}}{{if .Contact.URL}}, <a href="{{.Contact.URL}}">{{.Contact.URL}}</a>{{end}}.</p>
{{- end}}
{{- range .CCPAAbout}}

<h3>{{.Heading}}</h3>
{{- if .Intro}}
<p>{{.Intro}}</p>
{{- end}}
<ul>
{{- range .Lines}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

<h3>Where to complain</h3>
<p>{{.CCPAComplaint}}</p>
`

// Acknowledgement is what the confirmation of receipt of a CCPA request says. Times are shown in their
// own location.
type Acknowledgement struct {
	RequestID     string
	Type          dsrflow.RequestType
	Received, Due time.Time
	Verification  dsrflow.Verification
	// Agent is the authorized agent who submitted the request for the consumer; "" when none did.
	Agent string
	// ToAgent writes the agent's copy rather than the consumer's message.
	ToAgent bool
}

// Acknowledge writes the confirmation of receipt every CCPA request gets: "No later than 10 business
// days after receiving a request to delete, request to correct, or request to know, a business shall
// confirm receipt of the request and provide information about how the business will process the
// request", describing "in general the business's verification process and when the consumer should
// expect a response" (Cal. Code Regs. tit. 11 §7021(a)). dsrflow confirms every CCPA request, at
// once. It names the reference, how the request is verified and the date it will be answered by.
func Acknowledge(c Controller, a Acknowledgement) Message {
	w := &textWriter{}
	w.para("Hello,")
	right := a.Type.Right()
	subject := fmt.Sprintf("We received your %s (reference %s)", shortName(a.Type), a.RequestID)
	if a.ToAgent {
		subject = fmt.Sprintf("We received the %s you made for a consumer (reference %s)", shortName(a.Type), a.RequestID)
		w.para(fmt.Sprintf("We received the %s you submitted as an authorized agent on %s.\nIts reference: %s.", shortName(a.Type), date(a.Received), a.RequestID))
	} else {
		w.para(fmt.Sprintf("We received your %s on %s.\nYour reference: %s.", longName(a.Type), date(a.Received), a.RequestID))
		if a.Agent != "" {
			w.para(a.Agent + " submitted this request for you as your authorized agent, with a permission signed by you. " +
				"We confirm the request with you directly, not with your agent (Cal. Code Regs. tit. 11 §7063(a)). " +
				"If you did not authorize this, do not enter the code we send you, and tell us.")
		}
	}

	w.heading("How we verify the request")
	switch {
	case a.Verification == dsrflow.VerifyEmailCode && a.ToAgent:
		w.para("We verify the request directly with the consumer you act for: we send them a one-time code by email, and we act on the request only once they have entered it (Cal. Code Regs. tit. 11 §7063(a)). We send our answer to the consumer.")
	case a.Verification == dsrflow.VerifyEmailCode:
		w.para("Before we act on the request, we confirm that it comes from you: we send a one-time code to this email address, in a separate message. Enter it on the page that message links to. We act on the request only once the code has been entered.")
	case a.Verification == dsrflow.VerifyEID:
		w.para("Before we act on the request, we confirm that it comes from you with your electronic ID: a separate message links to the page where you do so. We act on the request only once you have.")
	case a.Verification == dsrflow.VerifyAgentAttested:
		w.para("Our staff verified the identity of the consumer when they took the request, so we need nothing more to verify it.")
	default:
		w.para("A request of this kind needs no proof of identity (Cal. Code Regs. tit. 11 §7026(d)), so we need nothing more to act on it.")
	}

	w.heading("When we will answer")
	whom, tell := "", "you"
	if a.ToAgent {
		whom, tell = " the consumer", "the consumer"
	}
	var when string
	if right.BusinessDays > 0 {
		when = fmt.Sprintf("We will carry out the request by %s, %d business days after we received it.", date(a.Due), right.BusinessDays)
	} else {
		when = fmt.Sprintf("We will answer%s by %s, 45 calendar days after we received the request (Cal. Civ. Code §1798.130(a)(2)). "+
			"If we need more time, we will tell %s why before that date; we may then take up to 45 more days.", whom, date(a.Due), tell)
	}
	w.para(when)
	if c.Contact.Email != "" {
		w.para(fmt.Sprintf("Questions: write to %s and give the reference.", c.Contact.Email))
	}
	w.para("Kind regards,\n" + c.Name)
	return Message{Subject: subject, Text: w.String()}
}
