package workflows_test

import (
	"slices"
	"testing"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestRetentionMarketingRuleTakesTheWholeContact: the purge job under the marketing rule asks for the
// whole marketing contact (Job.Contact), a rule of another category does not; the contacts the
// connector took whole and those another purpose holds are audited with the purpose, and summed up.
func TestRetentionMarketingRuleTakesTheWholeContact(t *testing.T) {
	webinars := activities.ConnectorRef{ID: "webinars", Owner: "Events", Role: connectors.RoleSubsidiary}
	h := newSweepHarness(t, target(crm, leads24), target(webinars, logs730))
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		out := purged(job, connectors.StatusCompleted, 3)
		out.Counts["contacts_purged"], out.Counts["contacts_kept"] = 1, 2
		out.Exemptions = []connectors.Exemption{
			{Dataset: "contacts", Basis: "contract", Detail: "the contact is also a customer's"},
			{Dataset: "contacts", Basis: "contract", Detail: "the contact is also a customer's"},
		}
		return out, nil
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	for _, job := range h.runs {
		if want := job.Connector == "crm"; job.Contact != want {
			t.Errorf("%s purge job: contact %v, want %v", job.Connector, job.Contact, want)
		}
	}
	e := h.auditsOf("retention_purged")["crm"]
	if e.Detail["purged"] != "3" || e.Detail["contacts_purged"] != "1" || e.Detail["contacts_kept"] != "2" ||
		e.Detail["kept_for"] != "contract: the contact is also a customer's" {
		t.Errorf("crm's audit %+v", e.Detail)
	}
	if _, ok := h.auditsOf("retention_purged")["webinars"].Detail["contacts_purged"]; ok {
		t.Error("the 730-day log rule reported contacts")
	}
	var summary workflows.RetentionSummary
	if err := h.env.GetWorkflowResult(&summary); err != nil {
		t.Fatal(err)
	}
	c := summary.Connectors[0]
	if c.Connector != "crm" || c.ContactsPurged != 1 || c.ContactsKept != 2 || !slices.Equal(c.KeptFor, []string{"contract: the contact is also a customer's"}) {
		t.Errorf("crm's outcome %+v", c)
	}
}
