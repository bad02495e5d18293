package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
)

// PostgresURL returns the admin URL of the test server, skipping the test when there is none. CI must
// run these tests, so there a missing server is a failure.
func PostgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("DSR_TEST_POSTGRES_URL")
	if u != "" {
		return u
	}
	const how = "set DSR_TEST_POSTGRES_URL to a PostgreSQL admin URL, or run: scripts/with-postgres.sh go test ./internal/store/..."
	if os.Getenv("CI") == "true" {
		t.Fatal("PostgreSQL tests cannot be skipped in CI: " + how)
	}
	t.Skip("no PostgreSQL: " + how)
	return ""
}

// FreshPostgres creates an empty database on the admin server, drops it when the test ends, and returns
// its URL.
func FreshPostgres(t *testing.T, adminURL string) string {
	t.Helper()
	admin, err := sqlx.Open("postgres", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	name := "dsr_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// Registered before the stores' own Close (cleanups run last-in first-out), so it runs after them;
	// connections a failed test left behind are terminated first.
	t.Cleanup(func() {
		_, _ = admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("DSR_TEST_POSTGRES_URL must be a postgres:// URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
