package store

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
)

// disclosureCaseMigration is the migration that seals the disclosure register's case fields.
const disclosureCaseMigration = 11

// sealDisclosureCases seals, in migration 0011's transaction, the case fields that earlier versions
// wrote in clear in the disclosure register, and empties the clear columns. Like migration 0006 it
// refuses (and rolls back) when such rows exist and the store has no key ring. It returns how many rows
// it rewrote.
func (s *Store) sealDisclosureCases(ctx context.Context, sqlTx *sql.Tx) (int, error) {
	tx := &sqlx.Tx{Tx: sqlTx, Mapper: s.db.Mapper}
	var rows []disclosureRow
	if err := tx.SelectContext(ctx, &rows, `SELECT `+disclosureColumns+` FROM disclosures WHERE case_sealed IS NULL`); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if s.keys == nil {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "the disclosure register holds %d cases written before their encryption: migration 0011 encrypts them and needs the master key ring (DSR_MASTER_KEYS)", len(rows))
	}
	for _, r := range rows {
		var sealed []byte
		k, err := s.writeKey(ctx, tx, r.RequestID)
		switch {
		case dsrflow.ErrorCode(err) == dsrflow.EGONE:
			// The request's data was shredded: its case goes with it.
			sealed = []byte{}
		case err != nil:
			return 0, err
		default:
			if sealed, err = sealCase(k, r.disclosure()); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE disclosures SET case_sealed = ?, authority = '', case_ref = '', legal_basis = '', court_order = '', court = '' WHERE request_id = ?`), sealed, r.RequestID); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}
