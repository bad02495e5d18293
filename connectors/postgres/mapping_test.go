package postgres

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	_ "github.com/dsrflow/dsrflow/connectors/httpkind" // http connectors beside the postgres ones
)

// Parse and NewRegistry are the generic package's: this kind's mapping is read by it.
var (
	Parse       = connectors.Parse
	NewRegistry = connectors.NewRegistry
)

// httpYAML is an http connector, line 11 its timeout.
const httpYAML = `connectors:
  - id: crm
    owner: Example Marketing AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9101/crm
    secret_env: CRM_SECRET
    actions: [access, erase]
    identities: [email]
    categories: [user.contact.email]
    timeout: 10s
`

// postgresYAML is the mapping of issue 4; line numbers below refer to it.
const postgresYAML = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase, rectify, restrict, optout]
    identities: [email]
    datasets:
      - table: customers
        match: {email: email}
        categories: {name: user.name, email: user.contact.email, phone: user.contact.phone}
        erase: mask
        mask: {name: redact, email: hash, phone: nullify}
        rectify: [name, phone]
        restrict_column: restricted
        optout_column: marketing_opt_out
      - table: invoices
        match: {customer_id: customers.id}
        categories: {amount: user.financial.invoice, issued_on: user.financial.invoice}
        erase: retain
        retain: {basis: legal_obligation, detail: "Bookkeeping Act: 5 years", years: 5, years_after: end_of_financial_year, from_column: issued_on}
