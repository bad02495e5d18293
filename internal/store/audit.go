package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/jmoiron/sqlx"
)

// AuditEvent is one entry of the append-only audit log (dsrflow.AuditEvent); the hash covers it as
// HashEvent says.
type AuditEvent = dsrflow.AuditEvent

// auditLockKey is the transaction-scoped advisory lock that serialises appends on PostgreSQL across
// processes ("dsraudt" as an integer).
const auditLockKey int64 = 0x64737261756474

type auditRow struct {
	Seq       int64          `db:"seq"`
	At        dbTime         `db:"at"`
	RequestID string         `db:"request_id"`
	Action    string         `db:"action"`
	Actor     string         `db:"actor"`
	Reason    string         `db:"reason"`
	Detail    string         `db:"detail"`
	Key       sql.NullString `db:"idem_key"`
	PrevHash  string         `db:"prev_hash"`
	Hash      string         `db:"hash"`
}

const auditColumns = `seq, at, request_id, action, actor, reason, detail, idem_key, prev_hash, hash`

// sealedReasonPrefix marks a reason column that holds a sealed reason.
const sealedReasonPrefix = "sealed:v1:"

// sealsReason reports whether e's reason is a person's free text, kept encrypted.
func sealsReason(e AuditEvent) bool {
	return e.RequestID != "" && e.Reason != "" && e.Actor != "" && e.Actor != "system" && !strings.HasPrefix(e.Actor, "connector:")
}

// event returns the row as stored: a sealed reason is in SealedReason, Reason is empty (openReasons
// decrypts it).
func (r auditRow) event() (AuditEvent, error) {
	e := AuditEvent{
		Seq: r.Seq, At: r.At.Time, RequestID: r.RequestID, Action: r.Action, Actor: r.Actor,
		Reason: r.Reason, Key: r.Key.String, PrevHash: r.PrevHash, Hash: r.Hash,
	}
	if strings.HasPrefix(r.Reason, sealedReasonPrefix) {
		e.Reason, e.SealedReason = "", r.Reason
	}
	if err := json.Unmarshal([]byte(r.Detail), &e.Detail); err != nil {
		return e, fmt.Errorf("audit event %d: detail: %w", r.Seq, err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, nil
}

// HashEvent returns the hash VerifyAudit expects for e (its Hash field is not an input): the hex
// SHA-256 of a version tag, then each field as its byte length, ':' and its bytes, in a fixed order. The
// time is integer microseconds since the Unix epoch, which both dialects return exactly; detail is its
// entry count followed by the entries in key order. Length prefixes make the encoding unambiguous
// whatever the fields contain. Exported so tools can check events outside the store.
func HashEvent(e AuditEvent) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("dsrflow-audit-v1")
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(micro(e.At).UnixMicro(), 10))
	field(e.RequestID)
	field(e.Action)
	field(e.Actor)
	if e.SealedReason != "" {
		field(e.SealedReason)
	} else {
		field(e.Reason)
	}
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	field(strconv.Itoa(len(keys)))
	for _, k := range keys {
		field(k)
		field(e.Detail[k])
	}
	field(e.Key)
	field(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// AppendAudit adds e to the end of the chain and returns it as stored, with Seq, PrevHash and Hash
// assigned (values given for them are ignored). A zero At is set to now. If e.Key is not empty and an
// event with that key exists, that event is returned and nothing is added. Appends are serialised — an
// advisory lock on PostgreSQL, the write lock on SQLite — so concurrent writers in any number of
// processes get contiguous sequence numbers and an unbroken chain.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	if e.Action == "" {
		return AuditEvent{}, dsrflow.Errorf(dsrflow.EINVALID, "audit event needs an action")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = micro(e.At)
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("append audit: detail: %w", err)
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	if strings.HasPrefix(e.Reason, sealedReasonPrefix) {
		return AuditEvent{}, dsrflow.Errorf(dsrflow.EINVALID, "an audit reason may not start with %q", sealedReasonPrefix)
	}
	e.SealedReason = ""
	if sealsReason(e) {
		k, err := s.writeKey(ctx, s.db, e.RequestID)
		if err != nil {
			return AuditEvent{}, fmt.Errorf("append audit %s for request %s: %w", e.Action, e.RequestID, err)
		}
		sealed, err := k.seal("audit_events.reason", []byte(e.Reason))
		if err != nil {
			return AuditEvent{}, err
		}
		e.SealedReason = sealedReasonPrefix + base64.RawStdEncoding.EncodeToString(sealed)
	}
	stored := e.Reason
	if e.SealedReason != "" {
		stored = e.SealedReason
	}

	var existing *AuditEvent
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLockKey); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if e.Key != "" {
			var row auditRow
			err := tx.GetContext(ctx, &row, s.rebind(`SELECT `+auditColumns+` FROM audit_events WHERE idem_key = ?`), e.Key)
			if err == nil {
				first, err := row.event()
				existing = &first
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		// Read after taking the lock: under READ COMMITTED this statement sees every committed append.
		var last struct {
			Seq  int64  `db:"seq"`
			Hash string `db:"hash"`
		}
		err := tx.GetContext(ctx, &last, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		e.Seq, e.PrevHash = last.Seq+1, last.Hash
		e.Hash = HashEvent(e)
		var key sql.NullString
		if e.Key != "" {
			key = sql.NullString{String: e.Key, Valid: true}
		}
		_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO audit_events (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			e.Seq, s.timeArg(e.At), e.RequestID, e.Action, e.Actor, stored, string(detail), key, e.PrevHash, e.Hash)
		return err
	})
	if err != nil {
		return AuditEvent{}, fmt.Errorf("append audit %s for request %s: %w", e.Action, e.RequestID, err)
	}
	if existing != nil {
		// Opened after the transaction: on SQLite it holds the store's one connection.
		evs := []AuditEvent{*existing}
		if err := s.openReasons(ctx, evs); err != nil {
			return AuditEvent{}, err
		}
		return evs[0], nil
	}
	return e, nil
}

// openReasons decrypts the sealed reasons of events in place; a shredded request's read back empty.
func (s *Store) openReasons(ctx context.Context, evs []AuditEvent) error {
	keys := map[string]dataKey{}
	for i, e := range evs {
		if e.SealedReason == "" {
			continue
		}
		k, ok := keys[e.RequestID]
		if !ok {
			var err error
			k, err = s.readKey(ctx, s.db, e.RequestID)
			if dsrflow.ErrorCode(err) == dsrflow.EGONE {
				continue
			}
			if err != nil {
				return err
			}
			keys[e.RequestID] = k
		}
		sealed, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(e.SealedReason, sealedReasonPrefix))
		if err != nil {
			return fmt.Errorf("audit event %d: sealed reason: %w", e.Seq, err)
		}
		plain, err := k.open("audit_events.reason", sealed)
		if err != nil {
			return fmt.Errorf("audit event %d: %w", e.Seq, err)
		}
		evs[i].Reason = string(plain)
	}
	return nil
}

