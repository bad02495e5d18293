package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// List loads a SQLite store with size requests (most closed, a few percent open and due over the next
// 30 days), serves it with the real front door and times `starter list --due-within 7d` (when starter
// names the binary) and the API call behind it; with starter, also starter's package init (StarterInit).
func List(ctx context.Context, size, rounds int, starter string, progress func(string)) ([]Figure, error) {
	dir, err := os.MkdirTemp("", "dsrflow-bench-list")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "dsrflow.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	began := time.Now()
	open, err := bulkLoad(ctx, st, size)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("loaded %d requests (%d open) in %.1f s", size, open, time.Since(began).Seconds()))
	plan, err := listPlan(ctx, st)
	if err != nil {
		return nil, err
	}
	progress("query plan: " + plan)

	const token = "dsr_dev_bench"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: web.NewServer(web.Deps{Store: st, Auth: web.DevToken(token)}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	a := newAPI(url, token)

	var apiMS, cliMS []float64
	for i := range rounds + 3 {
		start := time.Now()
		status, data, err := a.do(ctx, "GET", "/api/v1/requests?due_within=7d", nil)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("list: %d %.200s %v", status, data, err)
		}
		if got := strings.Count(string(data), `"id":`); got != 100 {
			return nil, fmt.Errorf("list answered %d requests, want a full page of 100", got)
		}
		if i >= 3 {
			apiMS = append(apiMS, float64(time.Since(start).Microseconds())/1000)
		}
		if starter == "" {
			continue
		}
		cmd := exec.CommandContext(ctx, starter, "list", "--due-within", "7d", "--json")
		cmd.Env = append(os.Environ(), "DSR_URL="+url, "DSR_TOKEN="+token)
		start = time.Now()
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "[") {
			return nil, fmt.Errorf("starter list: %v: %.200s", err, out)
		}
		if i >= 3 {
			cliMS = append(cliMS, float64(time.Since(start).Microseconds())/1000)
		}
	}
	n := fmt.Sprintf("%d requests in the SQLite store, %d open", size, open)
	label := sizeLabel(size)
	figures := []Figure{{Name: "list_api_ms_" + label, Rounds: apiMS, Note: "GET /api/v1/requests?due_within=7d (first 100 by due date), " + n}}
	if starter != "" {
		initMS, err := StarterInit(ctx, starter, rounds)
		if err != nil {
			return nil, err
		}
		figures = append([]Figure{{Name: "list_ms_" + label, Rounds: cliMS, Note: "`starter list --due-within 7d --json`, process start to exit, target under 20 ms; " + n}, initMS}, figures...)
	}
	return figures, nil
}

// bulkLoad fills the requests table with size rows generated inside SQLite (one INSERT ... SELECT over a
// recursive counter, indexes dropped during the load and rebuilt after): about 30 of every 1000 open,
// received in the last 30 days and due 30 days after; the rest closed over the three years before. It
// returns how many are open.
func bulkLoad(ctx context.Context, st *store.Store, size int) (int, error) {
	db := st.UnsafeDB()
	var indexes []string
	if err := db.SelectContext(ctx, &indexes, `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL`); err != nil {
		return 0, err
	}
	for _, ix := range indexes {
		head := strings.Fields(strings.Split(ix, " ON ")[0]) // CREATE INDEX name
		if _, err := db.ExecContext(ctx, "DROP INDEX "+head[len(head)-1]); err != nil {
			return 0, err
		}
	}
	now := time.Now().UnixMicro()
	const day = int64(24 * time.Hour / time.Microsecond)
	_, err := db.ExecContext(ctx, `
		WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1),
		r AS (SELECT i, i % 33 = 0 AS open,
			CASE WHEN i % 33 = 0 THEN ? - (i * 2654435761) % (30 * ?) ELSE ? - 31 * ? - (i * 11400714819) % (1095 * ?) END AS received
			FROM n)
		INSERT INTO requests (id, type, status, country, jurisdiction, received_at, due_at, extended_due_at, closed_at, updated_at, subject_key)
		SELECT printf('dsr_bench%022d', i),
			CASE i % 8 WHEN 0 THEN 'access' WHEN 1 THEN 'erasure' WHEN 2 THEN 'rectification' WHEN 3 THEN 'restriction'
				WHEN 4 THEN 'objection' WHEN 5 THEN 'marketing_optout' WHEN 6 THEN 'consent_withdrawal' ELSE 'portability' END,
			CASE WHEN open THEN 'fulfilling' WHEN i % 7 = 0 THEN 'lapsed' ELSE 'completed' END,
			'NO', 'gdpr', received, received + 30 * ?, NULL,
			CASE WHEN open THEN NULL ELSE received + (i % 30) * ? END,
			received, printf('k%030d', i)
		FROM r`, size, now, day, now, day, day, day, day)
	if err != nil {
		return 0, err
	}
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, ix); err != nil {
			return 0, err
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return 0, err
	}
	var open int
	err = db.GetContext(ctx, &open, `SELECT count(*) FROM requests WHERE closed_at IS NULL`)
	return open, err
}

// listPlan is SQLite's plan for the list query, for BENCHMARKS.md.
func listPlan(ctx context.Context, st *store.Store) (string, error) {
	rows, err := st.UnsafeDB().QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM requests WHERE closed_at IS NULL AND due_at < ? ORDER BY due_at, id LIMIT 100`, time.Now().Add(7*24*time.Hour).UnixMicro())
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		parts = append(parts, detail)
	}
	return strings.Join(parts, "; "), rows.Err()
}

func sizeLabel(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}
