package logsafe_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/logsafe"
)

const email = "jane.doe@example.com"

// textLogger logs through logsafe into a text handler without timestamps, so lines can be compared.
func textLogger(buf *bytes.Buffer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{}
		}
		return a
	}}
	return slog.New(logsafe.New(slog.NewTextHandler(buf, opts)))
}

type subject struct{ Email, Country string }

// requestLog resolves to a group, as a type with personal fields should.
type requestLog struct{ id, email string }

func (r requestLog) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.id), slog.String("email", r.email), slog.String("note", "from "+r.email))
}

type account struct{ email string }

func (a *account) String() string { return a.email }

type lazyText string

func (s lazyText) LogValue() slog.Value { return slog.StringValue(string(s)) }

func TestLogLinesMaskPersonalData(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		// Personal keys, in any case, lose their value.
		{"email", func(l *slog.Logger) { l.Info("m", "email", email) }, `msg=m email=[redacted]`},
		{"key case", func(l *slog.Logger) { l.Info("m", "Email", email, "SubjectEmail", email, "subject_email", email) }, `msg=m Email=[redacted] SubjectEmail=[redacted] subject_email=[redacted]`},
		{"name", func(l *slog.Logger) {
			l.Info("m", "name", "Jane Doe", "user.name", "Jane Smith", "FullName", "Jane Doe")
		}, `msg=m name=[redacted] user.name=[redacted] FullName=[redacted]`},
		{"phone", func(l *slog.Logger) { l.Info("m", "phone", "+47 400 00 000", "phoneNumber", 4740000000) }, `msg=m phone=[redacted] phoneNumber=[redacted]`},
		{"address", func(l *slog.Logger) { l.Info("m", "address", "Storgata 1, Oslo") }, `msg=m address=[redacted]`},
		{"mail fields", func(l *slog.Logger) {
			l.Info("m", "to", email, "recipient", "Jane", "reply_to", "x", "body", "Dear Jane", "subject_text", "Hi Jane")
		}, `msg=m to=[redacted] recipient=[redacted] reply_to=[redacted] body=[redacted] subject_text=[redacted]`},
		{"identities", func(l *slog.Logger) {
			l.Info("m", "identity", "jane", "identities", []string{"jane"}, "corrections", map[string]string{"user.name": "Jane Smith"})
		}, `msg=m identity=[redacted] identities=[redacted] corrections=[redacted]`},
		{"codes", func(l *slog.Logger) { l.Info("m", "code", "123456", "verification_code", 654321, "otp", "1234") }, `msg=m code=[redacted] verification_code=[redacted] otp=[redacted]`},

		// Technical keys that share a word with a personal one are kept.
		{"technical keys", func(l *slog.Logger) {
			l.Info("m", "status_code", 200, "SignalName", "finish", "UpdateName", "decide", "WorkflowType", "Request", "http_address", "127.0.0.1:8080", "country_code", "NO")
		}, `msg=m status_code=200 SignalName=finish UpdateName=decide WorkflowType=Request http_address=127.0.0.1:8080 country_code=NO`},

		// Values and messages: emails, phones and, where codes are spoken of, six-digit numbers.
		{"email in a value", func(l *slog.Logger) { l.Info("m", "detail", "mailed "+email+" twice") }, `msg=m detail="mailed [email] twice"`},
		{"escaped email", func(l *slog.Logger) { l.Info("m", "path", "/subjects?q=jane.doe%40example.com") }, `msg=m path="/subjects?q=[email]"`},
		{"email in the message", func(l *slog.Logger) { l.Info("no account for " + email) }, `msg="no account for [email]"`},
		{"phone in a value", func(l *slog.Logger) { l.Info("m", "detail", "call +47 400 00 000 or +4740000000") }, `msg=m detail="call [phone] or [phone]"`},
		{"code in the message", func(l *slog.Logger) { l.Info("verification code 123456 sent") }, `msg="verification code [code] sent"`},
		{"code in the value", func(l *slog.Logger) { l.Info("m", "detail", "code=123456") }, `msg=m detail="code=[code]"`},
		{"numeric code under a code message", func(l *slog.Logger) { l.Info("code mailed", "n", 123456, "attempt", 2) }, `msg="code mailed" n=[code] attempt=2`},
		{"six digits without a code", func(l *slog.Logger) { l.Info("m", "rows", 123456, "detail", "took 123456 ms") }, `msg=m rows=123456 detail="took 123456 ms"`},
		{"ids and times are not codes", func(l *slog.Logger) {
			l.Info("status code 200 for dsr_123456", "job_id", "dsr_123456:crm:access", "took", 1234567*time.Nanosecond, "at", "2026-11-02T09:30:00.123456Z", "WorkerID", "123456@vm@", "RunID", "01a22435-2539-7865-aecf-9a6ae9347bdc")
		}, `msg="status code 200 for dsr_123456" job_id=dsr_123456:crm:access took=1.234567ms at=2026-11-02T09:30:00.123456Z WorkerID=123456@vm@ RunID=01a22435-2539-7865-aecf-9a6ae9347bdc`},

		// Groups, LogValuers, errors and arbitrary values.
		{"group", func(l *slog.Logger) {
			l.Info("m", slog.Group("subject", "email", email, "country", "NO", "note", "is "+email))
		}, `msg=m subject.email=[redacted] subject.country=NO subject.note="is [email]"`},
		{"personal group", func(l *slog.Logger) { l.Info("m", slog.Group("Identities", "kind", "email", "value", "x")) }, `msg=m Identities=[redacted]`},
		{"nested group", func(l *slog.Logger) { l.Info("m", slog.Group("a", slog.Group("b", "name", "Jane", "ok", 1))) }, `msg=m a.b.name=[redacted] a.b.ok=1`},
		{"inline group", func(l *slog.Logger) { l.Info("m", slog.Group("", "email", email, "id", "dsr_1")) }, `msg=m email=[redacted] id=dsr_1`},
		{"log valuer", func(l *slog.Logger) { l.Info("m", "req", requestLog{"dsr_1", email}) }, `msg=m req.id=dsr_1 req.email=[redacted] req.note="from [email]"`},
		{"log valuer string", func(l *slog.Logger) { l.Info("m", "detail", lazyText(email)) }, `msg=m detail=[email]`},
		{"error", func(l *slog.Logger) { l.Info("m", "err", fmt.Errorf("send to %s: %w", email, errors.New("refused"))) }, `msg=m err="send to [email]: refused"`},
		{"error kept", func(l *slog.Logger) { l.Info("m", "err", errors.New("connection refused")) }, `msg=m err="connection refused"`},
		{"struct", func(l *slog.Logger) { l.Info("m", "input", subject{email, "NO"}) }, `msg=m input="{Email:[email] Country:NO}"`},
		{"nil stringer", func(l *slog.Logger) { l.Info("m", "account", (*account)(nil)) }, `msg=m account=<nil>`},
		{"stringer", func(l *slog.Logger) { l.Info("m", "account", &account{email}) }, `msg=m account=[email]`},
		{"bytes", func(l *slog.Logger) { l.Info("m", "raw", []byte(`{"e":"`+email+`"}`)) }, `msg=m raw="{\"e\":\"[email]\"}"`},

		// Attributes added ahead of the record, and groups opened ahead of it.
		{"with attrs", func(l *slog.Logger) { l.With("email", email, "detail", email, "id", "dsr_1").Info("m") }, `msg=m email=[redacted] detail=[email] id=dsr_1`},
		{"with group", func(l *slog.Logger) { l.WithGroup("req").Info("m", "email", email, "id", "dsr_1") }, `msg=m req.email=[redacted] req.id=dsr_1`},
		{"personal with group", func(l *slog.Logger) { l.WithGroup("identity").With("kind", "email").Info("m", "value", "x") }, `msg=m identity.kind=[redacted] identity.value=[redacted]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(textLogger(&buf))
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestJSONLogLinesMaskPersonalData(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(logsafe.New(slog.NewJSONHandler(&buf, nil)))
	l.With("request", "dsr_1").Error("verify "+email, "code", "123456", "err", errors.New("code 654321 expired for "+email))
	out := buf.String()
	for _, leak := range []string{email, "123456", "654321"} {
		if strings.Contains(out, leak) {
			t.Errorf("JSON line holds %s: %s", leak, out)
		}
	}
	for _, kept := range []string{`"request":"dsr_1"`, `"msg":"verify [email]"`, `"code":"[redacted]"`, `"err":"code [code] expired for [email]"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("JSON line lacks %s: %s", kept, out)
		}
	}
}

