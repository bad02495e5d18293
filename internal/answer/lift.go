package answer

import (
	"fmt"
	"strings"
)

// LiftNotice is the message that tells the subject, before it happens, that the restriction of their
// request is being lifted (GDPR Art. 18(3)), with the reason and where to complain.
func LiftNotice(c Controller, requestID, country, reason string) Message {
	w := &textWriter{}
	w.para("Hello,")
	w.para(fmt.Sprintf("You asked us to restrict the use of your personal data (reference %s). "+
		"We are writing to tell you, before we do it, that we are lifting that restriction.", requestID))
	if r := strings.TrimSpace(reason); r != "" {
		w.para("Our reason: " + sentence(r))
	}
	w.para("Once it is lifted, we may use your data again for the purposes we told you about, as before your request.")
	w.para(Remedy(c, country, "If you disagree"))
	return Message{Subject: fmt.Sprintf("We are lifting the restriction you asked for (reference %s)", requestID), Text: w.String()}
}
