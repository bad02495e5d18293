package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Outcomes of an authority's request (dsrflow.DisclosureStatus).
const (
	DisclosureInReview        = dsrflow.DisclosureInReview
	DisclosureRefusedNoOrder  = dsrflow.DisclosureRefusedNoOrder
	DisclosureRefusedOnReview = dsrflow.DisclosureRefusedOnReview
	DisclosureComplied        = dsrflow.DisclosureComplied
	DisclosureApproved        = dsrflow.DisclosureApproved
	DisclosureCanceled        = dsrflow.DisclosureCanceled
)

// Disclosure is a row of the disclosure register (dsrflow.Disclosure).
type Disclosure = dsrflow.Disclosure

type disclosureRow struct {
	RequestID           string `db:"request_id"`
	Authority           string `db:"authority"`
	Country             string `db:"country"`
	CaseRef             string `db:"case_ref"`
	LegalBasis          string `db:"legal_basis"`
	CourtOrder          string `db:"court_order"`
	Court               string `db:"court"`
	OrderDate           string `db:"order_date"`
	CategoriesRequested string `db:"categories_requested"`
	CategoriesDisclosed string `db:"categories_disclosed"`
	Subjects            int    `db:"subjects"`
	Outcome             string `db:"outcome"`
	Approvers           string `db:"approvers"`
	GagUntil            string `db:"gag_until"`
	ReceivedAt          dbTime `db:"received_at"`
	DecidedAt           dbTime `db:"decided_at"`
	DisclosedAt         dbTime `db:"disclosed_at"`
	CaseSealed          []byte `db:"case_sealed"`
	// Schema version 20.
	Kind              string `db:"kind"`
	OrderSHA256       string `db:"order_sha256"`
	SubjectsDisclosed *int   `db:"subjects_disclosed"`
}

const disclosureColumns = `request_id, authority, country, case_ref, legal_basis, court_order, court, order_date,
	categories_requested, categories_disclosed, subjects, outcome, approvers, gag_until, received_at, decided_at, disclosed_at, case_sealed`

// disclosureColumns20 are disclosureColumns and those of schema version 20 (migration 0011's Go step
// reads disclosureColumns only: the later ones do not exist yet when it runs).
const disclosureColumns20 = disclosureColumns + `, kind, order_sha256, subjects_disclosed`

func (r disclosureRow) disclosure() Disclosure {
	d := Disclosure{
		RequestID: r.RequestID, Authority: r.Authority, Country: r.Country, CaseRef: r.CaseRef, LegalBasis: r.LegalBasis,
		CourtOrder: r.CourtOrder, Court: r.Court, OrderDate: r.OrderDate, Subjects: r.Subjects, Outcome: dsrflow.DisclosureStatus(r.Outcome),
		GagUntil: r.GagUntil, ReceivedAt: r.ReceivedAt.Time, DecidedAt: r.DecidedAt.ptr(), DisclosedAt: r.DisclosedAt.ptr(),
		Kind: dsrflow.DisclosureKind(r.Kind).Or(), OrderSHA256: r.OrderSHA256,
	}
	switch {
	case r.SubjectsDisclosed != nil:
		d.SubjectsDisclosed = *r.SubjectsDisclosed
	case d.Outcome == DisclosureComplied:
		// Recorded before schema version 20, which counted the subjects named.
		d.SubjectsDisclosed = r.Subjects
	}
	_ = json.Unmarshal([]byte(r.CategoriesRequested), &d.CategoriesRequested)
	_ = json.Unmarshal([]byte(r.CategoriesDisclosed), &d.CategoriesDisclosed)
	_ = json.Unmarshal([]byte(r.Approvers), &d.Approvers)
	return d
}

// disclosureCase holds the register's confidential case fields, sealed together in case_sealed: who
// asks about whom can be read from an authority, a case reference and a court order, so they are
// encrypted under the request's data key like reviewers' reasons, and crypto-shredded with it.
type disclosureCase struct {
	Authority  string `json:"authority"`
	CaseRef    string `json:"case_ref"`
	LegalBasis string `json:"legal_basis,omitempty"`
	CourtOrder string `json:"court_order,omitempty"`
	Court      string `json:"court,omitempty"`
	Statute    string `json:"statute,omitempty"`
}

