package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/dsrflow/dsrflow"
	"github.com/jmoiron/sqlx"
)

// encryptionMigration is the migration that introduces envelope encryption (vault.go).
const encryptionMigration = 6

// encryptExisting encrypts, in migration 0006's transaction, the personal data that earlier versions
// wrote in clear: request details, job records, outbox messages, decisions' reasons, and exports (which
// were sealed with the master key ring directly, and move under their request's data key). Nothing
// stays clear: when such rows exist and the store has no key ring, the migration fails and rolls back.
// It returns how many rows it rewrote.
func (s *Store) encryptExisting(ctx context.Context, sqlTx *sql.Tx) (int, error) {
	tx := &sqlx.Tx{Tx: sqlTx, Mapper: s.db.Mapper}
	var n int
	for _, table := range []string{"request_details", "job_records", "exports", "outbox", "decisions"} {
		var c int
		q := `SELECT count(*) FROM ` + table
		if table == "decisions" {
			q += ` WHERE reason <> ''`
		}
		if err := tx.GetContext(ctx, &c, q); err != nil {
			return 0, err
		}
		n += c
	}
	if n == 0 {
		return 0, nil
	}
	if s.keys == nil {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "the store holds %d rows of personal data written before encryption: migration 0006 encrypts them and needs the master key ring (DSR_MASTER_KEYS)", n)
	}

	var details []requestDetailRow
	if err := tx.SelectContext(ctx, &details, `SELECT request_id, identity, details FROM request_details`); err != nil {
		return 0, err
	}
	for _, r := range details {
		k, err := s.writeKey(ctx, tx, r.RequestID)
		if err != nil {
			return 0, err
		}
		identity, err := k.seal("request_details.identity", r.Identity)
		if err != nil {
			return 0, err
		}
		det, err := k.seal("request_details.details", r.Details)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE request_details SET identity = ?, details = ? WHERE request_id = ?`), identity, det, r.RequestID); err != nil {
			return 0, err
		}
	}

	var records []struct {
		JobID     string `db:"job_id"`
		RequestID string `db:"request_id"`
		Records   []byte `db:"records"`
	}
	if err := tx.SelectContext(ctx, &records, `SELECT job_id, request_id, records FROM job_records`); err != nil {
		return 0, err
	}
	for _, r := range records {
		k, err := s.writeKey(ctx, tx, r.RequestID)
		if err != nil {
			return 0, err
		}
		sealed, err := k.seal(jobRecordsPlace(r.JobID), r.Records)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE job_records SET records = ? WHERE job_id = ?`), sealed, r.JobID); err != nil {
			return 0, err
		}
	}

	var exports []struct {
		RequestID string `db:"request_id"`
		Data      []byte `db:"data"`
	}
	if err := tx.SelectContext(ctx, &exports, `SELECT request_id, data FROM exports`); err != nil {
		return 0, err
	}
	for _, e := range exports {
		plain, err := legacyExport(s, e.RequestID, e.Data)
		if err != nil {
			return 0, err
		}
		k, err := s.writeKey(ctx, tx, e.RequestID)
		if err != nil {
			return 0, err
		}
		sealed, err := k.seal("exports.data", plain)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE exports SET data = ? WHERE request_id = ?`), sealed, e.RequestID); err != nil {
			return 0, err
		}
	}

	var msgs []messageRow
	if err := tx.SelectContext(ctx, &msgs, `SELECT `+messageColumns+` FROM outbox`); err != nil {
		return 0, err
	}
	for _, m := range msgs {
		k, err := s.writeKey(ctx, tx, messageOwner(m.RequestID, m.ID))
		if err != nil {
			return 0, err
		}
		sealed, err := sealMessage(k, m.ID, sealedMessage{To: m.To, Subject: m.Subject, Body: m.Body})
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE outbox SET sealed = ?, to_addr = '', subject = '', body = '' WHERE id = ?`), sealed, m.ID); err != nil {
			return 0, err
		}
	}

	var decisions []struct {
		RequestID string `db:"request_id"`
		Reviewer  string `db:"reviewer"`
		Reason    string `db:"reason"`
	}
	if err := tx.SelectContext(ctx, &decisions, `SELECT request_id, reviewer, reason FROM decisions WHERE reason <> ''`); err != nil {
		return 0, err
	}
	for _, d := range decisions {
		k, err := s.writeKey(ctx, tx, d.RequestID)
		if err != nil {
			return 0, err
		}
		sealed, err := k.seal(decisionPlace(d.Reviewer), []byte(d.Reason))
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE decisions SET sealed_reason = ?, reason = '' WHERE request_id = ? AND reviewer = ?`), sealed, d.RequestID, d.Reviewer); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// legacyExport returns the clear bundle of an export stored before migration 0006: sealed with the
// master key ring for "export:<request id>" (activities.ExportContext), or, older still, a clear zip.
func legacyExport(s *Store, requestID string, data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	plain, err := s.keys.Open(data, "export:"+requestID)
	if err == nil {
		return plain, nil
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return data, nil
	}
	return nil, fmt.Errorf("export of request %s opens neither with the key ring nor as a clear archive: %w", requestID, err)
}

// scrubAfterEncryption removes the clear copies that rewriting rows leaves in the database files: on
// SQLite the WAL (freed pages are zeroed by secure_delete), on PostgreSQL the dead row versions, which
// VACUUM FULL rewrites the tables without. Copies in backups and PostgreSQL's WAL archive are outside
// the store's reach: the README says so.
func (s *Store) scrubAfterEncryption(ctx context.Context, conn *sql.Conn) error {
	if s.dialect == SQLite {
		if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	}
	if _, err := conn.ExecContext(ctx, `VACUUM FULL request_details, job_records, exports, outbox, decisions, disclosures`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
