package temporalx

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dsrflow/dsrflow/internal/config"
)

// A refusal by a TLS server reaches the client as whichever error the race of TLS 1.3 gives (the
// server's alert, or a broken pipe or reset when it closed first), a refusal by the authorizer as a bare
// PermissionDenied; each names the setting to look at. Another error, or a dial without TLS, gets nothing
// added.
func TestRefusalHint(t *testing.T) {
	withCert := config.Temporal{TLSCert: "client.pem", TLSKey: "client-key.pem", TLSCA: "ca.pem"}
	withoutCert := config.Temporal{TLSCA: "ca.pem"}
	const (
		alert  = `failed reaching server: connection error: desc = "error reading server preface: remote error: tls: certificate required"`
		pipe   = "failed reaching server: write tcp 127.0.0.1:48228->127.0.0.1:33611: write: broken pipe"
		reset  = "failed reaching server: read tcp 127.0.0.1:48228->127.0.0.1:33611: read: connection reset by peer"
		bad    = `connection error: desc = "error reading server preface: remote error: tls: bad certificate"`
		server = `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`
	)
	for _, tc := range []struct {
		cfg  config.Temporal
		err  string
		want string
	}{
		{withoutCert, alert, "requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
		{withoutCert, pipe, "requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
		{withoutCert, reset, "requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
		{withCert, alert, "not sent: is TEMPORAL_TLS_CERT signed by a CA the server accepts?"},
		{withCert, pipe, "refuses the client certificate: is TEMPORAL_TLS_CERT signed by a CA the server accepts?"},
		{withCert, bad, "refuses the client certificate: is TEMPORAL_TLS_CERT signed by a CA the server accepts?"},
		{withCert, server, "not signed by a CA in TEMPORAL_TLS_CA"},
		{config.Temporal{APIKey: "k"}, server, "not signed by a CA in TEMPORAL_TLS_CA (the system's CAs when it is unset)"},
		{withCert, "failed reaching server: Request unauthorized.", ""},
		{config.Temporal{}, pipe, ""},
	} {
		got := refusalHint(tc.cfg, errors.New(tc.err))
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%+v, %q: %q; want %q", tc.cfg, tc.err, got, tc.want)
		}
	}

	denied := fmt.Errorf("failed reaching server: %w", serviceerror.NewPermissionDenied("Request unauthorized.", ""))
	unauthenticated := fmt.Errorf("failed reaching server: %w", status.Error(codes.Unauthenticated, "invalid API key"))
	for _, tc := range []struct {
		cfg  config.Temporal
		want string
	}{
		{config.Temporal{APIKey: "k"}, "; the server refused the credentials: check TEMPORAL_API_KEY"},
		{withCert, "does not admit the client certificate in TEMPORAL_TLS_CERT"},
		{withoutCert, "requires credentials: TEMPORAL_API_KEY, or a client certificate"},
		{config.Temporal{}, "requires credentials: TEMPORAL_API_KEY, or a client certificate"},
	} {
		if got := refusalHint(tc.cfg, denied); !strings.Contains(got, tc.want) {
			t.Errorf("%+v, PermissionDenied: %q; want %q", tc.cfg, got, tc.want)
		}
		if got := refusalHint(tc.cfg, unauthenticated); !strings.Contains(got, tc.want) {
			t.Errorf("%+v, Unauthenticated: %q; want %q", tc.cfg, got, tc.want)
		}
	}
}
