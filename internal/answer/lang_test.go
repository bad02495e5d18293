package answer

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/texttest"
)

// TestAnswerTextsComplete fails when a language lacks a key of texts/en.json, has one English does not,
// leaves one empty, gives one twice, or when a text's {placeholders} differ from the English one's.
func TestAnswerTextsComplete(t *testing.T) {
	texttest.Complete(t, regexp.MustCompile(`\{[a-zA-Z_.]+\}`), func(lang string) (string, []byte, error) {
		b, err := textFiles.ReadFile("texts/" + lang + ".json")
		return "texts/" + lang + ".json", b, err
	})
}

func TestFormatDate(t *testing.T) {
	d := time.Date(2030, 4, 2, 23, 30, 0, 0, mustZone("Europe/Helsinki"))
	for lang, want := range map[string]string{
		"en": "2 April 2030", "nb": "2. april 2030", "sv": "2 april 2030", "da": "2. april 2030", "fi": "2. huhtikuuta 2030",
		"": "2 April 2030", "xx": "2 April 2030",
	} {
		if got := FormatDate(lang, d); got != want {
			t.Errorf("FormatDate(%q) = %q, want %q", lang, got, want)
		}
	}
	if got := FormatDate("fi", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)); got != "31. joulukuuta 2026" {
		t.Errorf("FormatDate(fi, 31 Dec) = %q", got)
	}
}

// answerCases are answers of every shape: each right completed, with exemptions, partners, failures and
// items not done, and each way a request ends without being fulfilled.
func answerCases(t *testing.T) map[string]Input {
	crm := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	crm.Records = []connectors.Record{janeRecordCRM}
	cases := map[string]Input{
		"access": with(baseInput(dsrflow.Access, dsrflow.StatusCompleted), func(in *Input) {
			in.Outcomes = []Outcome{crm, subsidiary("forum", "Example Community AS", dsrflow.ActionAccess, connectors.StatusNotFound)}
			in.ExportAvailableUntil, in.ExportURL = &linkExpiry, "https://dsr.example.com/exports/DSR-7Q2K-4M9P?sig=ab"
		}),
		"erasure": with(baseInput(dsrflow.Erasure, dsrflow.StatusCompleted), func(in *Input) {
			erased := subsidiary("crm", "Example Marketing AS", dsrflow.ActionErase, connectors.StatusCompleted)
			erased.Counts = map[string]int{"erased": 3, "masked": 1}
			failed := subsidiary("forum", "Example Community AS", dsrflow.ActionErase, connectors.StatusFailed)
			in.Outcomes = []Outcome{erased, billingExempt(), failed, partner(connectors.StatusCompleted), partner(connectors.StatusExempt)}
			in.Closed = due.AddDate(0, 0, 2)
		}),
		"rectification": with(baseInput(dsrflow.Rectification, dsrflow.StatusCompleted), func(in *Input) {
			in.Corrections = map[string]string{"user.name": "x", "user.contact.address": "y"}
			o := subsidiary("crm", "Example Marketing AS", dsrflow.ActionRectify, connectors.StatusCompleted)
			o.Items = []connectors.ItemResult{{Item: "user.name", Outcome: connectors.ItemDone}, {Item: "user.contact.address", Outcome: connectors.ItemNotPossible}}
			in.Outcomes = []Outcome{o}
		}),
		"consent": with(baseInput(dsrflow.ConsentWithdrawal, dsrflow.StatusCompleted), func(in *Input) {
			in.Purposes = []string{"newsletter"}
			in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionWithdrawConsent, connectors.StatusCompleted)}
		}),
		"restriction": with(baseInput(dsrflow.Restriction, dsrflow.StatusCompleted), func(in *Input) {
			in.RestrictionGround = string(dsrflow.RestrictAccuracyContested)
			in.Outcomes = []Outcome{subsidiary("crm", "Example Marketing AS", dsrflow.ActionRestrict, connectors.StatusCompleted)}
		}),
		"objection rejected": with(baseInput(dsrflow.Objection, dsrflow.StatusRejected), func(in *Input) { in.Reason = "fraud prevention" }),
		"refused":            with(baseInput(dsrflow.Access, dsrflow.StatusRejected), func(in *Input) { in.Ground = string(dsrflow.RefusalManifestlyExcessive) }),
		"lapsed":             baseInput(dsrflow.Erasure, dsrflow.StatusLapsed),
		"canceled":           baseInput(dsrflow.Portability, dsrflow.StatusCanceled),
		"aborted":            baseInput(dsrflow.MarketingOptout, dsrflow.StatusAborted),
	}
	for _, r := range dsrflow.Rights {
		if r.Type != dsrflow.DoNotSell { // a CCPA right: answered in the CCPA's terms, in English
			cases["completed "+string(r.Type)] = baseInput(r.Type, dsrflow.StatusCompleted)
		}
	}
	return cases
}

