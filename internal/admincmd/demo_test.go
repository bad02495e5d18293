package admincmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

func TestDemoEffectsCountsEachJobAndNamesDuplicates(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DSR_DATA_DIR": dir}
	code, out, errOut := runAdmin(t, env, "demo", "effects", "--json")
	if code != 0 || !strings.Contains(out, `"jobs":0`) {
		t.Fatalf("no effect log yet: exit %d, %q %q", code, out, errOut)
	}
	log := `{"job_id":"dsr_a:crm:erase","connector":"crm","action":"erase","counts":{"erased":1}}
{"job_id":"dsr_a:forum:erase","connector":"forum","action":"erase","counts":{"erased":2}}
{"job_id":"dsr_a:crm:erase","connector":"crm","action":"erase","counts":{"erased":1}}
{"job_id":"dsr_b:crm:era` // a last line torn by a killed writer is not counted
	if err := os.MkdirAll(filepath.Join(dir, config.DevDemoDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, config.DevDemoDir, "effects.jsonl"), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runAdmin(t, env, "demo", "effects", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got effectCounts
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Jobs != 2 || got.Effects != 3 || len(got.Duplicates) != 1 || got.Duplicates[0] != "dsr_a:crm:erase" || got.ByJob["dsr_a:forum:erase"] != 1 {
		t.Fatalf("effects = %+v", got)
	}
	code, out, _ = runAdmin(t, env, "demo", "effects")
	if code != 0 || !strings.Contains(out, "2 jobs changed data (3 effects); 1 applied more than once") || !strings.Contains(out, "dsr_a:crm:erase: 2 times") {
		t.Fatalf("text output: exit %d, %q", code, out)
	}
}
