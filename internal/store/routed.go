package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Routed items (migration 0029): a request forwarded to the business customer controlling data the
// group holds for it as a processor. Every change of state is an audit event of the request.

type routedRow struct {
	ID           string `db:"id"`
	RequestID    string `db:"request_id"`
	RequestType  string `db:"request_type"`
	Customer     string `db:"customer_id"`
	Tenant       string `db:"tenant"`
	Connector    string `db:"connector_id"`
	State        string `db:"state"`
	Instruction  string `db:"instruction"`
	Action       string `db:"action"`
	Reason       string `db:"reason"`
	DueAt        dbTime `db:"due_at"`
	NotifiedAt   dbTime `db:"notified_at"`
	InstructedAt dbTime `db:"instructed_at"`
	ClosedAt     dbTime `db:"closed_at"`
	EscalatedAt  dbTime `db:"escalated_at"`
	UpdatedAt    dbTime `db:"updated_at"`
}

const routedColumns = `id, request_id, request_type, customer_id, tenant, connector_id, state, instruction, action, reason,
	due_at, notified_at, instructed_at, closed_at, escalated_at, updated_at`

func (r routedRow) item() dsrflow.RoutedItem {
	return dsrflow.RoutedItem{
		ID: r.ID, RequestID: r.RequestID, RequestType: dsrflow.RequestType(r.RequestType), Customer: r.Customer,
		Tenant: r.Tenant, Connector: r.Connector, State: dsrflow.RoutedState(r.State), Instruction: r.Instruction,
		Action: dsrflow.Action(r.Action), Reason: r.Reason, DueAt: r.DueAt.Time, NotifiedAt: r.NotifiedAt.Time,
		InstructedAt: r.InstructedAt.ptr(), ClosedAt: r.ClosedAt.ptr(), EscalatedAt: r.EscalatedAt.ptr(), UpdatedAt: r.UpdatedAt.Time,
	}
}

