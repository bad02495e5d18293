package rest

import (
	"context"
	"maps"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Preview is what a read for a test identity finds in a rest connector, without acting: what
// `starter connector check --connector ID` shows before the connector goes live.
type Preview struct {
	Connector string           `json:"connector"`
	Datasets  []DatasetPreview `json:"datasets"`
	// Tenants are, for a processor, what its locate request finds: the customer tenants holding the
	// subject. A processor's datasets are read only in a tenant, on the customer's instruction: the
	// preview reads none.
	Tenants []connectors.TenantHolding `json:"tenants,omitempty"`
}

// DatasetPreview is what the read found in one dataset. Values are there only when asked for.
type DatasetPreview struct {
	Dataset string `json:"dataset"`
	// Read is false when the identities given do not include those the dataset's read needs (Needs).
	Read      bool     `json:"read"`
	Needs     []string `json:"needs,omitempty"`
	Records   int      `json:"records"`
	Truncated bool     `json:"truncated,omitempty"`
	// Fields and Categories are the kept fields found in at least one record, and their categories.
	Fields     []string            `json:"fields,omitempty"`
	Categories []string            `json:"categories,omitempty"`
	Values     []map[string]string `json:"values,omitempty"`
}

// Preview reads every dataset for the identity, all of it taken as verified, and says what it found. A
// processor's preview runs its locate request only, and says which tenants it found.
func (r *Runner) Preview(ctx context.Context, id dsrflow.Identity, values bool) (Preview, error) {
	if r.conn.Role == connectors.RoleProcessor {
		job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: "check:" + r.conn.ID + ":locate", RequestID: "check",
			Connector: r.conn.ID, Action: dsrflow.ActionLocate, Identities: id}
		res, err := r.locateTenants(ctx, job)
		if err != nil {
			return Preview{}, err
		}
		return Preview{Connector: r.conn.ID, Datasets: []DatasetPreview{}, Tenants: res.Tenants}, nil
	}
	job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: "check:" + r.conn.ID + ":access", RequestID: "check",
		Connector: r.conn.ID, Action: dsrflow.ActionAccess, Identities: id}
	found, _, err := r.find(ctx, job, func(compiled) bool { return true })
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Connector: r.conn.ID}
	for i, f := range found {
		d := r.datasets[i]
		dp := DatasetPreview{Dataset: d.Name, Read: f != nil}
		if f == nil {
			dp.Needs = identityRefs(d.read)
			p.Datasets = append(p.Datasets, dp)
			continue
		}
		dp.Records, dp.Truncated = len(f.records), f.truncated
		fields, cats := map[string]bool{}, map[string]bool{}
		for _, rec := range f.records {
			vals := map[string]string{}
			for path, cat := range d.Fields {
				if v, ok := text(lookup(rec.fields, path)); ok {
					fields[path], cats[cat] = true, true
					vals[path] = v
				}
			}
			if values {
				dp.Values = append(dp.Values, vals)
			}
		}
		dp.Fields = slices.Sorted(maps.Keys(fields))
		dp.Categories = slices.Sorted(maps.Keys(cats))
		p.Datasets = append(p.Datasets, dp)
	}
	return p, nil
}
