package connectors

import (
	"reflect"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
)

func bindingJob(verified []string) Job {
	return Job{Protocol: ProtocolVersion, ID: "r:crm:access", RequestID: "r", Connector: "crm", Action: dsrflow.ActionAccess,
		Identities: dsrflow.Identity{Email: "a@example.com", Phone: "+47 1", CustomerIDs: map[string]string{"billing": "B-1"}},
		Verified:   verified, Deadline: time.Now()}
}

func TestSplitKeepsUnverifiedIdentitiesApart(t *testing.T) {
	v, x := bindingJob([]string{dsrflow.IdentityEmail}).Split()
	if !reflect.DeepEqual(v, dsrflow.Identity{Email: "a@example.com"}) {
		t.Errorf("verified = %+v", v)
	}
	if !reflect.DeepEqual(x, dsrflow.Identity{Phone: "+47 1", CustomerIDs: map[string]string{"billing": "B-1"}}) {
		t.Errorf("extra = %+v", x)
	}
	// A job without a verified list (an older dsrflow) trusts every identity.
	j := bindingJob(nil)
	if v, x := j.Split(); !reflect.DeepEqual(v, j.Identities) || len(x.Types()) != 0 {
		t.Errorf("older job split into %+v and %+v", v, x)
	}
}

func TestValidateChecksVerified(t *testing.T) {
	if err := bindingJob([]string{"email", "customer_id:billing"}).Validate(); err != nil {
		t.Errorf("valid verified list refused: %v", err)
	}
	for name, verified := range map[string][]string{
		"empty":             {},
		"type not given":    {"name"},
		"other system's id": {"customer_id:crm"},
	} {
		if err := bindingJob(verified).Validate(); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	res := Result{JobID: "r:crm:access", Status: StatusIdentityConflict, Records: []Record{{Dataset: "x", Fields: map[string]string{"a": "b"}}}}
	if err := res.Validate("r:crm:access"); err == nil {
		t.Error("an identity_conflict result with records was accepted")
	}
	res.Records = nil
	if err := res.Validate("r:crm:access"); err != nil {
		t.Errorf("identity_conflict without records refused: %v", err)
	}
}
