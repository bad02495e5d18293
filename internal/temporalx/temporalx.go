// Package temporalx connects dsrflow to a Temporal cluster: dialing with the configured TLS, registering
// dsrflow's search attributes, and the readiness checks the front door reports.
package temporalx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
)

// DialOption adjusts the client options Dial uses.
type DialOption func(*client.Options)

// WithEncryption encrypts every payload and failure message the client, and the workers built on it,
// send to Temporal, and decrypts what they read.
func WithEncryption(keys *payload.KeyRing) DialOption {
	return func(o *client.Options) {
		o.DataConverter = payload.DataConverter(keys)
		o.FailureConverter = payload.FailureConverter(keys)
	}
}

// WithMetrics makes the client, and the workers built on it, report the SDK's metrics to h.
func WithMetrics(h client.MetricsHandler) DialOption {
	return func(o *client.Options) { o.MetricsHandler = h }
}

// Dial connects to Temporal and checks the connection once, so a wrong address fails at start-up rather
// than on the first request.
func Dial(ctx context.Context, cfg config.Temporal, logger *slog.Logger, options ...DialOption) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	}
	for _, o := range options {
		o(&opts)
	}
	if cfg.TLS() {
		tlsConfig, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsConfig
	}
	if cfg.APIKey != "" {
		// The SDK turns TLS on for an API key when no TLS setting is given.
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w%s", cfg.Address, err, refusalHint(cfg, err))
	}
	return c, nil
}

// refusalHint names the setting to look at when the server refused the client's credentials, which
// the server's own words do not: Temporal answers a wrong or missing API key, or an identity its
// authorizer does not admit, with a bare "Request unauthorized." (PermissionDenied; Unauthenticated from
// some proxies and clouds). Under TLS 1.3 a
// server that requires a client certificate judges it after the client's handshake has finished: the
// client learns of the refusal when it next reads (the server's alert, "certificate required") or, when
// the server has already closed the connection, as a broken pipe or a reset that names no cause. Go's
// client sends no certificate signed by a CA the server does not list as accepted, so a certificate from
// another CA also ends in "certificate required". Found against the embedded server with mTLS and an API
// key (internal/devserver TestMTLSOnTheRealFrontend, TestAPIKeyOnTheRealFrontend).
func refusalHint(cfg config.Temporal, err error) string {
	switch {
	case !Refused(err):
	case cfg.APIKey != "":
		return "; the server refused the credentials: check TEMPORAL_API_KEY"
	case cfg.TLSCert != "":
		return "; the server does not admit the client certificate in TEMPORAL_TLS_CERT (or it wants TEMPORAL_API_KEY)"
	default:
		return "; the server requires credentials: TEMPORAL_API_KEY, or a client certificate in TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"
	}
	if !cfg.TLS() && cfg.APIKey == "" {
		return ""
	}
	text := err.Error()
	required := strings.Contains(text, "tls: certificate required")
	closed := strings.Contains(text, "broken pipe") || strings.Contains(text, "connection reset by peer")
	refused := strings.Contains(text, "tls: bad certificate") || strings.Contains(text, "tls: unknown certificate authority")
	switch {
	case strings.Contains(text, "x509: certificate signed by unknown authority"):
		return "; the server's certificate is not signed by a CA in TEMPORAL_TLS_CA (the system's CAs when it is unset)"
	case cfg.TLSCert == "" && required:
		return "; the server requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"
	case cfg.TLSCert == "" && closed:
		return "; the server closed the connection after the TLS handshake, as one does that requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"
	case required:
		return "; the client certificate was not sent: is TEMPORAL_TLS_CERT signed by a CA the server accepts?"
	case closed || refused:
		return "; the server closed the connection after the TLS handshake, as one does that refuses the client certificate: is TEMPORAL_TLS_CERT signed by a CA the server accepts?"
	}
	return ""
}

// Refused reports whether err is the server refusing the client's credentials (PermissionDenied, or
// Unauthenticated from some proxies and clouds): it answered, and said no.
func Refused(err error) bool {
	var denied *serviceerror.PermissionDenied
	return errors.As(err, &denied) || status.Code(err) == codes.Unauthenticated
}

