package activities

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// BundleValidFor is how long the authority's bundle stays in the store for download by an agent.
const BundleValidFor = 30 * 24 * time.Hour

// Disclosure keeps the disclosure register and prepares the bundle an authority receives.
type Disclosure struct {
	// Store keeps the bundle encrypted under the request's data key, as the subjects' exports.
	Store *store.Store
	Now   func() time.Time
}

// RecordDisclosure writes the register's row (insert or replace) and audits the outcome. It reads no
// configuration and is idempotent, so the workflow runs it as a local activity.
func (a *Disclosure) RecordDisclosure(ctx context.Context, d store.Disclosure) error {
	if err := a.Store.PutDisclosure(ctx, d); err != nil {
		return fmt.Errorf("record disclosure %s: %w", d.RequestID, err)
	}
	return nil
}

// bundleRecord is one record as the authority sees it: only fields of approved categories.
type bundleRecord struct {
	Connector string            `json:"connector"`
	Owner     string            `json:"owner"`
	Dataset   string            `json:"dataset"`
	Fields    map[string]string `json:"fields"`
	// Categories maps each field to its data category.
	Categories map[string]string `json:"categories"`
}

// PrepareBundle builds the bundle (a zip holding bundle.json), encrypts it and keeps it as the request's
// export, where `starter export ID` fetches it. A field whose category was not approved never enters the
// bundle, whatever the connector returned. Idempotent: a retry rebuilds the same bundle.
func (a *Disclosure) PrepareBundle(ctx context.Context, in BundleInput) (BundleOutcome, error) {
	stored, err := a.Store.ListJobRecords(ctx, in.RequestID)
	if err != nil {
		return BundleOutcome{}, fmt.Errorf("records of %s: %w", in.RequestID, err)
	}
	refs := map[string]ConnectorRef{}
	for _, o := range in.Outcomes {
		refs[o.JobID] = o.Connector
	}
	jobIDs := make([]string, 0, len(stored))
	for id := range stored {
		jobIDs = append(jobIDs, id)
	}
	sort.Strings(jobIDs)
	var out []bundleRecord
	var seen []string
	for _, id := range jobIDs {
		ref, ok := refs[id]
		if !ok {
			continue // a job of another run or action
		}
		var recs []connectors.Record
		if err := json.Unmarshal(stored[id], &recs); err != nil {
			return BundleOutcome{}, fmt.Errorf("records of %s: %w", id, err)
		}
		for _, rec := range recs {
			br := bundleRecord{Connector: ref.ID, Owner: ref.Owner, Dataset: rec.Dataset, Fields: map[string]string{}, Categories: map[string]string{}}
			for field, value := range rec.Fields {
				cat := rec.Categories[field]
				if !slices.Contains(in.Categories, cat) {
					continue
				}
				br.Fields[field], br.Categories[field] = value, cat
				seen = append(seen, cat)
			}
			if len(br.Fields) > 0 {
				out = append(out, br)
			}
		}
	}
	slices.Sort(seen)
	seen = slices.Compact(seen)
	if out == nil {
		out = []bundleRecord{}
	}
	doc := map[string]any{
		"request_id": in.RequestID, "authority": in.Authority, "case_ref": in.CaseRef, "court_order": in.CourtOrder,
		"approved_categories": in.Categories, "records": out,
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return BundleOutcome{}, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "bundle.json", Method: zip.Deflate})
	if err == nil {
		_, err = f.Write(body)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return BundleOutcome{}, fmt.Errorf("bundle for %s: %w", in.RequestID, err)
	}
	at := time.Now().UTC()
	if a.Now != nil {
		at = a.Now().UTC()
	}
	if err := a.Store.PutExport(ctx, store.Export{RequestID: in.RequestID, Data: buf.Bytes(), CreatedAt: at, ExpiresAt: at.Add(BundleValidFor)}); err != nil {
		return BundleOutcome{}, fmt.Errorf("store bundle for %s: %w", in.RequestID, err)
	}
	if seen == nil {
		seen = []string{}
	}
	return BundleOutcome{Records: len(out), Categories: seen}, nil
}
