package demo

import (
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Data categories of the demo systems (dotted taxonomy).
const (
	catName      = "user.name"
	catEmail     = "user.contact.email"
	catPhone     = "user.contact.phone"
	catLead      = "user.marketing.lead"
	catConsent   = "user.consent"
	catInvoice   = "user.financial.invoice"
	catPost      = "user.content.post"
	catComment   = "user.content.comment"
	catUsage     = "user.usage.statistics"
	catLoginID   = "user.account.login_id"
	catIP        = "user.network.ip_address"
	catJob       = "user.application.job"
	catEventRegn = "user.event.registration"
	// The payroll processor's: its customers' employees' pay and the accounts it is paid to.
	catPayroll     = "user.employment.payroll"
	catBankAccount = "user.financial.bank_account"
)

// spec describes one demo system: who owns it, what it holds and what it can do.
type spec struct {
	id, owner, role string
	actions         []dsrflow.Action
	identities      []string
	async           bool
	// profile names the dataset of the subject's own record (email, name, phone, flags); "" when the
	// system keeps no profile of its own (billing: the invoices carry the name and address).
	profile       string
	profileFields []string // of email, name, phone
	datasets      map[string]map[string]string
	// rectifiable maps a category to the profile field a rectify job corrects.
	rectifiable map[string]string
	// retained are datasets an erase job keeps on a legal basis.
	retained map[string]retention
	// purges are the retention rules the system declares; a purge job deletes the rows of their
	// categories whose activity field is before the job's cutoff.
	purges []connectors.RetentionRule
	// recipients are the partners the system shares its subjects' data with (connectors.yaml's
	// recipients): they are told of an erasure only for a subject the system held.
	recipients []string
	// tenants are a processor's customer tenants: tenant id → the customer (customers.yaml id) that
	// controls the data in it. A processor's subjects each live in one tenant.
	tenants map[string]string
}

// leadsPeriod is the privacy policy's promise: contact information kept for marketing, leads included,
// is deleted no later than 24 months after the last registered activity.
var leadsPeriod = connectors.Age{Months: 24}

// retention is why and how long a dataset outlives an erasure (GDPR Art. 17(3)(b)): a keep rule of the
// system's owner (keeping), counted from a row's date.
type retention struct {
	rule       string // the keep rule's id
	dateField  string // the row field the period is counted from
	categories []string
}

// keeping is the demo group's legal entities and keep rules, as connectors.yaml's legal_entities: and
// legal_retention: give them: Norwegian companies whose financial year is the calendar year, bound by
// the Bookkeeping Act (bokføringsloven § 13 (2): five years after the end of the financial year).
var keeping = connectors.KeepConfig{
	Entities: []connectors.LegalEntity{
		{Name: "Example Group AS", Country: "NO"}, {Name: "Example Marketing AS", Country: "NO"},
		{Name: "Example Billing AS", Country: "NO"}, {Name: "Example Community AS", Country: "NO"},
		{Name: "Example Analytics AS", Country: "NO"}, {Name: "Example Careers AS", Country: "NO"},
		{Name: "Example Events AS", Country: "NO"},
	},
	Rules: []connectors.KeepRule{{
		ID: "bookkeeping", Country: "NO", Basis: "legal_obligation",
		Detail: "Bookkeeping Act: 5 years after the end of the financial year", Years: 5, YearsAfter: connectors.YearsAfterFinancialYear,
	}},
}

var profileCategories = map[string]string{"email": catEmail, "name": catName, "phone": catPhone}

var basicActions = []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict, dsrflow.ActionUnrestrict}

