package activities

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/dsrflow/dsrflow"
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
	// DPO is the data protection officer's address (controller.yaml dpo.email, else contact.email), told
	// at once of an emergency request; empty leaves the alert to the review channel alone.
	DPO string
}

// NotifyDPO queues the mail that tells the DPO of an authority request at once. Without an address it
// does nothing (the workflow's alert reaches the review channel). Idempotent: the outbox keys it.
func (a *Disclosure) NotifyDPO(ctx context.Context, n DPONotice) error {
	if a.DPO == "" {
		return nil
	}
	at := time.Now().UTC()
	if a.Now != nil {
		at = a.Now().UTC()
	}
	_, err := a.Store.EnqueueMessage(ctx, store.Message{ID: n.RequestID + ":dpo", RequestID: n.RequestID, Kind: "disclosure_dpo_notice",
		To: a.DPO, Subject: n.Subject, Body: n.Text, CreatedAt: at})
	if err != nil {
		return fmt.Errorf("queue the DPO's notice of %s: %w", n.RequestID, err)
	}
	return nil
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
	// Subject is the record's subject's pseudonymous label (S1, S2, ...: the subject's number in the
	// order); the key from label to subject stays in the register.
	Subject   string            `json:"subject"`
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
	bySubject := map[int][]string{}
	for _, id := range jobIDs {
		ref, ok := refs[id]
		if !ok {
			continue // a job of another run or action
		}
		var recs []connectors.Record
		if err := json.Unmarshal(stored[id], &recs); err != nil {
			return BundleOutcome{}, fmt.Errorf("records of %s: %w", id, err)
		}
		// Every disclosure job's id names its subject; were one not to, its records would go out unlabelled
		// and count for no subject.
		n := SubjectOfJob(id)
		for _, rec := range recs {
			br := bundleRecord{Subject: SubjectLabel(n), Connector: ref.ID, Owner: ref.Owner, Dataset: rec.Dataset, Fields: map[string]string{}, Categories: map[string]string{}}
			for field, value := range rec.Fields {
				cat := rec.Categories[field]
				if !slices.Contains(in.Categories, cat) {
					continue
				}
				br.Fields[field], br.Categories[field] = value, cat
				seen = append(seen, cat)
				if n > 0 && !slices.Contains(bySubject[n], cat) {
					bySubject[n] = append(bySubject[n], cat)
				}
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
	// The key to the labels in the bundle goes to the register first: a bundle whose labels nobody can
	// resolve would not let dsrflow answer the subjects later.
	key := map[string]dsrflow.Identity{}
	for n := range bySubject {
		slices.Sort(bySubject[n])
		if n > len(in.Subjects) {
			return BundleOutcome{}, fmt.Errorf("bundle of %s: subject %d of %d", in.RequestID, n, len(in.Subjects))
		}
		key[SubjectLabel(n)] = in.Subjects[n-1]
	}
	if len(in.Subjects) > 0 {
		if err := a.Store.PutDisclosureSubjectKey(ctx, in.RequestID, key); err != nil {
			return BundleOutcome{}, fmt.Errorf("subject key of %s: %w", in.RequestID, err)
		}
	}
	doc := map[string]any{
		"request_id": in.RequestID, "authority": in.Authority, "case_ref": in.CaseRef, "court_order": in.CourtOrder,
		"approved_categories": in.Categories, "records": out,
		"subjects": "each record's subject is a label (S1, S2, ...); the controller keeps the key to the labels",
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
	return BundleOutcome{Records: len(out), Categories: seen, SubjectCategories: bySubject}, nil
}

// subjectJob matches a disclosure's job id: "<disclosure>:s<n>:<connector>:<action>".
var subjectJob = regexp.MustCompile(`^[^:]+:s([0-9]+):`)

// SubjectOfJob is the subject's number (from 1) a disclosure's job id carries, or 0.
func SubjectOfJob(jobID string) int {
	m := subjectJob.FindStringSubmatch(jobID)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return n
}

// SubjectLabel is the bundle's pseudonymous label of the n-th subject (from 1): S1, S2, ...
func SubjectLabel(n int) string {
	if n <= 0 {
		return ""
	}
	return "S" + strconv.Itoa(n)
}