func disclosureCasePlace(requestID string) string { return "disclosures.case:" + requestID }

// sealCase seals d's case fields under k.
func sealCase(k dataKey, d Disclosure) ([]byte, error) {
	plain, err := json.Marshal(disclosureCase{Authority: d.Authority, CaseRef: d.CaseRef, LegalBasis: d.LegalBasis, CourtOrder: d.CourtOrder, Court: d.Court, Statute: d.Statute})
	if err != nil {
		return nil, err
	}
	return k.seal(disclosureCasePlace(d.RequestID), plain)
}

// openCase fills the case fields of d from the row's sealed ones. A shredded request's case reads
// empty: the register keeps its counts, dates and outcome, which hold nothing confidential.
func (s *Store) openCase(ctx context.Context, r disclosureRow, d *Disclosure) error {
	if len(r.CaseSealed) == 0 {
		return nil
	}
	k, err := s.readKey(ctx, s.db, r.RequestID)
	if dsrflow.ErrorCode(err) == dsrflow.EGONE {
		return nil
	}
	if err != nil {
		return err
	}
	plain, err := k.open(disclosureCasePlace(r.RequestID), r.CaseSealed)
	if err != nil {
		return err
	}
	var c disclosureCase
	if err := json.Unmarshal(plain, &c); err != nil {
		return fmt.Errorf("disclosure %s: case: %w", r.RequestID, err)
	}
	d.Authority, d.CaseRef, d.LegalBasis, d.CourtOrder, d.Court, d.Statute = c.Authority, c.CaseRef, c.LegalBasis, c.CourtOrder, c.Court, c.Statute
	return nil
}

// disclosureOutcomes are the register's outcomes.
var disclosureOutcomes = []dsrflow.DisclosureStatus{DisclosureInReview, DisclosureApproved, DisclosureRefusedNoOrder,
	DisclosureRefusedOnReview, DisclosureComplied, DisclosureCanceled}

