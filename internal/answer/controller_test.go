package answer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

func TestDemoController(t *testing.T) {
	c := demoController(t)
	if c.Name != "Example Group" || c.DPO.Email == "" || c.Contact.Email == "" {
		t.Errorf("controller = %q, dpo %q, contact %q", c.Name, c.DPO.Email, c.Contact.Email)
	}
	authorities := map[string]string{
		"NO": "Datatilsynet",
		"no": "Datatilsynet",
		"SE": "Integritetsskyddsmyndigheten (IMY)",
		"DK": "Datatilsynet",
		"FI": "Tietosuojavaltuutetun toimisto (Office of the Data Protection Ombudsman)",
		"NL": "Autoriteit Persoonsgegevens",
		"DE": "Der Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)",
		"GB": "Information Commissioner's Office (ICO)",
		"US": c.FallbackAuthority.Name,
		"":   c.FallbackAuthority.Name,
	}
	for country, want := range authorities {
		if got := c.Authority(country).Name; got != want {
			t.Errorf("Authority(%q) = %q, want %q", country, got, want)
		}
	}
	if c.Authority("DK").URL != "https://www.datatilsynet.dk" || c.Authority("NO").URL != "https://www.datatilsynet.no" {
		t.Errorf("the two Datatilsynet are mixed up: %+v, %+v", c.Authority("DK"), c.Authority("NO"))
	}

	// The privacy policy's promises.
	var policy []string
	for _, r := range c.Retention {
		policy = append(policy, r.Data+": "+r.Period)
	}
	for _, r := range c.Recipients {
		policy = append(policy, r.Kind+": "+r.Name+" "+r.Condition)
	}
	joined := strings.Join(policy, "\n")
	for _, want := range []string{
		"marketing, including leads and potential customers: Deleted no later than 24 months after the last registered activity",
		"authorities: The police and other authorities Only if there is a court order",
		"group_companies: Companies in Example Group",
		"partners: Business partners, such as Example Ad Partner Ltd",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("controller.yaml lacks %q in\n%s", want, joined)
		}
	}
	if p, ok := c.purpose("email_marketing"); !ok || p.LegalBasis != "consent" {
		t.Errorf("email_marketing purpose = %+v, %v", p, ok)
	}
	if got := c.categoryName("user.contact.email"); got != "Basic personal information" {
		t.Errorf("categoryName(user.contact.email) = %q", got)
	}
	// The longest prefix wins.
	if got := c.categoryName("user.behavior.profile.interests"); got != "Interest profiles" {
		t.Errorf("categoryName(user.behavior.profile.interests) = %q", got)
	}
	if got := c.categoryName("user.behaviorx"); got != "" {
		t.Errorf("categoryName(user.behaviorx) = %q, want no match", got)
	}
	if c.RecordRetention != "3 years after the request closes" {
		t.Errorf("record retention = %q", c.RecordRetention)
	}
}

// minimal is the smallest valid controller configuration.
const minimal = `name: Example Group
contact:
  email: privacy@example.com
dpo:
  email: dpo@example.com
purposes:
  - id: marketing
    name: Marketing
    legal_basis: legitimate_interests
categories:
  - name: Basic personal information
recipients:
  - name: The police
    kind: authorities
    condition: Only with a court order.
retention:
  - data: Leads
    period: 24 months after the last activity.
rights:
  - {type: access, name: Access, text: You can ask for a copy.}
  - {type: portability, name: Portability, text: You can take it elsewhere.}
  - {type: rectification, name: Rectification, text: You can have it corrected.}
  - {type: erasure, name: Erasure, text: You can have it erased.}
  - {type: restriction, name: Restriction, text: You can have it restricted.}
  - {type: objection, name: Objection, text: You can object.}
  - {type: marketing_optout, name: Opt out, text: You can opt out.}
  - {type: consent_withdrawal, name: Withdraw consent, text: You can withdraw it.}
supervisory_authorities:
  - country: no
    name: Datatilsynet
    url: https://www.datatilsynet.no
fallback_authority:
  name: your local authority
  url: https://www.edpb.europa.eu
sources:
  - From you.
automated_decisions:
  decisions: None.
`