func TestMaskTextInLogs(t *testing.T) {
	for _, tc := range []struct {
		in    string
		codes bool
		want  string
	}{
		{"jane.doe@example.com", false, "[email]"},
		{"<Jane.Doe+dsr@mail.example.co.uk>", false, "<[email]>"},
		{"jane.doe%40example.com", false, "[email]"},
		{"12443@vm@", false, "12443@vm@"},
		{"+47 400 00 000", false, "[phone]"},
		{"+47-400-00-000.", false, "[phone]."},
		{"+44 (0)20 7946 0958", false, "[phone]"},
		{"+1234567", false, "+1234567"}, // seven digits: not a phone
		{"offset +0200", false, "offset +0200"},
		{"123456", true, "[code]"},
		{"123456", false, "123456"},
		{"code: 123456.", true, "code: [code]."},
		{"(123456)", true, "([code])"},
		{"1234567", true, "1234567"},
		{"dsr_123456 job-123456 a123456 123456b", true, "dsr_123456 job-123456 a123456 123456b"},
		{"1.123456s 09:30:00.123456 12:123456 123456.5 :7233", true, "1.123456s 09:30:00.123456 12:123456 123456.5 :7233"},
	} {
		if got := logsafe.MaskText(tc.in, tc.codes); got != tc.want {
			t.Errorf("MaskText(%q, %v) = %q, want %q", tc.in, tc.codes, got, tc.want)
		}
	}
}

