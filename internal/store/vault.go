package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/jmoiron/sqlx"
)

// Envelope encryption (migration 0006). Every personal field at rest — a request's identity and details,
// its connectors' records, its export, its mail (recipient, subject, body) and reviewers' reasons — is
// encrypted with AES-256-GCM under a data key of its own request: 32 random bytes, created on the
// request's first personal write and stored in data_keys wrapped by the master key ring
// (payload.KeyRing.Seal: the wrap names the master key, so a rotated ring still unwraps old requests
// while new ones wrap with the active key). Crypto-shredding a request deletes its wrapped data key:
// what was encrypted under it can no longer be read by anyone, in the database or in its backups.
//
// A sealed field is: 1 byte format version (1), the 12-byte nonce, the ciphertext and tag. The
// additional data binds it to its owner, table and row, so a sealed value copied to another request or
// row does not open there. Empty values are stored empty: they reveal nothing.

// Option configures a Store when it is opened.
type Option func(*Store)

// WithKeys gives the store the master key ring that wraps the requests' data keys. Without it the store
// refuses to write or read personal data (EINTERNAL), and refuses to migrate a database that holds
// personal data written before encryption existed.
func WithKeys(keys *payload.KeyRing) Option { return func(s *Store) { s.keys = keys } }

// sealVersion is the first byte of every sealed field.
const sealVersion = 1

// dbtx is what the data key helpers need of a *sqlx.DB or *sqlx.Tx.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// dataKey is an unwrapped data key, bound to its owner.
type dataKey struct {
	owner string
	aead  cipher.AEAD
}

func (k dataKey) aad(place string) []byte {
	return []byte("dsrflow-store-v1\x00" + k.owner + "\x00" + place)
}

// seal encrypts plain for place ("table:row"); empty stays empty.
func (k dataKey) seal(place string, plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return []byte{}, nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(nonce)+len(plain)+k.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plain, k.aad(place)), nil
}

// open decrypts what seal wrote for the same place; empty stays empty (nil).
func (k dataKey) open(place string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	n := k.aead.NonceSize()
	if sealed[0] != sealVersion || len(sealed) < 1+n+k.aead.Overhead() {
		return nil, fmt.Errorf("%s: not a sealed value of format %d", place, sealVersion)
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], k.aad(place))
	if err != nil {
		return nil, fmt.Errorf("%s: sealed value does not authenticate (tampered, or moved from another row)", place)
	}
	return plain, nil
}

const dataKeyQuery = `SELECT key_id, wrapped, shredded_at FROM data_keys WHERE owner = ?`

type dataKeyRow struct {
	KeyID      string `db:"key_id"`
	Wrapped    []byte `db:"wrapped"`
	ShreddedAt dbTime `db:"shredded_at"`
}

// wrapContext binds a wrapped data key to its owner.
func wrapContext(owner string) string { return "data-key:" + owner }

// errNoKeys explains a store opened without WithKeys.
func errNoKeys() error {
	return dsrflow.Errorf(dsrflow.EINTERNAL, "the store was opened without the master key ring (DSR_MASTER_KEYS): it cannot read or write personal data")
}

// gone is the error for personal data that was crypto-shredded: it names the request and the date,
// never the data.
func gone(owner string, at time.Time) error {
	return dsrflow.Errorf(dsrflow.EGONE, "the personal data of request %s was destroyed on %s under the record-retention policy",
		owner, at.UTC().Format("2006-01-02"))
}

// requestKey is writeKey for the tables whose rows belong to a request (a foreign key): the key is made
// only for a request that exists, so that a write the foreign key will refuse leaves no orphan key behind
// (found by the bad-input drill: a signed callback for an unknown request).
func (s *Store) requestKey(ctx context.Context, q dbtx, requestID string) (dataKey, error) {
	var n int
	if err := q.GetContext(ctx, &n, s.rebind(`SELECT count(*) FROM requests WHERE id = ?`), requestID); err != nil {
		return dataKey{}, fmt.Errorf("find request %s: %w", requestID, err)
	}
	if n == 0 {
		return dataKey{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s not found", requestID)
	}
	return s.writeKey(ctx, q, requestID)
}

// writeKey returns the owner's data key, creating it (wrapped with the active master key) on first
// use. It returns EGONE when the owner's data was shredded: nothing personal is written after that.
func (s *Store) writeKey(ctx context.Context, q dbtx, owner string) (dataKey, error) {
	if s.keys == nil {
		return dataKey{}, errNoKeys()
	}
	k, err := s.readKey(ctx, q, owner)
	if dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		return k, err
	}
	raw := make([]byte, payload.KeyLen)
	if _, err := rand.Read(raw); err != nil {
		return dataKey{}, err
	}
	wrapped, err := s.keys.Seal(raw, wrapContext(owner))
	if err != nil {
		return dataKey{}, fmt.Errorf("wrap data key of %s: %w", owner, err)
	}
	// Two writers creating the owner's key at once: the first insert wins and both use its key.
	if _, err := q.ExecContext(ctx, s.rebind(`INSERT INTO data_keys (owner, key_id, wrapped, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (owner) DO NOTHING`),
		owner, s.keys.ActiveID(), wrapped, s.timeArg(time.Now())); err != nil {
		return dataKey{}, fmt.Errorf("store data key of %s: %w", owner, err)
	}
	return s.readKey(ctx, q, owner)
}

