package web

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
)

// A rectification in the privacy center is a few labelled rows, "Name: as we have it now / the correct
// value", one per data category a person can state themselves, offered when the controller declares a
// category of its data that covers it (controller.yaml categories' taxonomy). The request carries the
// same corrections as the API's (data category -> correct value); the current value only lets the form
// catch a row whose correct value is missing or the same, and is not sent. The old free-text field
// (corrections, "user.name=Jane Smith" a line) is still read, for forms and scripts that post it.

// correctable are the data categories the privacy center offers as correction rows, in the form's order;
// each has a label, form.correct.<category>, in ui/texts.*.json.
var correctable = []string{"user.name", "user.contact.email", "user.contact.phone", "user.contact.address"}

// correctionRow is one labelled row of the correction form.
type correctionRow struct {
	Category, ID, Label string
	Current, Correct    string
	Error               string
}

// CategoriesOf are the data-category prefixes (taxonomy) the controller's categories declare, in file
// order: the front door's Deps.Categories.
func CategoriesOf(c answer.Controller) []string {
	var out []string
	for _, cat := range c.Categories {
		for _, t := range cat.Taxonomy {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

var demoCategories = sync.OnceValue(func() []string {
	c, err := answer.ParseController(dsrflow.DemoController)
	if err != nil {
		return nil
	}
	return CategoriesOf(c)
})

// declares reports whether one of the declared taxonomy prefixes covers category.
func declares(declared []string, category string) bool {
	return slices.ContainsFunc(declared, func(p string) bool { return category == p || strings.HasPrefix(category, p+".") })
}

// correctionRows are the form's rows in lang: the correctable categories the controller declares.
func (s *server) correctionRows(lang string) []correctionRow {
	declared := s.Categories
	if len(declared) == 0 {
		declared = demoCategories()
	}
	var out []correctionRow
	for _, cat := range correctable {
		if !declares(declared, cat) {
			continue
		}
		out = append(out, correctionRow{Category: cat, ID: strings.ReplaceAll(cat, ".", "-"), Label: mustTextIn(lang, "form.correct."+cat)})
	}
	return out
}

// readCorrections reads the rows (correct.<category>, current.<category>) and the old free-text field
// into the request's corrections; a row with a current value and no correct one, or the same one, is
// marked with its error (and rowsOK is false); textOK is false when a line of the free text is not
// category=value. The rows win over a line of the free text for the same category.
func readCorrections(r *http.Request, lang string, rows []correctionRow, text string) (out map[string]string, textOK, rowsOK bool) {
	out, textOK = parseCorrections(text)
	rowsOK = true
	for i := range rows {
		row := &rows[i]
		row.Current = strings.TrimSpace(r.PostFormValue("current." + row.Category))
		row.Correct = strings.TrimSpace(r.PostFormValue("correct." + row.Category))
		switch {
		case row.Correct == "" && row.Current != "":
			row.Error, rowsOK = mustTextIn(lang, "error.field.correct.missing"), false
		case row.Correct != "" && strings.EqualFold(row.Correct, row.Current):
			row.Error, rowsOK = mustTextIn(lang, "error.field.correct.same"), false
		case row.Correct != "":
			if out == nil {
				out = map[string]string{}
			}
			out[row.Category] = row.Correct
		}
	}
	return out, textOK, rowsOK
}
