package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
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

// taskPage is a task's page: the task, and for an open access task of a connector that declares its
// categories the form of the records found (rows of category, field and value, or JSON pasted).
type taskPage struct {
	T    TaskView
	Open bool
	// Rows are the records form's rows (taskRowsShown empty ones, or the posted ones and more).
	Rows []taskRow
	// JSON is the pasted records and Reason the reason typed, kept when the form comes back.
	JSON, Reason string
	// Errors are the refused form's fields: row-N-category, row-N-field, row-N-value, records_json,
	// records, reason, outcome.
	Errors map[string]string
}

// taskRow is one row of the records form: a field of a record of the category.
type taskRow struct {
	N                      int
	Category, Field, Value string
}

// Conflict reports a job that ended identity_conflict, resolved by confirm or drop.
func (p taskPage) Conflict() bool { return p.T.Kind == workflows.TaskIdentityConflict }

// Unverified reports whether an identity type of the task was not verified: it may only confirm a
// record the verified identities found, never select one on its own.
func (p taskPage) Unverified(typ string) bool { return slices.Contains(p.T.Unverified, typ) }

// TakesRecords reports whether the team's Done may carry the records it found: an open access task
// of a connector that declares its data categories.
func (p taskPage) TakesRecords() bool {
	return p.Open && !p.Conflict() && p.T.Action == string(dsrflow.ActionAccess) && len(p.T.Holds) > 0
}

// Label names an error's field in the error summary: "Row 2, category", "Records as JSON".
func (p taskPage) Label(key string) string {
	if rest, ok := strings.CutPrefix(key, "row-"); ok {
		if n, part, ok := strings.Cut(rest, "-"); ok {
			return "Row " + n + ", " + part
		}
	}
	switch key {
	case "records_json":
		return "Records as JSON"
	case "records":
		return "Records found"
	case "":
		return ""
	}
	return strings.ToUpper(key[:1]) + strings.ReplaceAll(key[1:], "_", " ")
}

// taskRowsShown is how many empty rows the records form shows, and adds with "More rows".
const taskRowsShown = 5

// maxTaskRows bounds the rows one form may post; larger answers are pasted as JSON.
const maxTaskRows = 200

func (s *server) handleConsoleTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.showTaskPage(w, r, http.StatusOK, taskPage{})
	})
}