// ListAudit returns the events of one request in sequence order.
func (s *Store) ListAudit(ctx context.Context, requestID string) ([]AuditEvent, error) {
	var rows []auditRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+auditColumns+` FROM audit_events WHERE request_id = ? ORDER BY seq`), requestID)
	if err != nil {
		return nil, fmt.Errorf("list audit of request %s: %w", requestID, err)
	}
	out := make([]AuditEvent, len(rows))
	for i, r := range rows {
		if out[i], err = r.event(); err != nil {
			return nil, err
		}
	}
	if err := s.openReasons(ctx, out); err != nil {
		return nil, fmt.Errorf("list audit of request %s: %w", requestID, err)
	}
	return out, nil
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Checked     int64  // events read, including the first broken one
	OK          bool   // the whole chain verified
	FirstBroken int64  // sequence number of the first event that fails, 0 when OK
	Problem     string // what is wrong with it, "" when OK
}

// VerifyAudit walks the whole chain in sequence order, one row at a time, and reports the first event
// that does not verify:
//   - a gap (seq not one more than the previous): rows were removed before it;
//   - a prev_hash that is not the previous event's hash: rows were inserted or reordered;
//   - a hash that does not match the event's content: the row was changed.
//
// An empty chain is OK. Removing events from the end of the chain cannot be seen from the chain alone;
// that needs the last hash kept elsewhere.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT `+auditColumns+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	var rep AuditReport
	prev := ""
	for rows.Next() {
		var row auditRow
		if err := rows.StructScan(&row); err != nil {
			return rep, fmt.Errorf("verify audit: %w", err)
		}
		rep.Checked++
		broken := func(format string, args ...any) (AuditReport, error) {
			rep.FirstBroken, rep.Problem = row.Seq, fmt.Sprintf(format, args...)
			return rep, nil
		}
		if want := rep.Checked; row.Seq != want {
			return broken("gap: expected seq %d, found %d (events removed)", want, row.Seq)
		}
		if row.PrevHash != prev {
			return broken("prev_hash does not match the hash of seq %d (events inserted or reordered)", row.Seq-1)
		}
		e, err := row.event()
		if err != nil {
			return broken("detail is not valid JSON (row changed)")
		}
		if got := HashEvent(e); got != row.Hash {
			return broken("hash mismatch (row changed)")
		}
		prev = row.Hash
	}
	if err := rows.Err(); err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	rep.OK = true
	return rep, nil
}
