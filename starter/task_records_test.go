package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// starter task done --records FILE reads a JSON list of records in protocol v1's shape (from a file or
// "-", standard input); a file that is not one is refused naming the flag and never quoting the file.
func TestReadTaskRecords(t *testing.T) {
	file := filepath.Join(t.TempDir(), "found.json")
	if err := os.WriteFile(file, []byte(`[{"dataset": "letters", "fields": {"sender": "Jane Smith"}, "categories": {"sender": "user.name"}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := readTaskRecords(nil, file)
	if err != nil || len(recs) != 1 || recs[0].Dataset != "letters" || recs[0].Fields["sender"] != "Jane Smith" || recs[0].Categories["sender"] != "user.name" {
		t.Errorf("from a file: %+v, %v", recs, err)
	}
	if recs, err := readTaskRecords(strings.NewReader(`[{"dataset":"a","fields":{"x":"1"},"categories":{"x":"user.name"}}]`), "-"); err != nil || len(recs) != 1 {
		t.Errorf("from stdin: %+v, %v", recs, err)
	}
	for _, bad := range []string{`{"sender": "Jane Smith"}`, `[{"dataset": "letters", "name": "Jane Smith"}]`, `[{"dataset": "Jane Smith"`} {
		_, err := readTaskRecords(strings.NewReader(bad), "-")
		if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !strings.Contains(err.Error(), "--records") || strings.Contains(err.Error(), "Jane") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := readTaskRecords(nil, filepath.Join(t.TempDir(), "missing.json")); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("a missing file: %v", err)
	}
}
