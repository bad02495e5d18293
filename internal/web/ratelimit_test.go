package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
)

// frontDoors returns n front doors on one store file, each with its own store handle, as n replicas of
// `starter serve` would be.
func frontDoors(t *testing.T, n int, proxies ...netip.Prefix) []http.Handler {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dsrflow.db")
	key := secret.Key(strings.Repeat("k", secret.MinKeyLen))
	var out []http.Handler
	for i := range n {
		st, err := store.OpenSQLite(context.Background(), path, store.WithKeys(storetest.Keys(t, "")))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, web.NewServer(web.Deps{Store: st, Key: key, TrustedProxies: proxies}))
	}
	return out
}

// submit posts a privacy-center form for a rectification without corrections: the limits count it,
// then the API refuses it as invalid (400), so no workflow is involved. 429 means a limit refused it.
func submit(t *testing.T, h http.Handler, email, peer, forwarded string) int {
	t.Helper()
	form := url.Values{"type": {"rectification"}, "email": {email}}
	req := httptest.NewRequest(http.MethodPost, "/privacy/request", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = peer + ":40000"
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest && rec.Code != http.StatusTooManyRequests {
		t.Fatalf("submission answered %d: %s", rec.Code, rec.Body)
	}
	return rec.Code
}

// TestRateLimitsAreSharedByFrontDoors is issue 13's N replicas: the privacy center's limits are counted
// in the store, so alternating between two front doors does not double them, and a quoted local part
// counts as the same address.
func TestRateLimitsAreSharedByFrontDoors(t *testing.T) {
	doors := frontDoors(t, 2)
	for i := range 5 {
		email := "x@example.com"
		if i%2 == 1 {
			email = `"x"@Example.com`
		}
		if code := submit(t, doors[i%2], email, fmt.Sprintf("192.0.2.%d", i+1), ""); code != http.StatusBadRequest {
			t.Fatalf("submission %d for the address refused: %d", i+1, code)
		}
	}
	if code := submit(t, doors[1], "x@example.com", "192.0.2.99", ""); code != http.StatusTooManyRequests {
		t.Fatalf("6th submission for one address over two front doors = %d, want 429", code)
	}
	for i := range 20 {
		if code := submit(t, doors[i%2], fmt.Sprintf("p%d@example.com", i), "198.51.100.1", ""); code != http.StatusBadRequest {
			t.Fatalf("submission %d from one client refused: %d", i+1, code)
		}
	}
	if code := submit(t, doors[0], "p99@example.com", "198.51.100.1", ""); code != http.StatusTooManyRequests {
		t.Fatalf("21st submission from one client over two front doors = %d, want 429", code)
	}
}

// TestForwardedForOnlyFromTrustedProxies: X-Forwarded-For names the client only when the peer is a
// configured proxy. From any other peer a client cannot escape its limit by writing the header, and
// behind the proxy, clients are counted one by one even when one forges the left of the header.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	door := frontDoors(t, 1, netip.MustParsePrefix("10.0.0.0/8"))[0]
	// An untrusted peer rotating the header is still one client.
	for i := range 20 {
		submit(t, door, fmt.Sprintf("a%d@example.com", i), "203.0.113.7", fmt.Sprintf("192.0.2.%d", i))
	}
	if code := submit(t, door, "a99@example.com", "203.0.113.7", "192.0.2.200"); code != http.StatusTooManyRequests {
		t.Fatalf("an untrusted peer escaped its limit with X-Forwarded-For: %d", code)
	}
	// Behind the trusted proxy, 25 clients are 25 buckets.
	for i := range 25 {
		if code := submit(t, door, fmt.Sprintf("b%d@example.com", i), "10.0.0.5", fmt.Sprintf("198.51.100.%d", i)); code != http.StatusBadRequest {
			t.Fatalf("client %d behind the proxy refused: %d", i, code)
		}
	}
	// One client behind the proxy, forging a different address on the left each time: still one.
	for i := range 20 {
		submit(t, door, fmt.Sprintf("c%d@example.com", i), "10.0.0.5", fmt.Sprintf("192.0.2.%d, 198.51.100.77", i))
	}
	if code := submit(t, door, "c99@example.com", "10.0.0.5", "192.0.2.250, 198.51.100.77"); code != http.StatusTooManyRequests {
		t.Fatalf("a client behind the proxy escaped its limit by forging the header's left: %d", code)
	}
}
