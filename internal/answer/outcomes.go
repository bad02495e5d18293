package answer

import (
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The answer is composed from per-item outcomes: each field to correct and each purpose to withdraw
// consent for is done, not held, or not possible (why), per system; a system that could not act, or that
// cannot act on this right at all, is named. Whatever was not done carries its reason, then the
// supervisory authority and the judicial remedy (GDPR Art. 12(4)).

// PartnerReceipt is a partner that received the subject's data: the recipients (connectors.yaml) of the
// subsidiaries whose jobs of the request found the subject.
type PartnerReceipt struct {
	// Owner is the partner's legal entity: "Example Ad Partner Ltd".
	Owner string
	// From are the owners of the group's systems it received the data from.
	From []string
}

// System is one of the group's systems that cannot carry out the request's action (it does not list it
// in connectors.yaml), so no job went to it.
type System struct {
	Owner       string
	ConnectorID string
	// Categories are the data categories it declares.
	Categories []string
}

// Remedy is the sentence that follows anything dsrflow did not do, a refusal included (GDPR Art. 12(4)):
// the supervisory authority for the subject's country of residence (Controller.Authority), with its postal address, and the right to go to
// court. lead opens it, as in "If you disagree with our decision"; empty, the sentence starts with "You
// can complain".
func Remedy(c Controller, country, lead string) string { return lang("").remedy(c, country, lead) }

func (l lang) remedy(c Controller, country, lead string) string {
	a := c.Authority(country)
	var s string
	if lead = strings.TrimSpace(lead); lead != "" {
		s = l.t("remedy.lead", "lead", lead, "authority", a.Name, "url", a.URL)
	} else {
		s = l.t("remedy", "authority", a.Name, "url", a.URL)
	}
	if as := l.addressSentence(a); as != "" {
		s += "\n" + as
	}
	if a.Note != "" {
		s += "\n" + sentence(a.Note)
	}
	return s
}

// itemOutcomes is what came of one item (a field, a purpose) across the systems asked.
type itemOutcomes struct {
	item        string
	done        []string // owners
	notPossible []string // "Owner: reason"
}

// hasItems reports whether the right names items the answer accounts for one by one.
func hasItems(t dsrflow.RequestType) bool {
	return t == dsrflow.Rectification || t == dsrflow.ConsentWithdrawal
}

// requestedItems are the items the subject named: the categories to correct, or the purposes.
func requestedItems(in Input) []string {
	switch in.Type {
	case dsrflow.Rectification:
		items := make([]string, 0, len(in.Corrections))
		for k := range in.Corrections {
			items = append(items, k)
		}
		return sortedUnique(items)
	case dsrflow.ConsentWithdrawal:
		return sortedUnique(in.Purposes)
	}
	return nil
}

// perItem gathers each requested item's outcomes over the subsidiaries' jobs. A job that reported no
// items counts every item as done when it completed; a failed one is reported on its own (notDone).
func perItem(in Input, subs []Outcome) []itemOutcomes {
	var out []itemOutcomes
	for _, item := range requestedItems(in) {
		io := itemOutcomes{item: item}
		for _, o := range subs {
			if o.Action != in.Type.Action() {
				continue
			}
			if len(o.Items) == 0 {
				if o.Status == connectors.StatusCompleted || o.Status == connectors.StatusExempt {
					io.done = append(io.done, o.Owner)
				}
				continue
			}
			for _, r := range o.Items {
				if r.Item != item {
					continue
				}
				switch r.Outcome {
				case connectors.ItemDone:
					io.done = append(io.done, o.Owner)
				case connectors.ItemNotPossible:
					io.notPossible = append(io.notPossible, o.Owner+": "+reasonText(in.lang(), r.Reason))
				}
			}
		}
		io.done, io.notPossible = sortedUnique(io.done), sortedUnique(io.notPossible)
		out = append(out, io)
	}
	return out
}

func reasonText(l lang, r string) string {
	if r = strings.TrimRight(strings.Join(strings.Fields(r), " "), "."); r == "" {
		return l.t("item.no_reason")
	}
	return r
}

// itemName names an item for the subject: a field ("name", "address") or a purpose's name.
func itemName(c Controller, t dsrflow.RequestType, item string) string {
	if t == dsrflow.ConsentWithdrawal {
		if p, ok := c.purpose(item); ok {
			return p.Name
		}
	}
	return humanize(item)
}

// itemsParagraph says, for rectification and consent withdrawal, which items were done and which not.
func itemsParagraph(c Controller, in Input, subs []Outcome) string {
	var done, not []string
	for _, io := range perItem(in, subs) {
		if len(io.done) > 0 {
			done = append(done, itemName(c, in.Type, io.item))
		} else {
			not = append(not, itemName(c, in.Type, io.item))
		}
	}
	l := in.lang()
	var p string
	switch in.Type {
	case dsrflow.Rectification:
		if len(done) > 0 {
			p = l.t("items.corrected", "items", l.list(done))
		}
		if len(not) > 0 {
			p = joinSentences(p, l.t("items.not_corrected", "items", l.list(not)))
		}
	case dsrflow.ConsentWithdrawal:
		if len(done) > 0 {
			p = l.t("items.consent_withdrawn", "items", l.list(done))
		}
		if len(not) > 0 {
			p = joinSentences(p, l.t("items.consent_unchanged", "items", l.list(not)))
		}
	}
	return p
}

// itemLines says per system what came of the items it was asked about, as list items.
func itemLines(c Controller, l lang, t dsrflow.RequestType, o Outcome) []string {
	kind := itemKind(t)
	var done []string
	var lines []string
	for _, r := range o.Items {
		switch r.Outcome {
		case connectors.ItemDone:
			done = append(done, itemName(c, t, r.Item))
		case connectors.ItemNotPossible:
			lines = append(lines, "- "+l.t("item.not_possible."+kind, "item", itemName(c, t, r.Item), "reason", reasonText(l, r.Reason)))
		}
	}
	if len(done) > 0 {
		lines = append([]string{"- " + l.t("item.done."+kind, "items", l.list(done))}, lines...)
	}
	if len(lines) == 0 {
		lines = []string{"- " + l.t("item.none_held."+kind)}
	}
	return lines
}

// unableText is the text key saying what a system that lacks the right's action cannot do.
var unableText = map[dsrflow.Action]string{
	dsrflow.ActionRectify:         "unable.rectify",
	dsrflow.ActionObject:          "unable.object",
	dsrflow.ActionWithdrawConsent: "unable.withdraw_consent",
}

// notDone lists, with reasons, every part of the request that was not carried out: items not done,
// systems that failed or cannot act on the right.
func notDone(c Controller, in Input, subs []Outcome) []string {
	l := in.lang()
	var lines []string
	if hasItems(in.Type) {
		for _, io := range perItem(in, subs) {
			name := itemName(c, in.Type, io.item)
			for _, np := range io.notPossible {
				owner, why, _ := strings.Cut(np, ": ")
				lines = append(lines, "- "+l.t("notdone.item."+itemKind(in.Type), "item", name, "owner", owner, "reason", why))
			}
			if len(io.done) > 0 || len(io.notPossible) > 0 {
				continue
			}
			s := "- " + l.t("notdone.none_held."+itemKind(in.Type), "item", name)
			if holders := holdersOf(in, io.item); len(holders) > 0 {
				s += " " + l.t("notdone.holders", "owners", l.list(holders))
			}
			lines = append(lines, s)
		}
	}
	for _, o := range subs {
		if o.Status != connectors.StatusFailed || (hasItems(in.Type) && len(o.Items) > 0) {
			continue
		}
		if o.ToSubject && strings.TrimSpace(o.Detail) != "" {
			// A person marked the job failed with a reason written for the subject.
			lines = append(lines, "- "+ownerOr(c, o.Owner)+": "+l.t("notdone.failed")+" "+sentence(o.Detail))
			continue
		}
		// The connector's failure text is for agents, not the subject.
		lines = append(lines, "- "+ownerOr(c, o.Owner)+": "+l.t("notdone.failed_deadline"))
	}
	if key, ok := unableText[in.Type.Action()]; ok {
		for _, owner := range unableOwners(c, in) {
			lines = append(lines, "- "+owner+": "+l.t(key))
		}
	}
	return lines
}

// itemKind names the texts of a right's items: "consent" for consent withdrawal, else "rectification".
func itemKind(t dsrflow.RequestType) string {
	if t == dsrflow.ConsentWithdrawal {
		return "consent"
	}
	return "rectification"
}

// holdersOf names the companies whose systems declare the category but cannot correct data.
func holdersOf(in Input, category string) []string {
	var owners []string
	for _, s := range in.Unable {
		if slices.ContainsFunc(s.Categories, func(c string) bool { return c == category || strings.HasPrefix(category, c+".") }) {
			owners = append(owners, s.Owner)
		}
	}
	return sortedUnique(owners)
}

// unableOwners names the companies whose systems cannot act on the right at all (for rectification,
// only those holding a category the subject asked to correct: they are named with the item).
func unableOwners(c Controller, in Input) []string {
	if in.Type == dsrflow.Rectification {
		return nil
	}
	var owners []string
	for _, s := range in.Unable {
		owners = append(owners, ownerOr(c, s.Owner))
	}
	return sortedUnique(owners)
}

func ownerOr(c Controller, owner string) string {
	if owner == "" {
		return c.Name
	}
	return owner
}

// actedOn reports whether some subsidiary acted on the subject's data for the request's action.
func actedOn(in Input, subs []Outcome) bool {
	return slices.ContainsFunc(subs, func(o Outcome) bool {
		return o.Action == in.Type.Action() && (o.Status == connectors.StatusCompleted || o.Status == connectors.StatusExempt)
	})
}

// receivedLines names the partners that received the subject's data and from whom.
func receivedLines(in Input) []string {
	l := in.lang()
	var lines []string
	for _, r := range in.Recipients {
		s := "- " + r.Owner
		if from := sortedUnique(r.From); len(from) > 0 {
			s += ", " + l.t("received.from", "owners", l.list(from))
		}
		lines = append(lines, s+".")
	}
	slices.Sort(lines)
	return lines
}

// joinSentences joins the non-empty sentences with a space.
func joinSentences(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// allReceived reports whether every partner told of the request is among those that received the data.
func allReceived(partners []Outcome, received []PartnerReceipt) bool {
	for _, o := range partners {
		if !slices.ContainsFunc(received, func(r PartnerReceipt) bool { return r.Owner == o.Owner }) {
			return false
		}
	}
	return true
}
