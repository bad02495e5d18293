package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// The refusal route passes ground, reason and the Idempotency-Key to the service as the reviewer or DPO
// who calls it; agents are refused before the service is called; the service's refusals keep their
// statuses: 400 naming the field, 409 after the answer.
func TestRefusalRoute(t *testing.T) {
	f := newAPI(t)
	var got dsrflow.Refusal
	var as []string
	f.svc.RefuseRequestFn = func(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error) {
		as = append(as, caller(t, ctx).ID)
		got = r
		switch {
		case id == "dsr_answered":
			return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request is completed: it was answered and closed, so it can no longer be refused")
		case r.Ground == "bored":
			return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid refusal: ground must be one of ...", Fields: map[string]string{"ground": "must be one of ..."}}
		}
		return dsrflow.RequestState{ID: id, Status: "rejected"}, nil
	}

	status, body, raw := f.call("dpo", "POST", "/api/v1/requests/dsr_1/refusal", `{"ground":"manifestly_excessive","reason":"the fifth this month"}`, "Idempotency-Key", "k-1")
	if status != http.StatusOK || body["status"] != "rejected" {
		t.Fatalf("refusal: %d %s", status, raw)
	}
	if got != (dsrflow.Refusal{Ground: "manifestly_excessive", Reason: "the fifth this month", Key: "k-1"}) || as[0] != dpo.ID {
		t.Errorf("service got %+v as %v", got, as)
	}
	if status, _, _ := f.call("reviewer", "POST", "/api/v1/requests/dsr_1/refusal", `{"ground":"other","reason":"r"}`); status != http.StatusOK {
		t.Errorf("reviewer's refusal: %d", status)
	}
	calls := len(as)
	if status, _, _ := f.call("agent", "POST", "/api/v1/requests/dsr_1/refusal", `{"ground":"other","reason":"r"}`); status != http.StatusForbidden || len(as) != calls {
		t.Errorf("agent's refusal: %d, service called %d times", status, len(as)-calls)
	}
	if status, _, raw := f.call("dpo", "POST", "/api/v1/requests/dsr_1/refusal", `{"ground":"bored","reason":"r"}`); status != http.StatusBadRequest || !strings.Contains(raw, `"ground"`) {
		t.Errorf("bad ground: %d %s, want 400 naming ground", status, raw)
	}
	if status, _, raw := f.call("dpo", "POST", "/api/v1/requests/dsr_answered/refusal", `{"ground":"other","reason":"r"}`); status != http.StatusConflict || !strings.Contains(raw, "can no longer be refused") {
		t.Errorf("refusal after the answer: %d %s, want 409", status, raw)
	}
}
