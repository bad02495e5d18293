package answer

import (
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/dsrflow/dsrflow/connectors"
)

// summary is what summary.html and summary.txt show; both render the same view.
type summary struct {
	// Lang is the language it is written in (Input.Language); T says a text of it (texts/<lang>.json).
	Lang       string
	T          func(key string, args ...string) string
	Title      string
	RequestID  string
	Request    string // "access request"
	Received   string
	Generated  string
	Portable   bool
	Found      []companyFound
	Nothing    bool
	Controller Controller
	Purposes   []purposeView
	Authority  Authority
	Files      []string
	// CSV explains each CSV file: its dataset and company, and what each column holds.
	CSV []csvFileView
	// PartnersReceived names the partners that received the subject's data, and from which companies.
	PartnersReceived []string
	// NotDone lists what could not be done, with why; Remedy follows it (Art. 12(4)).
	NotDone []string
	Remedy  string
	// CCPA: the request was made under the CCPA, and the standing information follows Cal. Civ. Code
	// §1798.110 (ccpa.go) instead of GDPR Art. 15.
	CCPA          bool
	CCPAIntro     string
	CCPAAbout     []ccpaAbout
	CCPAComplaint string
}

type companyFound struct {
	Owner      string
	Partner    bool
	Status     string
	Datasets   []datasetView
	Exemptions []string
}

type datasetView struct {
	Name       string
	File       string
	Categories []string
	// What the controller says of the dataset's categories (Art. 15(1)(a), (c), (d), (g)): each purpose
	// with its legal basis, how long, from where, to whom. Empty when it says nothing.
	Purposes, Retention, Sources, Recipients []string
	// Text is all of it as sentences in the request's language, one a line.
	Text   []string
	Header []string
	// Labels name the columns for people (columnLabels): what a heading and a phone's stacked value show.
	Labels []string
	Rows   [][]string
}

// columnLabels name a dataset's columns for people (issue 17: no raw column names as headings): the
// label of the field's data category where the texts have one (column.user.name: "Name"), else the
// column's own name in words ("created_at": "Created at"). Two columns never share a label: the second
// keeps its own name. The CSV files keep the columns' names.
func columnLabels(l lang, header []string, records []connectors.Record) []string {
	out := make([]string, len(header))
	for i, f := range header {
		out[i] = capitalize(strings.NewReplacer("_", " ", "-", " ").Replace(f))
		for _, r := range records {
			if cat := r.Categories[f]; cat != "" {
				if k := "column." + cat; l.has(k) && !slices.Contains(out[:i], l.t(k)) {
					out[i] = l.t(k)
				}
				break
			}
		}
	}
	return out
}

// describe fills in what the controller says of the categories of the dataset's data; under the CCPA
// a purpose is named without the GDPR's legal basis.
func (dv *datasetView) describe(l lang, c Controller, taxonomy []string, ccpa bool) {
	add := func(list *[]string, v string) {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, cat := range c.describedBy(taxonomy) {
		for _, id := range cat.Purposes {
			if p, ok := c.purpose(strings.TrimSpace(id)); ok {
				if ccpa {
					add(&dv.Purposes, p.Name)
				} else {
					add(&dv.Purposes, p.Name+" ("+l.t("summary.purpose_basis", "basis", l.legalBasis(p.LegalBasis))+")")
				}
			}
		}
		add(&dv.Retention, strings.TrimSuffix(cat.Retention, "."))
		add(&dv.Sources, strings.TrimSuffix(cat.Source, "."))
		for _, r := range cat.Recipients {
			add(&dv.Recipients, r)
		}
	}
}

// clauses joins sentences into one with semicolons: "As long as ...; deleted no later than ...".
func clauses(parts []string) string {
	out := slices.Clone(parts)
	for i := 1; i < len(out); i++ {
		if r := []rune(out[i]); len(r) > 1 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) {
			out[i] = string(unicode.ToLower(r[0])) + string(r[1:])
		}
	}
	return strings.Join(out, "; ")
}

// lines are the dataset's description as sentences in l, one a line.
func (dv datasetView) lines(l lang) []string {
	var out []string
	if len(dv.Categories) > 0 {
		out = append(out, l.t("summary.kinds", "kinds", l.list(dv.Categories)))
	}
	if len(dv.Purposes) > 0 {
		out = append(out, l.t("summary.why", "purposes", strings.Join(dv.Purposes, "; ")))
	}
	if len(dv.Retention) > 0 {
		out = append(out, l.t("summary.how_long", "period", clauses(dv.Retention)))
	}
	if len(dv.Sources) > 0 {
		out = append(out, l.t("summary.source", "source", clauses(dv.Sources)))
	}
	if len(dv.Recipients) > 0 {
		out = append(out, l.t("summary.recipients", "recipients", strings.Join(dv.Recipients, "; ")))
	}
	return out
}