func TestPersonalLogKeys(t *testing.T) {
	personal := []string{"email", "EMAIL", "subjectEmail", "email_hash", "name", "user.name", "first_name", "SubjectName",
		"phone", "Phone_Number", "address", "home_address", "to", "ReplyTo", "cc", "recipient", "recipients", "identity",
		"identities", "Identities", "code", "verification_code", "VerificationCode", "corrections", "body", "mail_body",
		"subject_text", "SubjectText", "otp", "date_of_birth"}
	kept := []string{"", "id", "request", "request_id", "job_id", "WorkflowID", "RunID", "WorkerID", "Namespace", "TaskQueue",
		"ActivityType", "UpdateName", "SignalName", "metric", "connector", "status", "status_code", "StatusCode",
		"http_status", "country_code", "http_address", "temporal", "err", "error", "Error", "kind", "message", "attempt",
		"subject", "text", "topic", "took", "path", "method"}
	for _, k := range personal {
		if !logsafe.PersonalKey(k) {
			t.Errorf("PersonalKey(%q) = false, want true", k)
		}
	}
	for _, k := range kept {
		if logsafe.PersonalKey(k) {
			t.Errorf("PersonalKey(%q) = true, want false", k)
		}
	}
}

// A record with nothing to mask reaches the handler as it was logged.
func TestCleanLogRecordPassesThrough(t *testing.T) {
	var plain, safe bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	log := func(l *slog.Logger) {
		l.With("request", "dsr_1").WithGroup("job").Info("job done", "connector", "crm", "took", time.Second, "attempt", 3, "err", errors.New("x"))
	}
	log(slog.New(slog.NewTextHandler(&plain, opts)))
	log(slog.New(logsafe.New(slog.NewTextHandler(&safe, opts))))
	if plain.String() != safe.String() {
		t.Fatalf("logsafe changed a clean record:\n%s%s", plain.String(), safe.String())
	}
}
