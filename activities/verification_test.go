package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The code mail opens with what the person asked for: an erasure's code mail must not say "You asked us
// about the personal data we hold about you" (issue 17). Every right that asks for a code is checked.
func TestEveryCodeMailSaysWhatWasAsked(t *testing.T) {
	says := map[dsrflow.RequestType]string{
		dsrflow.Access: "asked to see", dsrflow.Portability: "machine-readable", dsrflow.Rectification: "asked us to correct",
		dsrflow.Erasure: "asked us to erase", dsrflow.Restriction: "asked us to restrict", dsrflow.Objection: "objected to",
	}
	key, err := secret.Parse(strings.Repeat("cd", 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, right := range dsrflow.Rights {
		if right.Verification != dsrflow.VerifyEmailCode {
			continue
		}
		t.Run(string(right.Type), func(t *testing.T) {
			id := "dsr_" + string(right.Type)
			st := storeWithRequest(t, id, string(right.Type))
			a := &activities.Verification{Store: st, Key: key}
			if err := a.IssueCode(context.Background(), activities.IssueCodeInput{RequestID: id, To: "jane.doe@example.com", Kind: "code", Seq: 1}); err != nil {
				t.Fatal(err)
			}
			msgs, err := st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("outbox: %d messages, %v", len(msgs), err)
			}
			want, ok := says[right.Type]
			if !ok {
				t.Fatalf("a %s request asks for a code: add what its code mail says to this test and to code.intro.* in internal/answer/texts", right.Type)
			}
			first, _, _ := strings.Cut(msgs[0].Body, "\n")
			if !strings.Contains(first, want) || strings.Contains(first, "made a request") {
				t.Errorf("the %s code mail opens %q, want it to say %q", right.Type, first, want)
			}
		})
	}
}

// TestExtensionNoticeIsInTheSubjectsLanguage: the notice of an extended deadline is written by the
// activity in the language the workflow names, not in the English the workflow carries.
func TestExtensionNoticeIsInTheSubjectsLanguage(t *testing.T) {
	st := storeWithRequest(t, "dsr_ext", "access")
	a := &activities.Verification{Store: st}
	due := time.Date(2026, 6, 3, 23, 59, 59, 0, time.FixedZone("CEST", 2*3600))
	m := activities.Mail{ID: "dsr_ext:extension", RequestID: "dsr_ext", Kind: "extension", To: "jane.doe@example.com",
		Subject: "Your request dsr_ext: we need more time", Text: "We need more time",
		Extension: &act.Extension{Language: "sv", Due: due, Reason: "Begäran rör många system."}}
	if err := a.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: "dsr_ext"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(msgs), err)
	}
	if msgs[0].Subject != "Din begäran dsr_ext: vi behöver mer tid" || !strings.Contains(msgs[0].Body, "Vi svarar senast den 3 juni 2026.") || !strings.Contains(msgs[0].Body, "Skäl: Begäran rör många system.") {
		t.Errorf("the Swedish extension notice: %q\n%s", msgs[0].Subject, msgs[0].Body)
	}
}

// TestDisclosureNoticeIsInTheDisclosuresLanguage: a subject's notice of a disclosure to an authority is
// written by the activity in the language the disclosure names, with the order's date as that
// language writes it, not in the English the workflow carries.
func TestDisclosureNoticeIsInTheDisclosuresLanguage(t *testing.T) {
	st := storeWithRequest(t, "dsr_disc", "access")
	a := &activities.Verification{Store: st}
	m := activities.Mail{ID: "dsr_disc:notice:1", RequestID: "dsr_disc", Kind: "disclosure_notice", To: "jane.doe@example.com",
		Subject: "We disclosed personal data about you to an authority", Text: "Under a court order",
		Disclosure: &act.DisclosureNotice{Language: "fi", Kind: dsrflow.KindPolice, Authority: "Helsingin poliisilaitos", CaseRef: "5500/R/17/26",
			CourtOrder: "R 26/1042", Court: "Helsingin käräjäoikeus", OrderDate: "2026-02-27", Categories: []string{"user.contact.email"}}}
	if err := a.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: "dsr_disc"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(msgs), err)
	}
	want := "Olemme tuomioistuimen päätöksen (R 26/1042, Helsingin käräjäoikeus, 27. helmikuuta 2026) perusteella luovuttaneet sinua koskevia henkilötietoja viranomaiselle Helsingin poliisilaitos (asianumero 5500/R/17/26)."
	if msgs[0].Subject != "Olemme luovuttaneet sinua koskevia henkilötietoja viranomaiselle" || !strings.Contains(msgs[0].Body, want) ||
		!strings.Contains(msgs[0].Body, "Luovutetut tietotyypit: user.contact.email.") || strings.Contains(msgs[0].Body, "court order") {
		t.Errorf("the Finnish disclosure notice: %q\n%s", msgs[0].Subject, msgs[0].Body)
	}
}
