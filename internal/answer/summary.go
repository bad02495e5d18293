package answer

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/dsrflow/dsrflow/connectors"
)

// summary is what summary.html and summary.txt show; both render the same view.
type summary struct {
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
	Header     []string
	Rows       [][]string
}

type purposeView struct {
	Name, Description, Basis, BasisDetail string
}

func (ex *export) summary() summary {
	s := summary{
		Title:      "Your personal data at " + ex.c.Name,
		RequestID:  ex.in.RequestID,
		Request:    shortName(ex.in.Type),
		Generated:  date(ex.generated),
		Portable:   ex.in.Type.Right().Portable,
		Controller: ex.c,
		Authority:  ex.c.Authority(ex.in.residence()),
		Files:      []string{fileSummaryHTML, fileSummaryText, fileData},
		Nothing:    true,
	}
	if !ex.in.Received.IsZero() {
		s.Received = date(ex.in.Received)
	}
	for _, p := range ex.c.Purposes {
		s.Purposes = append(s.Purposes, purposeView{
			Name: p.Name, Description: p.Description, Basis: legalBasis(p.LegalBasis), BasisDetail: p.LegalBasisDetail,
		})
	}
	for _, cv := range ex.connectors {
		cf := companyFound{Owner: cv.Owner, Partner: cv.Role == connectors.RolePartner, Status: foundStatus(cv)}
		if cf.Owner == "" {
			cf.Owner = ex.c.Name
		}
		for _, ds := range cv.datasets {
			dv := datasetView{Name: capitalize(humanize(ds.name)), File: ds.file, Header: ds.header}
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
			cf.Datasets = append(cf.Datasets, dv)
			s.Files = append(s.Files, ds.file)
		}
		for _, e := range cv.Exemptions {
			cf.Exemptions = append(cf.Exemptions, exemptionText(ex.c, e))
		}
		if len(cv.Records) > 0 || len(cv.Exemptions) > 0 {
			s.Nothing = false
		}
		s.Found = append(s.Found, cf)
	}
	for _, l := range receivedLines(ex.in) {
		s.PartnersReceived = append(s.PartnersReceived, strings.TrimPrefix(l, "- "))
	}
	for _, l := range notDone(ex.c, ex.in, subsidiaries(ex.in.Outcomes)) {
		s.NotDone = append(s.NotDone, strings.TrimPrefix(l, "- "))
	}
	if len(s.NotDone) > 0 {
		s.Remedy = remedy(ex.c, ex.in, "If you disagree with any of this")
	}
	if ex.in.underCCPA() {
		s.CCPA, s.CCPAIntro, s.CCPAAbout = true, ccpaAboutIntro, ccpaAboutSections(ex.c)
		s.CCPAComplaint = ccpaComplaint("If you are not satisfied with how we handled your request")
	}
	return s
}

// foundStatus says in one sentence what one system's search came to.
func foundStatus(cv connectorExport) string {
	switch cv.Status {
	case connectors.StatusCompleted, connectors.StatusExempt:
		if len(cv.Records) == 0 {
			if len(cv.Exemptions) > 0 {
				return "We hold data about you here on a legal basis, described below."
			}
			return "We found no data about you here."
		}
		return fmt.Sprintf("We found %s.", plural(len(cv.Records), "record", "records"))
	case connectors.StatusNotFound:
		return "We found no data about you here."
	case connectors.StatusFailed:
		return "We could not complete the search here before the deadline. We are sorry."
	case connectors.StatusIdentityConflict:
		return conflictSentence
	}
	return "The search here is not finished yet."
}

const csvNote = "In the CSV files, a value that begins with =, +, -, @, a tab or a line break has a ' in front, so that spreadsheet programs show it as text and do not run it as a formula. data.json has every value unchanged."

const portableNote = "data.json and the CSV files in the csv folder hold your data in structured, machine-readable formats (JSON and CSV). You can give them to another service."

