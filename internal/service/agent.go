package service

import (
	"encoding/hex"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
)

// checkAgent checks the authorized agent of a new request, if it has one, and returns it cleaned; each
// problem goes into fields under the agent's field name. An agent submits only under the CCPA (Cal.
// Civ. Code §1798.135(c), 11 CCR 7063): the GDPR lets a subject mandate someone, but dsrflow has no
// mandate check for it, so it is not taken. The consumer still verifies the request themselves (11 CCR
// 7063(a)(1)): the code goes to the consumer's address, which must not be the agent's, and an agent's
// request cannot be attested by staff instead.
func checkAgent(in dsrflow.NewRequest, subjectEmail string, j deadline.Jurisdiction, fields map[string]string) *dsrflow.Agent {
	if in.Agent == nil {
		return nil
	}
	a := dsrflow.Agent{Name: strings.TrimSpace(in.Agent.Name), Email: strings.TrimSpace(in.Agent.Email),
		PermissionSHA256: strings.ToLower(strings.TrimSpace(in.Agent.PermissionSHA256))}
	if j != deadline.CCPA {
		fields["agent"] = "an authorized agent may submit a request under ccpa only"
	}
	switch {
	case a.Name == "":
		fields["agent.name"] = "the agent's name is required"
	case len(a.Name) > 200:
		fields["agent.name"] = "must be at most 200 characters"
	}
	switch {
	case len(a.Email) > maxEmail:
		fields["agent.email"] = "must be at most 254 characters"
	case !ValidEmail(a.Email):
		fields["agent.email"] = "not a valid email address"
	case strings.EqualFold(a.Email, subjectEmail):
		fields["agent.email"] = "must not be the subject's address: the subject verifies the request at their own address"
	}
	if b, err := hex.DecodeString(a.PermissionSHA256); err != nil || len(b) != 32 {
		fields["agent.permission_sha256"] = "must be the SHA-256 of the signed permission, 64 hex digits"
	}
	if strings.TrimSpace(in.Attest) != "" {
		fields["attest"] = "a request by an authorized agent is verified by the subject, not attested"
	}
	return &a
}
