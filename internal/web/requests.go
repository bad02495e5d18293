package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/workflows"
)

// maxBody bounds JSON request bodies.
const maxBody = 64 << 10

// NewRequest is the body of POST /api/v1/requests.
type NewRequest = dsrflow.NewRequest

// DefaultCountry is the controller's country, for requests that name none.
const DefaultCountry = service.DefaultCountry

// validate checks the request and computes its deadlines (service.Service.Validate).
func (s *server) validate(in NewRequest) (workflows.RequestInput, error) {
	return s.core().Validate(in)
}

func (s *server) handleCreateRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body NewRequest
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		created, err := s.svc().CreateRequest(r.Context(), body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, created)
	})
}

func decodeJSON(r *http.Request, v any) error { return decodeJSONUpTo(r, v, maxBody) }

// decodeJSONUpTo is decodeJSON for a route whose bodies may be larger than maxBody.
func decodeJSONUpTo(r *http.Request, v any, maxBody int64) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return dsrflow.Errorf(dsrflow.EINVALID, "field %s has the wrong type", typeErr.Field)
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return dsrflow.Errorf(dsrflow.EINVALID, "body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return dsrflow.Errorf(dsrflow.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return dsrflow.Errorf(dsrflow.EINVALID, "body is not valid JSON or is larger than %d bytes", maxBody)
	}
	// One value per body: a second one would be ignored silently, which a caller never means.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return dsrflow.Errorf(dsrflow.EINVALID, "body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeEmptyJSON accepts a body that is empty or an empty JSON object, for routes that take no input:
// anything else is refused rather than ignored.
func decodeEmptyJSON(r *http.Request) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return dsrflow.Errorf(dsrflow.EINVALID, "cannot read body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return decodeJSON(r, &struct{}{})
}

func fieldList(fields map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(fields) {
		parts = append(parts, k+" "+fields[k])
	}
	return strings.Join(parts, "; ")
}