// TestAnswerSpeaksTheSubjectsLanguage: in every language but English, no answer says an English
// sentence: each of its texts is translated, and the request's dates are written the language's way.
func TestAnswerSpeaksTheSubjectsLanguage(t *testing.T) {
	c := demoController(t)
	english := regexp.MustCompile(`\b(We|we|Your|your|you|the|and|of|request)\b`)
	for _, lang := range dsrflow.Languages[1:] {
		for name, in := range answerCases(t) {
			in.Language = lang
			m := Compose(c, in)
			for _, line := range strings.Split(m.Subject+"\n"+m.Text, "\n") {
				// Company names, the authority's name and the controller's own texts are as written.
				if english.MatchString(line) && !strings.Contains(line, "Example") && !strings.Contains(line, "https://") {
					t.Errorf("%s, %s: English in %q", lang, name, line)
				}
			}
			if name == "access" && !strings.Contains(m.Text, FormatDate(lang, received)) {
				t.Errorf("%s: the answer does not give the received date as %q:\n%s", lang, FormatDate(lang, received), m.Text)
			}
		}
	}
}

// TestAnswerInFinnish reads a Finnish answer as its subject does: an access request and a refusal,
// with the French authority for a subject who lives in France.
func TestAnswerInFinnish(t *testing.T) {
	c := demoController(t)
	cases := answerCases(t)
	in := cases["access"]
	in.Language = "fi"
	m := Compose(c, in)
	if want := "Vastaus pyyntöösi: tarkastuspyyntö (viite DSR-7Q2K-4M9P)"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	for _, want := range []string{
		"Hei,",
		"Olemme käsitelleet loppuun seuraavan asian: pyyntösi saada pääsy henkilötietoihisi.\nViitteesi: DSR-7Q2K-4M9P.\nVastaanotimme sen 3. maaliskuuta 2025.",
		"Käsittely valmistui 20. maaliskuuta 2025.",
		"Tietosi ovat vientitiedostossa, jonka voit ladata 19. huhtikuuta 2025 asti.",
		"Example Marketing AS\n- Tietoja löytyi: 1 tietue (crm contacts). Ne ovat vientitiedostossasi.",
		"Example Community AS\n- Emme löytäneet sinusta tietoja.",
		"Ystävällisin terveisin\n",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the Finnish answer lacks %q:\n%s", want, m.Text)
		}
	}
	in = cases["refused"]
	in.Language, in.Residence = "fi", "FR"
	m = Compose(c, in)
	for _, want := range []string{
		"Katsomme, että pyyntösi on ilmeisen kohtuuton",
		"(tietosuoja-asetuksen 12 artiklan 5 kohta)",
		"sinulla on oikeus tehdä valitus valvontaviranomaiselle: Commission nationale de l'informatique et des libertés (CNIL), https://www.cnil.fr",
		"(tietosuoja-asetuksen 77 ja 79 artikla)",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the Finnish refusal lacks %q:\n%s", want, m.Text)
		}
	}
}

// TestAnswerLegalTerms: each language cites the GDPR by its official name and numbering.
func TestAnswerLegalTerms(t *testing.T) {
	c := demoController(t)
	in := answerCases(t)["refused"]
	for lang, want := range map[string]string{
		"nb": "(personvernforordningen artikkel 12 nr. 5)",
		"sv": "(artikel 12.5 i dataskyddsförordningen)",
		"da": "(databeskyttelsesforordningens artikel 12, stk. 5)",
		"fi": "(tietosuoja-asetuksen 12 artiklan 5 kohta)",
		"en": "(GDPR Article 12(5))",
	} {
		in.Language = lang
		if text := Compose(c, in).Text; !strings.Contains(text, want) {
			t.Errorf("%s: the refusal does not cite %q:\n%s", lang, want, text)
		}
	}
}

