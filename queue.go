package dsrflow

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The support team's work queue: who handles a request, the team's notes, and the subject as staff see
// them (masked).

// SubjectView is the subject of a request as the console's agents and DPO see it: masked (MaskEmail,
// MaskName), enough to recognise a caller, not to copy an address.
type SubjectView struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// Assigned is the answer to AssignRequest.
type Assigned struct {
	ID       string `json:"id"`
	Assignee string `json:"assignee"`
}

// NoteView is one internal note of the team on a request.
type NoteView struct {
	ID     int64     `json:"id"`
	Author string    `json:"author"`
	Time   time.Time `json:"time"`
	Text   string    `json:"text"`
}

// ObjectionView is what an objection asks: the subject's grounds (Art. 21(1)), the purposes objected to
// and the systems (connectors) that process for them.
type ObjectionView struct {
	Grounds  string   `json:"grounds,omitempty"`
	Purposes []string `json:"purposes"`
	Systems  []string `json:"systems"`
}

// MaxNote is the longest note, in characters.
const MaxNote = 4000

// MaskEmail keeps an address's first character and its domain: "jane@example.com" is "j***@example.com".
func MaskEmail(email string) string {
	email = strings.TrimSpace(email)
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		if email == "" {
			return ""
		}
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// MaskName keeps the first name and the initial of the last: "Jane Smith" is "Jane S.", "Jane" stays.
func MaskName(name string) string {
	parts := strings.Fields(name)
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	r, _ := utf8.DecodeRuneInString(parts[len(parts)-1])
	return parts[0] + " " + string(r) + "."
}
