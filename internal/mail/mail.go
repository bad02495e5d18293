// Package mail delivers the store's outbox to data subjects: a Sender puts one message on the wire
// (SMTPSender in production), and a Dispatcher claims due messages from the outbox, sends each, and
// records it as sent or deferred to a later attempt. Dev mode runs no dispatcher: mail stays in the
// outbox, where `starter outbox` shows it.
//
// Delivery is at least once, not exactly once. A message is marked sent only after the SMTP server has
// accepted it; if the worker dies (or the database fails) between that acceptance and MarkSent, the
// message's claim runs out and it is sent again. Every copy carries the same Message-ID,
// <outbox-id@dsrflow>, so receiving systems that deduplicate by Message-ID drop the second copy; others
// show it twice. The window is one database round trip wide.
package mail

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/internal/store"
)

// Sender puts one outbox message on its way to its recipient. A nil error means the receiving server
// accepted responsibility for it. Errors never carry personal data (the recipient, the subject or the
// body): they are logged and stored as the message's last error. IsPermanent tells which errors will not
// go away by retrying.
type Sender interface {
	Send(ctx context.Context, m store.Message) error
}

// MessageID returns the Message-ID header value for an outbox message: <id@dsrflow>, the same for every
// attempt, so a receiver can recognise a resend. Bytes of the ID that may not appear in a message id's
// left part (RFC 5322 dot-atom-text; outbox ids hold colons) are percent-encoded, as is '.' (which
// may not start, end or repeat) and '%' itself, so distinct ids stay distinct.
func MessageID(outboxID string) string {
	var b strings.Builder
	b.WriteByte('<')
	for i := 0; i < len(outboxID); i++ {
		c := outboxID[i]
		if isAtext(c) && c != '%' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	b.WriteString("@dsrflow>")
	return b.String()
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// compose renders m as an RFC 5322 message with CRLF line endings: plain UTF-8 text, quoted-printable,
// the subject RFC 2047-encoded when it is not plain ASCII. from and to are parsed addresses. Dot-stuffing
// is left to the SMTP client's data writer.
func compose(m store.Message, from, to *mail.Address, date time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(fold(name+": "+value) + "\r\n") }
	header("Message-ID", MessageID(m.ID))
	header("Date", date.Format(time.RFC1123Z))
	header("From", formatAddress(from))
	header("To", formatAddress(to))
	// QEncoding leaves printable ASCII alone and encodes anything else, CR and LF included: a subject
	// cannot inject a header.
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: automatic mail; well-behaved autoresponders do not answer it.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")

	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	qp := quotedprintable.NewWriter(&b) // text mode: each \n becomes CRLF
	// Writes to a bytes.Buffer do not fail.
	_, _ = qp.Write([]byte(body))
	_ = qp.Close()
	return b.Bytes()
}

// formatAddress writes a bare address as itself and a named one as "Name" <address> (the name RFC
// 2047-encoded when needed).
func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.String()
}

// fold breaks a header line longer than 78 characters at spaces (RFC 5322 2.2.3). Encoded words are at
// most 75 characters and separated by spaces, so an encoded subject always folds.
func fold(line string) string {
	const max = 78
	if len(line) <= max {
		return line
	}
	words := strings.Split(line, " ")
	var b strings.Builder
	n := 0
	for i, w := range words {
		switch {
		case i == 0:
		case n+1+len(w) > max && n > 1 && w != "": // never a line of only whitespace
			b.WriteString("\r\n")
			n = 0
			b.WriteByte(' ')
			n++
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
