package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
)

// handleRefusal refuses a request: {"ground": ..., "reason": ...}. An Idempotency-Key header makes a
// retried refusal count once.
func (s *server) handleRefusal() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.Refusal
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		body.Key = r.Header.Get("Idempotency-Key")
		st, err := s.svc().RefuseRequest(r.Context(), r.PathValue("id"), body)
		s.answerState(w, r, st, err)
	})
}

// handleLift lifts a fulfilled restriction: {"reason": ...}; 202 when the lift starts, 200 when it had
// started before (the subject is told first, GDPR Art. 18(3)).
func (s *server) handleLift() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.RestrictionLift
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().LiftRestriction(r.Context(), r.PathValue("id"), body)
		switch {
		case err != nil:
			s.fail(w, r, err)
		case out.Already:
			writeJSON(w, http.StatusOK, out)
		default:
			writeJSON(w, http.StatusAccepted, out)
		}
	})
}

// purposeChoice is one declared purpose as a form's checkbox.
type purposeChoice struct {
	ID, Name string
	Checked  bool
}

// purposeChoices are the controller's declared purposes as a form offers them, those chosen checked.
// consentOnly (the privacy center, which asks "which consents do you withdraw?") offers the purposes
// based on consent, when the controller declares any, and those chosen.
func (s *server) purposeChoices(chosen []string, consentOnly bool) []purposeChoice {
	declared := s.Purposes
	if len(declared) == 0 {
		declared = service.DemoPurposes()
	}
	if consentOnly && slices.ContainsFunc(declared, func(p service.Purpose) bool { return p.LegalBasis == "consent" }) {
		declared = slices.DeleteFunc(slices.Clone(declared), func(p service.Purpose) bool {
			return p.LegalBasis != "consent" && !slices.Contains(chosen, p.ID)
		})
	}
	out := make([]purposeChoice, len(declared))
	for i, p := range declared {
		out[i] = purposeChoice{ID: p.ID, Name: p.Name, Checked: slices.Contains(chosen, p.ID)}
	}
	return out
}

// formPurposes reads a form's purposes: one value per checked box (each may also be a comma-separated
// list, as the form's text field took them before).
func formPurposes(r *http.Request) string {
	_ = r.ParseForm()
	return strings.Join(r.PostForm["purposes"], ",")
}

// refusalGrounds are the grounds the console's refusal form offers.
func refusalGrounds() []string {
	out := make([]string, len(dsrflow.RefusalGrounds))
	for i, g := range dsrflow.RefusalGrounds {
		out[i] = string(g)
	}
	return out
}

// refusalChart is the dashboard's chart of refusals by ground.
func refusalChart(counts []dsrflow.RefusalCount) chart {
	c := newChart("refusals", "Refusals by ground", "Requests a reviewer or the DPO refused (GDPR Art. 12(5), 11(2)), by ground.")
	max := 0
	for _, rc := range counts {
		max = maxInt(max, rc.Count)
	}
	for _, rc := range counts {
		c.add(rc.Ground, float64(rc.Count), float64(max), fmt.Sprint(rc.Count), "#9a6700")
	}
	return c
}
