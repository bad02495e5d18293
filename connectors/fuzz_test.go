package connectors_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
)

// FuzzReadCallback feeds any body, correctly signed, to the decoder of connector callbacks, the one
// entry point where a connector's bytes reach dsrflow unprompted. It must never panic; it refuses with
// EINVALID, EFORBIDDEN or EUNAUTHORIZED; what it accepts is a final result of a job of that connector.
// Seeds: testdata/fuzz/FuzzReadCallback.
func FuzzReadCallback(f *testing.F) {
	for _, body := range []string{
		`{"job_id":"dsr_a:crm:access","status":"completed","records":[{"dataset":"contacts","fields":{"email":"jane.doe@example.com"}}]}`,
		`{"job_id":"dsr_a:crm:erase","status":"exempt","exemptions":[{"dataset":"invoices","basis":"legal_obligation"}]}`,
		`{"job_id":"dsr_a:crm:erase","status":"exempt"}`,
		`{"job_id":"dsr_a:billing:access","status":"completed"}`,
		`{"job_id":"dsr_a:crm:access","status":"accepted"}`,
		`{"job_id":"::","status":"completed"}`,
		`{"job_id":"dsr_a:crm:access","status":"completed","counts":{"erased":-1}}`,
		`[]`,
		``,
	} {
		f.Add([]byte(body), int64(0))
	}
	secret := []byte(strings.Repeat("s", connectors.MinSecretBytes))
	reg, err := connectors.NewRegistry(connectors.Connector{
		ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary,
		Settings: httpkind.Settings{URL: "http://127.0.0.1:1/crm", Secret: secret}, Actions: []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase}, Identities: []string{"email"},
	})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_780_000_000, 0)
	f.Fuzz(func(t *testing.T, body []byte, skew int64) {
		// Signed at a skew of up to ±10 minutes: inside and outside the window.
		at := now.Add(time.Duration(skew%600) * time.Second)
		r := httptest.NewRequest("POST", "/connectors/v1/callbacks/crm", bytes.NewReader(body))
		connectors.SignRequest(r, secret, body, at)
		res, err := connectors.ReadCallback(r, reg, "crm", now)
		if err != nil {
			switch dsrflow.ErrorCode(err) {
			case dsrflow.EINVALID, dsrflow.EFORBIDDEN, dsrflow.EUNAUTHORIZED:
			default:
				t.Fatalf("error %v has code %s", err, dsrflow.ErrorCode(err))
			}
			return
		}
		if d := now.Sub(at); d > connectors.SignatureWindow || -d > connectors.SignatureWindow {
			t.Fatalf("accepted a callback signed %v away", d)
		}
		if _, conn, _, ok := connectors.ParseJobID(res.JobID); !ok || conn != "crm" {
			t.Fatalf("accepted job id %q", res.JobID)
		}
		if err := res.Validate(res.JobID); err != nil {
			t.Fatalf("accepted an invalid result: %v", err)
		}
		// What was accepted survives a round trip unchanged in meaning.
		data, _ := json.Marshal(res)
		var again connectors.Result
		if err := json.Unmarshal(data, &again); err != nil || again.Validate(res.JobID) != nil {
			t.Fatalf("round trip of %s: %v", data, err)
		}
	})
}
