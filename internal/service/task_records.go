package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// Limits of the records a team attaches to a task's answer (issue 17). A connector's callback may
// carry more (32 MiB); a team types or pastes its answer, so these are generous for that and keep one
// answer's records a small part of a request's store.
const (
	maxTaskRecords      = 1000
	maxTaskRecordsBytes = 512 << 10
	maxTaskFieldName    = 100
	maxTaskFieldValue   = 4000
)

// stageTaskRecords checks the records of a done answer against the open task (an access task of a
// manual connector, whose declared categories every field must carry) and stores them, encrypted under
// the request's data key, under a key of their own (the task's job id and a nonce): the workflow files
// them under the job when it accepts the answer (workflows' change h17-task-records), so records of an
// answer it refuses never reach the request's results. It returns that key, and the request's id.
func (s *Service) stageTaskRecords(ctx context.Context, id string, a dsrflow.TaskAnswer) (ref, requestID string, err error) {
	if dsrflow.VoteAction(a.Outcome) != dsrflow.VoteDone {
		return "", "", invalidRecords(map[string]string{"records": "go with the outcome done only"})
	}
	t, err := s.workflowTask(ctx, id)
	if err != nil {
		return "", "", err
	}
	switch {
	case taskKind(t) != workflows.TaskManual:
		return "", "", invalidRecords(map[string]string{"records": "an identity conflict takes no records: confirm or drop it"})
	case t.Action != dsrflow.ActionAccess:
		return "", "", invalidRecords(map[string]string{"records": fmt.Sprintf("only an access task's answer carries records; this is a %s task", t.Action)})
	case t.Status != workflows.TaskOpen:
		return "", "", dsrflow.Errorf(dsrflow.ECONFLICT, "task %s is already answered: %s", id, t.Status)
	}
	if fields := checkTaskRecords(a.Records, s.holds(t.Connector)); len(fields) > 0 {
		return "", "", invalidRecords(fields)
	}
	recs := make([]connectors.Record, len(a.Records))
	for i, r := range a.Records {
		recs[i] = connectors.Record{Dataset: strings.TrimSpace(r.Dataset), Fields: r.Fields, Categories: r.Categories}
	}
	data, err := json.Marshal(recs)
	if err != nil {
		return "", "", err
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	// The request id is what comes before the job id's first colon, as for a connector's records.
	requestID, _, _ = strings.Cut(t.JobID, ":")
	ref = t.JobID + "#answer-" + hex.EncodeToString(nonce)
	if err := s.Store.PutJobRecords(ctx, ref, requestID, data); err != nil {
		return "", "", err
	}
	return ref, requestID, nil
}

// holds are the data categories a connector declares; none when it is not configured here.
func (s *Service) holds(connectorID string) []string {
	if s.Connectors == nil {
		return nil
	}
	c, ok := s.Connectors.Get(connectorID)
	if !ok {
		return nil
	}
	return c.Categories
}

// workflowTask is one task of its workflow, as the workflow holds it.
func (s *Service) workflowTask(ctx context.Context, id string) (workflows.TaskView, error) {
	tasks, err := s.workflowTasks(ctx, workflows.TaskWorkflowID(id))
	if err != nil {
		return workflows.TaskView{}, err
	}
	for _, t := range tasks {
		if t.ID == id {
			return t, nil
		}
	}
	return workflows.TaskView{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "task %s not found", id)
}

// checkTaskRecords checks records in protocol v1's shape against a connector's declared categories,
// naming each bad field as records[N].dataset, records[N].fields or records[N].categories.FIELD. Values
// are never repeated in a message: they are personal data.
func checkTaskRecords(recs []dsrflow.TaskRecord, holds []string) map[string]string {
	fields := map[string]string{}
	switch {
	case len(recs) == 0:
		fields["records"] = "are empty"
	case len(recs) > maxTaskRecords:
		fields["records"] = fmt.Sprintf("are more than %d; attach at most %d to one answer", len(recs), maxTaskRecords)
	case len(holds) == 0:
		fields["records"] = "cannot be attached: the task's connector declares no data categories in connectors.yaml"
	}
	if len(fields) > 0 {
		return fields
	}
	if data, _ := json.Marshal(recs); len(data) > maxTaskRecordsBytes {
		return map[string]string{"records": fmt.Sprintf("are larger than %d KiB", maxTaskRecordsBytes>>10)}
	}
	for i, r := range recs {
		at := fmt.Sprintf("records[%d]", i)
		if d := strings.TrimSpace(r.Dataset); d == "" || utf8.RuneCountInString(d) > maxTaskFieldName {
			fields[at+".dataset"] = fmt.Sprintf("is required, at most %d characters", maxTaskFieldName)
		}
		if len(r.Fields) == 0 {
			fields[at+".fields"] = "need at least one field"
		}
		for name, value := range r.Fields {
			switch {
			case strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxTaskFieldName || !utf8.ValidString(name):
				fields[at+".fields"] = fmt.Sprintf("a field's name is required, at most %d characters", maxTaskFieldName)
				continue
			case utf8.RuneCountInString(value) > maxTaskFieldValue || !utf8.ValidString(value):
				fields[at+".fields."+name] = fmt.Sprintf("is longer than %d characters", maxTaskFieldValue)
			}
			switch cat := r.Categories[name]; {
			case cat == "":
				fields[at+".categories."+name] = "is required: each field's data category"
			case !slices.Contains(holds, cat):
				fields[at+".categories."+name] = "must be one of the connector's categories: " + strings.Join(holds, ", ")
			}
		}
		for name := range r.Categories {
			if _, ok := r.Fields[name]; !ok {
				fields[at+".categories."+name] = "names no field of the record"
			}
		}
	}
	return fields
}

func invalidRecords(fields map[string]string) error {
	return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid records: " + fieldList(fields), Fields: fields}
}

// refusedForGood reports whether a delivered answer was refused by the workflow (or no such task was
// found), so that its staged records can go; any other error may hide an accepted answer.
func refusedForGood(err error) bool {
	switch dsrflow.ErrorCode(err) {
	case dsrflow.EINVALID, dsrflow.ECONFLICT, dsrflow.EFORBIDDEN, dsrflow.ENOTFOUND:
		return true
	}
	return false
}
