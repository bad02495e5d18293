package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// RefusedAction is the audit action of a request refused by a reviewer or the DPO; its detail's
// "ground" is the dsrflow.RefusalGround.
const RefusedAction = "request_refused"

// CountRefusals counts the refused requests by ground, from their audit events (the audit_events_action
// index). The events hold no personal data: the ground is a fixed word, the reasons are sealed.
func (s *Store) CountRefusals(ctx context.Context) (map[string]int, error) {
	var details []string
	if err := s.db.SelectContext(ctx, &details, s.rebind(`SELECT detail FROM audit_events WHERE action = ?`), RefusedAction); err != nil {
		return nil, fmt.Errorf("count refusals: %w", err)
	}
	out := map[string]int{}
	for _, d := range details {
		var detail map[string]string
		if err := json.Unmarshal([]byte(d), &detail); err != nil {
			return nil, fmt.Errorf("count refusals: detail: %w", err)
		}
		out[detail["ground"]]++
	}
	return out, nil
}
