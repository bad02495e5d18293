package answer

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The court remedy as every not-done part and every refusal carries it (Art. 12(4)).
const court = "You can also take the matter to court."

func TestRemedyNamesTheAuthorityOfTheSubjectsCountryAndTheCourt(t *testing.T) {
	c := demoController(t)
	got := Remedy(c, "se", "If you disagree with our decision")
	want := "If you disagree with our decision, you can complain to Integritetsskyddsmyndigheten (IMY): https://www.imy.se " + court +
		"\nThe postal address of Integritetsskyddsmyndigheten (IMY) is Box 8114, 104 20 Stockholm, Sweden."
	if got != want {
		t.Errorf("Remedy(SE) = %q\nwant %q", got, want)
	}
	if got := Remedy(c, "NO", ""); !strings.HasPrefix(got, "You can complain to Datatilsynet: https://www.datatilsynet.no") || !strings.Contains(got, court) {
		t.Errorf("Remedy(NO) without a lead = %q", got)
	}
}

// TestComposeFromPerItemOutcomes: every sentence true for the case. The finding: a
// rectification of name, postal address and an invoice, where only the name was held and correctable,
// was answered "We corrected your data".
func TestComposeFromPerItemOutcomes(t *testing.T) {
	c := demoController(t)
	item := func(cat, outcome, reason string) connectors.ItemResult {
		return connectors.ItemResult{Item: cat, Outcome: outcome, Reason: reason}
	}
	rectify := func(id, owner string, status connectors.Status, items ...connectors.ItemResult) Outcome {
		o := subsidiary(id, owner, dsrflow.ActionRectify, status)
		o.Items = items
		return o
	}
	corrections := map[string]string{"user.name": janeName, "user.contact.postal_address": "Storgata 1, Oslo", "user.financial.invoice": "INV-1001: 1000.00"}
	billingSystem := System{Owner: "Example Billing AS", ConnectorID: "billing", Categories: []string{"user.financial.invoice", "user.name"}}

	tests := []struct {
		name    string
		in      Input
		want    []string
		notWant []string
	}{
		{
			name: "partial rectification",
			in: with(baseInput(dsrflow.Rectification, dsrflow.StatusCompleted), func(in *Input) {
				in.Corrections = corrections
				in.Unable = []System{billingSystem}
				in.Outcomes = []Outcome{
					rectify("crm", "Example Marketing AS", connectors.StatusCompleted,
						item("user.financial.invoice", connectors.ItemNotHeld, ""), item("user.contact.postal_address", connectors.ItemNotHeld, ""), item("user.name", connectors.ItemDone, "")),
					rectify("forum", "Example Community AS", connectors.StatusCompleted,
						item("user.contact.postal_address", connectors.ItemNotPossible, "addresses here are kept as the member typed them."), item("user.name", connectors.ItemDone, "")),
				}
			}),
			want: []string{
				"You asked us to correct your invoice, name and postal address.",
				"We corrected your name. We did not correct your postal address and invoice: below we say why.",
				"Example Marketing AS\n- We corrected your name.",
				"Example Community AS\n- We corrected your name.\n- We could not correct your postal address here: addresses here are kept as the member typed them.",
				"What we could not do",
				"- Your invoice: none of the systems we asked holds it, so there was nothing to change. Example Billing AS may hold such data in a system that cannot correct it.",
				"- Your postal address at Example Community AS: addresses here are kept as the member typed them.",
				"If you disagree with any of this, you can complain to Datatilsynet: https://www.datatilsynet.no " + court,
			},
			notWant: []string{"We corrected your data", "Storgata", "INV-1001"},
		},
		{
			name: "rectification of which nothing was held",
			in: with(baseInput(dsrflow.Rectification, dsrflow.StatusCompleted), func(in *Input) {
				in.Corrections = map[string]string{"user.contact.postal_address": "Storgata 1, Oslo"}
				in.Outcomes = []Outcome{
					rectify("crm", "Example Marketing AS", connectors.StatusFailed, item("user.contact.postal_address", connectors.ItemNotHeld, "")),
					subsidiary("forum", "Example Community AS", dsrflow.ActionRectify, connectors.StatusNotFound),
				}
			}),
			want: []string{
				"We did not correct your postal address: below we say why.",
				"Example Marketing AS\n- We hold none of the data you asked us to correct here.",
				"- Your postal address: none of the systems we asked holds it, so there was nothing to change.",
				court,
			},
			notWant: []string{"We corrected", "before the deadline"},
		},
		{
			name: "consent withdrawn for a purpose held and one not",
			in: with(baseInput(dsrflow.ConsentWithdrawal, dsrflow.StatusCompleted), func(in *Input) {
				in.Purposes = []string{"newsletter", "totally_bogus_purpose"}
				in.Unable = []System{billingSystem}
				o := subsidiary("crm", "Example Marketing AS", dsrflow.ActionWithdrawConsent, connectors.StatusCompleted)
				o.Items = []connectors.ItemResult{item("newsletter", connectors.ItemDone, ""), item("totally_bogus_purpose", connectors.ItemNotHeld, "")}
				in.Outcomes = []Outcome{o}
			}),
			want: []string{
				"We no longer process your data for newsletter on the basis of your consent.",
				"For totally bogus purpose nothing changed: below we say why.",
				"Example Marketing AS\n- We withdrew your consent for newsletter.",
				"- Your consent for totally bogus purpose: we hold no such consent of yours, so there was nothing to withdraw.",
				"- Example Billing AS: a system of this company cannot record a withdrawal of consent, so we could not ask it to.",
				court,
			},
			notWant: []string{"We no longer process your data for these purposes"},
		},
		{
			name: "objection where no system held the subject",
			in: with(baseInput(dsrflow.Objection, dsrflow.StatusCompleted), func(in *Input) {
				in.Unable = []System{billingSystem}
				in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionObject, connectors.StatusNotFound)}
			}),
			want: []string{
				lang("").t("nothing_held"),
				"- Example Billing AS: a system of this company cannot stop processing on an objection, so we could not ask it to.",
				court,
			},
			notWant: []string{"We have stopped processing"},
		},
		{
			name: "erasure for a subject held nowhere: no partner named",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				in.Outcomes = []Outcome{
					subsidiary("crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusNotFound),
					subsidiary("billing", "Example Billing AS", dsrflow.ActionErase, connectors.StatusNotFound),
				}
			}),
			want:    []string{"Example Marketing AS\n- We found no data about you."},
			notWant: []string{"partner", "Partner", "Ad Partner", "What we could not do", court},
		},
		{
			name: "erasure for a subject the CRM held: the partner it shares with is named",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				in.Recipients = []PartnerReceipt{{Owner: "Example Ad Partner Ltd", From: []string{"Example Marketing AS"}}}
				in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted), partner(connectors.StatusCompleted)}
			}),
			want: []string{
				"Partners who received your data\n\nThese partners received your data from us. We told them about your request, as the law requires.\n\n- Example Ad Partner Ltd: we told them about your request.",
			},
			notWant: []string{"What we could not do"},
		},
		{
			name: "a request started before recipients were tracked told a partner that never received her data",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				in.RecipientsKnown = true
				in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusNotFound), partner(connectors.StatusCompleted)}
			}),
			want:    []string{"Partners we told about your request\n\nWe told these partners about your request.\n\n- Example Ad Partner Ltd: we told them about your request."},
			notWant: []string{"received your data", "We shared your data"},
		},
		{
			name: "objection: the partner that received the data is named though not told",
			in: with(baseInput(dsrflow.Objection, dsrflow.StatusCompleted), func(in *Input) {
				in.Recipients = []PartnerReceipt{{Owner: "Example Ad Partner Ltd", From: []string{"Example Marketing AS"}}}
				in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionObject, connectors.StatusCompleted)}
			}),
			want: []string{
				"We have stopped processing your data for the purposes you objected to, in the systems named below.",
				"Partners who received your data\n\nThese partners received your data from the companies of our group named here:\n- Example Ad Partner Ltd, from Example Marketing AS.",
			},
			notWant: []string{"We told them", "What we could not do"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Compose(c, tc.in)
			for _, s := range tc.want {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q\n---\n%s", s, m.Text)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(m.Text, s) {
					t.Errorf("text contains %q\n---\n%s", s, m.Text)
				}
			}
			assertPlainLanguage(t, tc.in, m)
		})
	}
}

