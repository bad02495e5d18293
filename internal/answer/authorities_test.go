package answer

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestAuthorityOfTheResidence is the case: a French resident whose request the Norwegian entity
// handles is told about the CNIL, with its address, in the answer and in the export's summary; the
// Norwegian authority is not named.
func TestAuthorityOfTheResidence(t *testing.T) {
	c := demoController(t)
	in := baseInput(dsrflow.Access, dsrflow.StatusCompleted)
	in.Residence = "FR"
	in.Outcomes = []Outcome{subsidiary("crm", "Example Group AS", dsrflow.ActionAccess, connectors.StatusCompleted)}
	msg := Compose(c, in)
	for _, want := range []string{
		"you can complain to Commission nationale de l'informatique et des libertés (CNIL): https://www.cnil.fr",
		"The postal address of Commission nationale de l'informatique et des libertés (CNIL) is 3 Place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, France.",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("answer lacks %q:\n%s", want, msg.Text)
		}
	}
	if strings.Contains(msg.Text, "datatilsynet") {
		t.Errorf("a French resident is told about Datatilsynet:\n%s", msg.Text)
	}

	// Without a residence (a request from before it was recorded), the country of the request decides.
	in.Residence = ""
	if msg := Compose(c, in); !strings.Contains(msg.Text, "Datatilsynet: https://www.datatilsynet.no") {
		t.Errorf("no residence: answer does not name the Norwegian authority:\n%s", msg.Text)
	}
}

// TestEveryEEAAuthority: the table has every EEA state, the UK and Switzerland, each with a name, an
// https URL and a postal address that ends with the country's name.
func TestEveryEEAAuthority(t *testing.T) {
	eea := []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
		"IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "GB", "CH"}
	if got := len(AuthorityCountries()); got != len(eea) {
		t.Errorf("%d authorities, want %d: %v", got, len(eea), AuthorityCountries())
	}
	var empty Controller
	for _, code := range eea {
		a := empty.Authority(code)
		if a.Country != code || a.Name == "" || a.Address == "" {
			t.Errorf("%s: %+v", code, a)
			continue
		}
		if u, err := url.Parse(a.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			t.Errorf("%s: URL %q is not an https URL", code, a.URL)
		}
		if lines := strings.Split(a.Address, "\n"); len(lines) < 3 {
			t.Errorf("%s: address %q has fewer than three lines", code, a.Address)
		}
	}
	if a := empty.Authority("CH"); !strings.Contains(a.Name, "FDPIC") || !strings.HasSuffix(a.Address, "Switzerland") {
		t.Errorf("CH = %+v, want the FDPIC in Bern", a)
	}
}

// TestControllerOverridesTheTable: controller.yaml's entry for a country wins field by field; the
// table's address stays when the entry has none.
func TestControllerOverridesTheTable(t *testing.T) {
	c := demoController(t)
	de := c.Authority("DE")
	if !strings.HasPrefix(de.Name, "Der Bundesbeauftragte") || de.Note == "" || !strings.Contains(de.Address, "53117 Bonn") {
		t.Errorf("DE = %+v, want controller.yaml's name and note with the table's address", de)
	}
	if got := c.Authority("US"); got.Name != c.FallbackAuthority.Name || got.Address != "" {
		t.Errorf("US = %+v, want the fallback", got)
	}
}
