package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The privacy center and the console offer the controller's declared purposes as checkboxes, and the
// boxes checked reach the service as the request's purposes; the service's refusal of a purpose is a
// 400 with its message on the form.
func TestPurposesAreChoices(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	ss.Purposes = []service.Purpose{{ID: "email_marketing", Name: "Marketing by email", LegalBasis: "consent"}, {ID: "profiling", Name: "Profiling", LegalBasis: "consent"},
		{ID: "bookkeeping", Name: "Bookkeeping", LegalBasis: "legal_obligation"}}
	var got []string
	svc.CreateRequestFn = func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		got = in.Purposes
		if len(in.Purposes) == 0 {
			return dsrflow.CreatedRequest{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request", Fields: map[string]string{"purposes": "a consent withdrawal needs at least one purpose"}}
		}
		return dsrflow.CreatedRequest{ID: "dsr_new"}, nil
	}
	svc.StartRequestFn = func(context.Context, string) {}

	resp := ss.do("GET", "/privacy/request?type=consent_withdrawal", "", nil)
	page, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`type="checkbox" name="purposes" value="email_marketing"`, "Marketing by email", `value="profiling"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("privacy center's form lacks %q", want)
		}
	}
	if strings.Contains(string(page), `value="bookkeeping"`) {
		t.Error("the privacy center offers a purpose not based on consent as a consent to withdraw")
	}
	resp = ss.do("POST", "/privacy/request", "", url.Values{"type": {"consent_withdrawal"}, "email": {"jane@example.com"}, "purposes": {"email_marketing", "profiling"}})
	if resp.StatusCode != http.StatusOK || !reflect.DeepEqual(got, []string{"email_marketing", "profiling"}) {
		t.Errorf("submit: %d, service got purposes %v", resp.StatusCode, got)
	}
	resp = ss.do("POST", "/privacy/request", "", url.Values{"type": {"consent_withdrawal"}, "email": {"jane@example.com"}})
	page, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), "Choose at least one of the consents listed.") {
		t.Errorf("no purpose: %d", resp.StatusCode)
	}

	cookie := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	resp = ss.do("GET", "/console/requests/new?type=consent_withdrawal", cookie, nil)
	page, _ = io.ReadAll(resp.Body)
	if !strings.Contains(string(page), `type="checkbox" name="purposes" value="email_marketing"`) || !strings.Contains(string(page), `value="bookkeeping"`) {
		t.Error("console's new request form does not offer every declared purpose")
	}
}
