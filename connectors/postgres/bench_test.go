package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// benchRows is the size of the customers table: one million unless DSR_BENCH_ROWS says otherwise.
func benchRows(b *testing.B) int {
	if v := os.Getenv("DSR_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("DSR_BENCH_ROWS=%q: want a number of at least 10", v)
		}
		return n
	}
	return 1_000_000
}

// benchConnector makes a database with rows customers (indexed email), each with two invoices, and opens
// the mapping on it.
func benchConnector(b *testing.B) *Connector {
	// storetest's helpers take a *testing.T, so the benchmark makes its own database.
	admin := os.Getenv("DSR_TEST_POSTGRES_URL")
	if admin == "" {
		b.Skip("no PostgreSQL: set DSR_TEST_POSTGRES_URL or run under scripts/with-postgres.sh")
	}
	dsn := benchDatabase(b, admin)
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(schema + JobTableDDL(DefaultJobTable) + fmt.Sprintf(`
		CREATE INDEX ON customers (email);
		SELECT setval('customers_id_seq', 2);
		INSERT INTO customers (name, email, phone)
			SELECT 'Person ' || n, 'person' || n || '@example.com', '+47 ' || (40000000 + n) FROM generate_series(3, %d) n;
		INSERT INTO invoices (customer_id, amount, issued_on)
			SELECT id, 10 + id %% 90, date '2024-01-01' + id %% 365 FROM customers, generate_series(1, 2) s WHERE id > 2;
		ANALYZE;`, benchRows(b))); err != nil {
		b.Fatal(err)
	}
	reg, err := connectors.Parse([]byte(erpYAML), func(string) string { return dsn })
	if err != nil {
		b.Fatal(err)
	}
	conn, _ := reg.Get("erp")
	c, err := Open(context.Background(), conn, func(string) string { return dsn })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkAccess measures one access job for one subject among DSR_BENCH_ROWS customers (default one
// million), each with two invoices. `make bench` runs it and prints the median.
func BenchmarkAccess(b *testing.B) {
	c := benchConnector(b)
	j := job(dsrflow.ActionAccess, jane)
	b.ResetTimer()
	for b.Loop() {
		res, err := c.Run(context.Background(), j)
		if err != nil || len(res.Records) != 3 {
			b.Fatalf("access = %+v, %v", res, err)
		}
	}
}

// BenchmarkErase measures one erasure (customer masked, invoices retained, the job logged) for a different
// subject each time, among DSR_BENCH_ROWS customers.
func BenchmarkErase(b *testing.B) {
	c := benchConnector(b)
	rows := benchRows(b)
	n := 3
	b.ResetTimer()
	for b.Loop() {
		if n > rows {
			b.Fatal("ran out of subjects: raise DSR_BENCH_ROWS")
		}
		// A request of its own each time: the same job id would answer from the job table.
		j := job(dsrflow.ActionErase, dsrflow.Identity{Email: fmt.Sprintf("person%d@example.com", n)})
		j.RequestID = fmt.Sprintf("r_%d", n)
		j.ID = connectors.JobID(j.RequestID, "erp", dsrflow.ActionErase)
		n++
		res, err := c.Run(context.Background(), j)
		if err != nil || res.Counts["masked"] != 1 {
			b.Fatalf("erase = %+v, %v", res, err)
		}
	}
}

func benchDatabase(b *testing.B, adminURL string) string {
	admin, err := sqlx.Open("postgres", adminURL)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8)
	rand.Read(buf)
	name := "dsr_bench_" + hex.EncodeToString(buf)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
		admin.Exec(`DROP DATABASE IF EXISTS ` + name)
		admin.Close()
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