func jsonList(list []string) string {
	if list == nil {
		list = []string{}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// PutDisclosure inserts d, or replaces the register's row of the same request: the workflow records the
// row at intake and again at each outcome. It returns EINVALID without a request id, authority, country,
// case reference or receipt time, or with an unknown outcome; ENOTFOUND when the request's index row does
// not exist.
func (s *Store) PutDisclosure(ctx context.Context, d Disclosure) error {
	switch {
	case d.RequestID == "" || d.Authority == "" || d.Country == "" || d.CaseRef == "" || d.ReceivedAt.IsZero():
		return dsrflow.Errorf(dsrflow.EINVALID, "disclosure needs a request id, authority, country, case reference and receipt time")
	case !slices.Contains(disclosureOutcomes, d.Outcome):
		return dsrflow.Errorf(dsrflow.EINVALID, "disclosure outcome must be one of %v", disclosureOutcomes)
	case !d.Kind.Valid():
		return dsrflow.Errorf(dsrflow.EINVALID, "disclosure kind must be one of %v", dsrflow.DisclosureKinds)
	case d.Subjects < 0 || d.SubjectsDisclosed < 0 || d.SubjectsDisclosed > d.Subjects:
		return dsrflow.Errorf(dsrflow.EINVALID, "disclosure subject counts must be 0 or more, and no more disclosed than named")
	}
	var disclosedCount *int
	if d.Outcome == DisclosureComplied {
		disclosedCount = &d.SubjectsDisclosed
	}
	k, err := s.requestKey(ctx, s.db, d.RequestID)
	if err != nil {
		return err
	}
	sealed, err := sealCase(k, d)
	if err != nil {
		return err
	}
	// The clear case columns stay empty: the case lives in case_sealed.
	_, err = s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO disclosures (`+disclosureColumns20+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET
			authority = excluded.authority, country = excluded.country, case_ref = excluded.case_ref,
			legal_basis = excluded.legal_basis, court_order = excluded.court_order, court = excluded.court,
			order_date = excluded.order_date, categories_requested = excluded.categories_requested,
			categories_disclosed = excluded.categories_disclosed, subjects = excluded.subjects,
			outcome = excluded.outcome, approvers = excluded.approvers, gag_until = excluded.gag_until,
			received_at = excluded.received_at, decided_at = excluded.decided_at, disclosed_at = excluded.disclosed_at,
			case_sealed = excluded.case_sealed, kind = excluded.kind, order_sha256 = excluded.order_sha256,
			subjects_disclosed = excluded.subjects_disclosed`),
		d.RequestID, "", d.Country, "", "", "", "", d.OrderDate,
		jsonList(d.CategoriesRequested), jsonList(d.CategoriesDisclosed), d.Subjects, string(d.Outcome), jsonList(d.Approvers),
		d.GagUntil, s.timeArg(d.ReceivedAt), s.nullTimeArg(d.DecidedAt), s.nullTimeArg(d.DisclosedAt), sealed,
		string(d.Kind.Or()), d.OrderSHA256, disclosedCount)
	if err != nil {
		return writeErr(err, "put disclosure "+d.RequestID, d.RequestID)
	}
	return nil
}

// GetDisclosure returns the register's row of the request, or ENOTFOUND.
func (s *Store) GetDisclosure(ctx context.Context, requestID string) (Disclosure, error) {
	var row disclosureRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT `+disclosureColumns20+` FROM disclosures WHERE request_id = ?`), requestID)
	if err != nil {
		return Disclosure{}, notFound(err, "get disclosure "+requestID, "no disclosure %s", requestID)
	}
	d := row.disclosure()
	if err := s.openCase(ctx, row, &d); err != nil {
		return Disclosure{}, err
	}
	return d, nil
}

// ListDisclosures returns the register's rows of requests received in [from, to), by receipt time.
func (s *Store) ListDisclosures(ctx context.Context, from, to time.Time) ([]Disclosure, error) {
	return s.listDisclosures(ctx, from, to, true)
}

// listDisclosures is ListDisclosures; withCase false leaves the sealed case fields closed, for counts.
func (s *Store) listDisclosures(ctx context.Context, from, to time.Time, withCase bool) ([]Disclosure, error) {
	var rows []disclosureRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+disclosureColumns20+` FROM disclosures
		WHERE received_at >= ? AND received_at < ? ORDER BY received_at, request_id`), s.timeArg(from), s.timeArg(to))
	if err != nil {
		return nil, fmt.Errorf("list disclosures: %w", err)
	}
	out := make([]Disclosure, len(rows))
	for i, r := range rows {
		out[i] = r.disclosure()
		if !withCase {
			continue
		}
		if err := s.openCase(ctx, r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TransparencyRow is one authority country's line of the transparency report (dsrflow.TransparencyRow).
type TransparencyRow = dsrflow.TransparencyRow

// TransparencyReport counts the authority requests received in the calendar year (UTC) by the
// authority's country, sorted by country: received, refused for lack of a court order, refused on
// review, complied with, the subjects whose data was disclosed (not those only named: a subject held
// nowhere is not counted) and the categories disclosed. Requests still in review, approved and still
// being gathered, or canceled count as received only.
func (s *Store) TransparencyReport(ctx context.Context, year int) ([]TransparencyRow, error) {
	if year < 1970 || year > 9999 {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "year must be between 1970 and 9999")
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	list, err := s.listDisclosures(ctx, from, from.AddDate(1, 0, 0), false)
	if err != nil {
		return nil, err
	}
	byCountry := map[string]*TransparencyRow{}
	var countries []string
	for _, d := range list {
		row := byCountry[d.Country]
		if row == nil {
			row = &TransparencyRow{Country: d.Country, Categories: []string{}}
			byCountry[d.Country] = row
			countries = append(countries, d.Country)
		}
		row.Received++
		switch d.Outcome {
		case DisclosureRefusedNoOrder:
			row.RefusedNoOrder++
		case DisclosureRefusedOnReview:
			row.RefusedOnReview++
		case DisclosureComplied:
			row.Complied++
			row.Subjects += d.SubjectsDisclosed
			row.Categories = append(row.Categories, d.CategoriesDisclosed...)
		}
	}
	slices.Sort(countries)
	out := make([]TransparencyRow, 0, len(countries))
	for _, c := range countries {
		row := byCountry[c]
		slices.Sort(row.Categories)
		row.Categories = slices.Compact(row.Categories)
		out = append(out, *row)
	}
	return out, nil
}

func disclosureSubjectKeyPlace(requestID string) string {
	return "disclosures.subject_key:" + requestID
}

// PutDisclosureSubjectKey keeps the key from the bundle's subject labels (S1, S2, ...) to the subjects
// in the register row of the request, sealed under the request's data key: the bundle names labels
// only. It replaces an earlier key (a retried bundle). ENOTFOUND when the row does not exist.
func (s *Store) PutDisclosureSubjectKey(ctx context.Context, requestID string, key map[string]dsrflow.Identity) error {
	k, err := s.requestKey(ctx, s.db, requestID)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(key)
	if err != nil {
		return err
	}
	sealed, err := k.seal(disclosureSubjectKeyPlace(requestID), plain)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE disclosures SET subject_key = ? WHERE request_id = ?`), sealed, requestID)
	if err != nil {
		return writeErr(err, "put disclosure subject key "+requestID, requestID)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "no disclosure %s", requestID)
	}
	return nil
}

