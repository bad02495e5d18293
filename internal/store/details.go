package store

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

// RequestDetail is what the front door and the answer need about the subject of a request. It is
// personal data: it is never put into errors or logs, and rests encrypted under the request's data key.
type RequestDetail struct {
	RequestID string
	Identity  []byte // JSON of dsrflow.Identity, opaque to the store
	Details   []byte // JSON of the request's other inputs (corrections, purposes, grounds, channel...), opaque
	// Agent, when set, is the authorized agent who submitted the request; CreateRequest records it
	// (request_agents) in the same transaction.
	Agent *RequestAgent
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
	k, err := s.requestKey(ctx, s.db, d.RequestID)
	if err != nil {
		return err
	}
	identity, details, err := k.sealDetail(d)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO request_details (request_id, identity, details) VALUES (?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET identity = excluded.identity, details = excluded.details`),
		d.RequestID, identity, details)
	if err != nil {
		return writeErr(err, "put detail of request "+d.RequestID, d.RequestID)
	}
	return nil
}

// GetRequestDetail returns the detail of the request, ENOTFOUND, or EGONE once it was shredded.
func (s *Store) GetRequestDetail(ctx context.Context, requestID string) (RequestDetail, error) {
	var row requestDetailRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT request_id, identity, details FROM request_details WHERE request_id = ?`), requestID)
	if err != nil {
		return RequestDetail{}, s.missing(ctx, requestID, notFound(err, "get detail of request "+requestID, "no detail for request %s", requestID))
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return RequestDetail{}, err
	}
	d := RequestDetail{RequestID: row.RequestID}
	if d.Identity, err = k.open("request_details.identity", row.Identity); err != nil {
		return RequestDetail{}, err
	}
	if d.Details, err = k.open("request_details.details", row.Details); err != nil {
		return RequestDetail{}, err
	}
	return d, nil
}

// sealDetail seals a request detail's two fields under the request's key, as request_details stores them.
func (k dataKey) sealDetail(d RequestDetail) (identity, details []byte, err error) {
	if identity, err = k.seal("request_details.identity", d.Identity); err != nil {
		return nil, nil, err
	}
	if details, err = k.seal("request_details.details", d.Details); err != nil {
		return nil, nil, err
	}
	return identity, details, nil
}
