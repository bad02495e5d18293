package dsrflow

import "strings"

// RefusalGround is why a controller refuses to act on a request (GDPR Art. 12(5), 12(2) with 11(2),
// 12(6)). A refusal is a reviewer's or the DPO's decision, never automatic; the subject is told the
// ground, the reasons, the supervisory authority and the judicial remedy (Art. 12(4)).
type RefusalGround string

// Refusal grounds.
const (
	// RefusalManifestlyUnfounded: Art. 12(5)(b), a request manifestly unfounded.
	RefusalManifestlyUnfounded RefusalGround = "manifestly_unfounded"
	// RefusalManifestlyExcessive: Art. 12(5)(b), a request manifestly excessive, in particular
	// because of its repetitive character.
	RefusalManifestlyExcessive RefusalGround = "manifestly_excessive"
	// RefusalIdentityNotConfirmed: Art. 12(2) with 11(2) and 12(6), the controller could not identify
	// the subject after a reasonable attempt.
	RefusalIdentityNotConfirmed RefusalGround = "identity_not_confirmed"
	// RefusalOther: another ground the reasons name (another law restricting the right, Art. 23).
	RefusalOther RefusalGround = "other"
)

// RefusalGrounds lists the grounds in the order forms offer them.
var RefusalGrounds = []RefusalGround{RefusalManifestlyUnfounded, RefusalManifestlyExcessive, RefusalIdentityNotConfirmed, RefusalOther}

// Valid reports whether g is one of RefusalGrounds.
func (g RefusalGround) Valid() bool {
	for _, v := range RefusalGrounds {
		if g == v {
			return true
		}
	}
	return false
}

// RefusalGroundList is the grounds for messages: "manifestly_unfounded, manifestly_excessive, ...".
func RefusalGroundList() string {
	names := make([]string, len(RefusalGrounds))
	for i, g := range RefusalGrounds {
		names[i] = string(g)
	}
	return strings.Join(names, ", ")
}

// Refusal is a reviewer's or the DPO's decision not to act on a request (POST
// /api/v1/requests/{id}/refusal). Key, the caller's idempotency key, makes a retried refusal count once.
type Refusal struct {
	Ground string `json:"ground"`
	Reason string `json:"reason"`
	Key    string `json:"-"`
}
