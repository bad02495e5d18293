package web

import (
	"context"
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// maxCallbackBodies bounds the callback bodies read at once. Each is streamed to an encrypted spool
// file (connectors.Callback.Read), so memory is not what it guards: the disk (32 MiB each) and the
// time a flood of signed-looking posts holds. A connector told 503 retries (PROTOCOL.md §4).
const maxCallbackBodies = 8

// handleCallback receives an accepted job's signed result, keeps its records in the store and tells the
// workflow the outcome (records never pass through Temporal). In order: what can be checked without the
// body (connector, signature headers, timestamp window, declared length), a slot among
// maxCallbackBodies, the body streamed through its signature, then the job: a result is taken only for
// a job issued to this connector and still waiting (store.ClaimJobResult), so a result for a job never
// sent, a second callback and a late one are refused (409) before anything is stored or signalled.
func (s *server) handleCallback() http.Handler {
	slots := make(chan struct{}, maxCallbackBodies)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Connectors == nil {
			s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "no connectors are configured"))
			return
		}
		cb, err := connectors.PrepareCallback(r, s.Connectors, r.PathValue("connector"), s.now())
		if err != nil {
			s.failCallback(w, r, err)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			w.Header().Set("Retry-After", "1")
			s.fail(w, r, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "too many callbacks at once; retry"))
			return
		}
		res, err := cb.Read()
		if err != nil {
			s.failCallback(w, r, err)
			return
		}
		ctx := r.Context()
		if err := s.Store.ClaimJobResult(ctx, res.JobID, cb.Connector.ID, string(res.Status), s.now().UTC()); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.deliverResult(ctx, res); err != nil {
			// Undone, so that the connector's retry is taken; the workflow also polls.
			if rerr := s.Store.ReopenJob(context.WithoutCancel(ctx), res.JobID, string(res.Status)); rerr != nil {
				s.Logger.Error("callback: job not reopened", "job", res.JobID, "error", rerr)
			}
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"job_id": res.JobID, "status": "received"})
	})
}

// deliverResult stores a claimed result's records, then signals its workflow: a disclosure subject's
// (the job id up to its subject number), or the request's (the id before the first colon; a disclosure
// of the old shape ran its subjects' jobs itself), whichever exists (workflows.JobWorkflowIDs).
func (s *server) deliverResult(ctx context.Context, res connectors.Result) error {
	if len(res.Records) > 0 {
		if err := activities.StoreRecords(ctx, s.Store, res.JobID, res.Records); err != nil {
			return err
		}
	}
	res.Records = nil
	var err error
	for _, id := range workflows.JobWorkflowIDs(res.JobID) {
		err = s.Client.SignalWorkflow(ctx, id, "", workflows.SignalJobResult, workflows.JobResult{JobID: res.JobID, Result: res})
		if _, missing := errors.AsType[*serviceerror.NotFound](err); !missing {
			return err
		}
	}
	return err
}

// failCallback answers a refused callback; a body over the limit is 413, as protocol v1 says.
func (s *server) failCallback(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, connectors.ErrBodyTooLarge) {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": dsrflow.ErrorMessage(err)})
		return
	}
	s.fail(w, r, err)
}
