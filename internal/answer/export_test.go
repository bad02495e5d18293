package answer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// janeAccess is an access request on which three companies answered: one with records in two datasets,
// one with nothing, and billing with a record and a retention exemption.
func janeAccess() Input {
	in := baseInput(dsrflow.Access, dsrflow.StatusCompleted)
	crm := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	crm.Records = []connectors.Record{
		janeRecordCRM,
		{
			Dataset:    "crm_activities",
			Fields:     map[string]string{"activity": "webinar signup", "at": "2025-01-14"},
			Categories: map[string]string{"activity": "user.behavior", "at": "user.behavior"},
		},
		{
			Dataset:    "crm_activities",
			Fields:     map[string]string{"activity": "=HYPERLINK(\"https://evil.example\",\"click\")", "at": "2025-02-01", "score": "-3"},
			Categories: map[string]string{"activity": "user.behavior", "score": "user.behavior.profile"},
		},
	}
	billing := subsidiary("billing-invoices", "Example Billing AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	billing.Records = []connectors.Record{{
		Dataset:    "invoices",
		Fields:     map[string]string{"invoice_no": "INV-1001", "amount": "+1200.00", "billed_to": janeName, "note": "@SUM(A1:A2)"},
		Categories: map[string]string{"invoice_no": "user.financial", "amount": "user.financial", "billed_to": "user.name"},
	}}
	billing.Exemptions = billingExempt().Exemptions
	in.Outcomes = []Outcome{crm, subsidiary("community-forum", "Example Community AS", dsrflow.ActionAccess, connectors.StatusNotFound), billing}
	return in
}

// unzip opens an export and returns its files in order, by name.
func unzip(t *testing.T, b []byte) ([]string, map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("open export: %v", err)
	}
	var names []string
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !f.Modified.Equal(closed) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, closed)
		}
		names = append(names, f.Name)
		files[f.Name] = string(data)
	}
	return names, files
}

func build(t *testing.T, c Controller, in Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := BuildExport(c, in, &buf); err != nil {
		t.Fatalf("BuildExport: %v", err)
	}
	return buf.Bytes()
}

