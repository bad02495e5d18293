package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// farm is n demo-style HTTP connectors on one loopback server, each under its own prefix and built with
// connectors/sdk like the demo subsidiaries: signed protocol v1, a job store, one small record per access.
type farm struct {
	srv     *http.Server
	url     string
	secrets map[string]string // env var name -> secret
	yaml    string            // path of the connectors.yaml naming them
}

func startFarm(dir string, n int) (*farm, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &farm{url: "http://" + ln.Addr().String(), secrets: map[string]string{}}
	mux := http.NewServeMux()
	var y strings.Builder
	y.WriteString("connectors:\n")
	quiet := slog.New(slog.DiscardHandler)
	for i := range n {
		id := fmt.Sprintf("sys%03d", i+1)
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		secret := hex.EncodeToString(b)
		env := "BENCH_SECRET_" + strings.ToUpper(id)
		f.secrets[env] = secret
		h := sdk.New(sdk.Options{Secret: []byte(secret), Logger: quiet}, sdk.HandlerFunc(answer))
		mux.Handle("/"+id+"/", http.StripPrefix("/"+id, h))
		fmt.Fprintf(&y, "  - id: %s\n    kind: http\n    owner: Bench Subsidiary %03d AS\n    role: subsidiary\n    url: %s/%s\n    secret_env: %s\n    actions: [access, erase]\n    identities: [email]\n    categories: [user.contact.email, user.name]\n",
			id, i+1, f.url, id, env)
	}
	f.yaml = filepath.Join(dir, fmt.Sprintf("connectors-%d.yaml", n))
	if err := os.WriteFile(f.yaml, []byte(y.String()), 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("bench connectors stopped", "err", err)
		}
	}()
	return f, nil
}

func (f *farm) getenv(k string) string { return f.secrets[k] }

func (f *farm) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
}

// answer is every bench connector's job: the subject's profile for access, one row erased for erase.
func answer(_ context.Context, job connectors.Job) (connectors.Result, error) {
	res := connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted}
	switch job.Action {
	case "access":
		res.Records = []connectors.Record{{Dataset: "profiles",
			Fields:     map[string]string{"email": job.Identities.Email, "name": "Bench Subject"},
			Categories: map[string]string{"email": "user.contact.email", "name": "user.name"}}}
		res.Counts = map[string]int{"records": 1}
	default:
		res.Counts = map[string]int{"erased": 1}
	}
	return res, nil
}
