package store

import (
	"context"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Export is the archive answering an access or portability request. Data is personal data: it rests
// encrypted under the request's data key, so shredding the request destroys it too.
type Export struct {
	RequestID            string
	Data                 []byte
	CreatedAt, ExpiresAt time.Time
}

type exportRow struct {
	RequestID string `db:"request_id"`
	Data      []byte `db:"data"`
	CreatedAt dbTime `db:"created_at"`
	ExpiresAt dbTime `db:"expires_at"`
}

// PutExport inserts e, or replaces the request's stored export. A zero CreatedAt is set to now. It
// returns EINVALID without a request id or expiry, and ENOTFOUND when the request does not exist.
func (s *Store) PutExport(ctx context.Context, e Export) error {
	if e.RequestID == "" || e.ExpiresAt.IsZero() {
		return dsrflow.Errorf(dsrflow.EINVALID, "export needs a request id and an expiry")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	k, err := s.requestKey(ctx, s.db, e.RequestID)
	if err != nil {
		return err
	}
	data, err := k.seal("exports.data", e.Data)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO exports (request_id, data, created_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET
			data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at`),
		e.RequestID, data, s.timeArg(e.CreatedAt), s.timeArg(e.ExpiresAt))
	if err != nil {
		return writeErr(err, "put export of request "+e.RequestID, e.RequestID)
	}
	return nil
}

// GetExport returns the request's export, ENOTFOUND, or EGONE once the request was shredded.
func (s *Store) GetExport(ctx context.Context, requestID string) (Export, error) {
	var row exportRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT request_id, data, created_at, expires_at FROM exports WHERE request_id = ?`), requestID)
	if err != nil {
		return Export{}, s.missing(ctx, requestID, notFound(err, "get export of request "+requestID, "no export for request %s", requestID))
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return Export{}, err
	}
	data, err := k.open("exports.data", row.Data)
	if err != nil {
		return Export{}, err
	}
	return Export{RequestID: row.RequestID, Data: data, CreatedAt: row.CreatedAt.Time, ExpiresAt: row.ExpiresAt.Time}, nil
}
