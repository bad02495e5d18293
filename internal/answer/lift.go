package answer

import (
	"strings"
)

// LiftNotice is the message that tells the subject, in their language (dsrflow.Languages; empty:
// English), before it happens, that the restriction of their request is being lifted (GDPR Art. 18(3)),
// with the reason and where to complain.
func LiftNotice(c Controller, requestID, country, language, reason string) Message {
	l := langOf(language)
	w := &textWriter{}
	w.para(l.t("hello"))
	w.para(l.t("lift.intro", "ref", requestID))
	if r := strings.TrimSpace(reason); r != "" {
		w.para(l.t("rejected.reason", "reason", sentence(r)))
	}
	w.para(l.t("lift.after"))
	w.para(l.remedy(c, country, l.t("lead.disagree")))
	return Message{Subject: l.t("lift.subject", "ref", requestID), Text: w.String()}
}