func TestExportContents(t *testing.T) {
	c := demoController(t)
	names, files := unzip(t, build(t, c, janeAccess()))

	wantNames := []string{
		"summary.html", "summary.txt", "data.json",
		"csv/billing-invoices/invoices.csv",
		"csv/marketing-crm/crm_activities.csv",
		"csv/marketing-crm/crm_contacts.csv",
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("files = %q, want %q", names, wantNames)
	}

	t.Run("data.json", func(t *testing.T) {
		var d struct {
			Request struct {
				ID, Type, Received, Generated string
			}
			Connectors []struct {
				ID, Owner, Role, Status string
				Records                 []struct {
					Dataset    string
					Fields     map[string]string
					Categories map[string]string
				}
				Exemptions []connectors.Exemption
			}
		}
		if err := json.Unmarshal([]byte(files["data.json"]), &d); err != nil {
			t.Fatal(err)
		}
		if d.Request.ID != "DSR-7Q2K-4M9P" || d.Request.Type != "access" ||
			d.Request.Received != "2025-03-03T09:30:00+01:00" || d.Request.Generated != "2025-03-20T14:00:00+01:00" {
			t.Errorf("request = %+v", d.Request)
		}
		var ids []string
		for _, cn := range d.Connectors {
			ids = append(ids, cn.ID+"/"+cn.Status)
		}
		if want := []string{"billing-invoices/completed", "community-forum/not_found", "marketing-crm/completed"}; !slices.Equal(ids, want) {
			t.Errorf("connectors = %q, want %q (sorted by company)", ids, want)
		}
		crm := d.Connectors[2]
		if crm.Owner != "Example Marketing AS" || crm.Role != "subsidiary" || len(crm.Records) != 3 {
			t.Fatalf("marketing-crm = %+v", crm)
		}
		// Records by dataset; the connector's order within one dataset.
		if crm.Records[0].Dataset != "crm_activities" || crm.Records[1].Fields["at"] != "2025-02-01" || crm.Records[2].Dataset != "crm_contacts" {
			t.Errorf("records out of order: %+v", crm.Records)
		}
		jane := crm.Records[2]
		if jane.Fields["email"] != janeEmail || jane.Fields["name"] != janeName || jane.Categories["email"] != "user.contact.email" {
			t.Errorf("jane's contact record = %+v", jane)
		}
		// data.json keeps values as they are; only the CSV files are guarded.
		if got := crm.Records[1].Fields["activity"]; !strings.HasPrefix(got, "=HYPERLINK") {
			t.Errorf("data.json changed a value: %q", got)
		}
		billing := d.Connectors[0]
		if len(billing.Exemptions) != 1 || billing.Exemptions[0].Detail != "Bookkeeping Act: 5 years" || !billing.Exemptions[0].Until.Equal(bookkeeping) {
			t.Errorf("billing exemptions = %+v", billing.Exemptions)
		}
		if d.Connectors[1].Records == nil || d.Connectors[1].Exemptions == nil {
			t.Errorf("empty lists must be [], not null:\n%s", files["data.json"])
		}
		if !strings.Contains(files["data.json"], "\n  \"connectors\": [\n    {\n      \"id\": \"billing-invoices\",") {
			t.Errorf("data.json is not indented by 2:\n%s", files["data.json"])
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows := readCSV(t, files["csv/marketing-crm/crm_activities.csv"])
		want := [][]string{
			{"activity", "at", "score"},
			{"webinar signup", "2025-01-14", ""},
			{`'=HYPERLINK("https://evil.example","click")`, "2025-02-01", "'-3"},
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("crm_activities.csv = %q, want %q", rows, want)
		}
		rows = readCSV(t, files["csv/billing-invoices/invoices.csv"])
		want = [][]string{
			{"amount", "billed_to", "invoice_no", "note"},
			{"'+1200.00", janeName, "INV-1001", "'@SUM(A1:A2)"},
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("invoices.csv = %q, want %q", rows, want)
		}
		rows = readCSV(t, files["csv/marketing-crm/crm_contacts.csv"])
		if !slices.Equal(rows[0], []string{"email", "lead_source", "name", "phone"}) || !slices.Contains(rows[1], janeEmail) {
			t.Errorf("crm_contacts.csv = %q", rows)
		}
		if !strings.HasSuffix(files["csv/marketing-crm/crm_contacts.csv"], "\r\n") {
			t.Errorf("CSV lines must end in CRLF (RFC 4180)")
		}
	})

	for _, name := range []string{"summary.html", "summary.txt"} {
		t.Run(name, func(t *testing.T) {
			s := files[name]
			if name == "summary.html" {
				s = strings.ReplaceAll(s, "&#39;", "'")
			}
			for _, want := range []string{
				"Your personal data at Example Group",
				"DSR-7Q2K-4M9P",
				// (a) purposes with legal basis
				"Email marketing", "Legal basis: your consent.", "Recruitment", "Legal basis: a legal obligation.",
				// (b) categories, also per dataset
				"Financial information", "Kinds of data: Basic personal information and Usage statistics.",
				// (c) recipients
				"Example Ad Partner Ltd", "Only if there is a court order to do so.",
				// (d) retention
				"Deleted no later than 24 months after the last registered activity.",
				// (e) rights, (f) authority for the request's country
				"Withdraw consent", "Datatilsynet", "https://www.datatilsynet.no",
				// (g) source, (h) automated decisions
				"From cookies and similar technologies", "We create interest profiles",
				// what was found
				"Example Marketing AS", "We found 3 records.", "Example Community AS", "We found no data about you here.",
				"Invoices (Financial information): kept because of a legal obligation (Bookkeeping Act: 5 years), until 31 December 2030.",
				janeEmail, janeName,
				"csv/marketing-crm/crm_contacts.csv",
				"3 years after the request closes",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("%s lacks %q", name, want)
				}
			}
			if strings.Contains(s, "machine-readable formats (JSON and CSV)") {
				t.Errorf("%s of an access request claims portability", name)
			}
		})
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, s)
	}
	return rows
}

