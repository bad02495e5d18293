package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
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
	subject := "Your verification code for request " + in.RequestID
	intro, ok := codeIntros[req.Type]
	if !ok {
		intro = "You made a request about the personal data we hold about you."
	}
	if in.Kind == "reminder" {
		intro = "We are still waiting for you to confirm your request. Here is a new code."
	}
	text := fmt.Sprintf("%s\n\nYour code is %s. It works for %d minutes.\n", intro, code, int(dsrflow.CodePolicy.TTL.Minutes()))
	if a.PublicURL != "" {
		text += "\nEnter it, and follow your request, on this page:\n" + strings.TrimRight(a.PublicURL, "/") + "/privacy/requests/" + in.RequestID + "?t=" + a.Key.StatusToken(in.RequestID) + "\n"
	}
	text += "\nIf you did not make this request, ignore this message: nothing happens without the code.\n"
	// Each code is a new message; a retry finds the message of its sequence number already queued.
	return a.send(ctx, Mail{ID: fmt.Sprintf("%s:%s:%d", in.RequestID, in.Kind, in.Seq), RequestID: in.RequestID, Kind: "verification_" + in.Kind, To: in.To, Subject: subject, Text: text})
}

// codeIntros open the code mail with what the person asked for, so that it is recognisable (and a
// request the person did not make stands out). Every right that asks for a code has one
// (TestEveryCodeMailSaysWhatWasAsked).
var codeIntros = map[dsrflow.RequestType]string{
	dsrflow.Access:        "You asked to see the personal data we hold about you.",
	dsrflow.Portability:   "You asked for a copy of your personal data in a machine-readable form.",
	dsrflow.Rectification: "You asked us to correct personal data we hold about you.",
	dsrflow.Erasure:       "You asked us to erase the personal data we hold about you.",
	dsrflow.Restriction:   "You asked us to restrict how we use the personal data we hold about you.",
	dsrflow.Objection:     "You objected to how we use the personal data we hold about you.",
}

// Send queues a message to the subject.
func (a *Verification) Send(ctx context.Context, m Mail) error { return a.send(ctx, m) }

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
