package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestAnswersAreTrueEndToEnd is issue 15's proof on the demo group, through `starter` and the dev stack,
// asserting on the mail the subject gets:
//   - an erasure for nobody@example.com (held nowhere) sends her address to no partner, and her answer
//     names no partner;
//   - an erasure for John, whom the demo CRM holds, tells the ad partner the CRM shares with, and names it;
//   - Jane's rectification of her name, a postal address and an invoice says the name was corrected and
//     why the other two were not, with the supervisory authority and the court.
func TestAnswersAreTrueEndToEnd(t *testing.T) {
	s, _ := startDevStack(t, devstack.Options{})
	ctx := context.Background()
	tok, id := web.NewToken()
	if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: "agent-1", Role: "agent", Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": tok}

	start := func(args ...string) string {
		t.Helper()
		args = append(args, "--country", "NO", "--attest", "passport seen at the counter", "--json")
		code, out, errOut := runStarter(t, env, append([]string{"request"}, args...)...)
		var created dsrflow.CreatedRequest
		if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
			t.Fatalf("starter request %v: exit %d, %q %q", args, code, out, errOut)
		}
		return created.ID
	}
	// answered waits for the request to complete and returns its jobs (connector/action: status) and
	// the answer mailed to the subject.
	answered := func(id, email string) (map[string]string, string) {
		t.Helper()
		var v dsrflow.RequestView
		deadline := time.Now().Add(90 * time.Second)
		for {
			code, out, errOut := runStarter(t, env, "show", id, "--json")
			if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
				t.Fatalf("starter show: exit %d, %q %q", code, out, errOut)
			}
			if v.Status == string(dsrflow.StatusCompleted) || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if v.Status != string(dsrflow.StatusCompleted) {
			t.Fatalf("request %s is %s, want completed", id, v.Status)
		}
		jobs := map[string]string{}
		for _, j := range v.Jobs {
			jobs[j.Connector+"/"+j.Action] = j.Status
		}
		msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind == "answer" && m.To == email {
				return jobs, m.Body
			}
		}
		t.Fatalf("no answer mailed to the subject of %s", id)
		return nil, ""
	}
	contains := func(what, text string, want, notWant []string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q:\n%s", what, s, text)
			}
		}
		for _, s := range notWant {
			if strings.Contains(text, s) {
				t.Errorf("%s says %q:\n%s", what, s, text)
			}
		}
	}

	const (
		nobody = "nobody@example.com"
		john   = "john.roe@example.com"
		jane   = "jane.doe@example.com"
	)
	nobodyID := start("erasure", "--email", nobody)
	johnID := start("erasure", "--email", john)
	janeID := start("rectification", "--email", jane,
		"--correct", "user.name=Jane Smith", "--correct", "user.contact.postal_address=Storgata 1, 0155 Oslo",
		"--correct", "user.financial.invoice=INV-1001 is 1000.00")

	jobs, mail := answered(nobodyID, nobody)
	if _, told := jobs["adpartner/notify"]; told || jobs["crm/erase"] != "not_found" {
		t.Errorf("nobody's erasure jobs = %v: want crm not_found and no notify job to adpartner", jobs)
	}
	contains("nobody's answer", mail, []string{"Example Marketing AS\n- We found no data about you."},
		[]string{"Partners who received your data", "Example Ad Partner Ltd", "We shared your data", "What we could not do"})

	jobs, mail = answered(johnID, john)
	if jobs["crm/erase"] != "completed" || jobs["adpartner/notify"] != "completed" {
		t.Errorf("John's erasure jobs = %v: want crm completed and adpartner told", jobs)
	}
	contains("John's answer", mail, []string{
		"Partners who received your data\n\nThese partners received your data from us. We told them about your request, as the law requires.",
		"- Example Ad Partner Ltd: we told them about your request.",
	}, nil)

	jobs, mail = answered(janeID, jane)
	if jobs["crm/rectify"] != "completed" || jobs["adpartner/notify"] != "completed" {
		t.Errorf("Jane's rectification jobs = %v: want crm completed and adpartner told", jobs)
	}
	contains("Jane's answer", mail, []string{
		"You asked us to correct your invoice, name and postal address.",
		"We corrected your name. We did not correct your postal address and invoice: below we say why.",
		"Example Marketing AS\n- We corrected your name.",
		"What we could not do",
		"- Your postal address: none of the systems we asked holds it, so there was nothing to change.",
		"- Your invoice: none of the systems we asked holds it, so there was nothing to change. Example Billing AS may hold such data in a system that cannot correct it.",
		"If you disagree with any of this, you can complain to Datatilsynet: https://www.datatilsynet.no You can also take the matter to court.",
	}, []string{"We corrected your data", "Jane Smith", "Storgata", "INV-1001"})
}
