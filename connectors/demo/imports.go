package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// The demo CRM's contact import: a marketing list (a trade fair's, a partner's) brought into the CRM,
// POST {demo}/crm/import with {"email", "name", "interest", "source"}. Before it adds anyone it asks
// dsrflow's suppression list (sdk.Marketing), so a person who opted out of marketing, objected to it
// or was erased is not brought back and mailed again: 409 for them, 201 for a new lead, 503 while the
// list cannot be asked (an import that cannot check does not import).

// importer is the system that takes imports.
const importer = "crm"

// UseFrontDoor tells the demo where dsrflow's front door is, for the CRM's suppression checks.
func (d *Demo) UseFrontDoor(url string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.frontDoor = url
}

type importedContact struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Interest string `json:"interest"`
	Source   string `json:"source"`
}

func (d *Demo) handleImport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c importedContact
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&c); err != nil || strings.TrimSpace(c.Email) == "" {
			connectors.WriteError(w, http.StatusBadRequest, "an import names an email")
			return
		}
		d.mu.Lock()
		check := sdk.Marketing{FrontDoor: d.frontDoor, Connector: importer, Secret: d.secrets[importer]}
		d.mu.Unlock()
		if check.FrontDoor == "" {
			connectors.WriteError(w, http.StatusServiceUnavailable, "the suppression list cannot be asked: no front door")
			return
		}
		suppressed, err := check.Suppressed(r.Context(), c.Email)
		if err != nil {
			connectors.WriteError(w, http.StatusServiceUnavailable, "the suppression list cannot be asked")
			return
		}
		if suppressed {
			connectors.WriteError(w, http.StatusConflict, "suppressed: this address opted out of marketing or was erased; it is not imported")
			return
		}
		if err := d.systems[importer].importLead(c, time.Now()); err != nil {
			connectors.WriteError(w, http.StatusInternalServerError, "import failed")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"imported":true}` + "\n"))
	})
}

// importLead adds the contact and a lead: to the person the CRM already has under that address, or
// as a new one.
func (s *system) importLead(c importedContact, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.state.clone()
	key := ""
	for _, sub := range next.Subjects {
		if strings.EqualFold(sub.Email, strings.TrimSpace(c.Email)) {
			key = sub.Key
		}
	}
	if key == "" {
		key = fmt.Sprintf("C-import-%d", len(next.Subjects)+1)
		next.Subjects = append(next.Subjects, subject{Key: key, Email: strings.TrimSpace(c.Email), Name: strings.TrimSpace(c.Name)})
	}
	next.Rows = append(next.Rows, row{"leads", key, map[string]string{"source": c.Source, "interest": c.Interest, "last_activity": now.Format(time.DateOnly)}})
	if err := s.save(next); err != nil {
		return err
	}
	s.state = next
	return nil
}
