package rest_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/connectors"
)

// Every mistake in a rest connector stops the worker with the file's line, the connector, the dataset
// and the key.
func TestBadConfigurationIsRefusedNamingTheKey(t *testing.T) {
	base := crmYAML("https://crm.example.com", eraseByDelete)
	cases := []struct {
		name, from, to string
		want           []string
	}{
		{"unknown identity", `query: {email: "{{email}}"}`, `query: {email: "{{customer_id:erp}}"}`,
			[]string{"connector crm: dataset contacts: read: {{customer_id:erp}} is not among the connector's identities"}},
		{"unclosed reference", `query: {email: "{{email}}"}`, `query: {email: "{{email"}`,
			[]string{"dataset contacts: read: query.email: {{ is not closed"}},
		{"path with a query", "path: /v1/contacts\n", "path: /v1/contacts?all=1\n",
			[]string{"dataset contacts: read: path: path must start with / and hold no query"}},
		{"unknown record field", "path: /v1/contacts/{{record.id}}\n          body: {marketing", "path: /v1/contacts/{{record.uuid}}\n          body: {marketing",
			[]string{"dataset contacts: optout: {{record.uuid}}: uuid is not the dataset's id, one of its fields or keys"}},
		{"correction of a category not held", "{{correction.user.name}}", "{{correction.user.financial}}",
			[]string{"dataset contacts: rectify: {{correction.user.financial}}: user.financial is not a category of the dataset's fields"}},
		{"record field in a read", `query: {email: "{{email}}"}`, `query: {email: "{{record.id}}"}`,
			[]string{"a read finds records by identities"}},
		{"category not the connector's", "name: user.name, phone", "name: user.financial, phone",
			[]string{"dataset contacts: field name: category user.financial is not among the connector's categories"}},
		{"unknown key", "records: data.items\n        pagination", "records: data.items\n        recods: x\n        pagination",
			[]string{`datasets.0: unknown field "recods"`}},
		{"erase missing", "        erase: {mode: delete, path: \"/v1/contacts/{{record.id}}\"}\n", "",
			[]string{"dataset contacts: erase: is required, since the connector supports erase"}},
		{"bad pagination", "pagination: {type: cursor, param: cursor, next: next}", "pagination: {type: cursor, param: cursor}",
			[]string{"dataset contacts: pagination: next is required for type cursor"}},
		{"unsupported action", "actions: [access, erase, rectify, optout]", "actions: [access, erase, rectify, optout, object]",
			[]string{"kind rest does not support action object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			yaml := strings.Replace(base, c.from, c.to, 1)
			if yaml == base {
				t.Fatalf("%q is not in the configuration", c.from)
			}
			_, err := connectors.Parse([]byte(yaml), func(k string) string { return crmEnv[k] })
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "connectors.yaml:") || !strings.Contains(err.Error(), "connector crm:") {
				t.Errorf("error %q does not name the line and the connector", err)
			}
		})
	}
}

func TestMissingSecretVariableIsRefused(t *testing.T) {
	_, err := connectors.Parse([]byte(crmYAML("https://crm.example.com", eraseByDelete)), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:10: connector crm: auth: token_env: variable CRM_TOKEN is not set") {
		t.Errorf("got %v", err)
	}
}

func TestCategoriesDefaultToTheFields(t *testing.T) {
	yaml := strings.Replace(crmYAML("https://crm.example.com", eraseByDelete), "    categories: [user.contact.email, user.contact.phone, user.name]\n", "", 1)
	reg, err := connectors.Parse([]byte(yaml), func(k string) string { return crmEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("crm")
	if strings.Join(c.Categories, ",") != "user.contact.email,user.contact.phone,user.name" {
		t.Errorf("categories %v", c.Categories)
	}
}
