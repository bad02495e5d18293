package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Verification issues email codes and sends the subject's mail through the outbox.
type Verification struct {
	Store *store.Store
	Key   secret.Key
	// PublicURL is the front door's public base URL: the code mail links to the request's status page in
	// the privacy center.
	PublicURL string
	Now       func() time.Time
}

// IssueCode makes a fresh 6-digit code, stores only its keyed hash and mails the code. The code never
// leaves this activity: not in its result, not in a log. It is derived from the secret key, the request
// and the issue's sequence number, so a retried activity mails the same code it stored.
func (a *Verification) IssueCode(ctx context.Context, in IssueCodeInput) error {
	if kind, ok := strings.CutPrefix(in.Kind, act.EIDMailPrefix); ok {
		return a.mailEIDLink(ctx, in, kind)
	}
	code := a.Key.Code(in.RequestID, in.Seq)
	now := a.now()
	expires := now.Add(dsrflow.CodePolicy.TTL)
	_, err := a.Store.IssueCode(ctx, in.RequestID, a.Key.CodeHash(in.RequestID, code), now, expires, dsrflow.CodePolicy.Attempts, false, dsrflow.CodePolicy.Resends)
	if dsrflow.ErrorCode(err) == dsrflow.ECONFLICT {
		return nil // already verified: no code needed any more
	}
	if err != nil {
		return fmt.Errorf("issue code for %s: %w", in.RequestID, err)
	}
	req, err := a.Store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return fmt.Errorf("read request %s for its code mail: %w", in.RequestID, err)
	}
	// The mail is in the subject's language (answer.CodeMail), as recorded on the request.
	link := a.statusLink(in.RequestID)
	m := answer.CodeMail(req.Language, req.Type, in.RequestID, code, int(dsrflow.CodePolicy.TTL.Minutes()), link, in.Kind == "reminder")
	subject, text := m.Subject, m.Text
	// Each code is a new message; a retry finds the message of its sequence number already queued.
	return a.send(ctx, Mail{ID: fmt.Sprintf("%s:%s:%d", in.RequestID, in.Kind, in.Seq), RequestID: in.RequestID, Kind: "verification_" + in.Kind, To: in.To, Subject: subject, Text: text})
}

// mailEIDLink mails a request that takes an eID verification its status link, where the subject
// verifies: no code is made or stored, so none can be entered.
func (a *Verification) mailEIDLink(ctx context.Context, in IssueCodeInput, kind string) error {
	req, err := a.Store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return fmt.Errorf("read request %s for its eID mail: %w", in.RequestID, err)
	}
	m := answer.EIDMail(req.Language, req.Type, in.RequestID, a.statusLink(in.RequestID), kind == "reminder")
	return a.send(ctx, Mail{ID: fmt.Sprintf("%s:%s:%d", in.RequestID, in.Kind, in.Seq), RequestID: in.RequestID, Kind: "verification_" + in.Kind, To: in.To, Subject: m.Subject, Text: m.Text})
}

// statusLink is the request's status page in the privacy center, or "" without a public URL.
func (a *Verification) statusLink(requestID string) string {
	if a.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(a.PublicURL, "/") + "/privacy/requests/" + requestID + "?t=" + a.Key.StatusToken(requestID)
}

// Send queues a message to the subject; an extension notice and a disclosure's notice are written in the
// subject's language.
func (a *Verification) Send(ctx context.Context, m Mail) error {
	if e := m.Extension; e != nil {
		n := answer.ExtensionNotice(e.Language, m.RequestID, e.Due, e.Reason)
		m.Subject, m.Text = n.Subject, n.Text
	}
	if d := m.Disclosure; d != nil {
		n := answer.DisclosureNotice(d.Language, answer.Disclosure{Kind: d.Kind, Authority: d.Authority, CaseRef: d.CaseRef,
			Statute: d.Statute, CourtOrder: d.CourtOrder, Court: d.Court, OrderDate: d.OrderDate, Categories: d.Categories})
		m.Subject, m.Text = n.Subject, n.Text
	}
	return a.send(ctx, m)
}

func (a *Verification) send(ctx context.Context, m Mail) error {
	_, err := a.Store.EnqueueMessage(ctx, store.Message{ID: m.ID, RequestID: m.RequestID, Kind: m.Kind, To: m.To, Subject: m.Subject, Body: m.Text, CreatedAt: a.now()})
	if err != nil {
		return fmt.Errorf("queue %s mail for %s: %w", m.Kind, m.RequestID, err)
	}
	return nil
}

func (a *Verification) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}
