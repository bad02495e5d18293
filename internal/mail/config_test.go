package mail_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/mail"
)

// workerEnv is a valid production worker environment with DSR_SMTP_URL set to smtpURL.
func workerEnv(t *testing.T, smtpURL string) config.Getenv {
	t.Helper()
	conns := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(conns, []byte("connectors: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:7233", "DATABASE_URL": "postgres://127.0.0.1:5432/x", "DSR_WORKER_ADDR": "off",
		"DSR_HMAC_KEY": strings.Repeat("ab", 32), "DSR_CONNECTORS": conns, "DSR_PUBLIC_URL": "https://dsr.example.com", "DSR_SMTP_URL": smtpURL,
		"DSR_MASTER_KEYS": "k1:" + strings.Repeat("A", 43) + "="}
	return func(k string) string { return env[k] }
}

func TestSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want config.SMTP
	}{
		{"smtp://dsr:p%40ss@mail.example.com:587?from=privacy@example.com",
			config.SMTP{Host: "mail.example.com", Port: "587", Username: "dsr", Password: "p@ss", From: "privacy@example.com", FromAddress: "privacy@example.com", Security: config.SMTPStartTLS}},
		{"smtp://dsr:pw@mail.example.com?from=privacy@example.com&starttls=on",
			config.SMTP{Host: "mail.example.com", Port: "587", Username: "dsr", Password: "pw", From: "privacy@example.com", FromAddress: "privacy@example.com", Security: config.SMTPStartTLS}},
		{"smtps://dsr:pw@mail.example.com?from=Privacy%20Team%20%3Cprivacy@example.com%3E",
			config.SMTP{Host: "mail.example.com", Port: "465", Username: "dsr", Password: "pw", From: "Privacy Team <privacy@example.com>", FromAddress: "privacy@example.com", Security: config.SMTPTLS}},
		{"smtp://mail:1025?from=privacy@example.com&starttls=off",
			config.SMTP{Host: "mail", Port: "1025", From: "privacy@example.com", FromAddress: "privacy@example.com", Security: config.SMTPPlain}},
	} {
		w, err := config.LoadWorker(workerEnv(t, tc.url))
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if w.SMTP != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.url, w.SMTP, tc.want)
		}
		if s := mail.NewSMTPSender(w.SMTP); s.Addr != tc.want.Host+":"+tc.want.Port || s.Security != tc.want.Security || s.Password != tc.want.Password {
			t.Errorf("%s: sender %+v", tc.url, s)
		}
	}
}

// TestSMTPURLErrors: each mistake stops the worker with an error naming DSR_SMTP_URL, and never the
// password.
func TestSMTPURLErrors(t *testing.T) {
	const pw = "hunter2"
	for _, tc := range []struct{ name, url, problem string }{
		{"missing", "", "must be set"},
		{"scheme", "http://u:hunter2@mail.example.com?from=a@example.com", "scheme"},
		{"unparsable port", "smtp://u:hunter2@mail.example.com:abc?from=a@example.com", "smtp:// or smtps:// URL"},
		{"port out of range", "smtp://u:hunter2@mail.example.com:99999?from=a@example.com", "port"},
		{"no host", "smtp://u:hunter2@:587?from=a@example.com", "host"},
		{"no from", "smtp://u:hunter2@mail.example.com", "from="},
		{"bad from", "smtp://u:hunter2@mail.example.com?from=hunter2", "from="},
		{"password in clear", "smtp://u:hunter2@mail.example.com?from=a@example.com&starttls=off", "unencrypted"},
		{"starttls value", "smtp://u:hunter2@mail.example.com?from=a@example.com&starttls=hunter2", "starttls"},
		{"starttls on smtps", "smtps://u:hunter2@mail.example.com?from=a@example.com&starttls=off", "starttls"},
		{"unknown parameter", "smtp://u:hunter2@mail.example.com?from=a@example.com&tls=1", "unknown parameter"},
		{"password without user", "smtp://:hunter2@mail.example.com?from=a@example.com", "no user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.LoadWorker(workerEnv(t, tc.url))
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != "DSR_SMTP_URL" || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("LoadWorker = %v, want a DSR_SMTP_URL error about %q", err, tc.problem)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("error %q echoes the password", err)
			}
		})
	}
}