func TestExportHTMLIsSelfContainedAndEscaped(t *testing.T) {
	c := demoController(t)
	in := janeAccess()
	in.Outcomes[0].Records[0].Fields["note"] = `<script>alert("x")</script><img src="https://tracker.example/p.gif">`
	_, files := unzip(t, build(t, c, in))
	html := files["summary.html"]
	if strings.Contains(html, "<script") || strings.Contains(html, "<img") {
		t.Errorf("record value not escaped:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("escaped record value missing")
	}
	if m := regexp.MustCompile(`(?i)<(img|script|link|iframe|object|embed|source|video|audio|base)\b|<[^>]*\ssrc=|@import|url\(`).FindString(html); m != "" {
		t.Errorf("summary.html loads something external: %q", m)
	}
	if !strings.Contains(html, `content="default-src 'none'; style-src 'unsafe-inline'"`) {
		t.Errorf("summary.html lacks its content security policy")
	}
	// Its content is in a main landmark, and on a phone each value keeps its column's name as a label
	// (the browser tests run axe-core on it and measure it at 320 px).
	if strings.Count(html, "<main>") != 1 || !strings.Contains(html, "</main>\n</body>") {
		t.Error("summary.html has no main landmark around its content")
	}
	if !strings.Contains(html, `<th scope="col">Note</th>`) || !strings.Contains(html, `<td data-label="Note">&lt;script&gt;`) {
		t.Errorf("summary.html's data cells are not labelled with their column:\n%s", html)
	}
}

func TestExportPortability(t *testing.T) {
	c := demoController(t)
	in := janeAccess()
	in.Type = dsrflow.Portability
	_, files := unzip(t, build(t, c, in))
	for _, name := range []string{"summary.html", "summary.txt"} {
		if !strings.Contains(files[name], "data.json and the CSV files in the csv folder hold your data in structured, machine-readable formats (JSON and CSV).") {
			t.Errorf("%s does not point to the machine-readable files", name)
		}
	}
	if !strings.Contains(files["data.json"], `"type": "portability"`) {
		t.Errorf("data.json type:\n%s", files["data.json"])
	}
}

func TestExportNothingFound(t *testing.T) {
	c := demoController(t)
	for _, outcomes := range [][]Outcome{
		nil,
		{subsidiary("community-forum", "Example Community AS", dsrflow.ActionAccess, connectors.StatusNotFound)},
	} {
		in := baseInput(dsrflow.Access, dsrflow.StatusCompleted)
		in.Outcomes = outcomes
		names, files := unzip(t, build(t, c, in))
		if want := []string{"summary.html", "summary.txt", "data.json"}; !slices.Equal(names, want) {
			t.Errorf("files = %q, want %q", names, want)
		}
		for _, name := range []string{"summary.html", "summary.txt"} {
			if !strings.Contains(files[name], "We found no personal data about you in any of our systems.") {
				t.Errorf("%s does not say nothing was found:\n%s", name, files[name])
			}
			// The Art. 15 information is owed even when nothing was found.
			if !strings.Contains(files[name], "Datatilsynet") || !strings.Contains(files[name], "Purchase and delivery") {
				t.Errorf("%s lacks the Art. 15 information", name)
			}
		}
		var d struct {
			Connectors []json.RawMessage `json:"connectors"`
		}
		if err := json.Unmarshal([]byte(files["data.json"]), &d); err != nil || d.Connectors == nil {
			t.Errorf("data.json connectors = %v (%v)\n%s", d.Connectors, err, files["data.json"])
		}
		if len(outcomes) == 0 && !strings.Contains(files["data.json"], `"connectors": []`) {
			t.Errorf("data.json:\n%s", files["data.json"])
		}
	}
}

func TestExportIsDeterministic(t *testing.T) {
	c := demoController(t)
	in := janeAccess()
	first := build(t, c, in)
	for range 5 {
		if !bytes.Equal(build(t, c, in), first) {
			t.Fatal("the same input gave different bytes")
		}
	}
	// The order in which connectors answered does not matter.
	slices.Reverse(in.Outcomes)
	if !bytes.Equal(build(t, c, in), first) {
		t.Error("outcome order changed the export")
	}
}

func TestExportFileNamesStayInside(t *testing.T) {
	c := demoController(t)
	in := baseInput(dsrflow.Access, dsrflow.StatusCompleted)
	o := subsidiary("../evil", "Example Analytics AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	o.Records = []connectors.Record{
		{Dataset: "../../etc/passwd", Fields: map[string]string{"email": janeEmail}},
		{Dataset: "a/b", Fields: map[string]string{"x": "1"}},
		{Dataset: "a_b", Fields: map[string]string{"x": "2"}},
		{Dataset: "", Fields: map[string]string{"x": "3"}},
	}
	in.Outcomes = []Outcome{o}
	names, _ := unzip(t, build(t, c, in))
	want := []string{
		"summary.html", "summary.txt", "data.json",
		"csv/_evil/_.csv",
		"csv/_evil/_.._etc_passwd.csv",
		"csv/_evil/a_b.csv",
		"csv/_evil/a_b-2.csv",
	}
	if !slices.Equal(names, want) {
		t.Errorf("files = %q, want %q", names, want)
	}
}

func TestExportOnlyForAccessAndPortability(t *testing.T) {
	c := demoController(t)
	for _, typ := range dsrflow.RequestTypes {
		var buf bytes.Buffer
		err := BuildExport(c, baseInput(typ, dsrflow.StatusCompleted), &buf)
		if ok := typ == dsrflow.Access || typ == dsrflow.Portability; ok != (err == nil) {
			t.Errorf("%s: err = %v", typ, err)
		}
		if err != nil && dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("%s: code = %q", typ, dsrflow.ErrorCode(err))
		}
	}
}