func TestParseControllerMinimal(t *testing.T) {
	c, err := ParseController([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.RecordRetention != DefaultRecordRetention {
		t.Errorf("record retention = %q, want the default", c.RecordRetention)
	}
	if c.Authority("NO").Name != "Datatilsynet" {
		t.Errorf("country codes are not normalised: %+v", c.Authorities)
	}
}

func TestParseControllerErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // parts of the error, the line first
	}{
		{"empty", "", []string{"empty"}},
		{"unknown field", strings.Replace(minimal, "dpo:\n", "dop:\n", 1), []string{"line 4: field dop not found"}},
		{"unknown nested field", strings.Replace(minimal, "    legal_basis: legitimate_interests\n", "    legal_basis: legitimate_interests\n    lawful: yes\n", 1), []string{"line 10: field lawful not found"}},
		{"duplicate key", strings.Replace(minimal, "name: Example Group\n", "name: Example Group\nname: Other\n", 1), []string{`line 2: mapping key "name" already defined at line 1`}},
		{"wrong type", strings.Replace(minimal, "sources:\n  - From you.\n", "sources: {from: you}\n", 1), []string{"line 35: cannot unmarshal !!map into []string"}},
		{"syntax", minimal + "  bad: [\n", []string{"line"}},
		{"two documents", minimal + "---\nname: Other\n", []string{"line 39: only one YAML document"}},
		{"unknown legal basis", strings.Replace(minimal, "legal_basis: legitimate_interests", "legal_basis: because", 1), []string{`line 9: purposes[0].legal_basis "because" is not one of consent, contract`}},
		{"bad purpose id", strings.Replace(minimal, "id: marketing", "id: Marketing Emails", 1), []string{`line 7: purposes[0].id "Marketing Emails"`}},
		{"authorities without a court order", strings.Replace(minimal, "    condition: Only with a court order.\n", "", 1), []string{"line 13: recipients[0].condition must say when authorities receive data"}},
		{"missing right", strings.Replace(minimal, "  - {type: objection, name: Objection, text: You can object.}\n", "", 1), []string{`line 19: rights must describe "objection"`}},
		{"unknown right", strings.Replace(minimal, "type: objection", "type: complaint", 1), []string{`line 25: rights[5].type "complaint" is not a request type`, `rights must describe "objection"`}},
		{"bad country", strings.Replace(minimal, "country: no", "country: Norway", 1), []string{`line 29: supervisory_authorities[0].country "Norway" is not a two-letter country code`}},
		{"authority url", strings.Replace(minimal, "url: https://www.datatilsynet.no", "url: datatilsynet.no", 1), []string{`line 31: supervisory_authorities[0].url "datatilsynet.no" is not an http(s) URL`}},
		{"no fallback", strings.Replace(minimal, "fallback_authority:\n  name: your local authority\n  url: https://www.edpb.europa.eu\n", "", 1), []string{"line 1: fallback_authority.name is required", "line 1: fallback_authority.url is required"}},
		{"bad dpo email", strings.Replace(minimal, "email: dpo@example.com", "email: dpo", 1), []string{`line 5: dpo.email "dpo" is not an email address`}},
		{"category purpose unknown", strings.Replace(minimal, "  - name: Basic personal information\n", "  - name: Basic personal information\n    purposes: [marketing, spying]\n", 1), []string{`categories[0].purposes[1] "spying" is not the id of one of purposes`}},
		{"category recipient unknown", strings.Replace(minimal, "  - name: Basic personal information\n", "  - name: Basic personal information\n    recipients: [The police, The press]\n", 1), []string{`categories[0].recipients[1] "The press" is not the name of one of recipients`}},
		{"no purposes", strings.Replace(minimal, "purposes:\n  - id: marketing\n    name: Marketing\n    legal_basis: legitimate_interests\n", "purposes: []\n", 1), []string{"line 6: purposes must list at least one entry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseController([]byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if dsrflow.ErrorCode(err) != dsrflow.EINVALID {
				t.Errorf("code = %q, want invalid", dsrflow.ErrorCode(err))
			}
			msg := dsrflow.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "answer.") {
				t.Errorf("error shows Go type names: %q", msg)
			}
		})
	}
}

func TestLoadControllerNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "controller.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(minimal, "legal_basis: legitimate_interests", "legal_basis: because", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadController(path)
	if msg := dsrflow.ErrorMessage(err); !strings.HasPrefix(msg, path+": controller config: line 9:") {
		t.Errorf("error = %q", msg)
	}
	if _, err := LoadController(filepath.Join(t.TempDir(), "missing.yaml")); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("missing file: %v", err)
	}
}
