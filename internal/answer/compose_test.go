package answer

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

func TestCompose(t *testing.T) {
	c := demoController(t)
	crm := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	crm.Records = []connectors.Record{janeRecordCRM}
	late := time.Date(2025, 4, 7, 10, 0, 0, 0, oslo)

	tests := []struct {
		name    string
		in      Input
		subject string
		want    []string // sentences the subject relies on
		notWant []string
	}{
		{
			name: "access with attached export",
			in: with(baseInput(dsrflow.Access, dsrflow.StatusCompleted), func(in *Input) {
				in.Outcomes = []Outcome{crm, subsidiary("community-forum", "Example Community AS", dsrflow.ActionAccess, connectors.StatusNotFound)}
			}),
			subject: "Our answer to your access request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have finished your request for access to your personal data.",
				"Your reference: DSR-7Q2K-4M9P.",
				"We received it on 3 March 2025.",
				"We finished it on 20 March 2025.",
				"Your data is in the export attached to this message.",
				"Example Marketing AS\n- We found 1 record (crm contacts). They are in your export.",
				"Example Community AS\n- We found no data about you.",
				"where it comes from, who receives it, how long we keep it and what your rights are",
			},
			// The data itself goes in the export, not in the message.
			notWant: []string{janeEmail, janeName, "machine-readable"},
		},
		{
			name: "access with download link",
			in: with(baseInput(dsrflow.Access, dsrflow.StatusCompleted), func(in *Input) {
				in.Outcomes = []Outcome{crm}
				in.ExportAvailableUntil = &linkExpiry
				in.ExportURL = "https://dsr.example.com/exports/DSR-7Q2K-4M9P?expires=1745020800&sig=ab12"
			}),
			subject: "Our answer to your access request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"Your data is in an export you can download until 19 April 2025.",
				"Download your export here: https://dsr.example.com/exports/DSR-7Q2K-4M9P?expires=1745020800&sig=ab12",
				"After that date the download link no longer works.",
			},
			notWant: []string{"attached"},
		},
		{
			name: "portability",
			in: with(baseInput(dsrflow.Portability, dsrflow.StatusCompleted), func(in *Input) {
				in.Outcomes = []Outcome{crm}
				in.ExportAvailableUntil = &linkExpiry
			}),
			subject: "Our answer to your data portability request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have finished your request for a copy of your personal data in a machine-readable format.",
				"The file data.json and the CSV files in the csv folder hold your data in machine-readable formats",
			},
		},
		{
			name: "rectification notifies the partner",
			in: with(baseInput(dsrflow.Rectification, dsrflow.StatusCompleted), func(in *Input) {
				in.Country = "SE"
				in.Corrections = map[string]string{"user.contact.address": "Storgatan 1, Stockholm", "user.name": janeName}
				o := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionRectify, connectors.StatusCompleted)
				o.Counts = map[string]int{"corrected": 2}
				in.Outcomes = []Outcome{partner(connectors.StatusCompleted), o}
			}),
			subject: "Our answer to your correction request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"You asked us to correct your address and name.",
				"Example Marketing AS\n- We corrected your data (2 items corrected).",
				"Partners who received your data",
				"- Example Ad Partner Ltd: we told them about your request.",
				"you can complain to Integritetsskyddsmyndigheten (IMY): https://www.imy.se",
			},
			// The corrected values are not repeated in the message.
			notWant: []string{"Storgatan", janeName},
		},
		{
			name: "erasure with billing exempt",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				crmErase := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted)
				crmErase.Counts = map[string]int{"erased": 3, "masked": 1, "notified": 0}
				in.Outcomes = []Outcome{
					partner(connectors.StatusCompleted),
					subsidiary("community-forum", "Example Community AS", dsrflow.ActionErase, connectors.StatusNotFound),
					billingExempt(),
					crmErase,
				}
			}),
			subject: "Our answer to your erasure request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have finished your request to erase your personal data.",
				"Where the law requires us to keep some of your data, we say what we kept, why and until when.",
				"Example Billing AS\n- We kept some of your data here, because the law requires it. What we did with the rest: 2 items erased.\n" +
					"  - Invoices (Financial information): kept because of a legal obligation (Bookkeeping Act: 5 years), until 31 December 2030. Then we delete it.",
				"Example Community AS\n- We found no data about you.",
				"Example Marketing AS\n- We erased your data (3 items erased, 1 item anonymised).",
				"- Example Ad Partner Ltd: we told them about your request.",
				"You can contact our data protection officer at dpo@example.com.",
				"you can complain to Datatilsynet: https://www.datatilsynet.no",
				"We keep a record of your request and of this answer for 3 years after the request closes",
			},
		},
		{
			name: "restriction with a partner that did not confirm",
			in: with(baseInput(dsrflow.Restriction, dsrflow.StatusCompleted), func(in *Input) {
				in.Country = "de"
				in.Outcomes = []Outcome{
					subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionRestrict, connectors.StatusCompleted),
					partner(connectors.StatusFailed),
				}
			}),
			subject: "Our answer to your restriction request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"we store your data but do not otherwise use it",
				"We will tell you before we lift the restriction.",
				"Example Marketing AS\n- We restricted the use of your data.",
				"- Example Ad Partner Ltd: we tried to tell them, but could not confirm it before the deadline.",
				"Der Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI): https://www.bfdi.bund.de",
				"the data protection authority of the German state (Land) where you live",
			},
		},
		{
			name: "restriction while the accuracy is checked",
			in: with(baseInput(dsrflow.Restriction, dsrflow.StatusCompleted), func(in *Input) {
				in.RestrictionGround = string(dsrflow.RestrictAccuracyContested)
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionRestrict, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your restriction request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"You asked for the restriction because you contest the accuracy of your personal data (GDPR Art. 18(1)(a)).",
				"The restriction lasts until we have checked whether your data is accurate. We will tell you before we lift the restriction.",
			},
		},
		{
			name: "restriction pending an objection",
			in: with(baseInput(dsrflow.Restriction, dsrflow.StatusCompleted), func(in *Input) {
				in.RestrictionGround = string(dsrflow.RestrictObjectionPending)
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionRestrict, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your restriction request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"because you objected to our processing of your data (GDPR Art. 18(1)(d)).",
				"The restriction lasts until we have decided whether our legitimate grounds override yours.",
			},
		},
		{
			name: "restriction for legal claims has no end we decide",
			in: with(baseInput(dsrflow.Restriction, dsrflow.StatusCompleted), func(in *Input) {
				in.RestrictionGround = string(dsrflow.RestrictLegalClaims)
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionRestrict, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your restriction request (reference DSR-7Q2K-4M9P)",
			want:    []string{"because you need your data kept to establish, exercise or defend legal claims (GDPR Art. 18(1)(c))."},
			notWant: []string{"The restriction lasts until"},
		},
		{
			name: "objection upheld, one system failed",
			in: with(baseInput(dsrflow.Objection, dsrflow.StatusCompleted), func(in *Input) {
				in.Country = "GB"
				failed := subsidiary("analytics-warehouse", "Example Analytics AS", dsrflow.ActionObject, connectors.StatusFailed)
				failed.Detail = "connector timeout after 3 retries"
				in.Outcomes = []Outcome{
					subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionObject, connectors.StatusCompleted),
					failed,
				}
			}),
			subject: "Our answer to your objection (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have stopped processing your data for the purposes you objected to, in the systems named below.",
				"Example Analytics AS\n- We could not complete this before the deadline. We are sorry.",
				"What we could not do\n\n- Example Analytics AS: we could not complete this before the deadline. We are sorry.",
				"If you disagree with any of this, you can complain to Information Commissioner's Office (ICO): https://ico.org.uk You can also take the matter to court.",
			},
			// A connector's technical failure text is for agents.
			notWant: []string{"timeout", "retries"},
		},
		{
			// `starter job resolve --failed REASON`: the person's reason is written for the subject, and
			// the answer gives it instead of a deadline it did not miss.
			name: "erasure with a job a person marked failed",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				failed := subsidiary("analytics-warehouse", "Example Analytics AS", dsrflow.ActionErase, connectors.StatusFailed)
				failed.Detail, failed.ToSubject = "the old analytics warehouse was switched off in 2025 and holds nothing we can reach", true
				in.Outcomes = []Outcome{failed}
			}),
			subject: "Our answer to your erasure request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"Example Analytics AS\n- We could not complete this. The old analytics warehouse was switched off in 2025 and holds nothing we can reach.",
				"What we could not do\n\n- Example Analytics AS: we could not complete this. The old analytics warehouse was switched off in 2025 and holds nothing we can reach.",
			},
			notWant: []string{"before the deadline"},
		},
		{
			name: "marketing opt-out",
			in: with(baseInput(dsrflow.MarketingOptout, dsrflow.StatusCompleted), func(in *Input) {
				in.Country = "FI"
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionOptout, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your marketing opt-out (reference DSR-7Q2K-4M9P)",
			want: []string{
				"You will no longer receive marketing from us, and we no longer use your data for profiling.",
				"suppression list",
				"Example Marketing AS\n- We recorded your opt-out from marketing and profiling.",
				"Tietosuojavaltuutetun toimisto",
				"https://tietosuoja.fi",
			},
			notWant: []string{"told the partners"},
		},
		{
			name: "marketing opt-out taken by a partner",
			in: with(baseInput(dsrflow.MarketingOptout, dsrflow.StatusCompleted), func(in *Input) {
				in.Outcomes = []Outcome{
					subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionOptout, connectors.StatusCompleted),
					{ConnectorID: "ad-partner", Owner: "Example Ad Partner Ltd", Role: connectors.RolePartner, Action: dsrflow.ActionOptout, Status: connectors.StatusCompleted},
				}
			}),
			subject: "Our answer to your marketing opt-out (reference DSR-7Q2K-4M9P)",
			want:    []string{"We have told the partners who market our products to stop marketing to you as well.", "suppression list"},
		},
		{
			name: "consent withdrawal per purpose",
			in: with(baseInput(dsrflow.ConsentWithdrawal, dsrflow.StatusCompleted), func(in *Input) {
				in.Country = "NL"
				in.Purposes = []string{"profiling", "email_marketing"}
				in.Outcomes = []Outcome{subsidiary("events-registrations", "Example Events AS", dsrflow.ActionWithdrawConsent, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your consent withdrawal (reference DSR-7Q2K-4M9P)",
			want: []string{
				"You withdrew your consent for: Email marketing and Interest profiles (profiling).",
				"This does not affect what we did before you withdrew it.",
				"Example Events AS\n- We recorded the withdrawal of your consent.",
				"Autoriteit Persoonsgegevens: https://www.autoriteitpersoonsgegevens.nl",
			},
		},
		{
			name: "finished late",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
				in.Closed = late
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted)}
			}),
			subject: "Our answer to your erasure request (reference DSR-7Q2K-4M9P)",
			want:    []string{"We finished it on 7 April 2025. That is later than the legal deadline of 3 April 2025. We are sorry."},
		},
		{
			name: "objection rejected with the reviewer's grounds",
			in: with(baseInput(dsrflow.Objection, dsrflow.StatusRejected), func(in *Input) {
				in.Country = "DK"
				in.Reason = "we need the login history to detect attacks on your account and other customers' accounts"
			}),
			subject: "Our answer to your objection (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have assessed your objection to the processing of your personal data.",
				"We have decided to continue processing your data, because we have compelling legitimate grounds",
				"Our grounds: We need the login history to detect attacks on your account and other customers' accounts.",
				"If you disagree with our decision, you can complain to Datatilsynet: https://www.datatilsynet.dk",
				"You can also take the matter to court.",
			},
			notWant: []string{"What we found and did", "We have finished"},
		},
		{
			name: "erasure rejected",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusRejected), func(in *Input) {
				in.Reason = "The same request was answered on 1 March 2025."
			}),
			subject: "Our answer to your erasure request (reference DSR-7Q2K-4M9P)",
			want: []string{
				"We have decided not to carry out your request to erase your personal data.",
				"Our reason: The same request was answered on 1 March 2025.",
				"You can also take the matter to court.",
			},
		},
		{
			name: "lapsed: identity never verified",
			in: with(baseInput(dsrflow.Access, dsrflow.StatusLapsed), func(in *Input) {
				in.Country = "US"
				in.Reason = "We could not verify your identity within 14 days, so we closed the request"
			}),
			subject: "Your access request (reference DSR-7Q2K-4M9P) was closed",
			want: []string{
				"We have closed your request for access to your personal data without acting on it. We could not verify your identity within 14 days, so we closed the request.",
				"You may send a new request at any time.",
				// No authority for the country: the fallback.
				"https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
			},
			notWant: []string{"export", "We have finished"},
		},
		{
			name:    "lapsed without a reason given",
			in:      baseInput(dsrflow.Erasure, dsrflow.StatusLapsed),
			subject: "Your erasure request (reference DSR-7Q2K-4M9P) was closed",
			want:    []string{"without acting on it. We could not verify your identity in time.", "You may send a new request at any time."},
		},
		{
			name: "canceled after part of the work",
			in: with(baseInput(dsrflow.Erasure, dsrflow.StatusCanceled), func(in *Input) {
				in.Reason = "you asked us to stop"
				in.Outcomes = []Outcome{subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted)}
			}),
			subject: "Your erasure request (reference DSR-7Q2K-4M9P) was canceled",
			want: []string{
				"Your request to erase your personal data was canceled, and we have closed it. Reason: You asked us to stop.",
				"What we had done before we closed the request\n\nExample Marketing AS\n- We erased your data.",
				"You may send a new request at any time.",
			},
		},
		{
			// The reconciler closes a request whose workflow was terminated outside dsrflow: the mail says
			// it was not carried out, that they may ask again, and where to complain, not "we have finished".
			name: "aborted by a fault",
			in: with(baseInput(dsrflow.Access, dsrflow.StatusAborted), func(in *Input) {
				in.Reason = "its processing was stopped by a fault in our systems. Nothing was done with your data"
			}),
			subject: "Your access request (reference DSR-7Q2K-4M9P) was closed",
			want: []string{
				"We have closed your request for access to your personal data before we could finish it. Its processing was stopped by a fault in our systems. Nothing was done with your data.",
				"You may send a new request at any time",
				"you can complain to",
			},
			notWant: []string{"What we found and did", "We have finished"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Compose(c, tt.in)
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			for _, s := range tt.want {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q\n---\n%s", s, m.Text)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(m.Text, s) {
					t.Errorf("text contains %q\n---\n%s", s, m.Text)
				}
			}
			assertPlainLanguage(t, tt.in, m)
		})
	}
}

