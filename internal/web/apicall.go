package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/dsrflow/dsrflow"
)

// The console and the privacy center act through the JSON API, in process: the same validation, the same
// role checks and the same messages as for a client with a token, and no second copy of the logic.

type apiPrincipalKey struct{}

// callAPI serves method and path through the API as p and decodes a 2xx answer into out. Any other
// answer is returned as a *dsrflow.Error carrying the API's message and per-field messages.
func (s *server) callAPI(ctx context.Context, p Principal, method, path string, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, apiPrincipalKey{}, p), method, path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.mux.ServeHTTP(rec, req)
	if rec.status < 200 || rec.status > 299 {
		var e errorBody
		if json.Unmarshal(rec.body.Bytes(), &e) != nil || e.Code == "" {
			return dsrflow.Errorf(dsrflow.EINTERNAL, "%s %s answered %d", method, req.URL.Path, rec.status)
		}
		return &dsrflow.Error{Code: e.Code, Message: e.Error, Fields: e.Fields}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = rec.body.Bytes()
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, req.URL.Path, err)
	}
	return nil
}

// recorder is an in-memory http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
