package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow"
)

// TaskView is GET /api/v1/tasks/{id}: a manual connector's task with the subject's identity.
type TaskView = dsrflow.TaskView

// RequestTaskView is one manual task of a request, as GET /api/v1/requests/{id}/tasks lists them.
type RequestTaskView = dsrflow.RequestTaskView

func (s *server) handleRequestTasks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().RequestTasks(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleShowTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.svc().Task(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
}

// maxTaskAnswerBody bounds a task's answer: its records (the service allows 512 KiB of them) and room
// for JSON's escapes.
const maxTaskAnswerBody = 1 << 20

// handleTaskOutcome records a team's answer: done (with the records found, for an access task),
// nothing_found, or cannot with a reason. An Idempotency-Key header makes a retried call count once.
func (s *server) handleTaskOutcome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.TaskAnswer
		if err := decodeJSONUpTo(r, &body, maxTaskAnswerBody); err != nil {
			s.fail(w, r, err)
			return
		}
		body.Key = r.Header.Get("Idempotency-Key")
		out, err := s.svc().AnswerTask(r.Context(), r.PathValue("id"), body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}
