package web

import (
	"context"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// disclosurePage is an authority request's case as the console's request page shows it: the kind and
// its basis, the authority, the case, the order, the categories and how many subjects (never who),
// and the signed-in person's own vote once they have voted.
type disclosurePage struct {
	Kind, Basis                  string
	Authority, CaseRef           string
	LegalBasis, Statute          string
	CourtOrder, Court, OrderDate string
	OrderSHA256                  string
	Requested, Disclosed         []string
	Subjects, SubjectsDisclosed  int
	Outcome                      string
	Approvers                    []string
	GagUntil                     string
	// MyVote is the signed-in person's counted vote, nil before they vote: the page shows it in place of
	// the vote form.
	MyVote *DecisionView
}

// scopeSep joins the narrowing form's categories between the form and the decision.
const scopeSep = "\x1f"

func splitScope(v string) []string {
	var out []string
	for _, c := range strings.Split(v, scopeSep) {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// disclosurePage reads the disclosure's register row (the case is sealed there; the console reads it
// for everyone who may open the request, as the review card shows it) and finds the person's vote.
func (s *server) disclosurePage(ctx context.Context, v RequestView, principal string) (*disclosurePage, error) {
	d, err := s.Store.GetDisclosure(ctx, v.ID)
	if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
		// Not recorded yet (the workflow records it at once): the page shows the request alone.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &disclosurePage{
		Kind: string(d.Kind.Or()), Basis: d.Kind.Basis(d.Statute), Authority: d.Authority, CaseRef: d.CaseRef,
		LegalBasis: d.LegalBasis, Statute: d.Statute, CourtOrder: d.CourtOrder, Court: d.Court, OrderDate: d.OrderDate,
		OrderSHA256: d.OrderSHA256, Requested: d.CategoriesRequested, Disclosed: d.CategoriesDisclosed,
		Subjects: d.Subjects, SubjectsDisclosed: d.SubjectsDisclosed, Outcome: string(d.Outcome), Approvers: d.Approvers,
		GagUntil: d.GagUntil,
	}
	for i := range v.Decisions {
		if v.Decisions[i].Reviewer == principal {
			p.MyVote = &v.Decisions[i]
		}
	}
	return p, nil
}
