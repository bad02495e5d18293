package temporalx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// frontend stands in for Temporal Cloud's frontend: TLS, and an API key in the authorization header.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	key string
}

func (f *frontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+f.key {
		return nil, status.Error(codes.Unauthenticated, "invalid API key")
	}
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// startFrontend serves f over TLS on loopback with a self-signed certificate; it returns the address and
// the certificate's PEM file, to be given as TEMPORAL_TLS_CA.
func startFrontend(t *testing.T, f *frontend) (addr, caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "temporal"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})))
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), caFile
}

// TEMPORAL_API_KEY reaches the frontend as a bearer token over TLS; a wrong one fails the dial with the
// address and the server's reason.
//
// internal/devserver TestAPIKeyOnTheRealFrontend runs this path against the real Temporal frontend, which
// refuses with a bare PermissionDenied; this stand-in stays for a server that refuses as some proxies and
// clouds do, Unauthenticated with a reason of its own, which must reach the error with the hint.
func TestDialWithAPIKey(t *testing.T) {
	addr, ca := startFrontend(t, &frontend{key: "good-key"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logger := slog.New(slog.DiscardHandler)

	c, err := temporalx.Dial(ctx, config.Temporal{Address: addr, Namespace: "default", TLSCA: ca, APIKey: "good-key"}, logger)
	if err != nil {
		t.Fatalf("dial with the right key: %v", err)
	}
	c.Close()

	_, err = temporalx.Dial(ctx, config.Temporal{Address: addr, Namespace: "default", TLSCA: ca, APIKey: "wrong-key"}, logger)
	if err == nil || !strings.Contains(err.Error(), "temporal at "+addr) || !strings.Contains(err.Error(), "invalid API key") || !strings.Contains(err.Error(), "check TEMPORAL_API_KEY") {
		t.Fatalf("dial with a wrong key: %v", err)
	}
}
