package answer

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
)

// TestEveryRightHasItsTexts: a right added to dsrflow.Rights without its names or its answer paragraph
// fails here, instead of reaching subjects as "your request" and an answer that does not say what was
// done (issue 19).
func TestEveryRightHasItsTexts(t *testing.T) {
	c, err := ParseController(dsrflow.DemoController)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for _, r := range dsrflow.Rights {
		if requestName[r.Type] == "" || requestShort[r.Type] == "" {
			t.Errorf("%s: no name in requestName or requestShort", r.Type)
		}
		in := Input{RequestID: "dsr_x", Type: r.Type, Country: "NO", Received: at, Due: at.AddDate(0, 1, 0), Closed: at,
			Status: dsrflow.StatusCompleted, Corrections: map[string]string{"user.name": "x"}, Purposes: []string{"newsletter"}}
		if !rightParagraph(&textWriter{}, c, in) {
			t.Errorf("%s: the answer has no paragraph for it (rightParagraph)", r.Type)
		}
		if msg := Compose(c, in); strings.Contains(msg.Text, "We have handled your") {
			t.Errorf("%s: the answer falls back to the generic sentence", r.Type)
		}
		if r.Export {
			var b strings.Builder
			if err := BuildExport(c, in, &b); err != nil {
				t.Errorf("%s: has an export, BuildExport: %v", r.Type, err)
			}
		}
	}
}