// TestLiftNoticeInTheSubjectsLanguage: the notice before a restriction is lifted is in the request's
// language and names the authority of the subject's residence.
func TestLiftNoticeInTheSubjectsLanguage(t *testing.T) {
	c := demoController(t)
	m := LiftNotice(c, "DSR-7Q2K-4M9P", "FR", "sv", "the court case ended")
	if want := "Vi häver den begränsning du begärde (referens DSR-7Q2K-4M9P)"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	for _, want := range []string{"Hej,", "Vår motivering: The court case ended.", "Om du inte håller med kan du lämna in ett klagomål till Commission nationale de l'informatique et des libertés (CNIL)"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the Swedish lift notice lacks %q:\n%s", want, m.Text)
		}
	}
}

func TestCodeMailInTheSubjectsLanguage(t *testing.T) {
	m := CodeMail("da", dsrflow.Erasure, "DSR-7Q2K-4M9P", "123456", 30, "https://dsr.example.com/privacy/requests/DSR-7Q2K-4M9P?t=x", false)
	if m.Subject != "Bekræft din anmodning om sletning af dine oplysninger (DSR-7Q2K-4M9P): din kode" {
		t.Errorf("subject = %q", m.Subject)
	}
	for _, want := range []string{"Du har bedt os slette de personoplysninger, vi har om dig.", "Din kode er 123456. Den virker i 30 minutter.", "https://dsr.example.com/privacy/requests/DSR-7Q2K-4M9P?t=x"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the Danish code mail lacks %q:\n%s", want, m.Text)
		}
	}
	if r := CodeMail("nb", dsrflow.Access, "DSR-1", "654321", 30, "", true); !strings.HasPrefix(r.Text, "Vi venter fortsatt på at du bekrefter forespørselen din. Her er en ny kode.") {
		t.Errorf("the Norwegian reminder opens:\n%s", r.Text)
	} else if !strings.Contains(r.Text, "Du har bedt om innsyn") {
		t.Errorf("the Norwegian reminder does not say what was asked:\n%s", r.Text)
	}
}

// TestCodeMailNamesItsRight: the verification mail of each right that asks for a code names that right
// in its subject line and its first sentence, in every language, and no two rights share a subject or
// an opening (issue 17: the erasure code mail said "You asked us about the personal data we hold about
// you").
func TestCodeMailNamesItsRight(t *testing.T) {
	english := map[dsrflow.RequestType][2]string{
		dsrflow.Access:        {"request to see your data", "asked to see"},
		dsrflow.Portability:   {"request for a copy of your data", "machine-readable"},
		dsrflow.Rectification: {"request to correct your data", "asked us to correct"},
		dsrflow.Erasure:       {"request to erase your data", "asked us to erase"},
		dsrflow.Restriction:   {"request to restrict the use of your data", "asked us to restrict"},
		dsrflow.Objection:     {"Confirm your objection", "objected to"},
	}
	for _, right := range dsrflow.Rights {
		if right.Verification != dsrflow.VerifyEmailCode {
			continue
		}
		t.Run(string(right.Type), func(t *testing.T) {
			want, ok := english[right.Type]
			if !ok {
				t.Fatalf("a %s request asks for a code: add code.subject.%[1]s and code.intro.%[1]s to internal/answer/texts and to this test", right.Type)
			}
			m := CodeMail("en", right.Type, "DSR-1", "123456", 30, "", false)
			if !strings.Contains(m.Subject, want[0]) || !strings.Contains(m.Subject, "DSR-1") {
				t.Errorf("subject %q, want it to name the right (%q) and the reference", m.Subject, want[0])
			}
			if first, _, _ := strings.Cut(m.Text, "\n"); !strings.Contains(first, want[1]) {
				t.Errorf("the mail opens %q, want %q", first, want[1])
			}
			for _, language := range dsrflow.Languages {
				m := CodeMail(language, right.Type, "DSR-1", "123456", 30, "", false)
				generic := CodeMail(language, "", "DSR-1", "123456", 30, "", false)
				if m.Subject == generic.Subject || strings.HasPrefix(m.Text, strings.SplitN(generic.Text, "\n", 2)[0]) {
					t.Errorf("%s: the %s code mail is the generic one: %q\n%s", language, right.Type, m.Subject, m.Text)
				}
				for _, other := range dsrflow.Rights {
					if other.Type != right.Type && other.Verification == dsrflow.VerifyEmailCode &&
						CodeMail(language, other.Type, "DSR-1", "123456", 30, "", false).Subject == m.Subject {
						t.Errorf("%s: %s and %s share the subject %q", language, right.Type, other.Type, m.Subject)
					}
				}
			}
		})
	}
}