// TestExportSummaryDescribesEachDataset: each dataset of an access export says, in the controller's words
// for the categories it holds, why it is held and on which legal basis, how long it is kept, where it
// comes from and who may receive it (GDPR Art. 15(1)(a)-(d), (g)), in summary.txt and summary.html, and
// never names a category by a raw taxonomy fragment.
func TestExportSummaryDescribesEachDataset(t *testing.T) {
	c := demoController(t)
	_, files := unzip(t, build(t, c, janeAccess()))
	for _, name := range []string{fileSummaryText, fileSummaryHTML} {
		for _, want := range []string{
			"Kinds of data: Basic personal information and Financial information.",
			"Why we hold it: Purchase and delivery (legal basis: our agreement with you, or steps you asked for before one);",
			"Bookkeeping (legal basis: a legal obligation).",
			"How long we keep it: As long as necessary to fulfil our contractual obligations;",
			"5 years after the end of the financial year, as the Bookkeeping Act requires.",
			"Where it comes from: From you, or from the company you work for when it is our customer.",
			"Who may receive it: Companies in Example Group; Business partners, such as Example Ad Partner Ltd.",
			"Kinds of data: Interest profiles and Usage statistics.",
			"Interest profiles (profiling) (legal basis: our legitimate interests).",
			"deleted no later than 24 months after the last registered activity.",
		} {
			if !strings.Contains(files[name], want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}

// TestExportExplainsTheCSVColumns: the summary says, in the request's language, what each CSV file
// holds (dataset, company, number of records) and what each column is, in the controller's words for
// the kinds of data, so that a subject can read the files without knowing the systems' field names.
func TestExportExplainsTheCSVColumns(t *testing.T) {
	c := demoController(t)
	in := janeAccess()
	_, files := unzip(t, build(t, c, in))
	html, text := files["summary.html"], files["summary.txt"]
	for _, want := range []string{
		"<h3>What the columns of the CSV files mean</h3>",
		"<h4>csv/billing-invoices/invoices.csv</h4>\n<p>Invoices at Example Billing AS: 1 record.</p>",
		"<dt>amount</dt><dd>Financial information</dd>",
		"<dt>billed_to</dt><dd>Basic personal information</dd>",
		"<dt>note</dt><dd>the system did not say which kind of data this is</dd>",
		"<dt>score</dt><dd>Interest profiles</dd>",
		"<h4>csv/marketing-crm/crm_activities.csv</h4>\n<p>Crm activities at Example Marketing AS: 2 records.</p>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("summary.html lacks %q", want)
		}
	}
	if !strings.Contains(text, "csv/billing-invoices/invoices.csv\nInvoices at Example Billing AS: 1 record.\n  amount: Financial information\n") {
		t.Errorf("summary.txt does not explain the invoices' columns:\n%s", text)
	}

	in.Language = "sv"
	_, files = unzip(t, build(t, c, in))
	html, text = files["summary.html"], files["summary.txt"]
	for _, want := range []string{
		"<h3>Vad kolumnerna i CSV-filerna betyder</h3>",
		"<p>Invoices hos Example Billing AS: 1 post.</p>",
		"Den första raden anger kolumnernas namn",
		"<dt>note</dt><dd>systemet har inte angett vilken typ av uppgift det här är</dd>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the Swedish summary.html lacks %q", want)
		}
	}
	if !strings.Contains(text, "Vad kolumnerna i CSV-filerna betyder\n") || strings.Contains(html+text, "What the columns") {
		t.Errorf("the Swedish summary.txt does not explain the columns in Swedish:\n%s", text)
	}
}

// TestSummaryHeadingsAreForPeople: summary.html names a column by its data category's label where the
// texts have one ("billed_to" holds user.name: "Name", "Navn" in Norwegian), else by the column's name in
// words ("invoice_no": "Invoice no"); no raw column name is a heading (issue 17). The CSV keeps the names.
func TestSummaryHeadingsAreForPeople(t *testing.T) {
	c := demoController(t)
	for lang, want := range map[string]string{"en": "Name", "nb": "Navn"} {
		in := janeAccess()
		in.Language = lang
		_, files := unzip(t, build(t, c, in))
		html := files["summary.html"]
		for _, h := range []string{want, "Invoice no", "Amount"} {
			if !strings.Contains(html, `<th scope="col">`+h+`</th>`) {
				t.Errorf("%s: summary.html lacks the heading %q", lang, h)
			}
		}
		if !strings.Contains(html, `<td data-label="`+want+`">`) {
			t.Errorf("%s: the stacked value is not labelled %q", lang, want)
		}
		for _, raw := range []string{"billed_to", "invoice_no"} {
			if strings.Contains(html, `<th scope="col">`+raw+`</th>`) {
				t.Errorf("%s: summary.html shows the raw column %q as a heading", lang, raw)
			}
		}
		if rows := readCSV(t, files["csv/billing-invoices/invoices.csv"]); !slices.Contains(rows[0], "billed_to") {
			t.Errorf("%s: the CSV lost its column names: %v", lang, rows[0])
		}
	}
}
