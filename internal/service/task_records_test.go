package service

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// A team's records are checked against its connector's declared categories, and every refusal names
// the record and field, never a value.
func TestCheckTaskRecords(t *testing.T) {
	holds := []string{"user.name", "user.contact.email"}
	rec := func(fields, cats map[string]string) dsrflow.TaskRecord {
		return dsrflow.TaskRecord{Dataset: "paper archive", Fields: fields, Categories: cats}
	}
	good := rec(map[string]string{"name": "Jane Smith", "email": "jane@example.com"}, map[string]string{"name": "user.name", "email": "user.contact.email"})
	if f := checkTaskRecords([]dsrflow.TaskRecord{good}, holds); len(f) != 0 {
		t.Errorf("good records refused: %v", f)
	}
	many := make([]dsrflow.TaskRecord, maxTaskRecords+1)
	for i := range many {
		many[i] = good
	}
	for name, c := range map[string]struct {
		recs  []dsrflow.TaskRecord
		holds []string
		field string
	}{
		"undeclared category":  {[]dsrflow.TaskRecord{good, rec(map[string]string{"card": "4111 1111"}, map[string]string{"card": "user.financial"})}, holds, "records[1].categories.card"},
		"no category":          {[]dsrflow.TaskRecord{rec(map[string]string{"name": "Jane Smith"}, nil)}, holds, "records[0].categories.name"},
		"category of no field": {[]dsrflow.TaskRecord{rec(map[string]string{"name": "Jane Smith"}, map[string]string{"name": "user.name", "nick": "user.name"})}, holds, "records[0].categories.nick"},
		"no dataset":           {[]dsrflow.TaskRecord{{Fields: good.Fields, Categories: good.Categories}}, holds, "records[0].dataset"},
		"no fields":            {[]dsrflow.TaskRecord{rec(nil, nil)}, holds, "records[0].fields"},
		"value too long":       {[]dsrflow.TaskRecord{rec(map[string]string{"name": strings.Repeat("J", maxTaskFieldValue+1)}, map[string]string{"name": "user.name"})}, holds, "records[0].fields.name"},
		"too many":             {many, holds, "records"},
		"none":                 {[]dsrflow.TaskRecord{}, holds, "records"},
		"nothing declared":     {[]dsrflow.TaskRecord{good}, nil, "records"},
	} {
		f := checkTaskRecords(c.recs, c.holds)
		if f[c.field] == "" {
			t.Errorf("%s: fields %v lack %s", name, f, c.field)
		}
		for _, msg := range f {
			if strings.Contains(msg, "Jane") || strings.Contains(msg, "4111") {
				t.Errorf("%s: a message repeats a value: %q", name, msg)
			}
		}
	}
}
