package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/mail"
	"github.com/dsrflow/dsrflow/internal/store"
)

const (
	jane     = "jane.doe@example.com"
	janeBody = "Hallo Jane,\n.\n..zwei Punkte\nGrüße\n"
)

// date is the sender's clock in these tests: a Date header in the controller's zone.
var date = time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))

func janeMessage() store.Message {
	return store.Message{ID: "dsr_abc:answer", RequestID: "dsr_abc", Kind: "answer", To: jane, Subject: "Ihre Auskunft – Anfrage dsr_abc", Body: janeBody}
}

func plainSender(f *fakeSMTP) *mail.SMTPSender {
	return &mail.SMTPSender{Addr: f.addr, Host: "127.0.0.1", Security: config.SMTPPlain, From: "privacy@example.com", Now: func() time.Time { return date }, Timeout: 5 * time.Second}
}

func TestSMTPSenderDeliversTheExactMessage(t *testing.T) {
	f := (&fakeSMTP{}).start(t)
	if err := plainSender(f).Send(context.Background(), janeMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ds := f.deliveries()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	d := ds[0]
	if d.From != "privacy@example.com" || len(d.To) != 1 || d.To[0] != jane || d.TLS {
		t.Fatalf("envelope = %q -> %q (tls %v)", d.From, d.To, d.TLS)
	}
	want := "Message-ID: <dsr_abc%3Aanswer@dsrflow>\r\n" +
		"Date: Sat, 14 Mar 2026 15:09:26 +0100\r\n" +
		"From: privacy@example.com\r\n" +
		"To: jane.doe@example.com\r\n" +
		"Subject: =?utf-8?q?Ihre_Auskunft_=E2=80=93_Anfrage_dsr=5Fabc?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n" +
		"Auto-Submitted: auto-generated\r\n" +
		"\r\n" +
		"Hallo Jane,\r\n.\r\n..zwei Punkte\r\nGr=C3=BC=C3=9Fe\r\n"
	if d.Data != want {
		t.Fatalf("delivered message:\n%q\nwant:\n%q", d.Data, want)
	}
	// On the wire, lines starting with a dot were stuffed (a lone "." would have ended the data).
	if !strings.Contains(d.Wire, "\r\n..\r\n...zwei Punkte\r\n") {
		t.Fatalf("wire data not dot-stuffed: %q", d.Wire)
	}

	// What a mail reader shows: the subject and the body as queued.
	m, err := netmail.ReadMessage(strings.NewReader(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != janeMessage().Subject {
		t.Fatalf("decoded subject = %q, %v", subject, err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil || string(body) != strings.ReplaceAll(janeBody, "\n", "\r\n") {
		t.Fatalf("decoded body = %q, %v", body, err)
	}
}

func TestSMTPSenderLongAndHostileSubject(t *testing.T) {
	f := (&fakeSMTP{}).start(t)
	msg := janeMessage()
	msg.Subject = strings.Repeat("Auskunft über Ihre Daten ", 8) + "\r\nBcc: mallory@example.com"
	if err := plainSender(f).Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := f.deliveries()[0]
	head, _, _ := strings.Cut(d.Data, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if len(l) > 78 {
			t.Errorf("header line of %d characters: %q", len(l), l)
		}
		if strings.TrimSpace(l) == "" {
			t.Errorf("header line of only whitespace in %q", head)
		}
	}
	m, err := netmail.ReadMessage(strings.NewReader(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	if bcc := m.Header.Get("Bcc"); bcc != "" {
		t.Fatalf("the subject injected a Bcc header: %q", bcc)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Fatalf("decoded subject = %q, %v; want %q", subject, err, msg.Subject)
	}
}

func TestSMTPSenderSTARTTLSAndAuth(t *testing.T) {
	srv, pool := selfSigned(t)
	f := (&fakeSMTP{offerStartTLS: true, tlsConfig: srv}).start(t)
	s := &mail.SMTPSender{Addr: f.addr, Host: "127.0.0.1", Security: config.SMTPStartTLS, Username: "dsr", Password: "s3cret",
		From: "Privacy Team <privacy@example.com>", TLSConfig: &tls.Config{RootCAs: pool}, Timeout: 5 * time.Second}
	if err := s.Send(context.Background(), janeMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ds := f.deliveries()
	if len(ds) != 1 || !ds[0].TLS || ds[0].From != "privacy@example.com" {
		t.Fatalf("deliveries = %+v, want one over TLS from privacy@example.com", ds)
	}
	if !strings.Contains(ds[0].Data, "\r\nFrom: \"Privacy Team\" <privacy@example.com>\r\n") {
		t.Fatalf("From header with a name missing:\n%s", ds[0].Data)
	}
	auths := f.authsSeen()
	if len(auths) != 1 || auths[0].Plain != "\x00dsr\x00s3cret" || !auths[0].TLS {
		t.Fatalf("AUTH = %+v, want PLAIN dsr/s3cret after STARTTLS", auths)
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	srv, pool := selfSigned(t)
	f := (&fakeSMTP{implicitTLS: true, tlsConfig: srv}).start(t)
	s := &mail.SMTPSender{Addr: f.addr, Host: "127.0.0.1", Security: config.SMTPTLS, Username: "dsr", Password: "s3cret",
		From: "privacy@example.com", TLSConfig: &tls.Config{RootCAs: pool}, Timeout: 5 * time.Second}
	if err := s.Send(context.Background(), janeMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ds := f.deliveries(); len(ds) != 1 || !ds[0].TLS {
		t.Fatalf("deliveries = %+v, want one over TLS", ds)
	}
}

// TestSMTPSenderRefusesWithoutTLS: STARTTLS is required on smtp://, so a server that does not offer it,
// or offers it with a certificate nobody vouches for, gets neither the password nor the message.
func TestSMTPSenderRefusesWithoutTLS(t *testing.T) {
	srv, pool := selfSigned(t)
	for _, tc := range []struct {
		name  string
		f     *fakeSMTP
		roots *tls.Config
	}{
		{"no STARTTLS offered", &fakeSMTP{}, &tls.Config{RootCAs: pool}},
		{"untrusted certificate", &fakeSMTP{offerStartTLS: true, tlsConfig: srv}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f.start(t)
			s := &mail.SMTPSender{Addr: f.addr, Host: "127.0.0.1", Security: config.SMTPStartTLS, Username: "dsr", Password: "s3cret",
				From: "privacy@example.com", TLSConfig: tc.roots, Timeout: 5 * time.Second}
			err := s.Send(context.Background(), janeMessage())
			var e *mail.Error
			if !errors.As(err, &e) || e.Stage != "starttls" || mail.IsPermanent(err) {
				t.Fatalf("Send = %v, want a temporary starttls error", err)
			}
			if len(f.deliveries()) != 0 || len(f.authsSeen()) != 0 {
				t.Fatalf("delivered %d, authenticated %d: want nothing", len(f.deliveries()), len(f.authsSeen()))
			}
			noPersonalData(t, err.Error())
		})
	}
}

// TestSMTPSenderErrors: the server's replies become errors that say which step failed and its codes,
// never the free text, which quotes the recipient.
func TestSMTPSenderErrors(t *testing.T) {
	srv, pool := selfSigned(t)
	for _, tc := range []struct {
		name, cmd, reply string
		want             string
		permanent        bool
	}{
		{"greylisted", "RCPT", "451 4.7.1 <" + jane + ">: greylisted, try later", "smtp RCPT: 451 4.7.1", false},
		{"unknown user", "RCPT", "550 5.1.1 <" + jane + ">: Recipient address rejected: User unknown", "smtp RCPT: 550 5.1.1", true},
		{"sender refused", "MAIL", "553 sender not allowed", "smtp MAIL: 553", true},
		{"content refused", "DATA", "554 5.6.0 message refused for " + jane, "smtp DATA: 554 5.6.0", true},
		{"queue full", "DATA", "452 4.3.1 insufficient storage", "smtp DATA: 452 4.3.1", false},
		// A refused login is the operator's to fix; the messages are not at fault.
		{"bad login", "AUTH", "535 5.7.8 authentication failed", "smtp auth: 535 5.7.8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := (&fakeSMTP{offerStartTLS: true, tlsConfig: srv, script: func(cmd string, n int) string {
				if cmd == tc.cmd {
					return tc.reply
				}
				return ""
			}}).start(t)
			s := &mail.SMTPSender{Addr: f.addr, Host: "127.0.0.1", Security: config.SMTPStartTLS, Username: "dsr", Password: "s3cret",
				From: "privacy@example.com", TLSConfig: &tls.Config{RootCAs: pool}, Timeout: 5 * time.Second}
			err := s.Send(context.Background(), janeMessage())
			if err == nil || err.Error() != tc.want || mail.IsPermanent(err) != tc.permanent {
				t.Fatalf("Send = %v (permanent %v), want %q (permanent %v)", err, mail.IsPermanent(err), tc.want, tc.permanent)
			}
			if len(f.deliveries()) != 0 {
				t.Fatal("delivered despite the error")
			}
		})
	}

	t.Run("not an address", func(t *testing.T) {
		f := (&fakeSMTP{}).start(t)
		m := janeMessage()
		m.To = "jane.doe at example"
		err := plainSender(f).Send(context.Background(), m)
		if !mail.IsPermanent(err) || strings.Contains(err.Error(), "jane") {
			t.Fatalf("Send = %v, want a permanent error without the address", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		f := (&fakeSMTP{}).start(t)
		s := plainSender(f)
		s.Addr = "127.0.0.1:1"
		if err := s.Send(context.Background(), janeMessage()); err == nil || mail.IsPermanent(err) {
			t.Fatalf("Send = %v, want a temporary error", err)
		}
	})
}

// TestSMTPSenderTimeout: a server that stalls after the data cannot hold the sender past its timeout
// (the dispatcher relies on it to finish well within a claim).
func TestSMTPSenderTimeout(t *testing.T) {
	f := (&fakeSMTP{dataDelay: time.Second}).start(t)
	s := plainSender(f)
	s.Timeout = 100 * time.Millisecond
	begin := time.Now()
	err := s.Send(context.Background(), janeMessage())
	if err == nil || mail.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want a temporary deadline error", err)
	}
	if d := time.Since(begin); d > 900*time.Millisecond {
		t.Fatalf("Send took %s with a 100ms timeout", d)
	}
}

func TestMessageID(t *testing.T) {
	for id, want := range map[string]string{
		"dsr_abc:verification_initial:1": "<dsr_abc%3Averification_initial%3A1@dsrflow>",
		"a.b%c d":                        "<a%2Eb%25c%20d@dsrflow>",
	} {
		if got := mail.MessageID(id); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", id, got, want)
		}
		if _, err := netmail.ParseAddress(strings.Trim(mail.MessageID(id), "<>")); err != nil {
			t.Errorf("MessageID(%q) is not a valid msg-id: %v", id, err)
		}
	}
}

// noPersonalData fails when s holds the test subject's address, subject or body.
func noPersonalData(t *testing.T, s string) {
	t.Helper()
	m := janeMessage()
	for _, p := range []string{jane, "jane.doe", m.Subject, "Hallo Jane", "zwei Punkte"} {
		if strings.Contains(s, p) {
			t.Fatalf("%q holds personal data %q", s, p)
		}
	}
}