var specs = []spec{
	{
		id: "crm", owner: "Example Marketing AS", role: connectors.RoleSubsidiary,
		actions:    append(basicActions[:5:5], dsrflow.ActionObject, dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent, dsrflow.ActionOptoutSale, dsrflow.ActionPurge),
		identities: []string{"email", "phone", "customer_id:crm"},
		profile:    "contacts", profileFields: []string{"email", "name", "phone"},
		datasets: map[string]map[string]string{
			"leads":    {"source": catLead, "interest": catLead, "last_activity": catLead},
			"consents": {"purpose": catConsent, "granted": catConsent},
		},
		rectifiable: map[string]string{catName: "name", catPhone: "phone"},
		purges:      []connectors.RetentionRule{{Category: catLead, Age: leadsPeriod, ActivityField: "last_activity"}},
		// The CRM's contacts and leads go to the ad partner for campaigns (privacy policy: recipients).
		recipients: []string{"adpartner"},
	},
	{
		id: "billing", owner: "Example Billing AS", role: connectors.RoleSubsidiary,
		// purge_kept: the invoices an erasure kept go when their period ends (Job.Kept).
		actions:    []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRestrict, dsrflow.ActionUnrestrict, dsrflow.ActionPurgeKept},
		identities: []string{"email", "customer_id:billing"},
		datasets: map[string]map[string]string{
			"invoices": {"number": catInvoice, "date": catInvoice, "amount": catInvoice, "currency": catInvoice,
				"billed_to_name": catName, "billed_to_email": catEmail},
		},
		retained: map[string]retention{
			"invoices": {rule: "bookkeeping", dateField: "date",
				categories: []string{catInvoice, catName, catEmail}},
		},
	},
	{
		id: "forum", owner: "Example Community AS", role: connectors.RoleSubsidiary,
		actions:    basicActions,
		identities: []string{"email"},
		profile:    "profiles", profileFields: []string{"email", "name"},
		datasets: map[string]map[string]string{
			"posts":    {"title": catPost, "body": catPost, "posted": catPost},
			"comments": {"body": catComment, "posted": catComment},
		},
		rectifiable: map[string]string{catName: "name"},
	},
	{
		id: "analytics", owner: "Example Analytics AS", role: connectors.RoleSubsidiary,
		actions:    []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRestrict, dsrflow.ActionUnrestrict, dsrflow.ActionObject, dsrflow.ActionOptout, dsrflow.ActionOptoutSale},
		identities: []string{"email"},
		profile:    "accounts", profileFields: []string{"email"},
		datasets: map[string]map[string]string{
			"login_ids":    {"login_id": catLoginID},
			"ip_addresses": {"ip_address": catIP, "last_seen": catIP},
			"usage":        {"month": catUsage, "sessions": catUsage, "page_views": catUsage},
		},
	},
	{
		id: "recruiting", owner: "Example Careers AS", role: connectors.RoleSubsidiary, async: true,
		actions:    basicActions,
		identities: []string{"email", "phone"},
		profile:    "applicants", profileFields: []string{"email", "name", "phone"},
		datasets: map[string]map[string]string{
			"applications": {"position": catJob, "applied_on": catJob, "status": catJob},
		},
		rectifiable: map[string]string{catName: "name", catPhone: "phone", catEmail: "email"},
	},
	{
		id: "webinars", owner: "Example Events AS", role: connectors.RoleSubsidiary, async: true,
		actions:    append(basicActions[:5:5], dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent),
		identities: []string{"email"},
		profile:    "attendees", profileFields: []string{"email", "name", "phone"},
		datasets: map[string]map[string]string{
			"registrations": {"webinar": catEventRegn, "date": catEventRegn, "attended": catEventRegn},
			"consents":      {"purpose": catConsent, "granted": catConsent},
		},
		rectifiable: map[string]string{catName: "name", catPhone: "phone", catEmail: "email"},
	},
	{
		// The payroll service the group runs for business customers (GDPR Art. 28): each customer's
		// employees live in its own tenant, and the group acts on them only on that customer's instruction.
		id: "payroll", owner: "Example Payroll AS", role: connectors.RoleProcessor,
		actions:    []dsrflow.Action{dsrflow.ActionLocate, dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict},
		identities: []string{"email"},
		profile:    "employees", profileFields: []string{"email", "name"},
		datasets: map[string]map[string]string{
			"payslips": {"period": catPayroll, "gross_pay": catPayroll, "bank_account": catBankAccount},
		},
		rectifiable: map[string]string{catName: "name", catEmail: "email"},
		tenants:     map[string]string{tenantAcme: "acme", tenantNordlys: "nordlys"},
	},
	{
		id: "adpartner", owner: "Example Ad Partner Ltd", role: connectors.RolePartner,
		actions:    []dsrflow.Action{dsrflow.ActionNotify, dsrflow.ActionOptout},
		identities: []string{"email"},
	},
}

