package service

import (
	"context"
	"encoding/json"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
)

// GPCAction is the audit action of an opt-out recorded from a Global Privacy Control signal: on the
// request whose page the signal came with (detail opt_out: the do_not_sell request) and on the
// do_not_sell request (detail signal_on: the request whose page it came with).
const GPCAction = "gpc_opt_out"

// verifiedAction is the workflow's audit action once the subject proved the address (workflows.UpdateVerified).
const verifiedAction = "identity_verified"

// RecordGPC implements dsrflow.RequestService.
//
// Cal. Code Regs. tit. 11 §7025(c)(1): a business treats an opt-out preference signal (GPC's Sec-GPC: 1
// header) as a valid request to opt out of sale/sharing under Cal. Civ. Code §1798.120 for the browser
// and, "if known", for the consumer; §7025(c)(2): it asks for nothing more. The consumer is known here
// only once they proved the address of the request whose page they visit; the opt-out is then a
// do_not_sell request for that address (no verification, like every opt-out), started like any other.
func (s *Service) RecordGPC(ctx context.Context, id string) (dsrflow.GPCOptOut, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.GPCOptOut{}, err
	}
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		return dsrflow.GPCOptOut{}, err
	}
	verified := false
	for _, e := range events {
		switch e.Action {
		case GPCAction:
			// Recorded on an earlier visit: the browser sends the signal with every page.
			return dsrflow.GPCOptOut{Identified: true, OptOutID: e.Detail["opt_out"]}, nil
		case verifiedAction:
			verified = true
		}
	}
	if !verified {
		return dsrflow.GPCOptOut{}, nil
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.GPCOptOut{}, err
	}
	detail, err := s.Store.GetRequestDetail(ctx, id)
	if err != nil {
		return dsrflow.GPCOptOut{}, err
	}
	var who dsrflow.Identity
	if err := json.Unmarshal(detail.Identity, &who); err != nil || who.Email == "" {
		return dsrflow.GPCOptOut{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s has no subject address", id)
	}
	created, err := s.CreateRequest(ctx, dsrflow.NewRequest{Type: string(dsrflow.DoNotSell), Email: who.Email, Name: who.Name,
		Jurisdiction: string(deadline.CCPA), Channel: "web", Language: req.Language})
	optOut := created.ID
	if e, ok := err.(*dsrflow.Error); ok && e.Code == dsrflow.ECONFLICT && e.Fields["existing_id"] != "" {
		// An opt-out of sale/sharing is open for the address already: it carries this signal too.
		optOut, err = e.Fields["existing_id"], nil
	}
	if err != nil {
		return dsrflow.GPCOptOut{}, err
	}
	at := s.now().UTC()
	for _, e := range []store.AuditEvent{
		{At: at, RequestID: id, Action: GPCAction, Actor: p.ID, Detail: map[string]string{"opt_out": optOut}},
		{At: at, RequestID: optOut, Action: GPCAction, Actor: p.ID, Detail: map[string]string{"signal_on": id}},
	} {
		if _, err := s.Store.AppendAudit(ctx, e); err != nil {
			return dsrflow.GPCOptOut{}, err
		}
	}
	return dsrflow.GPCOptOut{Identified: true, OptOutID: optOut}, nil
}
