package answer

import (
	"github.com/dsrflow/dsrflow"
)

// The texts of each dsrflow.RefusalGround, with the article it rests on, are refusal.<ground>.

// refused writes the answer to a request a reviewer refused (Input.Ground): the decision, its ground
// in plain words and the reasons as the reviewer wrote them.
func refused(w *textWriter, in Input) {
	l := in.lang()
	intro(w, l.t("rejected.decided", "request", l.longName(in.Type)), in)
	var p string
	if in.underCCPA() {
		var ok bool
		if p, ok = ccpaRefusalGrounds[dsrflow.RefusalGround(in.Ground)]; !ok {
			p = ccpaRefusalGrounds[dsrflow.RefusalOther]
		}
	} else {
		key := "refusal." + in.Ground
		if !l.has(key) {
			key = "refusal." + string(dsrflow.RefusalOther)
		}
		p = l.t(key)
	}
	if reason := sentence(in.Reason); reason != "" {
		p += "\n" + l.t("refusal.reasons", "reason", reason)
	}
	w.para(p)
}

// refusalRemedy is what a subject whose request was refused may do (GDPR Art. 12(4)): complain to the
// supervisory authority of their country (Art. 77), with its note, and go to court (Art. 79).
func refusalRemedy(c Controller, l lang, country string) string {
	a := c.Authority(country)
	p := l.t("refusal.remedy", "authority", a.Name, "url", a.URL)
	if as := l.addressSentence(a); as != "" {
		p += "\n" + as
	}
	if a.Note != "" {
		p += "\n" + sentence(a.Note)
	}
	return p
}