// assertPlainLanguage checks that the message shows nothing of dsrflow's internals: connector ids,
// status and basis codes, Go formatting.
func assertPlainLanguage(t *testing.T, in Input, m Message) {
	t.Helper()
	internals := []string{"<nil>", "map[", "%!", "{", "}", "0001", "not_found", "legal_obligation", "subsidiary", "partner)", "withdraw_consent"}
	for _, o := range in.Outcomes {
		internals = append(internals, o.ConnectorID)
	}
	for _, s := range internals {
		if strings.Contains(m.Subject+m.Text, s) {
			t.Errorf("message shows %q\n---\n%s", s, m.Text)
		}
	}
	// Every message tells the subject where to complain and keeps its record-retention promise.
	for _, s := range []string{"complain to", "data protection officer", "3 years after the request closes", "Kind regards,\nExample Group"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("text lacks %q", s)
		}
	}
}

func TestComposeIsDeterministic(t *testing.T) {
	c := demoController(t)
	crmErase := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted)
	crmErase.Counts = map[string]int{"erased": 3, "masked": 1, "deleted": 2, "suppressed": 1}
	billing := billingExempt()
	until := bookkeeping.AddDate(-2, 0, 0)
	billing.Exemptions = append(billing.Exemptions, connectors.Exemption{Dataset: "disputes", Basis: "legal_claims", Detail: "Open dispute", Until: &until})
	outcomes := []Outcome{
		partner(connectors.StatusCompleted),
		subsidiary("community-forum", "Example Community AS", dsrflow.ActionErase, connectors.StatusNotFound),
		billing,
		crmErase,
		subsidiary("careers-ats", "Example Careers AS", dsrflow.ActionErase, connectors.StatusFailed),
	}
	in := baseInput(dsrflow.Erasure, dsrflow.StatusCompleted)
	in.Outcomes = outcomes
	want := Compose(c, in)

	for i := range 20 {
		shuffled := slices.Clone(outcomes)
		// A different order each round, as fan-out returns them.
		for j := range shuffled {
			k := (j*7 + i) % len(shuffled)
			shuffled[j], shuffled[k] = shuffled[k], shuffled[j]
		}
		slices.Reverse(shuffled[i%len(shuffled):])
		in.Outcomes = shuffled
		if got := Compose(c, in); got != want {
			t.Fatalf("round %d: message differs\n--- got\n%s\n--- want\n%s", i, got.Text, want.Text)
		}
	}
	// Subsidiaries before partners, companies in name order; exemptions by dataset.
	order := []string{"Example Billing AS", "Example Careers AS", "Example Community AS", "Example Marketing AS", "Example Ad Partner Ltd"}
	last := -1
	for _, name := range order {
		i := strings.Index(want.Text, name+"\n")
		if i < 0 {
			i = strings.Index(want.Text, "- "+name)
		}
		if i <= last {
			t.Errorf("%s is out of order\n%s", name, want.Text)
		}
		last = i
	}
	if !strings.Contains(want.Text, "  - Disputes: kept because of possible legal claims (Open dispute), until 31 December 2028. Then we delete it.\n  - Invoices") {
		t.Errorf("exemptions not sorted by dataset\n%s", want.Text)
	}
	if !strings.Contains(want.Text, "(2 items deleted, 3 items erased, 1 item anonymised, 1 item added to the suppression list)") {
		t.Errorf("counts not in a fixed order\n%s", want.Text)
	}
}

