package devserver

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/primitives"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TLS serves the frontend over TLS, as a self-hosted cluster with mTLS or Temporal Cloud does.
type TLS struct {
	// CertFile and KeyFile hold the server's certificate and its key (PEM).
	CertFile, KeyFile string
	// ClientCAFile, when set, holds the CA (PEM) whose certificates the frontend requires of every
	// client: mutual TLS. Empty: clients need none.
	ClientCAFile string
}

// internalFrontend is the service the server's own components (its worker service's system workflows,
// schedules, the history service's calls) reach the frontend through when the public frontend requires
// TLS or an API key: an internal frontend without either, on the frontend's host, whose callers the
// server maps to its own system role. This is how Temporal recommends running with an authorizer
// (go.temporal.io/server common/config PublicClient).
const internalFrontend = string(primitives.InternalFrontendService)

// secured reports whether the public frontend requires TLS or an API key.
func (o Options) secured() bool { return o.TLS != nil || o.APIKey != "" }

// checkSecurity refuses settings the server would fail on later, or less clearly, naming the field.
func checkSecurity(opts Options, all bool) error {
	if !opts.secured() {
		return nil
	}
	if !all {
		return errors.New("temporal TLS and API key: only a process that runs all four services can serve them")
	}
	if opts.TLS == nil {
		return nil
	}
	if opts.TLS.CertFile == "" || opts.TLS.KeyFile == "" {
		return errors.New("temporal TLS: the certificate file and the key file are both needed")
	}
	if _, err := tls.LoadX509KeyPair(opts.TLS.CertFile, opts.TLS.KeyFile); err != nil {
		return fmt.Errorf("temporal TLS certificate: %w", err)
	}
	if opts.TLS.ClientCAFile != "" {
		pem, err := os.ReadFile(opts.TLS.ClientCAFile)
		if err != nil {
			return fmt.Errorf("temporal TLS client CA: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return fmt.Errorf("temporal TLS client CA %s: holds no PEM certificate", opts.TLS.ClientCAFile)
		}
	}
	return nil
}

// secure puts the public frontend behind TLS and the server's own callers behind the internal frontend.
func secure(cfg *config.Config, opts Options, host string, membershipPort func(string) (int, error)) error {
	grpcPort, err := freePort(host)
	if err != nil {
		return err
	}
	membership, err := membershipPort(host)
	if err != nil {
		return err
	}
	cfg.Services[internalFrontend] = config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membership, BindOnIP: host}}
	// With PublicClient empty the server's own clients find the internal frontend through membership (it
	// refuses a PublicClient address beside an internal frontend); Internode TLS is unset, so the
	// internal frontend serves in clear on host, as history and matching do.
	cfg.PublicClient = config.PublicClient{}
	if opts.TLS != nil {
		server := config.ServerTLS{CertFile: opts.TLS.CertFile, KeyFile: opts.TLS.KeyFile}
		if opts.TLS.ClientCAFile != "" {
			server.ClientCAFiles = []string{opts.TLS.ClientCAFile}
			server.RequireClientAuth = true
		}
		cfg.Global.TLS.Frontend.Server = server
	}
	return nil
}

// apiKeyClaimMapper grants the admin role on one namespace to a request that carries
// `authorization: Bearer KEY`, as Temporal Cloud does for an API key with that role. Only the public
// frontend uses it; the internal frontend maps its callers to the system's role itself.
type apiKeyClaimMapper struct {
	bearer    []byte
	namespace string
}

// errWrongAPIKey is what the server logs for a wrong key; the caller sees only PermissionDenied. It names
// neither the key given nor the one expected.
var errWrongAPIKey = errors.New("the authorization header does not hold the API key")

func (m apiKeyClaimMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	if info.AuthToken == "" {
		// A client certificate without a key: no claims, so the authorizer refuses.
		return nil, nil
	}
	if subtle.ConstantTimeCompare([]byte(info.AuthToken), m.bearer) != 1 {
		return nil, errWrongAPIKey
	}
	return &authorization.Claims{Subject: "api-key", Namespaces: map[string]authorization.Role{m.namespace: authorization.RoleAdmin}}, nil
}

// apiKeyAuthorizer refuses every call without claims but the gRPC health check (the default authorizer
// lets GetSystemInfo through, so a client without a key would pass the SDK's dial and fail later), and
// otherwise judges as the default authorizer does: the namespace's role for the API key, the system's
// admin role for the server's own calls through the internal frontend.
type apiKeyAuthorizer struct {
	authorization.Authorizer
}

func (a apiKeyAuthorizer) Authorize(ctx context.Context, claims *authorization.Claims, target *authorization.CallTarget) (authorization.Result, error) {
	if claims == nil && target.APIName != healthpb.Health_Check_FullMethodName {
		return authorization.Result{Decision: authorization.DecisionDeny, Reason: "no API key: send it as `authorization: Bearer KEY`"}, nil
	}
	return a.Authorizer.Authorize(ctx, claims, target)
}