// The payroll processor's tenants: Acme's holds Jane and Ola, Nordlys's John and Ola.
const (
	tenantAcme    = "t-acme"
	tenantNordlys = "t-nordlys"
)

// customers are the business customers whose tenants the demo's processor holds, as customers.yaml
// would list them: the controllers a subject's request is routed to.
var customers = []connectors.Customer{
	{ID: "acme", LegalName: "Acme Manufacturing Ltd", Email: "privacy@acme.example", DeadlineDays: 10, Language: "en"},
	{ID: "nordlys", LegalName: "Nordlys Regnskap AS", Email: "personvern@nordlys.example", DeadlineDays: 10, Language: "nb"},
}

// categories lists what the system holds, for connectors.yaml.
func (sp spec) categories() []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, f := range sp.profileFields {
		add(profileCategories[f])
	}
	for _, fields := range sp.datasets {
		for _, c := range fields {
			add(c)
		}
	}
	return sortedStrings(out)
}

// The demo personas. Jane is in every subsidiary; nobody@example.com is in none; John and Ola are in
// some, so that tests can show a request for Jane touches only Jane.
const (
	janeEmail = "jane.doe@example.com"
	johnEmail = "john.roe@example.com"
	olaEmail  = "ola.nordmann@example.com"
	kariEmail = "kari.nordmann@example.com" // the crm's only: a customer whose lead is old
)

