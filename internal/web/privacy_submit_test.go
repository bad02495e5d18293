package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The privacy center tells a person "a link is on its way" both for a new request and for an address
// with an open one. For the open one the link's mail is in the outbox when the page is answered (a
// crash after the answer cannot lose it), and both answers take at least the floor, whatever the
// address's state (issue 14, finding 5).
func TestPrivacySubmitOpenRequestMailsTheLinkBeforeAnswering(t *testing.T) {
	ss := newSessionServer(t)
	ss.SubmitFloor = 150 * time.Millisecond
	started := make(chan string, 1)
	ss.Service = &fake.RequestService{
		CreateRequestFn: func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
			if in.Email == "open@example.com" {
				return dsrflow.CreatedRequest{}, store.OpenConflict("access", "dsr_open")
			}
			return dsrflow.CreatedRequest{ID: "dsr_new", Type: "access"}, nil
		},
		StartRequestFn: func(_ context.Context, id string) { started <- id },
	}
	ss.PublicURL = "https://privacy.example.com"
	submit := func(email string) (int, time.Duration) {
		began := time.Now()
		resp := ss.do("POST", "/privacy/request", "", url.Values{"type": {"access"}, "email": {email}})
		return resp.StatusCode, time.Since(began)
	}

	code, took := submit("open@example.com")
	if code != http.StatusOK || took < ss.SubmitFloor {
		t.Fatalf("open request: %d after %v, want 200 after at least %v", code, took, ss.SubmitFloor)
	}
	msgs, err := ss.st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: "dsr_open"})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Kind != "status_link" || msgs[0].To != "open@example.com" ||
		!strings.Contains(msgs[0].Body, "https://privacy.example.com/privacy/requests/dsr_open?t="+ss.Key.StatusToken("dsr_open")) {
		t.Fatalf("outbox when the open request's answer went out: %+v", msgs)
	}

	code, took = submit("new@example.com")
	if code != http.StatusOK || took < ss.SubmitFloor {
		t.Fatalf("new request: %d after %v, want 200 after at least %v", code, took, ss.SubmitFloor)
	}
	select {
	case id := <-started:
		if id != "dsr_new" {
			t.Errorf("started %s, want dsr_new", id)
		}
	case <-time.After(5 * time.Second):
		t.Error("the new request was not started after the answer")
	}
	if msgs, _ := ss.st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: "dsr_new"}); len(msgs) != 0 {
		t.Errorf("a new request's answer queued %d link mails; its code mail comes from the workflow", len(msgs))
	}
}
