package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// verificationFor is the verification of a new request of typ that asked for method (NewRequest's
// Verification, "" for none), given the right's default (none for opt-outs and absolute objections),
// or a problem to report on the verification field. A type the controller marks sensitive refuses an
// emailed code and takes eID when the front door offers it; without eID only an agent's attestation
// (checked before this) can verify it.
func (s *Service) verificationFor(typ dsrflow.RequestType, method string, def dsrflow.Verification) (dsrflow.Verification, string) {
	sensitive := def != dsrflow.VerifyNone && s.Sensitive.Has(typ)
	switch dsrflow.Verification(method) {
	case "":
		if !sensitive {
			return def, ""
		}
		if !s.EID {
			return "", fmt.Sprintf("a %s request is sensitive (controller.yaml verification.sensitive) and eID verification is not configured: only an agent's attestation (attest) verifies it", typ)
		}
		return dsrflow.VerifyEID, ""
	case dsrflow.VerifyEmailCode:
		if sensitive {
			return "", fmt.Sprintf("a %s request is sensitive (controller.yaml verification.sensitive): an emailed code does not verify it; use eid or an agent's attestation (attest)", typ)
		}
		if def == dsrflow.VerifyNone {
			return def, ""
		}
		return dsrflow.VerifyEmailCode, ""
	case dsrflow.VerifyEID:
		if !s.EID {
			return "", "eID verification is not configured at this front door (DSR_EID_ISSUER)"
		}
		if def == dsrflow.VerifyNone {
			return def, ""
		}
		return dsrflow.VerifyEID, ""
	}
	return "", "must be email_code or eid (an agent's attestation is attest, with its reason)"
}

// VerifyEID verifies request id with what an eID verification confirmed about its subject (the privacy
// center's callback, internal/web/privacy_eid.go): the national identity number becomes its keyed hash
// here, and only the hash, the name and the birth date reach the workflow (encrypted) and the store
// (encrypted under the request's data key). The request's record then says it was verified by eid.
func (s *Service) VerifyEID(ctx context.Context, id string, person dsrflow.EIDPerson) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	if person.NationalID == "" {
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.EINVALID, "an eID verification needs the national identity number")
	}
	confirmed := dsrflow.Identity{NationalID: s.Key.NationalIDHash(person.NationalID), Name: person.Name, Birthdate: person.Birthdate}
	st, err := s.update(ctx, id, workflows.UpdateVerified, workflows.VerifiedInput{Actor: actor(p), Method: dsrflow.VerifyEID, EID: &confirmed})
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	if !st.EID {
		// Verified before, by a code: that verification stands, and the record keeps it.
		return st, nil
	}
	if err := s.recordEID(ctx, id, confirmed); err != nil {
		return dsrflow.RequestState{}, err
	}
	return st, nil
}

// recordEID adds the confirmed identities to the request's stored detail and marks it verified by eid,
// as the workflow now holds them: the request's view and the answer read them from there.
func (s *Service) recordEID(ctx context.Context, id string, confirmed dsrflow.Identity) error {
	d, err := s.Store.GetRequestDetail(ctx, id)
	if err != nil {
		return err
	}
	var identity dsrflow.Identity
	details := map[string]any{}
	if len(d.Identity) > 0 {
		if err := json.Unmarshal(d.Identity, &identity); err != nil {
			return fmt.Errorf("read identity of %s: %w", id, err)
		}
	}
	if len(d.Details) > 0 {
		if err := json.Unmarshal(d.Details, &details); err != nil {
			return fmt.Errorf("read details of %s: %w", id, err)
		}
	}
	identity.NationalID = confirmed.NationalID
	if confirmed.Name != "" {
		identity.Name = confirmed.Name
	}
	if confirmed.Birthdate != "" {
		identity.Birthdate = confirmed.Birthdate
	}
	details["verification"] = dsrflow.VerifyEID
	idJSON, _ := json.Marshal(identity)
	detailsJSON, _ := json.Marshal(details)
	return s.Store.PutRequestDetail(ctx, store.RequestDetail{RequestID: id, Identity: idJSON, Details: detailsJSON})
}