func tlsConfig(cfg config.Temporal) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
	if t.ServerName == "" {
		host, _, _ := net.SplitHostPort(cfg.Address)
		t.ServerName = host
	}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, &config.Error{Var: "TEMPORAL_TLS_CERT", Problem: fmt.Sprintf("cannot load the key pair: %v", err)}
		}
		t.Certificates = []tls.Certificate{pair}
	}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, &config.Error{Var: "TEMPORAL_TLS_CA", Problem: err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &config.Error{Var: "TEMPORAL_TLS_CA", Problem: "holds no PEM certificate"}
		}
		t.RootCAs = pool
	}
	return t, nil
}

// EnsureSearchAttributes registers the attributes the namespace lacks and returns their names. It is
// idempotent; an attribute registered with another type is an error, since queries would break. It needs
// the operator API's rights: `starter temporal setup` and the dev stack call it, never a production worker.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, keys []temporal.SearchAttributeKey) (added []string, err error) {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, k := range keys {
		got, ok := have.GetCustomAttributes()[k.GetName()]
		switch {
		case !ok:
			missing[k.GetName()] = k.GetValueType()
			added = append(added, k.GetName())
		case got != k.GetValueType():
			return nil, fmt.Errorf("search attribute %s is registered as %s, dsrflow needs %s", k.GetName(), got, k.GetValueType())
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return nil, fmt.Errorf("add search attributes: %w", err)
	}
	return added, nil
}

// MissingSearchAttributes returns the keys the namespace lacks, as "Name (Type)", without the operator
// API's write rights: a production worker calls it at start. The namespace's own description names its
// custom attributes where the cluster maps them onto fields (SQL visibility, Temporal Cloud); for the
// others (Elasticsearch) the operator API's read-only list is asked. An attribute registered with another
// type is an error.
func MissingSearchAttributes(ctx context.Context, c client.Client, namespace string, keys []temporal.SearchAttributeKey) ([]string, error) {
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("describe namespace %s: %w", namespace, err)
	}
	fields := map[string]string{} // attribute name -> field it is mapped onto
	for field, name := range desc.GetConfig().GetCustomSearchAttributeAliases() {
		fields[name] = field
	}
	var unknown []temporal.SearchAttributeKey
	for _, k := range keys {
		field, ok := fields[k.GetName()]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if t, ok := fieldType(field); ok && t != k.GetValueType() {
			return nil, fmt.Errorf("search attribute %s is registered as %s, dsrflow needs %s", k.GetName(), t, k.GetValueType())
		}
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	have := map[string]enumspb.IndexedValueType{}
	list, listErr := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if listErr == nil {
		have = list.GetCustomAttributes()
	}
	var missing []string
	for _, k := range unknown {
		got, ok := have[k.GetName()]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%s (%s)", k.GetName(), k.GetValueType()))
		case got != k.GetValueType():
			return nil, fmt.Errorf("search attribute %s is registered as %s, dsrflow needs %s", k.GetName(), got, k.GetValueType())
		}
	}
	return missing, nil
}

// fieldType is the type of a SQL visibility field such as Keyword03 or Datetime01.
func fieldType(field string) (enumspb.IndexedValueType, bool) {
	prefix := strings.TrimRight(field, "0123456789")
	for _, t := range []enumspb.IndexedValueType{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST, enumspb.INDEXED_VALUE_TYPE_KEYWORD, enumspb.INDEXED_VALUE_TYPE_TEXT,
		enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE, enumspb.INDEXED_VALUE_TYPE_BOOL, enumspb.INDEXED_VALUE_TYPE_DATETIME,
	} {
		if prefix == t.String() {
			return t, true
		}
	}
	return 0, false
}

// CheckHealth asks the frontend whether it serves.
func CheckHealth(ctx context.Context, c client.Client) error {
	_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// CheckPollers reports whether some worker polled the task queue recently: the front door's view of
// "the worker is ready" when the worker runs in another process.
func CheckPollers(ctx context.Context, c client.Client, taskQueue string, within time.Duration) error {
	resp, err := c.DescribeTaskQueue(ctx, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Errorf("describe task queue %s: %w", taskQueue, err)
	}
	for _, p := range resp.GetPollers() {
		if time.Since(p.GetLastAccessTime().AsTime()) <= within {
			return nil
		}
	}
	return fmt.Errorf("no worker has polled task queue %s in the last %s", taskQueue, within)
}