// csvFileView is one CSV file of the export as the summary explains it: the dataset, its company and
// the number of records, and per column (the system's field name, as written) the kinds of data it
// holds, in the controller's words.
type csvFileView struct {
	File, Dataset, Owner, Records string
	Columns                       []csvColumn
}

type csvColumn struct{ Name, Kind string }

// csvFile explains ds, a dataset of owner's, in language l.
func csvFile(l lang, c Controller, owner string, ds datasetExport) csvFileView {
	v := csvFileView{File: ds.file, Dataset: capitalize(humanize(ds.name)), Owner: owner, Records: l.plural(len(ds.records), "n.record")}
	for _, f := range ds.header {
		var cats []string
		for _, r := range ds.records {
			if t := r.Categories[f]; t != "" {
				cats = append(cats, t)
			}
		}
		kind := l.list(categoryNames(c, cats))
		if kind == "" {
			kind = l.t("summary.csv_column.undescribed")
		}
		v.Columns = append(v.Columns, csvColumn{Name: f, Kind: kind})
	}
	return v
}

type purposeView struct {
	Name, Description, Basis, BasisDetail string
}

func (ex *export) summary() summary {
	l := ex.in.lang()
	s := summary{
		Lang:       string(l),
		T:          l.t,
		Title:      l.t("summary.title", "controller", ex.c.Name),
		RequestID:  ex.in.RequestID,
		Request:    l.shortName(ex.in.Type),
		Generated:  l.date(ex.generated),
		Portable:   ex.in.Type.Right().Portable,
		Controller: ex.c,
		Authority:  ex.c.Authority(ex.in.residence()),
		Files:      []string{fileSummaryHTML, fileSummaryText, fileData},
		Nothing:    true,
	}
	if !ex.in.Received.IsZero() {
		s.Received = l.date(ex.in.Received)
	}
	for _, p := range ex.c.Purposes {
		s.Purposes = append(s.Purposes, purposeView{
			Name: p.Name, Description: p.Description, Basis: l.legalBasis(p.LegalBasis), BasisDetail: p.LegalBasisDetail,
		})
	}
	for _, cv := range ex.connectors {
		cf := companyFound{Owner: cv.Owner, Partner: cv.Role == connectors.RolePartner, Status: foundStatus(l, cv)}
		if cf.Owner == "" {
			cf.Owner = ex.c.Name
		}
		for _, ds := range cv.datasets {
			dv := datasetView{Name: capitalize(humanize(ds.name)), File: ds.file, Header: ds.header, Labels: columnLabels(l, ds.header, ds.records)}
			var cats []string
			for _, r := range ds.records {
				row := make([]string, len(ds.header))
				for i, f := range ds.header {
					row[i] = r.Fields[f]
				}
				dv.Rows = append(dv.Rows, row)
				for _, t := range r.Categories {
					cats = append(cats, t)
				}
			}
			dv.Categories = categoryNames(ex.c, cats)
			dv.describe(l, ex.c, cats, ex.in.underCCPA())
			dv.Text = dv.lines(l)
			cf.Datasets = append(cf.Datasets, dv)
			s.Files = append(s.Files, ds.file)
			s.CSV = append(s.CSV, csvFile(l, ex.c, cf.Owner, ds))
		}
		for _, e := range cv.Exemptions {
			cf.Exemptions = append(cf.Exemptions, l.exemptionText(ex.c, e))
		}
		if len(cv.Records) > 0 || len(cv.Exemptions) > 0 {
			s.Nothing = false
		}
		s.Found = append(s.Found, cf)
	}
	for _, line := range receivedLines(ex.in) {
		s.PartnersReceived = append(s.PartnersReceived, strings.TrimPrefix(line, "- "))
	}
	for _, line := range notDone(ex.c, ex.in, subsidiaries(ex.in.Outcomes)) {
		s.NotDone = append(s.NotDone, strings.TrimPrefix(line, "- "))
	}
	if len(s.NotDone) > 0 {
		s.Remedy = remedy(ex.c, ex.in, l.t("lead.disagree_any"))
	}
	if ex.in.underCCPA() {
		s.CCPA, s.CCPAIntro, s.CCPAAbout = true, ccpaAboutIntro, ccpaAboutSections(ex.c)
		s.CCPAComplaint = ccpaComplaint("If you are not satisfied with how we handled your request")
	}
	return s
}