// OpenRouted records a routed item as notified, with its audit event (routed_item_opened). Opening it
// again returns the stored item unchanged: a retried activity records once.
func (s *Store) OpenRouted(ctx context.Context, it dsrflow.RoutedItem) (dsrflow.RoutedItem, error) {
	if it.ID == "" || it.RequestID == "" || it.Customer == "" || it.Tenant == "" || it.Connector == "" {
		return dsrflow.RoutedItem{}, dsrflow.Errorf(dsrflow.EINVALID, "routed item needs id, request, customer, tenant and connector")
	}
	if it.NotifiedAt.IsZero() {
		it.NotifiedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO routed_items (id, request_id, request_type, customer_id, tenant,
		connector_id, state, due_at, notified_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`),
		it.ID, it.RequestID, string(it.RequestType), it.Customer, it.Tenant, it.Connector, string(dsrflow.RoutedNotified),
		s.timeArg(it.DueAt), s.timeArg(it.NotifiedAt), s.timeArg(it.NotifiedAt))
	if err != nil {
		return dsrflow.RoutedItem{}, fmt.Errorf("open routed item %s: %w", it.ID, err)
	}
	if err := s.auditRouted(ctx, it, "routed_item_opened", "system", "", it.NotifiedAt); err != nil {
		return dsrflow.RoutedItem{}, err
	}
	return s.GetRouted(ctx, it.ID)
}

// RoutedChange is a change of a routed item's state: an instruction, an execution's end, an escalation.
type RoutedChange struct {
	State dsrflow.RoutedState
	// Instruction, Action and Reason are set with an instruction.
	Instruction string
	Action      dsrflow.Action
	Reason      string
	// Actor is who made the change: the customer's instruction arrives through a staff member or token
	// ("user:..."), the rest is "system".
	Actor string
	At    time.Time
}

// UpdateRouted moves a routed item to c.State with its audit event (routed_item_<state>). An item
// in a final state is not changed: ECONFLICT.
func (s *Store) UpdateRouted(ctx context.Context, id string, c RoutedChange) (dsrflow.RoutedItem, error) {
	it, err := s.GetRouted(ctx, id)
	if err != nil {
		return dsrflow.RoutedItem{}, err
	}
	if it.State.Final() {
		if it.State == c.State {
			return it, nil // a retried activity
		}
		return dsrflow.RoutedItem{}, dsrflow.Errorf(dsrflow.ECONFLICT, "routed item %s is %s already", id, it.State)
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	at := s.timeArg(c.At)
	q := `UPDATE routed_items SET state = ?, updated_at = ?`
	args := []any{string(c.State), at}
	switch {
	case c.Instruction != "":
		q += `, instruction = ?, action = ?, reason = ?, instructed_at = ?`
		args = append(args, c.Instruction, string(c.Action), c.Reason, at)
	case c.State == dsrflow.RoutedEscalated:
		q += `, escalated_at = ?`
		args = append(args, at)
	}
	if c.State.Final() {
		q += `, closed_at = ?`
		args = append(args, at)
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(q+` WHERE id = ?`), append(args, id)...); err != nil {
		return dsrflow.RoutedItem{}, fmt.Errorf("update routed item %s: %w", id, err)
	}
	it.State, it.Action = c.State, c.Action
	if c.Actor == "" {
		c.Actor = "system"
	}
	if err := s.auditRouted(ctx, it, "routed_item_"+string(c.State), c.Actor, c.Reason, c.At); err != nil {
		return dsrflow.RoutedItem{}, err
	}
	return s.GetRouted(ctx, id)
}

func (s *Store) auditRouted(ctx context.Context, it dsrflow.RoutedItem, action, actor, reason string, at time.Time) error {
	detail := map[string]string{"routed": it.ID, "customer": it.Customer, "tenant": it.Tenant, "connector": it.Connector}
	if it.Action != "" {
		detail["action"] = string(it.Action)
	}
	_, err := s.AppendAudit(ctx, dsrflow.AuditEvent{RequestID: it.RequestID, Action: action, Actor: actor, Reason: reason,
		Detail: detail, At: at, Key: action + ":" + it.ID})
	return err
}

// GetRouted returns a routed item: ENOTFOUND when there is none with the id.
func (s *Store) GetRouted(ctx context.Context, id string) (dsrflow.RoutedItem, error) {
	var r routedRow
	err := s.db.GetContext(ctx, &r, s.rebind(`SELECT `+routedColumns+` FROM routed_items WHERE id = ?`), id)
	if err != nil {
		return dsrflow.RoutedItem{}, notFound(err, "get routed item "+id, "no routed item %s", id)
	}
	return r.item(), nil
}

// ListRouted returns the routed items of a request, or every one when requestID is empty (most
// recently notified first), at most limit (0: 500).
func (s *Store) ListRouted(ctx context.Context, requestID string, limit int) ([]dsrflow.RoutedItem, error) {
	if limit <= 0 {
		limit = 500
	}
	q, args := `SELECT `+routedColumns+` FROM routed_items`, []any{}
	if requestID != "" {
		q += ` WHERE request_id = ?`
		args = append(args, requestID)
	}
	var rows []routedRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q+` ORDER BY notified_at DESC, id LIMIT ?`), append(args, limit)...); err != nil {
		return nil, unavailable("list routed items", err)
	}
	out := make([]dsrflow.RoutedItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.item())
	}
	return out, nil
}

// RoutedCount is how many routed items of a customer are in a state (the DPO report).
type RoutedCount struct {
	Customer string              `db:"customer_id" json:"customer"`
	State    dsrflow.RoutedState `db:"state" json:"state"`
	Count    int                 `db:"n" json:"count"`
}

// CountRouted counts routed items per customer and state, ordered by customer and state.
func (s *Store) CountRouted(ctx context.Context) ([]RoutedCount, error) {
	var out []RoutedCount
	err := s.db.SelectContext(ctx, &out, `SELECT customer_id, state, COUNT(*) AS n FROM routed_items GROUP BY customer_id, state ORDER BY customer_id, state`)
	if err != nil {
		return nil, unavailable("count routed items", err)
	}
	return out, nil
}
