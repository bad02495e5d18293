package answer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The export's fixed files; CSV files follow them under csv/.
const (
	fileSummaryHTML = "summary.html"
	fileSummaryText = "summary.txt"
	fileData        = "data.json"
)

// zipEpoch is the earliest time a ZIP entry can carry (MS-DOS dates start in 1980); exports of requests
// without dates are stamped with it.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildExport writes the export bundle of an access or portability request to w, as a ZIP file:
//
//   - summary.html and summary.txt: what was found, per company, with the Art. 15(1)(a)–(h) information;
//   - data.json: every record by connector, with its data categories and the exemptions;
//   - csv/<connector>/<dataset>.csv: one CSV file (RFC 4180) per connector dataset, header = the sorted
//     union of the records' field names.
//
// CSV cells that begin with =, +, -, @, a tab or a carriage return get a single quote in front, so that a
// spreadsheet program opening the file shows them as text instead of running them as formulas (CSV
// injection). data.json keeps every value unchanged.
//
// The same input gives the same bytes: files come in a fixed order, records are sorted, and every entry is
// stamped with in.Closed (or in.Received, or 1 January 1980). Any other request type is an EINVALID error.
func BuildExport(c Controller, in Input, w io.Writer) error {
	if !in.Type.HasExport() {
		return dsrflow.Errorf(dsrflow.EINVALID, "export: a %s request has no export", in.Type)
	}
	ex := newExport(c, in)

	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{fileSummaryHTML, ex.writeHTML},
		{fileSummaryText, ex.writeText},
		{fileData, ex.writeJSON},
	}
	for _, cv := range ex.connectors {
		for _, ds := range cv.datasets {
			files = append(files, struct {
				name  string
				write func(io.Writer) error
			}{ds.file, ds.writeCSV})
		}
	}

	zw := zip.NewWriter(w)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: ex.stamp}
		hdr.SetMode(0o644)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("export %s: %w", f.name, err)
		}
		if err := f.write(fw); err != nil {
			return fmt.Errorf("export %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// export is the bundle's content, sorted once and rendered into each file.
type export struct {
	c          Controller
	in         Input
	generated  time.Time
	stamp      time.Time
	connectors []connectorExport
}

type connectorExport struct {
	Outcome
	datasets []datasetExport
}

// datasetExport is one connector dataset: its records in the connector's order, and its CSV file.
type datasetExport struct {
	name    string
	file    string
	header  []string
	records []connectors.Record
}

func newExport(c Controller, in Input) *export {
	generated := in.Closed
	if generated.IsZero() {
		generated = in.Received
	}
	stamp := generated.UTC()
	if stamp.Before(zipEpoch) {
		stamp = zipEpoch
	}
	if generated.IsZero() {
		generated = zipEpoch
	}
	ex := &export{c: c, in: in, generated: generated, stamp: stamp}
	files := map[string]bool{}
	for _, o := range sortOutcomes(in.Outcomes) {
		o.Exemptions = sortExemptions(o.Exemptions)
		cv := connectorExport{Outcome: o}
		byDataset := map[string][]connectors.Record{}
		for _, r := range o.Records {
			byDataset[r.Dataset] = append(byDataset[r.Dataset], r)
		}
		names := make([]string, 0, len(byDataset))
		for name := range byDataset {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			records := byDataset[name]
			var header []string
			for _, r := range records {
				for f := range r.Fields {
					header = append(header, f)
				}
			}
			cv.datasets = append(cv.datasets, datasetExport{
				name:    name,
				file:    uniqueFile(files, "csv/"+safeName(o.ConnectorID)+"/"+safeName(name), ".csv"),
				header:  sortedUnique(header),
				records: records,
			})
		}
		ex.connectors = append(ex.connectors, cv)
	}
	return ex
}

// safeName makes a connector or dataset name safe as one path element in the ZIP: letters, digits, '.',
// '_' and '-' stay, everything else (/, \, spaces, ...) becomes '_', and it never starts with a dot.
func safeName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-'
		if !ok {
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if len(out) > 100 {
		out = out[:100]
	}
	if out == "" {
		out = "_"
	}
	return out
}

// uniqueFile returns base+ext, or base-2+ext, ... when two names became the same file.
func uniqueFile(taken map[string]bool, base, ext string) string {
	name := base + ext
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
	taken[name] = true
	return name
}

// csvGuard neutralises a value a spreadsheet would read as a formula.
func csvGuard(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (ds datasetExport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	header := make([]string, len(ds.header))
	for i, h := range ds.header {
		header[i] = csvGuard(h)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(ds.header))
	for _, r := range ds.records {
		for i, f := range ds.header {
			row[i] = csvGuard(r.Fields[f])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// data.json, as the machine-readable copy of everything found.
type dataJSON struct {
	Request    requestJSON     `json:"request"`
	Connectors []connectorJSON `json:"connectors"`
}

type requestJSON struct {
	ID        string              `json:"id"`
	Type      dsrflow.RequestType `json:"type"`
	Received  string              `json:"received,omitempty"`
	Generated string              `json:"generated"`
}

type connectorJSON struct {
	ID         string                 `json:"id"`
	Owner      string                 `json:"owner"`
	Role       string                 `json:"role"`
	Status     connectors.Status      `json:"status"`
	Records    []recordJSON           `json:"records"`
	Exemptions []connectors.Exemption `json:"exemptions"`
}

type recordJSON struct {
	Dataset    string            `json:"dataset"`
	Fields     map[string]string `json:"fields"`
	Categories map[string]string `json:"categories"`
}

func (ex *export) writeJSON(w io.Writer) error {
	d := dataJSON{
		Request: requestJSON{
			ID:        ex.in.RequestID,
			Type:      ex.in.Type,
			Generated: ex.generated.Format(time.RFC3339),
		},
		Connectors: []connectorJSON{},
	}
	if !ex.in.Received.IsZero() {
		d.Request.Received = ex.in.Received.Format(time.RFC3339)
	}
	for _, cv := range ex.connectors {
		cj := connectorJSON{
			ID:         cv.ConnectorID,
			Owner:      cv.Owner,
			Role:       cv.Role,
			Status:     cv.Status,
			Records:    []recordJSON{},
			Exemptions: cv.Exemptions,
		}
		if cj.Exemptions == nil {
			cj.Exemptions = []connectors.Exemption{}
		}
		// Records by dataset (sorted), each dataset in the connector's order.
		for _, ds := range cv.datasets {
			for _, r := range ds.records {
				rj := recordJSON{Dataset: r.Dataset, Fields: r.Fields, Categories: r.Categories}
				if rj.Fields == nil {
					rj.Fields = map[string]string{}
				}
				if rj.Categories == nil {
					rj.Categories = map[string]string{}
				}
				cj.Records = append(cj.Records, rj)
			}
		}
		d.Connectors = append(d.Connectors, cj)
	}
	// encoding/json writes map keys sorted, so the file is stable.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