// showTaskPage shows the task with the form as given (its rows, pasted JSON and errors), or empty.
func (s *server) showTaskPage(w http.ResponseWriter, r *http.Request, status int, form taskPage) {
	t, err := s.svc().Task(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderFailure(w, r, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("done") == "answered" {
		flash = "Your answer was recorded."
	}
	page := form
	page.T, page.Open = t, t.Status == "open"
	if len(page.Rows) == 0 {
		page.Rows = emptyRows(0, taskRowsShown)
	}
	s.render(w, r, status, "task", view{Title: "Task " + t.ID, Nav: "tasks", Flash: flash, Data: page})
}

func emptyRows(after, n int) []taskRow {
	rows := make([]taskRow, n)
	for i := range rows {
		rows[i].N = after + i + 1
	}
	return rows
}

func (s *server) handleConsoleTaskOutcome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		form := taskPage{Rows: postedRows(r), JSON: r.PostFormValue("records_json"), Reason: r.PostFormValue("reason"), Errors: map[string]string{}}
		if r.PostFormValue("more") != "" {
			// "More rows": the form again with what was entered and more empty rows; nothing is sent.
			if n := len(form.Rows); n < maxTaskRows {
				form.Rows = append(form.Rows, emptyRows(n, min(taskRowsShown, maxTaskRows-n))...)
			}
			s.showTaskPage(w, r, http.StatusOK, form)
			return
		}
		var err error
		if resolution := r.PostFormValue("resolution"); resolution != "" {
			// An identity conflict is its job's resolution, confirm or drop.
			_, err = s.svc().ResolveJob(r.Context(), workflows.TaskWorkflowID(id), dsrflow.JobResolution{JobID: r.PostFormValue("job"), Action: resolution, Reason: reason})
		} else {
			answer := dsrflow.TaskAnswer{Outcome: r.PostFormValue("outcome"), Reason: reason}
			var at []recordOrigin
			answer.Records, at = form.records()
			if len(form.Errors) > 0 {
				s.showTaskPage(w, r, http.StatusBadRequest, form)
				return
			}
			if len(answer.Records) > 0 && answer.Outcome != string(dsrflow.VoteDone) {
				form.Errors["records"] = "records found go with Done; remove them to answer " + strings.ReplaceAll(answer.Outcome, "_", " ")
				s.showTaskPage(w, r, http.StatusBadRequest, form)
				return
			}
			if _, err = s.svc().AnswerTask(r.Context(), id, answer); err != nil && isFormError(err) {
				form.fieldErrors(err, at)
			}
		}
		if err != nil {
			if isFormError(err) {
				if len(form.Errors) == 0 {
					form.Errors["outcome"] = dsrflow.ErrorMessage(err)
				}
				s.showTaskPage(w, r, httpStatus[dsrflow.ErrorCode(err)], form)
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/tasks/"+url.PathEscape(id)+"?done=answered", http.StatusSeeOther)
	})
}

// postedRows are the records form's rows as posted (rows: how many), at most maxTaskRows.
func postedRows(r *http.Request) []taskRow {
	n, _ := strconv.Atoi(r.PostFormValue("rows"))
	n = max(0, min(n, maxTaskRows))
	rows := make([]taskRow, n)
	for i := range rows {
		k := strconv.Itoa(i + 1)
		rows[i] = taskRow{N: i + 1, Category: r.PostFormValue("category-" + k), Field: strings.TrimSpace(r.PostFormValue("field-" + k)), Value: r.PostFormValue("value-" + k)}
	}
	return rows
}

// recordOrigin says where a record came from: its fields' rows of the form, or the pasted JSON's
// record number.
type recordOrigin struct {
	rows map[string]int // field name → row
	json int            // the JSON array's index, when rows is nil
}

// records turns the rows into records, one per category, a repeated field name starting another record
// of its category, then adds the pasted JSON's; problems go into p.Errors, naming the row's field.
func (p *taskPage) records() ([]dsrflow.TaskRecord, []recordOrigin) {
	var recs []dsrflow.TaskRecord
	var at []recordOrigin
	current := map[string]int{} // category → index of its record being filled
	for _, row := range p.Rows {
		if row.Field == "" && strings.TrimSpace(row.Value) == "" {
			continue // an empty row, whatever its category says
		}
		key := "row-" + strconv.Itoa(row.N) + "-"
		switch {
		case row.Category == "":
			p.Errors[key+"category"] = "choose the data category of the field"
		case row.Field == "":
			p.Errors[key+"field"] = "name the field the value belongs to"
		}
		if row.Category == "" || row.Field == "" {
			continue
		}
		i, ok := current[row.Category]
		if ok {
			_, taken := recs[i].Fields[row.Field]
			ok = !taken
		}
		if !ok {
			recs = append(recs, dsrflow.TaskRecord{Dataset: row.Category, Fields: map[string]string{}, Categories: map[string]string{}})
			at = append(at, recordOrigin{rows: map[string]int{}})
			i = len(recs) - 1
			current[row.Category] = i
		}
		recs[i].Fields[row.Field], recs[i].Categories[row.Field], at[i].rows[row.Field] = row.Value, row.Category, row.N
	}
	if strings.TrimSpace(p.JSON) != "" {
		var pasted []dsrflow.TaskRecord
		dec := json.NewDecoder(strings.NewReader(p.JSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pasted); err != nil {
			p.Errors["records_json"] = `is not a JSON list of records like [{"dataset": "orders", "fields": {"order": "A-1"}, "categories": {"order": "user.financial"}}]`
		}
		for i, rec := range pasted {
			recs = append(recs, rec)
			at = append(at, recordOrigin{json: i})
		}
	}
	return recs, at
}

// fieldErrors puts the service's refusal of the records on the form's fields: records[N].categories.F
// on the category of F's row (or on the pasted JSON, naming its record), and the rest as they are.
func (p *taskPage) fieldErrors(err error, at []recordOrigin) {
	var de *dsrflow.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return
	}
	for name, msg := range de.Fields {
		var n int
		var rest string
		if _, scanErr := fmt.Sscanf(name, "records[%d]", &n); scanErr != nil || n < 0 || n >= len(at) {
			p.Errors[name] = msg
			continue
		}
		_, rest, _ = strings.Cut(name, "].")
		if at[n].rows == nil {
			p.Errors["records_json"] = fmt.Sprintf("record %d: %s %s", at[n].json+1, rest, msg)
			continue
		}
		part, field, _ := strings.Cut(rest, ".")
		row, ok := at[n].rows[field]
		switch {
		case ok && part == "categories":
			p.Errors["row-"+strconv.Itoa(row)+"-category"] = msg
		case ok && part == "fields":
			p.Errors["row-"+strconv.Itoa(row)+"-value"] = msg
		default:
			p.Errors["records"] = rest + " " + msg
		}
	}
}