// TestExportSummaryInTheSubjectsLanguage: summary.html says its language and speaks it; summary.txt
// too; the dates are the language's.
func TestExportSummaryInTheSubjectsLanguage(t *testing.T) {
	c := demoController(t)
	in := answerCases(t)["access"]
	in.Language, in.Residence = "fi", "FR"
	var b bytes.Buffer
	if err := BuildExport(c, in, &b); err != nil {
		t.Fatal(err)
	}
	_, files := unzip(t, b.Bytes())
	html, text := files["summary.html"], files["summary.txt"]
	for _, want := range []string{
		`<html lang="fi">`,
		"Pyyntösi: tarkastuspyyntö, viite DSR-7Q2K-4M9P. Vastaanotimme sen 3. maaliskuuta 2025.",
		"<h2>Mitä löysimme</h2>",
		"Tietoja löytyi: 1 tietue.",
		"Voit tehdä valituksen valvontaviranomaiselle: Commission nationale de l&#39;informatique et des libertés (CNIL)",
		"<h2>Tämän vientitiedoston tiedostot</h2>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the Finnish summary.html lacks %q:\n%s", want, html)
		}
	}
	for _, want := range []string{"Mitä löysimme\n-------------", "Tietue 1\n", "Tietojesi käsittelystä", "Säilytysaika: 3 vuotta pyynnön sulkemisesta."} {
		if !strings.Contains(text, want) {
			t.Errorf("the Finnish summary.txt lacks %q:\n%s", want, text)
		}
	}
	for _, english := range []string{"What we found", "We found", "Your rights", "This export was made"} {
		if strings.Contains(html, english) || strings.Contains(text, english) {
			t.Errorf("the Finnish summary says %q", english)
		}
	}
}

func TestExtensionNoticeInTheSubjectsLanguage(t *testing.T) {
	due := time.Date(2030, 6, 3, 23, 59, 59, 0, mustZone("Europe/Helsinki"))
	m := ExtensionNotice("fi", "DSR-1", due, "Pyyntösi koskee useita järjestelmiä.")
	if m.Subject != "Pyyntösi DSR-1: tarvitsemme lisäaikaa" {
		t.Errorf("subject = %q", m.Subject)
	}
	if want := "Tarvitsemme lisäaikaa vastataksemme pyyntöösi DSR-1. Vastaamme viimeistään 3. kesäkuuta 2030.\n\nSyy: Pyyntösi koskee useita järjestelmiä.\n"; m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if en := ExtensionNotice("", "DSR-1", due, "x"); en.Text != "We need more time to answer your request DSR-1. We will answer by 3 June 2030.\n\nWhy: x\n" {
		t.Errorf("English text = %q", en.Text)
	}
}

// TestCCPAAnswerStaysEnglish: a CCPA request's answer is English whatever language was recorded, so
// that it never mixes the CCPA's English paragraphs with translated ones.
func TestCCPAAnswerStaysEnglish(t *testing.T) {
	c := demoController(t)
	in := answerCases(t)["access"]
	in.Jurisdiction, in.Language = CCPA, "fi"
	if m := Compose(c, in); !strings.HasPrefix(m.Subject, "Our answer to your access request") || strings.Contains(m.Text, "Hei,") {
		t.Errorf("the CCPA answer of a request recorded in Finnish:\n%s\n%s", m.Subject, m.Text)
	}
}
