package rest_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/conformance"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// serve puts a connector's runner behind protocol v1 with the SDK, as a connector service would be:
// a permanent failure is the SDK's 422.
func serve(t *testing.T, r connectors.Runner, secret []byte) string {
	h := sdk.New(sdk.Options{Secret: secret, Logger: slog.New(slog.DiscardHandler)}, sdk.HandlerFunc(func(ctx context.Context, job connectors.Job) (connectors.Result, error) {
		res, err := r.Run(ctx, job)
		var ce *connectors.CallError
		if errors.As(err, &ce) && ce.Permanent {
			return res, sdk.Permanent(err)
		}
		return res, err
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)
	return srv.URL
}

// The conformance suite runs against a rest connector exactly as against an http one: every check,
// the foreign identifier included.
func TestRestConnectorConforms(t *testing.T) {
	_, api := newCRM(t)
	r := openYAML(t, crmYAML(api.URL, eraseByDelete), crmEnv)
	secret := []byte(strings.Repeat("k", connectors.MinSecretBytes))
	url := serve(t, r, secret)
	johnsPhone := dsrflow.Identity{Phone: "+47 400 00 009"}
	results := conformance.Run(context.Background(), conformance.Target{URL: url, Secret: secret, Connector: "crm", Foreign: johnsPhone})
	if len(results) != len(conformance.Checks) {
		t.Fatalf("%d results for %d checks", len(results), len(conformance.Checks))
	}
	for _, res := range results {
		if !res.Passed {
			t.Errorf("%s failed: %s", res.Name, res.Detail)
		}
		if res.Name == "foreign_identifier_conflicts" && strings.HasPrefix(res.Detail, "not checked") {
			t.Errorf("%s was not checked: %s", res.Name, res.Detail)
		}
	}
}
