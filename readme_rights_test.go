package dsrflow

import (
	"os"
	"strings"
	"testing"
)

// TestREADMERightsTable: README's "Every right and outcome at a glance" table has a row for every right
// of the table in rights.go, so a right added there cannot go undocumented for the subject.
func TestREADMERightsTable(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "| right | fulfilled | partially (an item or a system not done) | refused (`starter refuse`) | nothing held | lapsed (code never entered) |")
	if !ok {
		t.Fatal("README.md has no rights-by-outcome table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 8 {
			rows[strings.TrimSpace(cells[1])] = true
		}
	}
	for _, r := range Rights {
		if !rows[string(r.Type)] {
			t.Errorf("README's rights-by-outcome table has no row for %s", r.Type)
		}
	}
}
