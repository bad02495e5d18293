package activities_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// customerMailWords are, per language, what each customer mail must say in that language's words:
// the request's type and the action in words (never their codes alone), the deadline's date written the
// language's way and in the request's country (Oslo: 18 December, where UTC is still the 17th), the
// processor's and the controller's roles in the DPA's vocabulary, and the outcome of an instruction.
var customerMailWords = map[string]map[string][]string{
	"en": {
		"routed_notice": {"Dear Acme Manufacturing Ltd,", "as your processor", "You are the controller", "A person has sent us a request to erase their personal data",
			"by 18 December 2026", "- execute, with the action to run in your tenant: erase (erasing the data about the person)", "- decline", "- handled", "exactly as they stand here", "Kind regards,\nExample Group"},
		"routed_reminder":  {"Reminder: your instruction is due by 18 December 2026", "deadline is 18 December 2026"},
		"routed_escalated": {"Deadline passed", "The deadline of 18 December 2026", "data protection officer", "You can still instruct us"},
		"declined":         {"Instruction recorded", "that you decline to act on it", "We do nothing in your tenant"},
		"handled":          {"Instruction recorded", "that you handled it yourselves", "We do nothing in your tenant"},
		"routed_executed":  {"Instruction carried out", "and only there: erasing the data about the person (erase). The action is complete."},
	},
	"nb": {
		"routed_notice": {"Hei Acme Manufacturing Ltd,", "som databehandler", "Dere er behandlingsansvarlig", "En person har sendt oss en forespørsel om sletting av personopplysningene sine",
			"innen 18. desember 2026", "- execute med handlingen vi skal utføre i tenanten: erase (sletting av opplysningene om personen)", "- decline", "- handled", "nøyaktig slik de står her", "Hilsen\nExample Group"},
		"routed_reminder":  {"Påminnelse: instruks trengs innen 18. desember 2026", "databehandleravtalen er 18. desember 2026"},
		"routed_escalated": {"Fristen er passert", "Fristen 18. desember 2026", "personvernombud", "Dere kan fortsatt gi instruks"},
		"declined":         {"Instruks registrert", "at dere avslår å følge den opp", "Vi gjør ingenting i tenanten"},
		"handled":          {"Instruks registrert", "at dere har håndtert den selv", "Vi gjør ingenting i tenanten"},
		"routed_executed":  {"Instruks utført", "og bare der: sletting av opplysningene om personen (erase). Handlingen er fullført."},
	},
	"sv": {
		"routed_notice": {"Hej Acme Manufacturing Ltd,", "som ert personuppgiftsbiträde", "Ni är personuppgiftsansvarig", "En person har skickat oss en begäran om radering av sina personuppgifter",
			"senast 18 december 2026", "personuppgiftsbiträdesavtalet", "- execute, med den åtgärd vi ska utföra i er kundmiljö: erase (radering av uppgifterna om personen)", "- decline", "- handled", "exakt som de står här", "Vänliga hälsningar\nExample Group"},
		"routed_reminder":  {"Påminnelse: era instruktioner behövs senast 18 december 2026", "personuppgiftsbiträdesavtalet är 18 december 2026"},
		"routed_escalated": {"Tidsfristen har löpt ut", "Tidsfristen 18 december 2026", "dataskyddsombud", "Ni kan fortfarande ge oss instruktioner"},
		"declined":         {"Instruktion registrerad", "att ni avböjer att vidta åtgärder", "Vi gör ingenting i er kundmiljö"},
		"handled":          {"Instruktion registrerad", "att ni själva har hanterat begäran", "Vi gör ingenting i er kundmiljö"},
		"routed_executed":  {"Instruktion utförd", "och bara där: radering av uppgifterna om personen (erase). Åtgärden är slutförd."},
	},
	"da": {
		"routed_notice": {"Kære Acme Manufacturing Ltd", "som jeres databehandler", "I er dataansvarlige", "En person har sendt os en anmodning om sletning af sine personoplysninger",
			"senest 18. december 2026", "databehandleraftalen", "- execute, med den handling, vi skal udføre i jeres kundemiljø: erase (sletning af oplysningerne om personen)", "- decline", "- handled", "præcis, som de står her", "Venlig hilsen\nExample Group"},
		"routed_reminder":  {"Påmindelse: jeres instruks skal foreligge senest 18. december 2026", "databehandleraftalen er 18. december 2026"},
		"routed_escalated": {"Fristen er overskredet", "Fristen 18. december 2026", "databeskyttelsesrådgiver", "I kan stadig give os instruks"},
		"declined":         {"Instruks registreret", "at I afviser at følge op", "Vi foretager os intet i jeres kundemiljø"},
		"handled":          {"Instruks registreret", "at I selv har håndteret anmodningen", "Vi foretager os intet i jeres kundemiljø"},
		"routed_executed":  {"Instruks udført", "og kun dér: sletning af oplysningerne om personen (erase). Handlingen er gennemført."},
	},
	"fi": {
		"routed_notice": {"Acme Manufacturing Ltd\n\nHyvä vastaanottaja,", "henkilötietojen käsittelijänä", "Olette näiden tietojen rekisterinpitäjä", "Eräs henkilö on esittänyt meille pyynnön poistaa henkilötietonsa",
			"viimeistään 18. joulukuuta 2026", "henkilötietojen käsittelysopimuksen määräaika", "- execute ja toimenpide, joka asiakasympäristössänne suoritetaan: erase (henkilöä koskevien tietojen poistaminen)", "- decline", "- handled", "täsmälleen niin kuin ne tässä lukevat", "Ystävällisin terveisin\nExample Group"},
		"routed_reminder":  {"Muistutus: ohjeenne tarvitaan viimeistään 18. joulukuuta 2026", "määräaika on 18. joulukuuta 2026"},
		"routed_escalated": {"Määräaika on umpeutunut", "umpeutui 18. joulukuuta 2026", "tietosuojavastaavallemme", "Voitte yhä antaa meille ohjeenne"},
		"declined":         {"Ohje kirjattu", "että kieltäydytte ryhtymästä toimenpiteisiin", "Emme tee asiakasympäristössänne mitään"},
		"handled":          {"Ohje kirjattu", "että olette hoitaneet sen itse", "Emme tee asiakasympäristössänne mitään"},
		"routed_executed":  {"Ohje toteutettu", "ja vain siellä: henkilöä koskevien tietojen poistaminen (erase). Toimenpide on tehty."},
	},
}