// readKey returns the owner's data key: ENOTFOUND when it has none, EGONE when it was shredded.
func (s *Store) readKey(ctx context.Context, q dbtx, owner string) (dataKey, error) {
	if s.keys == nil {
		return dataKey{}, errNoKeys()
	}
	var row dataKeyRow
	err := q.GetContext(ctx, &row, s.rebind(dataKeyQuery), owner)
	if errors.Is(err, sql.ErrNoRows) {
		return dataKey{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "no data key for %s", owner)
	}
	if err != nil {
		return dataKey{}, fmt.Errorf("read data key of %s: %w", owner, err)
	}
	if row.ShreddedAt.Valid {
		return dataKey{}, gone(owner, row.ShreddedAt.Time)
	}
	raw, err := s.keys.Open(row.Wrapped, wrapContext(owner))
	if err != nil {
		return dataKey{}, fmt.Errorf("unwrap data key of %s (master key %s): %w", owner, row.KeyID, err)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return dataKey{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return dataKey{}, err
	}
	return dataKey{owner: owner, aead: aead}, nil
}

// missing turns a row that is not there into EGONE when the owner's data was shredded, so every read
// of a shredded request says why; otherwise it returns err.
func (s *Store) missing(ctx context.Context, owner string, err error) error {
	if dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND || s.keys == nil {
		return err
	}
	if _, kerr := s.readKey(ctx, s.db, owner); dsrflow.ErrorCode(kerr) == dsrflow.EGONE {
		return kerr
	}
	return err
}

// ShredRequest crypto-shreds the personal data of a closed request at time at: its wrapped data key is
// deleted, so its identity, details, connector records, export, mail and reviewers' reasons can no
// longer be decrypted, and reading them returns EGONE naming the date. Mail still waiting to be sent is
// deleted. The request's index row and audit trail, which hold no personal data, stay. Shredding a
// request again changes nothing and returns the first date. It returns ENOTFOUND for an unknown request
// and ECONFLICT for one that is still open.
func (s *Store) ShredRequest(ctx context.Context, requestID string, at time.Time) (time.Time, error) {
	if requestID == "" || at.IsZero() {
		return time.Time{}, dsrflow.Errorf(dsrflow.EINVALID, "shredding needs a request id and a time")
	}
	var shreddedAt dbTime
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var closed dbTime
		if err := tx.GetContext(ctx, &closed, s.rebind(`SELECT closed_at FROM requests WHERE id = ?`+s.forUpdate()), requestID); err != nil {
			return notFound(err, "read request", "request %s not found", requestID)
		}
		if !closed.Valid {
			return dsrflow.Errorf(dsrflow.ECONFLICT, "request %s is open: its record is kept until it closes", requestID)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`
			INSERT INTO data_keys (owner, key_id, wrapped, created_at, shredded_at) VALUES (?, '', NULL, ?, ?)
			ON CONFLICT (owner) DO UPDATE SET wrapped = NULL,
				shredded_at = COALESCE(data_keys.shredded_at, excluded.shredded_at)`),
			requestID, s.timeArg(at), s.timeArg(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM outbox WHERE request_id = ? AND sent_at IS NULL`), requestID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &shreddedAt, s.rebind(`SELECT shredded_at FROM data_keys WHERE owner = ?`), requestID)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("shred request %s: %w", requestID, err)
	}
	if err := s.scrubFreed(ctx); err != nil {
		return time.Time{}, fmt.Errorf("shred request %s: %w", requestID, err)
	}
	return shreddedAt.Time, nil
}

// scrubFreed makes deleted bytes unrecoverable from the database files where the store can: SQLite
// overwrites freed space (secure_delete, set at open) and this truncates the WAL, which still holds
// the pages as they were. PostgreSQL keeps dead row versions until VACUUM; autovacuum reclaims them.
func (s *Store) scrubFreed(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// ExpiredRecords returns the closed requests whose personal data is due for shredding: closed before
// closedBefore and not shredded yet, oldest closure first, at most limit (0 means 100).
func (s *Store) ExpiredRecords(ctx context.Context, closedBefore time.Time, n int) ([]Request, error) {
	var rows []requestRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(expiredRecordsQuery), s.timeArg(closedBefore), limit(n))
	if err != nil {
		return nil, fmt.Errorf("list expired records: %w", err)
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

const expiredRecordsQuery = `SELECT ` + requestReadColumns + ` FROM requests
	LEFT JOIN data_keys ON data_keys.owner = requests.id
	WHERE closed_at IS NOT NULL AND closed_at < ? AND shredded_at IS NULL
	ORDER BY closed_at, id LIMIT ?`

// ShreddedAt returns when the request's personal data was shredded, or nil when it was not.
func (s *Store) ShreddedAt(ctx context.Context, requestID string) (*time.Time, error) {
	var at dbTime
	err := s.db.GetContext(ctx, &at, s.rebind(`SELECT shredded_at FROM data_keys WHERE owner = ?`), requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read data key of %s: %w", requestID, err)
	}
	return at.ptr(), nil
}

// DataKeysByMasterKey counts the live (not shredded) data keys by the id of the master key that wraps
// them: after a rotation, how many requests still depend on an old key.
func (s *Store) DataKeysByMasterKey(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		KeyID string `db:"key_id"`
		N     int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT key_id, count(*) AS n FROM data_keys WHERE wrapped IS NOT NULL GROUP BY key_id`); err != nil {
		return nil, fmt.Errorf("count data keys: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.KeyID] = r.N
	}
	return out, nil
}