// seed is a system's data on first start. Dates run back from now, so that some CRM leads are always
// older than 24 months and some newer.
func seed(id string, now time.Time) state {
	day := func(monthsAgo int) string { return now.AddDate(0, -monthsAgo, 0).Format(time.DateOnly) }
	jane := subject{Key: "jane", Email: janeEmail, Name: "Jane Doe", Phone: "+47 400 00 000"}
	john := subject{Key: "john", Email: johnEmail, Name: "John Roe", Phone: "+47 400 00 001"}
	ola := subject{Key: "ola", Email: olaEmail, Name: "Ola Nordmann", Phone: "+47 400 00 002"}
	keyed := func(prefix string, subs ...subject) []subject {
		for i := range subs {
			subs[i].Key = prefix + "-" + subs[i].Key
		}
		return subs
	}
	switch id {
	case "crm":
		kari := subject{Key: "kari", Email: kariEmail, Name: "Kari Nordmann", Phone: "+47 400 00 003", Customer: true}
		s := keyed("C", jane, john, ola, kari)
		for i := range s {
			s[i].Consents = map[string]bool{"email_marketing": true, "profiling": true}
		}
		return state{Subjects: s, Rows: []row{
			{"leads", "C-jane", map[string]string{"source": "trade fair", "interest": "home insurance", "last_activity": day(30)}},
			{"leads", "C-jane", map[string]string{"source": "newsletter signup", "interest": "travel insurance", "last_activity": day(2)}},
			{"leads", "C-john", map[string]string{"source": "web form", "interest": "car insurance", "last_activity": day(27)}},
			{"leads", "C-ola", map[string]string{"source": "webinar", "interest": "pension savings", "last_activity": day(5)}},
			{"leads", "C-kari", map[string]string{"source": "web form", "interest": "boat insurance", "last_activity": day(26)}},
		}}
	case "billing":
		s := keyed("B", jane, john)
		for i := range s {
			s[i].Phone = ""
		}
		invoice := func(key, number string, months int, amount string, sub subject) row {
			return row{"invoices", key, map[string]string{"number": number, "date": day(months), "amount": amount,
				"currency": "NOK", "billed_to_name": sub.Name, "billed_to_email": sub.Email}}
		}
		return state{Subjects: s, Rows: []row{
			invoice("B-jane", "INV-1001", 20, "1200.00", jane),
			invoice("B-jane", "INV-1187", 3, "450.00", jane),
			invoice("B-john", "INV-1044", 11, "980.00", john),
		}}
	case "forum":
		s := keyed("F", jane, john)
		for i := range s {
			s[i].Phone = ""
		}
		return state{Subjects: s, Rows: []row{
			{"posts", "F-jane", map[string]string{"title": "Tips for first-time buyers", "body": "Compare at least three offers.", "posted": day(8)}},
			{"comments", "F-jane", map[string]string{"body": "Thanks, that helped!", "posted": day(4)}},
			{"posts", "F-john", map[string]string{"title": "Claims process question", "body": "How long does a claim take?", "posted": day(6)}},
		}}
	case "analytics":
		s := keyed("A", jane, john)
		for i := range s {
			s[i].Name, s[i].Phone = "", ""
		}
		return state{Subjects: s, Rows: []row{
			{"login_ids", "A-jane", map[string]string{"login_id": "u-7f3a9c"}},
			{"ip_addresses", "A-jane", map[string]string{"ip_address": "192.0.2.10", "last_seen": day(1)}},
			{"usage", "A-jane", map[string]string{"month": now.AddDate(0, -1, 0).Format("2006-01"), "sessions": "14", "page_views": "87"}},
			{"login_ids", "A-john", map[string]string{"login_id": "u-41b2e0"}},
			{"ip_addresses", "A-john", map[string]string{"ip_address": "198.51.100.7", "last_seen": day(2)}},
		}}
	case "recruiting":
		return state{Subjects: keyed("R", jane, ola), Rows: []row{
			{"applications", "R-jane", map[string]string{"position": "Data analyst", "applied_on": day(7), "status": "interview"}},
			{"applications", "R-ola", map[string]string{"position": "Claims handler", "applied_on": day(2), "status": "received"}},
		}}
	case "payroll":
		in := func(tenant string, p subject) subject {
			p.Key, p.Tenant, p.Phone = "P-"+tenant+"-"+p.Key, tenant, ""
			return p
		}
		payslip := func(key string, months int, gross, account string) row {
			return row{"payslips", key, map[string]string{"period": now.AddDate(0, -months, 0).Format("2006-01"), "gross_pay": gross, "bank_account": account}}
		}
		return state{Subjects: []subject{in(tenantAcme, jane), in(tenantAcme, ola), in(tenantNordlys, john), in(tenantNordlys, ola)}, Rows: []row{
			payslip("P-t-acme-jane", 1, "48500.00", "1506.11.22334"),
			payslip("P-t-acme-jane", 2, "48500.00", "1506.11.22334"),
			payslip("P-t-acme-ola", 1, "41200.00", "1506.55.66778"),
			payslip("P-t-nordlys-john", 1, "52300.00", "1207.44.55667"),
			payslip("P-t-nordlys-ola", 1, "9800.00", "1506.55.66778"),
		}}
	case "webinars":
		s := keyed("W", jane, ola)
		for i := range s {
			s[i].Consents = map[string]bool{"recording": true, "followup_email": true}
		}
		return state{Subjects: s, Rows: []row{
			{"registrations", "W-jane", map[string]string{"webinar": "Saving for retirement", "date": day(1), "attended": "true"}},
			{"registrations", "W-ola", map[string]string{"webinar": "Saving for retirement", "date": day(1), "attended": "false"}},
		}}
	}
	return state{}
}
