// Package reports writes the DPO's reports in the forms both the CLI (starter report) and the console
// offer, so that the two give the same columns.
package reports

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// TransparencyColumns are the CSV header of the transparency report.
var TransparencyColumns = []string{"country", "received", "refused_no_order", "refused_on_review", "complied", "subjects", "categories", "open_or_canceled"}

// TransparencyTotalCountry names the totals line of the report (CSV and console page).
const TransparencyTotalCountry = "total"

// OpenOrCanceled is the authority requests of a row neither refused nor complied with: still in review,
// approved and still being gathered, or canceled.
func OpenOrCanceled(r dsrflow.TransparencyRow) int {
	return r.Received - r.RefusedNoOrder - r.RefusedOnReview - r.Complied
}

// TransparencyTotal sums the rows into one line named TransparencyTotalCountry: the counts added, the
// categories the union of the rows' (sorted).
func TransparencyTotal(rows []dsrflow.TransparencyRow) dsrflow.TransparencyRow {
	t := dsrflow.TransparencyRow{Country: TransparencyTotalCountry, Categories: []string{}}
	for _, r := range rows {
		t.Received += r.Received
		t.RefusedNoOrder += r.RefusedNoOrder
		t.RefusedOnReview += r.RefusedOnReview
		t.Complied += r.Complied
		t.Subjects += r.Subjects
		t.Categories = append(t.Categories, r.Categories...)
	}
	slices.Sort(t.Categories)
	t.Categories = slices.Compact(t.Categories)
	return t
}

// WriteTransparencyCSV writes the report as CSV: the header, one line per country and, when there are
// rows, the totals line. Categories are joined with ";".
func WriteTransparencyCSV(out io.Writer, rows []dsrflow.TransparencyRow) error {
	w := csv.NewWriter(out)
	if err := w.Write(TransparencyColumns); err != nil {
		return err
	}
	lines := rows
	if len(rows) > 0 {
		lines = append(slices.Clone(rows), TransparencyTotal(rows))
	}
	for _, r := range lines {
		if err := w.Write([]string{r.Country, strconv.Itoa(r.Received), strconv.Itoa(r.RefusedNoOrder), strconv.Itoa(r.RefusedOnReview),
			strconv.Itoa(r.Complied), strconv.Itoa(r.Subjects), strings.Join(r.Categories, ";"), strconv.Itoa(OpenOrCanceled(r))}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