// DisclosureSubjectKey returns the key from the bundle's subject labels to the subjects: empty when no
// bundle was made; EGONE when the request was shredded. It is personal data, for the DPO only.
func (s *Store) DisclosureSubjectKey(ctx context.Context, requestID string) (map[string]dsrflow.Identity, error) {
	var sealed []byte
	err := s.db.GetContext(ctx, &sealed, s.rebind(`SELECT subject_key FROM disclosures WHERE request_id = ?`), requestID)
	if err != nil {
		return nil, notFound(err, "get disclosure subject key "+requestID, "no disclosure %s", requestID)
	}
	out := map[string]dsrflow.Identity{}
	if len(sealed) == 0 {
		return out, nil
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return nil, err
	}
	plain, err := k.open(disclosureSubjectKeyPlace(requestID), sealed)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("disclosure %s: subject key: %w", requestID, err)
	}
	return out, nil
}

func disclosureOrderPlace(requestID string) string { return "disclosure_orders.sealed:" + requestID }

// PutDisclosureOrder keeps the authority's order document of the request, sealed under the request's
// data key, with its hex SHA-256. A second call for the request replaces it. ENOTFOUND when the
// request's index row does not exist.
func (s *Store) PutDisclosureOrder(ctx context.Context, requestID string, doc []byte) error {
	if len(doc) == 0 {
		return dsrflow.Errorf(dsrflow.EINVALID, "the order document is empty")
	}
	k, err := s.requestKey(ctx, s.db, requestID)
	if err != nil {
		return err
	}
	sealed, err := k.seal(disclosureOrderPlace(requestID), doc)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(doc)
	_, err = s.db.ExecContext(ctx, s.rebind(`INSERT INTO disclosure_orders (request_id, sha256, sealed) VALUES (?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET sha256 = excluded.sha256, sealed = excluded.sealed`), requestID, hex.EncodeToString(sum[:]), sealed)
	if err != nil {
		return writeErr(err, "put disclosure order "+requestID, requestID)
	}
	return nil
}

// DisclosureOrder returns the order document kept for the request and its hex SHA-256: ENOTFOUND when
// none was kept, EGONE when the request was shredded.
func (s *Store) DisclosureOrder(ctx context.Context, requestID string) ([]byte, string, error) {
	var row struct {
		SHA256 string `db:"sha256"`
		Sealed []byte `db:"sealed"`
	}
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT sha256, sealed FROM disclosure_orders WHERE request_id = ?`), requestID)
	if err != nil {
		return nil, "", notFound(err, "get disclosure order "+requestID, "no order document kept for %s", requestID)
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return nil, "", err
	}
	doc, err := k.open(disclosureOrderPlace(requestID), row.Sealed)
	if err != nil {
		return nil, "", err
	}
	return doc, row.SHA256, nil
}