// summaryHTML is parsed on first use, not at package init, like every template in a package `starter`
// links (see internal/web/ui.go).
var summaryHTML = sync.OnceValue(func() *template.Template {
	t := template.Must(template.New("summary").Funcs(template.FuncMap{"join": list}).Parse(`<!DOCTYPE html>
<html lang="en">
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
<p>Your {{.Request}}, reference {{.RequestID}}.{{if .Received}} We received it on {{.Received}}.{{end}} This export was made on {{.Generated}}.</p>
{{- if .Portable}}
<p class="note">{{.PortableNote}}</p>
{{- end}}

<h2>What we found</h2>
{{- if .Nothing}}
<p>We found no personal data about you in any of our systems.</p>
{{- end}}
{{- range .Found}}
<h3>{{.Owner}}{{if .Partner}} (partner){{end}}</h3>
<p>{{.Status}}</p>
{{- range .Datasets}}
<h4>{{.Name}}</h4>
<p>{{if .Categories}}Kinds of data: {{join .Categories}}. {{end}}File: {{.File}}</p>
{{- $header := .Header}}
<table>
<thead><tr>{{range .Header}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range $i, $v := .}}<td data-label="{{index $header $i}}">{{$v}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Exemptions}}
<p>What we keep, and why:</p>
<ul>
{{- range .Exemptions}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
{{- if .NotDone}}

<h2>What we could not do</h2>
<ul>
{{- range .NotDone}}
<li>{{.}}</li>
{{- end}}
</ul>
<p>{{.Remedy}}</p>
{{- end}}
{{- if .PartnersReceived}}

<h2>Partners who received your data</h2>
<p>These partners received your data from the companies of our group named here:</p>
<ul>
{{- range .PartnersReceived}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

{{- if .CCPA}}
{{template "ccpa" .}}
{{- else}}

<h2>About the processing of your data</h2>
{{- with .Controller}}
<h3>Who we are</h3>
<p>{{.Name}}{{if .GroupCompanies}}: {{join .GroupCompanies}}{{end}}.</p>
<p>Contact: {{.Contact.Email}}{{if .Contact.Address}}, {{.Contact.Address}}{{end}}{{if .Contact.URL}}, <a href="{{.Contact.URL}}">{{.Contact.URL}}</a>{{end}}.<br>
Data protection officer: {{.DPO.Email}}{{if .DPO.Address}}, {{.DPO.Address}}{{end}}.</p>
{{- end}}

<h3>Why we process your data, and on which legal basis</h3>
<ul>
{{- range .Purposes}}
<li><strong>{{.Name}}.</strong> {{.Description}} Legal basis: {{.Basis}}.{{if .BasisDetail}} {{.BasisDetail}}{{end}}</li>
{{- end}}
</ul>
{{- with .Controller}}

<h3>The kinds of personal data we process</h3>
<ul>
{{- range .Categories}}
<li><strong>{{.Name}}.</strong> {{.Description}}</li>
{{- end}}
</ul>

<h3>Who receives your data</h3>
<ul>
{{- range .Recipients}}
<li><strong>{{.Name}}.</strong> {{.Description}}{{if .Condition}} {{.Condition}}{{end}}</li>
{{- end}}
</ul>
{{- if .Transfers}}
<p>{{.Transfers}}</p>
{{- end}}

<h3>How long we keep your data</h3>
<ul>
{{- range .Retention}}
<li><strong>{{.Data}}:</strong> {{.Period}}</li>
{{- end}}
</ul>

<h3>Where your data comes from</h3>
<p>We collect most data from you. Data we did not collect from you comes:</p>
<ul>
{{- range .Sources}}
<li>{{.}}</li>
{{- end}}
</ul>

<h3>Automated decisions and profiling</h3>
<p>{{.AutomatedDecisions.Decisions}}</p>
{{- if .AutomatedDecisions.Profiling}}
<p>{{.AutomatedDecisions.Profiling}}</p>
{{- end}}

<h3>Your rights</h3>
<ul>
{{- range .Rights}}
<li><strong>{{.Name}}.</strong> {{.Text}}</li>
{{- end}}
</ul>
{{- end}}

<h3>Where to complain</h3>
<p>You can lodge a complaint with a supervisory authority: {{.Authority.Name}}, <a href="{{.Authority.URL}}">{{.Authority.URL}}</a>.{{with .Authority.Postal}} The postal address of {{$.Authority.Name}} is {{.}}.{{end}}{{if .Authority.Note}} {{.Authority.Note}}{{end}}</p>
{{- end}}

<h3>Our record of your request</h3>
<p>We keep a record of your request and of our answer for {{.Controller.RecordRetention}}, to show that we handled it as the law requires. Then we delete it.</p>

<h2>Files in this export</h2>
<ul>
{{- range .Files}}
<li>{{.}}</li>
{{- end}}
</ul>
<p>{{.CSVNote}}</p>
</main>
</body>
</html>
`))
	template.Must(t.New("ccpa").Parse(ccpaAboutHTML))
	return t
})

// htmlView adds the fixed notes to the summary for the template.
type htmlView struct {
	summary
	PortableNote, CSVNote string
}

func (ex *export) writeHTML(w io.Writer) error {
	return summaryHTML().Execute(w, htmlView{summary: ex.summary(), PortableNote: portableNote, CSVNote: csvNote})
}

