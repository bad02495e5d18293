package main

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dsrflow/dsrflow/internal/apiclient"
	"github.com/dsrflow/dsrflow/internal/config"
)

// apiClient calls the front door: the CLI never talks to Temporal directly. Its request operations go
// through the dsrflow.RequestService the API serves (apiclient.Client); routes outside the service
// (outbox, reports, job resolution) through call.
type apiClient struct {
	*apiclient.Client
}

func newAPIClient(getenv func(string) string) (*apiClient, error) {
	cfg, err := config.LoadCLI(getenv)
	if err != nil {
		return nil, err
	}
	return &apiClient{&apiclient.Client{URL: cfg.URL, Token: cfg.Token, HTTP: &http.Client{Timeout: 60 * time.Second}}}, nil
}

// call sends a JSON request and decodes a JSON answer into out (when not nil). Error answers become
// *dsrflow.Error with the front door's code, message and fields.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	_, err := c.Call(ctx, method, path, query, nil, body, out)
	return err
}
