package web

import (
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

// handleResolveJob is a person's decision on a connector job escalated at its point and waiting:
// retry it, mark it failed with a reason (the subject's answer reports it), or answer it by hand
// (done, not_found); or on a job that ended identity_conflict: confirm the identifiers with the
// subject (a reason is required) or drop them, and the job runs again. {job} is the job id, or the
// part after the request id ("crm:erase").
func (s *server) handleResolveJob() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Action string `json:"action"`
			Reason string `json:"reason"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		fields := map[string]string{}
		switch body.Action {
		case workflows.ResolveRetry, workflows.ResolveFailed, workflows.ResolveDone, workflows.ResolveNotFound, workflows.ResolveConfirm, workflows.ResolveDrop:
		default:
			fields["action"] = "must be retry, failed, done or not_found (an escalated job), confirm or drop (an identity conflict)"
		}
		switch {
		case body.Action == workflows.ResolveFailed && strings.TrimSpace(body.Reason) == "":
			fields["reason"] = "failed needs a reason, which the subject is told"
		case body.Action == workflows.ResolveConfirm && strings.TrimSpace(body.Reason) == "":
			fields["reason"] = "confirm needs a reason: how the subject confirmed the identifiers are theirs"
		}
		if len(fields) > 0 {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid resolution: " + fieldList(fields), Fields: fields})
			return
		}
		id, job := r.PathValue("id"), r.PathValue("job")
		if !strings.HasPrefix(job, id+":") {
			job = id + ":" + job
		}
		p := principal(r)
		in := workflows.ResolveJobInput{Actor: workflows.Actor{ID: p.ID, Role: p.Role}, JobID: job, Action: body.Action, Reason: strings.TrimSpace(body.Reason)}
		s.update(w, r, id, workflows.UpdateResolveJob, in)
	})
}