func (ex *export) writeText(w io.Writer) error {
	s := ex.summary()
	t := &textWriter{}
	t.para(s.Title + "\n" + strings.Repeat("=", len([]rune(s.Title))))
	p := fmt.Sprintf("Your %s, reference %s.", s.Request, s.RequestID)
	if s.Received != "" {
		p += " We received it on " + s.Received + "."
	}
	t.para(p + " This export was made on " + s.Generated + ".")
	if s.Portable {
		t.para(portableNote)
	}

	t.para(underline("What we found", "-"))
	if s.Nothing {
		t.para("We found no personal data about you in any of our systems.")
	}
	for _, f := range s.Found {
		head := f.Owner
		if f.Partner {
			head += " (partner)"
		}
		t.para(head + "\n" + f.Status)
		for _, ds := range f.Datasets {
			var b strings.Builder
			b.WriteString(ds.Name + "\n")
			if len(ds.Categories) > 0 {
				b.WriteString("Kinds of data: " + list(ds.Categories) + ".\n")
			}
			b.WriteString("File: " + ds.File)
			for i, row := range ds.Rows {
				fmt.Fprintf(&b, "\n\nRecord %d", i+1)
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
			t.para("What we keep, and why:\n" + bullets(f.Exemptions))
		}
	}

	if len(s.NotDone) > 0 {
		t.para(underline("What we could not do", "-"))
		t.para(bullets(s.NotDone))
		t.para(s.Remedy)
	}
	if len(s.PartnersReceived) > 0 {
		t.para(underline("Partners who received your data", "-"))
		t.para("These partners received your data from the companies of our group named here:\n" + bullets(s.PartnersReceived))
	}

	c := s.Controller
	if s.CCPA {
		ccpaAboutText(t, c)
	} else {
		gdprAboutText(t, s)
	}
	t.para("Our record of your request\nWe keep a record of your request and of our answer for " + c.RecordRetention + ", to show that we handled it as the law requires. Then we delete it.")

	t.para(underline("Files in this export", "-"))
	t.para(bullets(s.Files))
	t.para(csvNote)
	_, err := io.WriteString(w, t.String())
	return err
}

// gdprAboutText writes the controller's Art. 13-15 information of summary.txt.
func gdprAboutText(t *textWriter, s summary) {
	c := s.Controller
	t.para(underline("About the processing of your data", "-"))
	who := c.Name
	if len(c.GroupCompanies) > 0 {
		who += ": " + list(c.GroupCompanies)
	}
	contact := "Contact: " + joinNonEmpty(c.Contact.Email, c.Contact.Address, c.Contact.URL) + "."
	dpo := "Data protection officer: " + joinNonEmpty(c.DPO.Email, c.DPO.Address) + "."
	t.para("Who we are\n" + who + ".\n" + contact + "\n" + dpo)

	var lines []string
	for _, p := range s.Purposes {
		l := p.Name + ". " + p.Description + " Legal basis: " + p.Basis + "."
		if p.BasisDetail != "" {
			l += " " + p.BasisDetail
		}
		lines = append(lines, l)
	}
	t.para("Why we process your data, and on which legal basis\n" + bullets(lines))

	lines = nil
	for _, cat := range c.Categories {
		lines = append(lines, strings.TrimSpace(cat.Name+". "+cat.Description))
	}
	t.para("The kinds of personal data we process\n" + bullets(lines))

	lines = nil
	for _, r := range c.Recipients {
		lines = append(lines, strings.TrimSpace(r.Name+". "+r.Description+" "+r.Condition))
	}
	p := "Who receives your data\n" + bullets(lines)
	if c.Transfers != "" {
		p += "\n" + c.Transfers
	}
	t.para(p)

	lines = nil
	for _, r := range c.Retention {
		lines = append(lines, r.Data+": "+r.Period)
	}
	t.para("How long we keep your data\n" + bullets(lines))
	t.para("Where your data comes from\nWe collect most data from you. Data we did not collect from you comes:\n" + bullets(c.Sources))
	p = "Automated decisions and profiling\n" + c.AutomatedDecisions.Decisions
	if c.AutomatedDecisions.Profiling != "" {
		p += "\n" + c.AutomatedDecisions.Profiling
	}
	t.para(p)

	lines = nil
	for _, r := range c.Rights {
		lines = append(lines, r.Name+". "+r.Text)
	}
	t.para("Your rights\n" + bullets(lines))
	p = fmt.Sprintf("Where to complain\nYou can lodge a complaint with a supervisory authority: %s, %s.", s.Authority.Name, s.Authority.URL)
	if a := s.Authority.addressSentence(); a != "" {
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