func TestComposeCompanyWithSeveralSystems(t *testing.T) {
	c := demoController(t)
	in := baseInput(dsrflow.Erasure, dsrflow.StatusCompleted)
	in.Outcomes = []Outcome{
		subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted),
		subsidiary("marketing-newsletter", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusNotFound),
		subsidiary("marketing-webinars", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted),
	}
	got := Compose(c, in).Text
	// One company, one heading; the system that held nothing does not contradict the others.
	if want := "Example Marketing AS\n- We erased your data.\n\n"; !strings.Contains(got, want) {
		t.Errorf("text lacks %q\n%s", want, got)
	}
	if strings.Contains(got, "We found no data about you") {
		t.Errorf("a company with data is said to hold none\n%s", got)
	}
}

func with(in Input, f func(*Input)) Input {
	f(&in)
	return in
}

// A system that answered identity_conflict is neither "no data" nor "done": the subject reads that it
// is not answered yet, and why.
func TestComposeIdentityConflict(t *testing.T) {
	c := demoController(t)
	in := baseInput(dsrflow.Access, dsrflow.StatusCompleted)
	in.Outcomes = []Outcome{
		subsidiary("billing", "Example Billing AS", dsrflow.ActionAccess, connectors.StatusIdentityConflict),
		subsidiary("forum", "Example Community AS", dsrflow.ActionAccess, connectors.StatusNotFound),
	}
	got := Compose(c, in).Text
	want := "Example Billing AS\n- We have not answered from this system yet, because an identifier you gave us (such as a customer number or a phone number) could not be confirmed as yours."
	if !strings.Contains(got, want) {
		t.Errorf("text lacks %q\n%s", want, got)
	}
	if strings.Contains(got, "Example Billing AS\n- We found no data about you") || strings.Contains(got, "not finished yet") {
		t.Errorf("the conflict reads as another outcome\n%s", got)
	}
}