// Each customer mail (notice, reminder, escalation, a decline and a "handled" recorded, an execution
// confirmed), rendered by the activities in each customer language, says in that language's words
// what the request is, what to send back and by when; the instruction words and the action code are
// printed as the API reads them. Nordic mails hold no English sentence, and no mail names the subject
// or prints a type code or an ISO date.
func TestCustomerMailsInTheCustomersLanguage(t *testing.T) {
	mails := renderCustomerMails(t)
	// English words that a translated mail would only hold by mistake; the API's words and the names
	// (customer, group, system, tenant, reference) are removed before looking.
	english := regexp.MustCompile(`(?i)\b(we|you|your|the|and|of|request|dear|regards|tenant|deadline|instruction|instruct|data|processor|controller|reminder|done|recorded|passed)\b`)
	names := strings.NewReplacer("execute", "", "decline", "", "handled", "", "erase", "", "Acme Manufacturing Ltd", "", "Example Group", "", "payroll", "")
	for _, lang := range dsrflow.Languages {
		for kind, words := range customerMailWords[lang] {
			m, ok := mails[lang][kind]
			if !ok {
				t.Errorf("%s: no %s mail", lang, kind)
				continue
			}
			text := m.Subject + "\n" + m.Body
			for _, w := range words {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s lacks %q:\n%s", lang, kind, w, text)
				}
			}
			ref := "dsr_mail:payroll:t-" + lang + "-"
			if !strings.Contains(m.Subject, ref) || !strings.Contains(m.Body, "t-"+lang+"-") {
				t.Errorf("%s %s does not name the reference and the tenant:\n%s", lang, kind, text)
			}
			for _, leak := range []string{"jane", "Jane", `"erasure"`, "2026-12-", "personal_data"} {
				if strings.Contains(text, leak) {
					t.Errorf("%s %s holds %q:\n%s", lang, kind, leak, text)
				}
			}
			if lang == dsrflow.DefaultLanguage {
				continue
			}
			// Norwegian mails have said "tenant" since issue 22: it is the word their readers use.
			plain := strings.ReplaceAll(names.Replace(text), "dsr_mail:", "")
			if lang == "nb" {
				plain = regexp.MustCompile(`\btenant(en)?\b`).ReplaceAllString(plain, "")
			}
			for _, line := range strings.Split(plain, "\n") {
				if english.MatchString(line) {
					t.Errorf("%s %s: English in %q", lang, kind, line)
				}
			}
		}
	}
}

