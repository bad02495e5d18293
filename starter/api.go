package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
)

// apiClient calls the front door: the CLI never talks to Temporal directly.
type apiClient struct {
	cfg  config.CLI
	http *http.Client
}

func newAPIClient(getenv func(string) string) (*apiClient, error) {
	cfg, err := config.LoadCLI(getenv)
	if err != nil {
		return nil, err
	}
	return &apiClient{cfg: cfg, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// apiError is the front door's error answer.
type apiError struct {
	Error  string            `json:"error"`
	Code   string            `json:"code"`
	Fields map[string]string `json:"fields"`
}

// call sends a JSON request and decodes a JSON answer into out (when not nil). Error answers become
// *dsrflow.Error with the front door's code, message and fields.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	raw, _, err := c.do(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("front door answered something that is not JSON: %w", err)
	}
	return nil
}

func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, body any) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.cfg.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "cannot reach the front door at %s (DSR_URL): %v", c.cfg.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 300 {
		var e apiError
		if json.Unmarshal(raw, &e) != nil || e.Code == "" {
			return nil, nil, fmt.Errorf("front door answered %s", resp.Status)
		}
		return nil, nil, &dsrflow.Error{Code: e.Code, Message: e.Error, Fields: e.Fields}
	}
	return raw, resp.Header, nil
}
