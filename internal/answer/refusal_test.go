package answer

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// A refused request's answer names the ground with its article, the reviewer's reasons, the supervisory
// authority of the subject's country and the judicial remedy (Art. 12(4)); what was done before the
// refusal is listed as such, and nothing says it was done.
func TestComposeRefusal(t *testing.T) {
	c := demoController(t)
	cases := []struct {
		ground dsrflow.RefusalGround
		want   string
	}{
		{dsrflow.RefusalManifestlyUnfounded, "We consider your request manifestly unfounded, so we do not act on it (GDPR Article 12(5))."},
		{dsrflow.RefusalManifestlyExcessive, "We consider your request manifestly excessive"},
		{dsrflow.RefusalIdentityNotConfirmed, "could not confirm that you are the person the request is about"},
		{dsrflow.RefusalOther, "We have decided not to act on your request."},
	}
	for _, tc := range cases {
		t.Run(string(tc.ground), func(t *testing.T) {
			in := with(baseInput(dsrflow.Erasure, dsrflow.StatusRejected), func(in *Input) {
				in.Country = "DK"
				in.Ground = string(tc.ground)
				in.Reason = "you sent the same request four times this week"
				in.Outcomes = []Outcome{{ConnectorID: "crm", Owner: "Example Sales AS", Role: connectors.RoleSubsidiary, Action: dsrflow.ActionErase, Status: connectors.StatusCompleted}}
			})
			msg := Compose(c, in)
			for _, want := range []string{
				"We have decided not to carry out your request to erase your personal data.",
				tc.want,
				"Our reasons: You sent the same request four times this week.",
				"you have the right to complain to the supervisory authority, Datatilsynet: https://www.datatilsynet.dk",
				"You also have the right to an effective judicial remedy: you can take the matter to the courts",
				"What we had done before we closed the request",
			} {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("answer lacks %q:\n%s", want, msg.Text)
				}
			}
			for _, not := range []string{"What we found and did", "We have finished", "before the deadline"} {
				if strings.Contains(msg.Text, not) {
					t.Errorf("answer says %q:\n%s", not, msg.Text)
				}
			}
		})
	}
}
