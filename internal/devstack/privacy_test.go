package devstack_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow/internal/web"
)

// TestTemporalHoldsNoPersonalDataInClear runs requests for jane through the embedded stack, then looks for
// her email, name, phone and verification code in the Temporal server's SQLite files and in a history
// dumped as the server stores it. The payload codec must leave none of them readable; the /codec endpoint
// lets an admin read them back.
func TestTemporalHoldsNoPersonalDataInClear(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	s := start(t, cfg)
	c := apiClient{t: t, stack: s}
	id := c.create(web.NewRequest{Type: "access", Email: jane, Name: "Jane Doe", Phone: "+47 400 00 000"})
	c.waitStatus(id, "verifying")
	code := mailedCode(t, c, id)
	c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": wrongCode(code)})
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("verify: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	// The export rests encrypted in the store; the API decrypts it for those allowed to read it.
	var stored []byte
	if err := s.Store.UnsafeDB().Get(&stored, `SELECT data FROM exports WHERE request_id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(stored, []byte("PK")) || bytes.Contains(stored, []byte("csv/")) {
		t.Fatal("the export is stored as a readable ZIP")
	}
	if files := c.export(id); !strings.Contains(files["data.json"], jane) {
		t.Fatal("the decrypted export lacks jane's data")
	}
	rect := c.create(web.NewRequest{Type: "rectification", Email: jane, Name: "Jane Doe", Attest: "video call", Corrections: map[string]string{"user.name": "Jane Smith"}})
	c.waitStatus(rect, "completed")

	needles := map[string]string{"email": jane, "name": "Jane Doe", "corrected name": "Jane Smith", "phone": "+47 400 00 000", "code": code}
	for _, v := range []string{jane, "Jane Doe"} {
		needles["base64 of "+v] = base64.StdEncoding.EncodeToString([]byte(v))[:12]
	}

	// The history as the server keeps it: no decoding on the way out.
	var dumped bytes.Buffer
	var startInput []byte
	for _, wf := range []string{id, rect} {
		h := historyOf(t, s, wf)
		b, err := protojson.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		dumped.Write(b)
		if startInput == nil {
			if startInput, err = protojson.Marshal(h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An admin reads the workflow input back through /codec, as the Temporal UI would; an agent may not.
	status, decoded := c.call("POST", "/codec/decode", json.RawMessage(startInput))
	if status != http.StatusOK || !containsPayloadText(t, decoded, jane) {
		t.Fatalf("the admin's /codec decode: %d %s", status, decoded)
	}
	stop(t, s)

	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "temporal.db*"))
	if len(files) == 0 {
		t.Fatal("no Temporal SQLite files found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, needle := range needles {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s holds jane's %s in clear", filepath.Base(f), what)
			}
		}
	}
	for what, needle := range needles {
		if strings.Contains(dumped.String(), needle) {
			t.Errorf("the stored history holds jane's %s in clear", what)
		}
	}
}

// containsPayloadText reports whether a /codec answer holds text in one of its payloads' data.
func containsPayloadText(t *testing.T, answer []byte, text string) bool {
	t.Helper()
	var out struct {
		Payloads []struct {
			Data []byte `json:"data"`
		} `json:"payloads"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Payloads {
		if strings.Contains(string(p.Data), text) {
			return true
		}
	}
	return false
}
