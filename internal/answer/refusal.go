package answer

import (
	"fmt"

	"github.com/dsrflow/dsrflow"
)

// refusalGrounds say each dsrflow.RefusalGround to the subject, with the article it rests on.
var refusalGrounds = map[dsrflow.RefusalGround]string{
	dsrflow.RefusalManifestlyUnfounded: "We consider your request manifestly unfounded, so we do not act on it (GDPR Article 12(5)).",
	dsrflow.RefusalManifestlyExcessive: "We consider your request manifestly excessive, for example because it repeats a request we answered recently, so we do not act on it (GDPR Article 12(5)).",
	dsrflow.RefusalIdentityNotConfirmed: "We tried, but could not confirm that you are the person the request is about, so we cannot act on it (GDPR Articles 11(2) and 12(6)). " +
		"You may send a new request with information that lets us confirm who you are.",
	dsrflow.RefusalOther: "We have decided not to act on your request.",
}

// refused writes the answer to a request a reviewer refused (Input.Ground): the decision, its ground
// in plain words and the reasons as the reviewer wrote them.
func refused(w *textWriter, in Input) {
	intro(w, "We have decided not to carry out your "+longName(in.Type)+".", in)
	grounds := refusalGrounds
	if in.underCCPA() {
		grounds = ccpaRefusalGrounds
	}
	p, ok := grounds[dsrflow.RefusalGround(in.Ground)]
	if !ok {
		p = grounds[dsrflow.RefusalOther]
	}
	if reason := sentence(in.Reason); reason != "" {
		p += "\nOur reasons: " + reason
	}
	w.para(p)
}

// refusalRemedy is what a subject whose request was refused may do (GDPR Art. 12(4)): complain to the
// supervisory authority of their country (Art. 77), with its note, and go to court (Art. 79).
func refusalRemedy(c Controller, country string) string {
	a := c.Authority(country)
	p := fmt.Sprintf("If you disagree with our decision, you have the right to complain to the supervisory authority, %s: %s\n"+
		"You also have the right to an effective judicial remedy: you can take the matter to the courts of the country where you live or where we are established (GDPR Articles 77 and 79).",
		a.Name, a.URL)
	if as := a.addressSentence(); as != "" {
		p += "\n" + as
	}
	if a.Note != "" {
		p += "\n" + sentence(a.Note)
	}
	return p
}