`

func postgresEnv(name string) string {
	if name == "ERP_DSN" {
		return "postgres://erp@db.example.com/erp"
	}
	if name == "CRM_SECRET" {
		return strings.Repeat("s", 32)
	}
	return ""
}

// settings returns a parsed postgres connector's settings.
func settings(t *testing.T, c connectors.Connector) Settings {
	t.Helper()
	s, ok := Of(c)
	if !ok {
		t.Fatalf("connector %s has settings %T", c.ID, c.Settings)
	}
	return s
}

func TestParsePostgres(t *testing.T) {
	reg, err := Parse([]byte(postgresYAML), postgresEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := reg.Get("erp")
	if !ok {
		t.Fatal("erp missing")
	}
	s := settings(t, c)
	if _, speaks := c.Endpoint(); c.Kind != Name || s.DSNEnv != "ERP_DSN" || speaks || len(s.Datasets) != 2 {
		t.Fatalf("erp = %+v", c)
	}
	cust, inv := s.Datasets[0], s.Datasets[1]
	if cust.Table != "customers" || !slices.Equal(cust.Match, []Match{{Column: "email", Identity: "email"}}) ||
		cust.Categories["phone"] != "user.contact.phone" || cust.Erase != EraseMask || cust.Mask["email"] != MaskHash ||
		!slices.Equal(cust.Rectify, []string{"name", "phone"}) || cust.RestrictColumn != "restricted" || cust.OptoutColumn != "marketing_opt_out" {
		t.Fatalf("customers = %+v", cust)
	}
	if !slices.Equal(inv.Match, []Match{{Column: "customer_id", LinkTable: "customers", LinkColumn: "id"}}) || inv.Erase != EraseRetain ||
		*inv.Retain != (Retention{Basis: "legal_obligation", Detail: "Bookkeeping Act: 5 years", Years: 5, YearsAfter: "end_of_financial_year", FromColumn: "issued_on"}) {
		t.Fatalf("invoices = %+v (retain %+v)", inv, inv.Retain)
	}
	// Categories default to the datasets'.
	want := []string{"user.contact.email", "user.contact.phone", "user.financial.invoice", "user.name"}
	if !slices.Equal(c.Categories, want) {
		t.Fatalf("Categories = %v, want %v", c.Categories, want)
	}
	if got := inv.Columns(); !slices.Equal(got, []string{"amount", "customer_id", "issued_on"}) {
		t.Fatalf("invoices Columns = %v", got)
	}
	// The registry does not share the mapping with callers.
	s.Datasets[0].Mask["email"] = MaskNullify
	s.Datasets[1].Retain.Years = 1
	if again, _ := reg.Get("erp"); settings(t, again).Datasets[0].Mask["email"] != MaskHash || settings(t, again).Datasets[1].Retain.Years != 5 {
		t.Fatal("Get shares the registry's datasets")
	}
	// access_limit and job_table have defaults, and may be set.
	if s.AccessLimit != DefaultAccessLimit || s.JobTable != DefaultJobTable {
		t.Fatalf("defaults: access_limit %d, job_table %q", s.AccessLimit, s.JobTable)
	}
	set, err := Parse([]byte(strings.Replace(postgresYAML, "    dsn_env: ERP_DSN\n", "    dsn_env: ERP_DSN\n    access_limit: 500\n    job_table: dsr_log\n", 1)), postgresEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := set.Get("erp"); settings(t, c).AccessLimit != 500 || settings(t, c).JobTable != "dsr_log" {
		t.Fatalf("set: %+v", c.Settings)
	}
	// The connection string never travels with the Connector.
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), postgresEnv("ERP_DSN")) || strings.Contains(string(data), "ERP_DSN") {
		t.Fatalf("DSN serialised: %s", data)
	}
	if got := reg.Select(dsrflow.ActionErase, dsrflow.Identity{Email: "jane.doe@example.com"}); len(got) != 1 || got[0].ID != "erp" {
		t.Fatalf("Select = %+v", got)
	}
}

func TestParsePostgresErrorsNameTheLine(t *testing.T) {
	replace := func(line int, text string) string {
		lines := strings.Split(postgresYAML, "\n")
		lines[line-1] = text
		return strings.Join(lines, "\n")
	}
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"dsn variable not set", replace(6, "    dsn_env: NOT_SET"), "connectors.yaml:6: connector erp: dsn_env: variable NOT_SET is not set"},
		{"dsn_env missing", replace(6, "    # no dsn"), "connectors.yaml:2: connector erp: dsn_env (the variable holding the connection string) is required"},
		{"url on postgres", replace(6, "    dsn_env: ERP_DSN\n    url: http://erp.example.com"), "connectors.yaml:7: connector erp: field url is for http connectors, not postgres ones"},
		{"partner role", replace(5, "    role: partner"), "connectors.yaml:5: connector erp: a postgres connector acts on data, so its role must be subsidiary"},
		{"unsupported action", replace(7, "    actions: [access, object]"), "connectors.yaml:7: connector erp: kind postgres does not support action object"},
		{"datasets missing", strings.Split(postgresYAML, "    datasets:")[0], "connectors.yaml:2: connector erp: datasets must list at least one table"},
		{"unknown erase rule", replace(13, "        erase: shred"), `connectors.yaml:13: connector erp: dataset customers: erase must be delete, mask or retain, not "shred"`},
		{"erase rule missing", replace(13, "        # erase"), "connectors.yaml:10: connector erp: dataset customers: erase is required"},
		{"unknown mask strategy", replace(14, "        mask: {name: redact, email: scramble, phone: nullify}"), `connectors.yaml:14: connector erp: dataset customers: mask strategy for email must be nullify, redact or hash, not "scramble"`},
		{"unmasked column", replace(14, "        mask: {name: redact, email: hash}"), "connectors.yaml:14: connector erp: dataset customers: column phone is mapped to a category but has no mask strategy"},
		{"mask without erase mask", replace(21, "        erase: delete\n        mask: {amount: nullify}"), "connectors.yaml:22: connector erp: dataset invoices: mask is only for erase: mask"},
		{"retain missing", replace(22, ""), "connectors.yaml:21: connector erp: dataset invoices: erase: retain needs retain"},
		{"retain basis missing", replace(22, `        retain: {detail: "Bookkeeping Act: 5 years", years: 5, years_after: end_of_financial_year, from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain.basis is required"},
		{"retain basis unknown", replace(22, `        retain: {basis: convenience, detail: "x", years: 5, years_after: end_of_financial_year, from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain.basis must be one of legal_obligation"},
		{"retain detail missing", replace(22, `        retain: {basis: legal_obligation, years: 5, years_after: end_of_financial_year, from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain.detail (the law or reason) is required"},
		{"retain years missing", replace(22, `        retain: {basis: legal_obligation, detail: "x", from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain.years must be a whole number from 1 to 100"},
		{"retain years not a number", replace(22, `        retain: {basis: legal_obligation, detail: "x", years: five, from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain.years must be a whole number"},
		{"retain years_after missing", replace(22, `        retain: {basis: legal_obligation, detail: "x", years: 5, from_column: issued_on}`), `connectors.yaml:22: connector erp: dataset invoices: retain.years_after must be one of end_of_financial_year, end_of_calendar_year_of_financial_year, end_of_calendar_year, date, not ""`},
		{"retain rule unknown", replace(22, `        retain: {rule: bookkeeping, from_column: issued_on}`), `connectors.yaml:22: connector erp: dataset invoices: retain.rule bookkeeping: no legal_retention rule bookkeeping binds Example Software AS (country "")`},
		{"retain rule and its terms", replace(22, `        retain: {rule: bookkeeping, years: 5, from_column: issued_on}`), "connectors.yaml:22: connector erp: dataset invoices: retain: give a rule, or basis, detail, years and years_after, not both"},
		{"retain from_column missing", replace(22, `        retain: {basis: legal_obligation, detail: "x", years: 5}`), "connectors.yaml:22: connector erp: dataset invoices: retain.from_column (the date the period runs from) is required"},
		{"retain on mask", replace(14, "        mask: {name: redact, email: hash, phone: nullify}\n        retain: {basis: legal_obligation, detail: x, years: 1, from_column: created}"), "connectors.yaml:15: connector erp: dataset customers: retain is only for erase: retain"},
		{"match unknown identity", replace(11, "        match: {phone: phone}"), `connectors.yaml:11: connector erp: dataset customers: match phone: identity type "phone" is not in the connector's identities`},
		{"identity matched by nobody", replace(8, "    identities: [email, phone]"), "connectors.yaml:8: connector erp: identity type phone is listed but no dataset matches on it"},
		{"match later dataset", replace(19, "        match: {customer_id: orders.id}"), "connectors.yaml:19: connector erp: dataset invoices: match customer_id: orders.id must name an identity type or an earlier dataset's table.column"},
		{"match itself", replace(19, "        match: {customer_id: invoices.id}"), "connectors.yaml:19: connector erp: dataset invoices: match customer_id: invoices.id must name"},
		{"match masked link", replace(19, "        match: {customer_id: customers.email}"), "connectors.yaml:19: connector erp: dataset invoices: match customer_id: customers.email is masked (hash) on erase"},
		{"match missing", replace(11, "        # match"), "connectors.yaml:10: connector erp: dataset customers: match must name at least one column"},
		{"rectify unmapped column", replace(15, "        rectify: [name, birthday]"), "connectors.yaml:15: connector erp: dataset customers: rectify column birthday is not mapped to a category"},
		{"rectify action without columns", replace(15, "        # rectify"), "connectors.yaml:7: connector erp: action rectify needs a dataset with rectify columns"},
		{"restrict action without column", replace(16, "        # restrict"), "connectors.yaml:7: connector erp: action restrict needs a dataset with a restrict_column"},
		{"bad column name", replace(16, "        restrict_column: restricted; drop table customers"), `connectors.yaml:16: connector erp: dataset customers: column "restricted; drop table customers" must be a plain name`},
		{"bad table name", replace(10, `      - table: "public.customers"`), "connectors.yaml:10: connector erp: dataset public.customers: table must be a plain name"},
		{"table twice", replace(18, "      - table: customers"), "connectors.yaml:18: connector erp: dataset customers: table mapped twice"},
		{"bad category", replace(12, "        categories: {name: User Name, email: user.contact.email, phone: user.contact.phone}"), `connectors.yaml:12: connector erp: dataset customers: category "User Name" must be dotted lower case`},
		{"unknown dataset field", replace(16, "        restrict: restricted"), `connectors.yaml:16: connector erp: dataset customers: unknown field "restrict"`},
		{"unknown retain field", replace(22, `        retain: {basis: legal_obligation, detail: "x", years: 5, years_after: end_of_financial_year, from_column: issued_on, until: 2030}`), "connectors.yaml:22: connector erp: dataset invoices: unknown field retain.until"},
		{"access_limit zero", replace(6, "    dsn_env: ERP_DSN\n    access_limit: 0"), "connectors.yaml:7: connector erp: access_limit must be a whole number of rows from 1 to 1000000"},
		{"access_limit not a number", replace(6, "    dsn_env: ERP_DSN\n    access_limit: many"), "connectors.yaml:7: connector erp: access_limit must be a whole number of rows"},
		{"access_limit too high", replace(6, "    dsn_env: ERP_DSN\n    access_limit: 1000001"), "connectors.yaml:7: connector erp: access_limit must be a whole number of rows from 1 to 1000000"},
		{"job_table not a name", replace(6, "    dsn_env: ERP_DSN\n    job_table: audit.jobs"), "connectors.yaml:7: connector erp: job_table must be a plain name"},
		{"job_table is a dataset", replace(6, "    dsn_env: ERP_DSN\n    job_table: invoices"), "connectors.yaml:7: connector erp: job_table invoices is a mapped dataset"},
		{"access_limit on http", strings.Replace(httpYAML, "    timeout: 10s", "    access_limit: 10", 1), "connectors.yaml:11: connector crm: field access_limit is for postgres connectors, not http ones"},
		{"job_table on http", strings.Replace(httpYAML, "    timeout: 10s", "    job_table: jobs", 1), "connectors.yaml:11: connector crm: field job_table is for postgres connectors, not http ones"},
		{"datasets on http", strings.Replace(httpYAML, "    timeout: 10s", "    datasets: []", 1), "connectors.yaml:11: connector crm: field datasets is for postgres connectors, not http ones"},
		{"timeout on postgres", replace(6, "    dsn_env: ERP_DSN\n    timeout: 10s"), "connectors.yaml:7: connector erp: field timeout is for http connectors, not postgres ones"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := Parse([]byte(tt.yaml), postgresEnv)
			if err == nil {
				t.Fatalf("no error; registry %+v", reg.List())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, tt.want)
			}
			if strings.Contains(err.Error(), postgresEnv("ERP_DSN")) {
				t.Fatal("error shows the connection string")
			}
		})
	}
}

func TestNewRegistryValidatesPostgres(t *testing.T) {
	s := Settings{DSNEnv: "ERP_DSN",
		Datasets: []Dataset{{Table: "customers", Match: []Match{{Column: "email", Identity: "email"}}, Categories: map[string]string{"email": "user.contact.email"}}}}
	c := connectors.Connector{ID: "erp", Owner: "X AS", Role: connectors.RoleSubsidiary, Settings: s,
		Actions: []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase}, Identities: []string{"email"}}
	_, err := NewRegistry(c)
	if err == nil || !strings.Contains(err.Error(), "connector erp: dataset customers: erase is required") {
		t.Fatalf("err = %v", err)
	}
	s.Datasets[0].Erase = EraseDelete
	if _, err := NewRegistry(c); err != nil {
		t.Fatal(err)
	}
}

// postgresLeadsYAML is a postgres connector whose leads go 24 months after their last activity.
const postgresLeadsYAML = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase, purge]
    identities: [email]
    datasets:
      - table: leads
        match: {email: email}
        categories: {email: user.contact.email, interest: user.marketing.lead}
        erase: delete
      - table: lead_notes
        match: {lead_id: leads.id}
        categories: {note: user.content.comment}
        erase: delete
    retention:
      - category: user.marketing.lead
        age: 24 months
        activity_field: last_activity
`

func TestParsePostgresRetention(t *testing.T) {
	reg, err := Parse([]byte(postgresLeadsYAML), postgresEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("erp")
	s := settings(t, c)
	if got := ActivityColumn(c.Retention, s.Datasets[0], []string{"user.marketing.lead"}); got != "last_activity" {
		t.Fatalf("leads activity column = %q", got)
	}
	if got := ActivityColumn(c.Retention, s.Datasets[1], nil); got != "" {
		t.Fatalf("notes activity column = %q, want none (they go with their lead)", got)
	}
	if got := s.PurgedDatasets(c); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("PurgedDatasets = %v", got)
	}

	lines := strings.Split(postgresLeadsYAML, "\n")
	replace := func(n int, text string) string {
		out := append([]string(nil), lines...)
		out[n-1] = text
		return strings.Join(out, "\n")
	}
	tests := []struct{ name, yaml, want string }{
		{"retained leads", replace(13, "        erase: retain\n        retain: {basis: legal_claims, detail: x, years: 1, years_after: date, from_column: created}"),
			"connectors.yaml:20: connector erp: retention #1: dataset leads holds user.marketing.lead, so a purge erases its rows: its erase rule must be delete or mask"},
		{"category in no dataset", replace(7, "    actions: [access, erase, purge]\n    categories: [user.contact.email, user.marketing.lead, user.content.comment, user.marketing.event]") +
			"      - {category: user.marketing.event, age: 24 months, activity_field: last_activity}\n",
			"connectors.yaml:23: connector erp: retention #2: no dataset maps a column to user.marketing.event"},
		{"purge without rules", strings.Split(postgresLeadsYAML, "    retention:")[0], "connectors.yaml:7: connector erp: action purge needs retention rules"},
		{"activity field not a column name", replace(21, "        activity_field: last activity"), `connectors.yaml:21: connector erp: retention #1: activity_field "last activity" must be a column name`},
		{"linked dataset without erase rule", strings.NewReplacer("actions: [access, erase, purge]", "actions: [access, purge]",
			"        categories: {note: user.content.comment}\n        erase: delete\n", "        categories: {note: user.content.comment}\n").Replace(postgresLeadsYAML),
			"connectors.yaml:14: connector erp: dataset lead_notes: erase is required (delete, mask or retain): a purge reaches its rows through a link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), postgresEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRetainByRule: a dataset names a keep rule of connectors.yaml's legal_retention:; the one of its
// owner's country binds it, counted in the owner's financial year.
func TestRetainByRule(t *testing.T) {
	yaml := strings.Replace(postgresYAML,
		`retain: {basis: legal_obligation, detail: "Bookkeeping Act: 5 years", years: 5, years_after: end_of_financial_year, from_column: issued_on}`,
		`retain: {rule: bookkeeping, from_column: issued_on}`, 1) + `legal_entities:
  - {name: Example Software AS, country: SE}
legal_retention:
  - {id: bookkeeping, country: NO, basis: legal_obligation, detail: "Bokføringsloven § 13", years: 5, years_after: end_of_financial_year}
  - {id: bookkeeping, country: SE, basis: legal_obligation, detail: "Bokföringslagen 7 kap. 2 §", years: 7, years_after: end_of_calendar_year_of_financial_year}
`
	reg, err := Parse([]byte(yaml), postgresEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("erp")
	set, _ := Of(c)
	rule, ok := set.Datasets[1].Retain.KeepRule(c.Keeping)
	if !ok || rule.Detail != "Bokföringslagen 7 kap. 2 §" {
		t.Fatalf("rule %+v, %v", rule, ok)
	}
	if until := c.Keeping.Until(rule, time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)); !until.Equal(time.Date(2032, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("invoice of 2025-04-02 kept until %v", until)
	}
}
