package store

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

// RequestDetail is what the front door and the answer need about the subject of a request. It is
// personal data: it is never put into errors or logs (and a later migration encrypts it).
type RequestDetail struct {
	RequestID string
	Identity  []byte // JSON of dsrflow.Identity, opaque to the store
	Details   []byte // JSON of the request's other inputs (corrections, purposes, grounds, channel...), opaque
}

type requestDetailRow struct {
	RequestID string `db:"request_id"`
	Identity  []byte `db:"identity"`
	Details   []byte `db:"details"`
}

// PutRequestDetail inserts d, or replaces the stored detail of the same request. The request must exist:
// ENOTFOUND otherwise. Empty Identity or Details are stored as empty and read back as nil.
func (s *Store) PutRequestDetail(ctx context.Context, d RequestDetail) error {
	if d.RequestID == "" {
		return dsrflow.Errorf(dsrflow.EINVALID, "request detail needs a request id")
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO request_details (request_id, identity, details) VALUES (?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET identity = excluded.identity, details = excluded.details`),
		d.RequestID, nonNil(d.Identity), nonNil(d.Details))
	if err != nil {
		return writeErr(err, "put detail of request "+d.RequestID, d.RequestID)
	}
	return nil
}

// GetRequestDetail returns the detail of the request, or ENOTFOUND.
func (s *Store) GetRequestDetail(ctx context.Context, requestID string) (RequestDetail, error) {
	var row requestDetailRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT request_id, identity, details FROM request_details WHERE request_id = ?`), requestID)
	if err != nil {
		return RequestDetail{}, notFound(err, "get detail of request "+requestID, "no detail for request %s", requestID)
	}
	return RequestDetail{RequestID: row.RequestID, Identity: nilIfEmpty(row.Identity), Details: nilIfEmpty(row.Details)}, nil
}
