package answer

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
)

// The subject's mails are written in the request's language (dsrflow.Languages). Their texts live in
// one file per language, texts/<lang>.json, keyed like texts/en.json and with the same {placeholders}
// (TestAnswerTextsComplete). Legal terms follow each language's official text of the GDPR (EUR-Lex):
// personvernforordningen (nb, as incorporated in Norwegian law), dataskyddsförordningen (sv),
// databeskyttelsesforordningen (da), tietosuoja-asetus (fi).

//go:embed texts/*.json
var textFiles embed.FS

// catalogs maps a language to its texts; a broken file is a build mistake.
var catalogs = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range dsrflow.Languages {
		b, err := textFiles.ReadFile("texts/" + l + ".json")
		if err != nil {
			panic(fmt.Sprintf("answer: texts/%s.json: %v", l, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("answer: texts/%s.json: %v", l, err))
		}
		out[l] = m
	}
	return out
})

// lang is the language a message is written in; the zero value is English.
type lang string

// langOf returns the language of code (dsrflow.ParseLanguage), English for an empty or unknown one.
func langOf(code string) lang {
	if l, ok := dsrflow.ParseLanguage(code); ok {
		return lang(l)
	}
	return lang(dsrflow.DefaultLanguage)
}

// t returns the text under key with its {placeholders} filled from the name, value pairs in args. A key
// missing in a language falls back to English; one missing in English is a bug and panics.
func (l lang) t(key string, args ...string) string {
	s, ok := catalogs()[string(l)][key]
	if !ok {
		if s, ok = catalogs()[dsrflow.DefaultLanguage][key]; !ok {
			panic(fmt.Sprintf("answer: no text %q", key))
		}
	}
	if len(args) == 0 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	// A text that opens with a placeholder ("{request} ble kansellert") opens a sentence with it.
	if strings.HasPrefix(s, "{") {
		return capitalize(strings.NewReplacer(pairs...).Replace(s))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// has reports whether the language (or English) has a text under key.
func (l lang) has(key string) bool {
	if _, ok := catalogs()[string(l)][key]; ok {
		return true
	}
	_, ok := catalogs()[dsrflow.DefaultLanguage][key]
	return ok
}

// monthNames are the months as a date says them: Finnish in the partitive ("2. huhtikuuta 2030").
var monthNames = map[lang][12]string{
	"nb": {"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"},
	"sv": {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
	"da": {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
	"fi": {"tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"},
}

// FormatDate writes a date as the subject's language does: "2 April 2030" (en), "2. april 2030" (nb,
// da), "2 april 2030" (sv), "2. huhtikuuta 2030" (fi). The date is t's in its own location. An unknown
// language is English.
func FormatDate(language string, t time.Time) string { return langOf(language).date(t) }

func (l lang) date(t time.Time) string {
	months, ok := monthNames[l]
	if !ok {
		return t.Format(dateFormat)
	}
	day := strconv.Itoa(t.Day())
	if l != "sv" {
		day += "." // ordinal dot: Norwegian, Danish and Finnish write "2."
	}
	return day + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// list joins words as the language does: "a, b and c", "a, b og c", "a, b och c", "a, b ja c".
func (l lang) list(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + l.t("list.and") + " " + words[len(words)-1]
}

// plural says n of something: key+".one" for one, key+".many" otherwise, each with {n}.
func (l lang) plural(n int, key string) string {
	if n == 1 {
		return l.t(key+".one", "n", "1")
	}
	return l.t(key+".many", "n", strconv.Itoa(n))
}

// CodeMail is the message that gives the subject a verification code for request ref, in their language:
// what they asked for (a request they did not make stands out), the code and how long it works, the
// status page's link when there is one, and that nothing happens without the code. reminder: the
// request still waits for its code, and this is a new one.
func CodeMail(language string, typ dsrflow.RequestType, ref, code string, minutes int, link string, reminder bool) Message {
	l := langOf(language)
	intro := l.t("code.intro.other")
	if k := "code.intro." + string(typ); l.has(k) {
		intro = l.t(k)
	}
	if reminder {
		// A reminder still says which right it is about.
		intro = l.t("code.reminder") + " " + intro
	}
	text := intro + "\n\n" + l.t("code.code", "code", code, "minutes", strconv.Itoa(minutes)) + "\n"
	if link != "" {
		text += "\n" + l.t("code.link") + "\n" + link + "\n"
	}
	text += "\n" + l.t("code.ignore") + "\n"
	// The subject line names the right too (issue 17), so that a mail about an erasure never reads like
	// one about access.
	subject := l.t("code.subject", "ref", ref)
	if k := "code.subject." + string(typ); l.has(k) {
		subject = l.t(k, "ref", ref)
	}
	return Message{Subject: subject, Text: text}
}

// EIDMail asks the subject to verify request ref (of type typ) with their electronic ID on its status
// page (link), in their language: a request of a type the controller marks sensitive gets this mail
// instead of a code (CodeMail).
func EIDMail(language string, typ dsrflow.RequestType, ref, link string, reminder bool) Message {
	l := langOf(language)
	intro := l.t("code.intro.other")
	if k := "code.intro." + string(typ); l.has(k) {
		intro = l.t(k)
	}
	if reminder {
		intro = l.t("eid.reminder")
	}
	text := intro + "\n\n" + l.t("eid.intro") + "\n"
	if link != "" {
		text += "\n" + l.t("eid.link") + "\n" + link + "\n"
	}
	text += "\n" + l.t("eid.ignore") + "\n"
	return Message{Subject: l.t("eid.subject", "ref", ref), Text: text}
}

// HasCodeIntro reports whether the code mail of a request of typ says what was asked for.
func HasCodeIntro(typ dsrflow.RequestType) bool { return lang("").has("code.intro." + string(typ)) }

// Say returns the text under key (texts/<lang>.json) in language, its {placeholders} filled from the
// name, value pairs in args: for the few sentences other packages put into a subject's message.
func Say(language, key string, args ...string) string { return langOf(language).t(key, args...) }

// ExtensionNotice tells the subject, in their language, that the deadline of request ref is extended to
// due (a time in the handling entity's zone) and why (GDPR Art. 12(3)); reason is shown as written.
func ExtensionNotice(language, ref string, due time.Time, reason string) Message {
	l := langOf(language)
	text := l.t("extension.text", "ref", ref, "date", l.date(due)) + "\n\n" + l.t("extension.why", "reason", reason) + "\n"
	return Message{Subject: l.t("extension.subject", "ref", ref), Text: text}
}
