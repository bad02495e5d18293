package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// A connector's limits (connectors.Limits) hold across every worker because their state lives here, in
// the leases table (migration 0012), under names that hold no personal data:
//
//   - connector-slot:ID:K, K < max_concurrent: one lease per call in flight. A slot is taken with
//     AcquireLease's one conditional statement, so two workers never hold the same slot; the holder
//     renews it while its call runs (the activity's heartbeat) and releases it after. A worker killed
//     mid-call stops renewing, and its slot is free again at the lease's expiry.
//   - connector-rate:ID: the rate's schedule as a generic cell rate algorithm (GCRA, the token bucket
//     written as one time): expires_at is the theoretical arrival time of the next call. A call may go
//     when that time is at most burst-1 intervals ahead of now, and moves it one interval on, by a
//     compare-and-set on the time read, so that of two workers taking the same token one wins.

// slotPrefix names a connector's concurrency slots.
func slotPrefix(connectorID string) string { return "connector-slot:" + connectorID + ":" }

// AcquireConnectorSlot takes one of the connector's slots (0..slots-1) for holder until now+ttl and
// returns its lease name, or "" when every slot is held and unexpired. Renew the slot with AcquireLease
// (name, holder) and give it back with ReleaseLease.
func (s *Store) AcquireConnectorSlot(ctx context.Context, connectorID string, slots int, holder string, ttl time.Duration, now time.Time) (string, error) {
	if connectorID == "" || slots < 1 {
		return "", dsrflow.Errorf(dsrflow.EINVALID, "a connector slot needs a connector and a positive number of slots")
	}
	prefix := slotPrefix(connectorID)
	var held []string
	// The prefix is an id matching [a-z0-9_-]+; _ is LIKE's one-character wildcard, so the names read
	// are checked again below.
	err := s.db.SelectContext(ctx, &held, s.rebind(`SELECT name FROM leases WHERE name LIKE ? AND expires_at > ?`),
		prefix+"%", s.timeArg(now))
	if err != nil {
		return "", unavailable("read connector slots", err)
	}
	taken := map[string]bool{}
	for _, n := range held {
		if strings.HasPrefix(n, prefix) {
			taken[n] = true
		}
	}
	if len(taken) >= slots {
		return "", nil
	}
	// The free slots in a random order, so that racing workers mostly try different ones.
	start := rand.IntN(slots)
	for i := range slots {
		name := fmt.Sprintf("%s%d", prefix, (start+i)%slots)
		if taken[name] {
			continue
		}
		ok, err := s.AcquireLease(ctx, name, holder, ttl, now)
		if err != nil {
			return "", err
		}
		if ok {
			return name, nil
		}
	}
	return "", nil
}

// rateName names a connector's rate schedule.
func rateName(connectorID string) string { return "connector-rate:" + connectorID }

// TakeConnectorRate takes a call under the connector's rate (one call every interval on average, up to
// burst at once) and returns 0, or how long until the next call may go.
func (s *Store) TakeConnectorRate(ctx context.Context, connectorID string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	if connectorID == "" || interval <= 0 || burst < 1 {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "a connector's rate needs a connector, a positive interval and a positive burst")
	}
	name := rateName(connectorID)
	now = micro(now)
	slack := time.Duration(burst-1) * interval
	for range 50 {
		var tat dbTime
		err := s.db.GetContext(ctx, &tat, s.rebind(`SELECT expires_at FROM leases WHERE name = ?`), name)
		if errors.Is(err, sql.ErrNoRows) {
			res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, 'rate', ?) ON CONFLICT (name) DO NOTHING`),
				name, s.timeArg(now.Add(interval)))
			if err != nil {
				return 0, unavailable("take connector rate", err)
			}
			if n, err := res.RowsAffected(); err == nil && n == 1 {
				return 0, nil
			}
			continue // another worker made the row first: read it
		}
		if err != nil {
			return 0, unavailable("take connector rate", err)
		}
		next := tat.Time
		if next.Before(now) {
			next = now
		}
		if ahead := next.Sub(now); ahead > slack {
			return ahead - slack, nil
		}
		res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE leases SET expires_at = ? WHERE name = ? AND expires_at = ?`),
			s.timeArg(next.Add(interval)), name, s.timeArg(tat.Time))
		if err != nil {
			return 0, unavailable("take connector rate", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, unavailable("take connector rate", err)
		} else if n == 1 {
			return 0, nil
		}
		// Another worker took a call since the read: read again.
	}
	// So much contention that the compare-and-set kept losing: the caller waits one interval.
	return interval, nil
}