// TestExportSummaryNamesWhatWasNotDoneAndTheRecipients: an access export whose one system failed says
// so with the authority and the court, and names the partner that received the data.
func TestExportSummaryNamesWhatWasNotDoneAndTheRecipients(t *testing.T) {
	c := demoController(t)
	in := janeAccess()
	in.Outcomes = append(in.Outcomes, subsidiary("analytics", "Example Analytics AS", dsrflow.ActionAccess, connectors.StatusFailed))
	in.Recipients = []PartnerReceipt{{Owner: "Example Ad Partner Ltd", From: []string{"Example Marketing AS"}}}
	_, files := unzip(t, build(t, c, in))
	for _, name := range []string{fileSummaryText, fileSummaryHTML} {
		for _, s := range []string{
			"What we could not do",
			"Example Analytics AS: we could not complete this before the deadline. We are sorry.",
			"If you disagree with any of this, you can complain to Datatilsynet: https://www.datatilsynet.no " + court,
			"Partners who received your data",
			"Example Ad Partner Ltd, from Example Marketing AS.",
		} {
			if !strings.Contains(files[name], s) {
				t.Errorf("%s lacks %q", name, s)
			}
		}
	}

	_, files = unzip(t, build(t, c, janeAccess()))
	if strings.Contains(files[fileSummaryText], "What we could not do") || strings.Contains(files[fileSummaryText], "Partners who received your data") {
		t.Errorf("an export where everything was done and nothing was shared says otherwise:\n%s", files[fileSummaryText])
	}
}
