package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"time"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/store"
)

// SMTPSender sends each message over its own SMTP connection (net/smtp): TLS required (STARTTLS or
// implicit) unless Security is config.SMTPPlain, PLAIN authentication when Username is set.
type SMTPSender struct {
	Addr     string // host:port
	Host     string // the server's name, verified against its certificate
	Security string // config.SMTPStartTLS, config.SMTPTLS or config.SMTPPlain
	// Username and Password authenticate with AUTH PLAIN, only ever over TLS; none when Username is "".
	Username, Password string
	From               string // the From header, a parsable address ("Name <a@b>" or "a@b")
	// TLSConfig, when set, is cloned for each connection (tests trust their own CA with it); ServerName
	// defaults to Host.
	TLSConfig *tls.Config
	// Hello is the name this client gives in EHLO; "localhost" when empty.
	Hello string
	// Timeout bounds one delivery when ctx has no earlier deadline; one minute when zero.
	Timeout time.Duration
	// Now gives the Date header; time.Now when nil.
	Now func() time.Time
}

// NewSMTPSender returns a sender for the server DSR_SMTP_URL names.
func NewSMTPSender(c config.SMTP) *SMTPSender {
	return &SMTPSender{Addr: c.Addr(), Host: c.Host, Security: c.Security, Username: c.Username, Password: c.Password, From: c.From}
}

// Error is a failed delivery: at which step, and the server's reply code when it gave one. Its text
// holds the step, the reply code and the enhanced status code, never the server's free text, which
// often quotes the recipient's address.
type Error struct {
	Stage    string // "recipient", "connect", "tls", "hello", "starttls", "auth", "MAIL", "RCPT", "DATA"
	Code     int    // the SMTP reply code, or 0
	Enhanced string // the RFC 3463 enhanced status code (5.1.1), when the reply began with one
	Err      error  // the cause of a failure without a reply code (network, TLS); no personal data
}

func (e *Error) Error() string {
	s := "smtp " + e.Stage + ": "
	switch {
	case e.Code != 0 && e.Enhanced != "":
		return s + fmt.Sprintf("%d %s", e.Code, e.Enhanced)
	case e.Code != 0:
		return s + fmt.Sprint(e.Code)
	case e.Err != nil:
		return s + e.Err.Error()
	}
	return s + "failed"
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err will not go away by retrying: the server refused this message with a
// 5xx reply to MAIL, RCPT or DATA, or its recipient is not an address. A 5xx to AUTH, EHLO or STARTTLS is
// the server's or the configuration's problem, which an operator can fix: those are retried.
func IsPermanent(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Stage {
	case "recipient":
		return true
	case "MAIL", "RCPT", "DATA":
		return e.Code >= 500 && e.Code < 600
	}
	return false
}

var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// wrap turns a net/smtp failure at stage into an *Error that keeps no server text.
func wrap(ctx context.Context, stage string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &Error{Stage: stage, Code: tp.Code, Enhanced: enhancedCode.FindString(tp.Msg)}
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return &Error{Stage: stage, Err: errors.New("malformed reply from server")} // the reply may quote anything
	}
	if ctx.Err() != nil {
		// The connection was closed under the client because ctx ended: say why, not "use of closed".
		return &Error{Stage: stage, Err: context.Cause(ctx)}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is ctx's, which may not have fired yet.
		return &Error{Stage: stage, Err: context.DeadlineExceeded}
	}
	return &Error{Stage: stage, Err: err}
}

// Send delivers m over one SMTP session. The server accepted it when Send returns nil.
func (s *SMTPSender) Send(ctx context.Context, m store.Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return &Error{Stage: "recipient", Err: errors.New("recipient is not a valid address")}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return &Error{Stage: "connect", Err: errors.New("sender (from=) is not a valid address")}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg := compose(m, from, to, now())

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return wrap(ctx, "connect", err)
	}
	defer raw.Close()
	// net/smtp knows no context: the deadline bounds every read and write, and ending ctx closes the
	// connection under a blocked call.
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl); err != nil {
			return fmt.Errorf("smtp: set deadline: %w", err)
		}
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	conn := raw

	if s.Security == config.SMTPTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return wrap(ctx, "tls", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return wrap(ctx, "connect", err)
	}
	defer c.Close()
	hello := s.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return wrap(ctx, "hello", err)
	}
	if s.Security == config.SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &Error{Stage: "starttls", Err: errors.New("server does not offer STARTTLS, which DSR_SMTP_URL requires")}
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return wrap(ctx, "starttls", err)
		}
	}
	if s.Username != "" {
		// smtp.PlainAuth itself refuses to send the password over a connection without TLS.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return wrap(ctx, "auth", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return wrap(ctx, "MAIL", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return wrap(ctx, "RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return wrap(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return wrap(ctx, "DATA", err)
	}
	// Close sends the final "." and reads the server's verdict: from here on the message is its.
	if err := w.Close(); err != nil {
		return wrap(ctx, "DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.Host
	}
	return cfg
}