// foundStatus says in one sentence what one system's search came to.
func foundStatus(l lang, cv connectorExport) string {
	switch cv.Status {
	case connectors.StatusCompleted, connectors.StatusExempt:
		if len(cv.Records) == 0 {
			if len(cv.Exemptions) > 0 {
				return l.t("summary.status.held_on_basis")
			}
			return l.t("summary.status.none_here")
		}
		return l.t("summary.status.found", "records", l.plural(len(cv.Records), "n.record"))
	case connectors.StatusNotFound:
		return l.t("summary.status.none_here")
	case connectors.StatusFailed:
		return l.t("summary.status.failed")
	case connectors.StatusIdentityConflict:
		return l.t("outcome.identity_conflict")
	}
	return l.t("summary.status.pending")
}

// summaryHTML is parsed on first use, not at package init, like every template in a package `starter`
// links (see internal/web/ui.go).
var summaryHTML = sync.OnceValue(func() *template.Template {
	t := template.Must(template.New("summary").Funcs(template.FuncMap{"join": list}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; overflow-wrap: anywhere; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; white-space: pre-wrap; }
th { background: #eee; }
.note { background: #f4f4f4; padding: 0.5rem 1rem; }
/* On a phone each row stacks, every value labelled with its column (WCAG 1.4.10 Reflow). */
@media (max-width: 40rem) {
  body { margin: 1rem auto; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table, tbody, tr, td { display: block; }
  tr { border-bottom: 1px solid #999; padding: 0.4rem 0; }
  td { border: 0; padding: 0.1rem 0.25rem; }
  td::before { content: attr(data-label) ": "; font-weight: 600; }
}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p>{{call .T "summary.intro" "request" .Request "ref" .RequestID}}{{if .Received}} {{call .T "intro.received" "date" .Received}}{{end}} {{call .T "summary.generated" "date" .Generated}}</p>
{{- if .Portable}}
<p class="note">{{call .T "summary.portable_note"}}</p>
{{- end}}

<h2>{{call .T "summary.h.found"}}</h2>
{{- if .Nothing}}
<p>{{call .T "summary.nothing"}}</p>
{{- end}}
{{- range .Found}}
<h3>{{.Owner}}{{if .Partner}} {{call $.T "summary.partner"}}{{end}}</h3>
<p>{{.Status}}</p>
{{- range .Datasets}}
<h4>{{.Name}}</h4>
{{- range .Text}}
<p>{{.}}</p>
{{- end}}
<p>{{call $.T "summary.file" "file" .File}}</p>
{{- $header := .Labels}}
<table>
<thead><tr>{{range .Labels}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range $i, $v := .}}<td data-label="{{index $header $i}}">{{$v}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Exemptions}}
<p>{{call $.T "summary.keep"}}</p>
<ul>
{{- range .Exemptions}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
{{- if .NotDone}}

<h2>{{call .T "heading.not_done"}}</h2>
<ul>
{{- range .NotDone}}
<li>{{.}}</li>
{{- end}}
</ul>
<p>{{.Remedy}}</p>
{{- end}}
{{- if .PartnersReceived}}

<h2>{{call .T "heading.partners_received"}}</h2>
<p>{{call .T "partners.received_from"}}</p>
<ul>
{{- range .PartnersReceived}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

{{- if .CCPA}}
{{template "ccpa" .}}
{{- else}}

<h2>{{call .T "summary.h.about"}}</h2>
{{- with .Controller}}
<h3>{{call $.T "summary.h.who"}}</h3>
<p>{{.Name}}{{if .GroupCompanies}}: {{call $.Join .GroupCompanies}}{{end}}.</p>
<p>{{call $.T "summary.contact"}} {{.Contact.Email}}{{if .Contact.Address}}, {{.Contact.Address}}{{end}}{{if .Contact.URL}}, <a href="{{.Contact.URL}}">{{.Contact.URL}}</a>{{end}}.<br>
{{call $.T "summary.dpo"}} {{.DPO.Email}}{{if .DPO.Address}}, {{.DPO.Address}}{{end}}.</p>
{{- end}}

<h3>{{call .T "summary.h.purposes"}}</h3>
<ul>
{{- range .Purposes}}
<li><strong>{{.Name}}.</strong> {{.Description}} {{call $.T "summary.legal_basis" "basis" .Basis}}{{if .BasisDetail}} {{.BasisDetail}}{{end}}</li>
{{- end}}
</ul>
{{- with .Controller}}

<h3>{{call $.T "summary.h.categories"}}</h3>
<ul>
{{- range .Categories}}
<li><strong>{{.Name}}.</strong> {{.Description}}</li>
{{- end}}
</ul>

<h3>{{call $.T "summary.h.recipients"}}</h3>
<ul>
{{- range .Recipients}}
<li><strong>{{.Name}}.</strong> {{.Description}}{{if .Condition}} {{.Condition}}{{end}}</li>
{{- end}}
</ul>
{{- if .Transfers}}
<p>{{.Transfers}}</p>
{{- end}}

<h3>{{call $.T "summary.h.retention"}}</h3>
<ul>
{{- range .Retention}}
<li><strong>{{.Data}}:</strong> {{.Period}}</li>
{{- end}}
</ul>

<h3>{{call $.T "summary.h.sources"}}</h3>
<p>{{call $.T "summary.sources"}}</p>
<ul>
{{- range .Sources}}
<li>{{.}}</li>
{{- end}}
</ul>

<h3>{{call $.T "summary.h.automated"}}</h3>
<p>{{.AutomatedDecisions.Decisions}}</p>
{{- if .AutomatedDecisions.Profiling}}
<p>{{.AutomatedDecisions.Profiling}}</p>
{{- end}}

<h3>{{call $.T "summary.h.rights"}}</h3>
<ul>
{{- range .Rights}}
<li><strong>{{.Name}}.</strong> {{.Text}}</li>
{{- end}}
</ul>
{{- end}}

<h3>{{call .T "summary.h.complain"}}</h3>
<p>{{call .T "summary.complain"}} {{.Authority.Name}}, <a href="{{.Authority.URL}}">{{.Authority.URL}}</a>.{{with .Authority.Postal}} {{call $.T "authority.address" "authority" $.Authority.Name "address" .}}{{end}}{{if .Authority.Note}} {{.Authority.Note}}{{end}}</p>
{{- end}}

<h3>{{call .T "heading.record"}}</h3>
<p>{{call .T "summary.record" "period" .Retention}}</p>

<h2>{{call .T "summary.h.files"}}</h2>
<ul>
{{- range .Files}}
<li>{{.}}</li>
{{- end}}
</ul>
<p>{{call .T "summary.csv_note"}}</p>
{{- if .CSV}}

<h3>{{call .T "summary.h.csv"}}</h3>
<p>{{call .T "summary.csv_intro"}}</p>
{{- range .CSV}}
<h4>{{.File}}</h4>
<p>{{call $.T "summary.csv_file" "dataset" .Dataset "owner" .Owner "records" .Records}}</p>
<dl>
{{- range .Columns}}
<dt>{{.Name}}</dt><dd>{{.Kind}}</dd>
{{- end}}
</dl>
{{- end}}
{{- end}}
</main>
</body>
</html>
`))
	template.Must(t.New("ccpa").Parse(ccpaAboutHTML))
	return t
})

// htmlView adds to the summary what the template says in the summary's language: lists joined, and the
// record's retention.
type htmlView struct {
	summary
	Join      func([]string) string
	Retention string
}

func (ex *export) writeHTML(w io.Writer) error {
	l := ex.in.lang()
	return summaryHTML().Execute(w, htmlView{summary: ex.summary(), Join: l.list, Retention: l.retention(ex.c.RecordRetention)})
}

func (ex *export) writeText(w io.Writer) error {
	s := ex.summary()
	l := ex.in.lang()
	t := &textWriter{}
	t.para(s.Title + "\n" + strings.Repeat("=", len([]rune(s.Title))))
	p := l.t("summary.intro", "request", s.Request, "ref", s.RequestID)
	if s.Received != "" {
		p += " " + l.t("intro.received", "date", s.Received)
	}
	t.para(p + " " + l.t("summary.generated", "date", s.Generated))
	if s.Portable {
		t.para(l.t("summary.portable_note"))
	}

	t.para(underline(l.t("summary.h.found"), "-"))
	if s.Nothing {
		t.para(l.t("summary.nothing"))
	}
	for _, f := range s.Found {
		head := f.Owner
		if f.Partner {
			head += " " + l.t("summary.partner")
		}
		t.para(head + "\n" + f.Status)
		for _, ds := range f.Datasets {
			var b strings.Builder
			b.WriteString(ds.Name + "\n")
			for _, line := range ds.Text {
				b.WriteString(line + "\n")
			}
			b.WriteString(l.t("summary.file", "file", ds.File))
			for i, row := range ds.Rows {
				b.WriteString("\n\n" + l.t("summary.record_n", "n", strconv.Itoa(i+1)))
				for j, v := range row {
					if v == "" {
						continue
					}
					b.WriteString("\n  " + ds.Header[j] + ": " + strings.ReplaceAll(v, "\n", "\n    "))
				}
			}
			t.para(b.String())
		}
		if len(f.Exemptions) > 0 {
			t.para(l.t("summary.keep") + "\n" + bullets(f.Exemptions))
		}
	}

	if len(s.NotDone) > 0 {
		t.para(underline(l.t("heading.not_done"), "-"))
		t.para(bullets(s.NotDone))
		t.para(s.Remedy)
	}
	if len(s.PartnersReceived) > 0 {
		t.para(underline(l.t("heading.partners_received"), "-"))
		t.para(l.t("partners.received_from") + "\n" + bullets(s.PartnersReceived))
	}

	c := s.Controller
	if s.CCPA {
		ccpaAboutText(t, c)
	} else {
		gdprAboutText(t, s)
	}
	t.para(l.t("heading.record") + "\n" + l.t("summary.record", "period", l.retention(c.RecordRetention)))

	t.para(underline(l.t("summary.h.files"), "-"))
	t.para(bullets(s.Files))
	t.para(l.t("summary.csv_note"))
	if len(s.CSV) > 0 {
		t.para(underline(l.t("summary.h.csv"), "~") + "\n" + l.t("summary.csv_intro"))
		for _, f := range s.CSV {
			var b strings.Builder
			b.WriteString(f.File + "\n" + l.t("summary.csv_file", "dataset", f.Dataset, "owner", f.Owner, "records", f.Records))
			for _, c := range f.Columns {
				b.WriteString("\n  " + c.Name + ": " + c.Kind)
			}
			t.para(b.String())
		}
	}
	_, err := io.WriteString(w, t.String())
	return err
}

// gdprAboutText writes the controller's Art. 13-15 information of summary.txt.
func gdprAboutText(t *textWriter, s summary) {
	c, l := s.Controller, lang(s.Lang)
	t.para(underline(l.t("summary.h.about"), "-"))
	who := c.Name
	if len(c.GroupCompanies) > 0 {
		who += ": " + l.list(c.GroupCompanies)
	}
	contact := l.t("summary.contact") + " " + joinNonEmpty(c.Contact.Email, c.Contact.Address, c.Contact.URL) + "."
	dpo := l.t("summary.dpo") + " " + joinNonEmpty(c.DPO.Email, c.DPO.Address) + "."
	t.para(l.t("summary.h.who") + "\n" + who + ".\n" + contact + "\n" + dpo)

	var lines []string
	for _, p := range s.Purposes {
		line := p.Name + ". " + p.Description + " " + l.t("summary.legal_basis", "basis", p.Basis)
		if p.BasisDetail != "" {
			line += " " + p.BasisDetail
		}
		lines = append(lines, line)
	}
	t.para(l.t("summary.h.purposes") + "\n" + bullets(lines))

	lines = nil
	for _, cat := range c.Categories {
		lines = append(lines, strings.TrimSpace(cat.Name+". "+cat.Description))
	}
	t.para(l.t("summary.h.categories") + "\n" + bullets(lines))

	lines = nil
	for _, r := range c.Recipients {
		lines = append(lines, strings.TrimSpace(r.Name+". "+r.Description+" "+r.Condition))
	}
	p := l.t("summary.h.recipients") + "\n" + bullets(lines)
	if c.Transfers != "" {
		p += "\n" + c.Transfers
	}
	t.para(p)

	lines = nil
	for _, r := range c.Retention {
		lines = append(lines, r.Data+": "+r.Period)
	}
	t.para(l.t("summary.h.retention") + "\n" + bullets(lines))
	t.para(l.t("summary.h.sources") + "\n" + l.t("summary.sources") + "\n" + bullets(c.Sources))
	p = l.t("summary.h.automated") + "\n" + c.AutomatedDecisions.Decisions
	if c.AutomatedDecisions.Profiling != "" {
		p += "\n" + c.AutomatedDecisions.Profiling
	}
	t.para(p)

	lines = nil
	for _, r := range c.Rights {
		lines = append(lines, r.Name+". "+r.Text)
	}
	t.para(l.t("summary.h.rights") + "\n" + bullets(lines))
	p = l.t("summary.h.complain") + "\n" + l.t("summary.complain") + " " + s.Authority.Name + ", " + s.Authority.URL + "."
	if a := l.addressSentence(s.Authority); a != "" {
		p += " " + a
	}
	if s.Authority.Note != "" {
		p += " " + s.Authority.Note
	}
	t.para(p)
}

func underline(s, ch string) string { return s + "\n" + strings.Repeat(ch, len([]rune(s))) }

func bullets(items []string) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = "- " + strings.TrimSpace(it)
	}
	return strings.Join(out, "\n")
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