// renderCustomerMails runs the routing activities for one customer per language and returns the mails
// they queued, by language and kind ("declined" and "handled" for the two routed_recorded mails).
func renderCustomerMails(t *testing.T) map[string]map[string]store.Message {
	t.Helper()
	ctx := context.Background()
	reg, err := connectors.Parse([]byte("connectors:\n  - id: payroll\n    owner: Example Payroll AS\n    role: processor\n    kind: http\n    url: http://127.0.0.1:1/payroll\n"+
		"    secret_env: S\n    actions: [locate, erase]\n    identities: [email]\n"), func(string) string { return strings.Repeat("s", 40) })
	if err != nil {
		t.Fatal(err)
	}
	var jobs int
	st := storeWithRequest(t, "dsr_mail", "erasure")
	var list []connectors.Customer
	for _, lang := range dsrflow.Languages {
		list = append(list, connectors.Customer{ID: "c-" + lang, LegalName: "Acme Manufacturing Ltd", Email: "privacy-" + lang + "@acme.example", DeadlineDays: 10, Language: lang})
	}
	cs, err := connectors.NewCustomers(list...)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 23, 30, 0, 0, time.UTC) // 00:30 on Friday 4 December in Oslo
	a := &activities.Routing{Customers: cs, Store: st, Group: "Example Group", Now: func() time.Time { return now },
		Connectors: &activities.Connectors{Registry: reg, Store: st, Runners: map[string]connectors.Runner{
			"payroll": fixedRunner{res: connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"erased": 1}}, jobs: &jobs}}}}
	kinds := map[string]map[string]string{} // message id -> language, kind
	for _, lang := range dsrflow.Languages {
		mail := func(kind string, ref act.RoutedRef, as string) {
			kinds[kind+":"+ref.ID] = map[string]string{"lang": lang, "kind": as}
		}
		// Each item opened is noticed; the first item's notice is the one read.
		open := func(n string) act.RoutedRef {
			t.Helper()
			ref, err := a.OpenRouted(ctx, act.OpenRoutedInput{RequestID: "dsr_mail", Type: dsrflow.Erasure, Country: "NO", Now: now,
				Located: act.Located{Connector: "payroll", Tenant: "t-" + lang + "-" + n, Customer: "c-" + lang}})
			if err != nil {
				t.Fatal(err)
			}
			as := "routed_notice"
			if n != "1" {
				as += " " + n
			}
			mail("routed_notice", ref, as)
			return ref
		}
		ref := open("1")
		for _, in := range []act.RecordRoutedInput{{Ref: ref, State: dsrflow.RoutedNotified, Reminder: true, At: now}, {Ref: ref, State: dsrflow.RoutedEscalated, At: now}} {
			if err := a.RecordRouted(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		mail("routed_reminder", ref, "routed_reminder")
		mail("routed_escalated", ref, "routed_escalated")
		for n, state := range map[string]dsrflow.RoutedState{"2": dsrflow.RoutedDeclined, "3": dsrflow.RoutedHandled} {
			ref := open(n)
			in := act.RecordRoutedInput{Ref: ref, State: state, Instruction: string(state), Actor: "user:agent", At: now}
			if state == dsrflow.RoutedDeclined {
				in.Instruction, in.Reason = dsrflow.InstructDecline, "we will answer the person ourselves"
			}
			if err := a.RecordRouted(ctx, in); err != nil {
				t.Fatal(err)
			}
			mail("routed_recorded", ref, string(state))
		}
		ref = open("4")
		if _, err := a.ExecuteRouted(ctx, act.ExecuteRoutedInput{Ref: ref, Action: dsrflow.ActionErase, At: now,
			Identity: dsrflow.Identity{Email: "jane@example.com", Name: "Jane Smith"}, Verified: []string{"email"}}); err != nil {
			t.Fatal(err)
		}
		mail("routed_executed", ref, "routed_executed")
	}
	msgs, err := st.ListOutbox(ctx, store.OutboxFilter{RequestID: "dsr_mail"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]store.Message{}
	for _, m := range msgs {
		k, ok := kinds[m.ID]
		if !ok {
			t.Errorf("unexpected mail %s", m.ID)
			continue
		}
		if want := "privacy-" + k["lang"] + "@acme.example"; m.To != want {
			t.Errorf("%s went to %s, want %s", m.ID, m.To, want)
		}
		if out[k["lang"]] == nil {
			out[k["lang"]] = map[string]store.Message{}
		}
		out[k["lang"]][k["kind"]] = m
	}
	return out
}
