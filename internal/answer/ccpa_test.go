package answer

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// gdprMarks are what a Californian's answer must not contain: GDPR article numbers, the GDPR itself and
// EU authorities (the demo controller's EU authorities and its fallback, the EDPB's list).
var gdprMarks = []string{"Art.", "Article", "GDPR", "EU", "EEA", "Datatilsynet", "edpb", "supervisory authority", "Data protection officer", "legal basis"}

func ccpaAccess() Input {
	in := janeAccess()
	in.Jurisdiction, in.Country = CCPA, "US"
	// One system could not answer: the mail and the summary then say where to complain.
	in.Outcomes = append(in.Outcomes, subsidiary("events-app", "Example Events AS", dsrflow.ActionAccess, connectors.StatusFailed))
	return in
}

func TestCCPAAccessAnswerNamesTheCPPAAndNoGDPR(t *testing.T) {
	c := demoController(t)
	in := ccpaAccess()
	msg := Compose(c, in)
	_, files := unzip(t, build(t, c, in))
	for name, text := range map[string]string{"mail": msg.Text, "summary.txt": files["summary.txt"], "summary.html": files["summary.html"]} {
		for _, want := range []string{"California Privacy Protection Agency (CPPA)", "https://cppa.ca.gov/webapplications/complaint", "California Attorney General", "§1798.110"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
		for _, bad := range gdprMarks {
			if strings.Contains(text, bad) {
				t.Errorf("%s of a CCPA request contains %q:\n%s", name, bad, text)
			}
		}
	}
	// The §1798.110(a) categories, each under its heading, with the controller's entries.
	for _, want := range []string{
		"The categories of personal information we collect\n- Basic personal information.",
		"The categories of sources of your personal information\nWe collect most personal information from you.",
		"Our business or commercial purposes for collecting, selling or sharing it\n- Purchase and delivery.",
		"The categories of third parties we disclose it to\n- Companies in Example Group.",
		"INV-1001", // the specific pieces
	} {
		if !strings.Contains(files["summary.txt"], want) {
			t.Errorf("summary.txt lacks %q", want)
		}
	}
	if !strings.Contains(files["summary.html"], "INV-1001") || !strings.Contains(files["summary.html"], "<h3>The categories of sources of your personal information</h3>") {
		t.Errorf("summary.html lacks the records or the §1798.110 categories:\n%s", files["summary.html"])
	}
	if !strings.Contains(msg.Text, "What we could not do") || !strings.Contains(msg.Text, "If you disagree with any of this, you can complain to the California Privacy Protection Agency") {
		t.Errorf("the failed system's remedy is not the CPPA's:\n%s", msg.Text)
	}

	// The same request under the GDPR keeps its Art. 15 information and its EU authority.
	in.Jurisdiction, in.Country = "", "NO"
	gdpr := Compose(c, in).Text
	if strings.Contains(gdpr, "CPPA") || !strings.Contains(gdpr, "Datatilsynet") {
		t.Errorf("a GDPR answer changed:\n%s", gdpr)
	}
}

func TestCCPARefusalCitesTheCCPA(t *testing.T) {
	c := demoController(t)
	in := baseInput(dsrflow.Erasure, dsrflow.StatusRejected)
	in.Jurisdiction, in.Country = CCPA, "US"
	in.Ground, in.Reason = string(dsrflow.RefusalManifestlyExcessive), "the same request was answered last week"
	text := Compose(c, in).Text
	for _, want := range []string{"Cal. Civ. Code §1798.145(h)", "If you disagree with our decision, you can complain to the California Privacy Protection Agency (CPPA)"} {
		if !strings.Contains(text, want) {
			t.Errorf("refusal lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range gdprMarks {
		if strings.Contains(text, bad) {
			t.Errorf("a CCPA refusal contains %q:\n%s", bad, text)
		}
	}
}

func TestAcknowledge(t *testing.T) {
	c := demoController(t)
	la := mustZone("America/Los_Angeles")
	ack := Acknowledgement{
		RequestID: "dsr_ack", Type: dsrflow.Access, Verification: dsrflow.VerifyEmailCode,
		Received: time.Date(2026, 3, 2, 10, 0, 0, 0, la), Due: time.Date(2026, 4, 16, 23, 59, 59, 0, la),
	}
	m := Acknowledge(c, ack)
	for _, want := range []string{"reference dsr_ack", "Your reference: dsr_ack.", "2 March 2026", "one-time code to this email address", "We will answer by 16 April 2026", "§1798.130(a)(2)"} {
		if !strings.Contains(m.Subject+"\n"+m.Text, want) {
			t.Errorf("acknowledgement lacks %q:\n%s\n%s", want, m.Subject, m.Text)
		}
	}

	// An agent's request: the consumer is told who submitted it and that the code comes to them; the
	// agent's copy says the consumer verifies and is answered.
	ack.Agent = "Privacy Helpers Inc."
	m = Acknowledge(c, ack)
	if !strings.Contains(m.Text, "Privacy Helpers Inc. submitted this request for you as your authorized agent") || !strings.Contains(m.Text, "§7063(a)") {
		t.Errorf("consumer's acknowledgement of an agent's request:\n%s", m.Text)
	}
	ack.ToAgent = true
	m = Acknowledge(c, ack)
	for _, want := range []string{"submitted as an authorized agent", "directly with the consumer you act for", "We will answer the consumer by 16 April 2026"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("agent's copy lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "to this email address") {
		t.Errorf("agent's copy says the code goes to the agent:\n%s", m.Text)
	}

	// An opt-out of sale needs no verification and is due in business days, with no extension.
	m = Acknowledge(c, Acknowledgement{RequestID: "dsr_dns", Type: dsrflow.DoNotSell, Verification: dsrflow.VerifyNone,
		Received: ack.Received, Due: time.Date(2026, 3, 23, 23, 59, 59, 0, la)})
	for _, want := range []string{"needs no proof of identity", "by 23 March 2026, 15 business days after"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("opt-out acknowledgement lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "45 more days") {
		t.Errorf("opt-out acknowledgement promises an extension it cannot have:\n%s", m.Text)
	}
}
