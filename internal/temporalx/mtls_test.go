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
	"errors"
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
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// mtlsFrontend stands in for a self-hosted frontend that requires a client certificate signed by its
// CA, and answers only the one named dsrflow.
type mtlsFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (mtlsFrontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	p, _ := peer.FromContext(ctx)
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 || info.State.PeerCertificates[0].Subject.CommonName != "dsrflow" {
		return nil, status.Error(codes.PermissionDenied, "not the dsrflow client certificate")
	}
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// testCA issues certificates for the test, written as PEM files into dir.
type testCA struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{t: t, dir: t.TempDir(), cert: cert, key: key, der: der}
}

// issue returns a certificate for cn signed by the CA, and its key; dnsNames empty: valid for 127.0.0.1.
func (ca *testCA) issue(cn string, usage x509.ExtKeyUsage, dnsNames ...string) tls.Certificate {
	ca.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ca.t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: dnsNames}
	if len(dnsNames) == 0 {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		ca.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// write writes PEM blocks to a file in the CA's directory and returns its path.
func (ca *testCA) write(name string, blocks ...*pem.Block) string {
	ca.t.Helper()
	var b []byte
	for _, bl := range blocks {
		b = append(b, pem.EncodeToMemory(bl)...)
	}
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}

// files writes a certificate and its key as TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY would name them.
func (ca *testCA) files(name string, c tls.Certificate) (certFile, keyFile string) {
	ca.t.Helper()
	der, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		ca.t.Fatal(err)
	}
	return ca.write(name+".pem", &pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		ca.write(name+"-key.pem", &pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// startMTLSFrontend serves the frontend over TLS with the server certificate, requiring a client
// certificate signed by the CA.
func startMTLSFrontend(t *testing.T, ca *testCA, server tls.Certificate) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12})))
	workflowservice.RegisterWorkflowServiceServer(srv, mtlsFrontend{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY and TEMPORAL_TLS_CA (the chart's temporal.tls Secret, mounted):
// the client certificate is loaded and presented, the server is verified against the CA, also under
// TEMPORAL_TLS_SERVER_NAME; without the certificate, or with files that do not hold one, the dial fails
// naming the cause.
//
// internal/devserver TestMTLSOnTheRealFrontend runs this path against the real Temporal frontend. This
// stand-in stays for what that server cannot show: it tells client certificates apart by subject (the
// embedded server admits any its CA signed), so the test sees which certificate was presented; and it
// needs no server start for the cases that fail before any connection (missing or mismatched files).
func TestDialWithMTLS(t *testing.T) {
	ca := newTestCA(t)
	caFile := ca.write("ca.pem", &pem.Block{Type: "CERTIFICATE", Bytes: ca.der})
	certFile, keyFile := ca.files("client", ca.issue("dsrflow", x509.ExtKeyUsageClientAuth))
	otherCert, otherKey := ca.files("other", ca.issue("someone-else", x509.ExtKeyUsageClientAuth))
	addr := startMTLSFrontend(t, ca, ca.issue("temporal", x509.ExtKeyUsageServerAuth))
	named := startMTLSFrontend(t, ca, ca.issue("temporal", x509.ExtKeyUsageServerAuth, "temporal-frontend.temporal.svc"))
	logger := slog.New(slog.DiscardHandler)
	dial := func(cfg config.Temporal) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cfg.Namespace = "default"
		c, err := temporalx.Dial(ctx, cfg, logger)
		if err == nil {
			c.Close()
		}
		return err
	}

	if err := dial(config.Temporal{Address: addr, TLSCert: certFile, TLSKey: keyFile, TLSCA: caFile}); err != nil {
		t.Fatalf("dial with the client certificate: %v", err)
	}
	if err := dial(config.Temporal{Address: named, TLSCert: certFile, TLSKey: keyFile, TLSCA: caFile, TLSServerName: "temporal-frontend.temporal.svc"}); err != nil {
		t.Fatalf("dial under TEMPORAL_TLS_SERVER_NAME: %v", err)
	}
	if err := dial(config.Temporal{Address: named, TLSCert: certFile, TLSKey: keyFile, TLSCA: caFile}); err == nil {
		t.Fatal("a server certificate for another name was accepted")
	}
	if err := dial(config.Temporal{Address: addr, TLSCert: otherCert, TLSKey: otherKey, TLSCA: caFile}); err == nil || !strings.Contains(err.Error(), "not the dsrflow client certificate") {
		t.Fatalf("dial with another client's certificate: %v; want the server's refusal, showing the certificate reached it", err)
	}
	if err := dial(config.Temporal{Address: addr, TLSCA: caFile}); err == nil || !strings.Contains(err.Error(), "temporal at "+addr) {
		t.Fatalf("dial without a client certificate: %v", err)
	}
	if err := dial(config.Temporal{Address: addr, TLSCert: certFile, TLSKey: keyFile}); err == nil {
		t.Fatal("a server certificate from a private CA was accepted without TEMPORAL_TLS_CA")
	}

	var cfgErr *config.Error
	if err := dial(config.Temporal{Address: addr, TLSCert: filepath.Join(ca.dir, "missing.pem"), TLSKey: keyFile, TLSCA: caFile}); !errors.As(err, &cfgErr) || cfgErr.Var != "TEMPORAL_TLS_CERT" {
		t.Errorf("a missing certificate file: %v, want an error naming TEMPORAL_TLS_CERT", err)
	}
	if err := dial(config.Temporal{Address: addr, TLSCert: certFile, TLSKey: otherKey, TLSCA: caFile}); !errors.As(err, &cfgErr) || cfgErr.Var != "TEMPORAL_TLS_CERT" {
		t.Errorf("a key of another certificate: %v, want an error naming TEMPORAL_TLS_CERT", err)
	}
	notPEM := ca.write("not-a-ca.pem")
	if err := dial(config.Temporal{Address: addr, TLSCert: certFile, TLSKey: keyFile, TLSCA: notPEM}); !errors.As(err, &cfgErr) || cfgErr.Var != "TEMPORAL_TLS_CA" {
		t.Errorf("a CA file without a certificate: %v, want an error naming TEMPORAL_TLS_CA", err)
	}
}
