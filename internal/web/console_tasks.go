package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow"
)

// The tasks page: manual connectors' tasks waiting for an answer across open requests, in three views
// (the team's, mine: of requests assigned to me, overdue).

// handleListTasks is GET /api/v1/tasks?view=team|mine|overdue.
func (s *server) handleListTasks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().OpenTasks(r.Context(), dsrflow.TaskQuery{View: r.URL.Query().Get("view")})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

type tasksPage struct {
	View  string
	Views []option
	Tasks []dsrflow.TaskListItem
}

func (s *server) handleConsoleTasks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := tasksPage{View: r.URL.Query().Get("view"),
			Views: []option{{dsrflow.TasksTeam, "The team's"}, {dsrflow.TasksMine, "Mine"}, {dsrflow.TasksOverdue, "Overdue"}}}
		if page.View == "" {
			page.View = dsrflow.TasksTeam
		}
		var err error
		if page.Tasks, err = s.svc().OpenTasks(r.Context(), dsrflow.TaskQuery{View: page.View}); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "tasks", view{Title: "Tasks", Nav: "tasks", Data: page})
	})
}
