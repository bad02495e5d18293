package sdk

import (
	"context"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
)

// Kept is the exemption an Eraser returns for records it keeps under a keep rule (GDPR Art. 17(3)(b)):
// the until-date is counted from the latest of the records' dates, in the owner's financial year
// (fyEnd; zero is 31 December), by connectors.KeepRule.Until, as dsrflow counts it everywhere:
//
//	bookkeeping := connectors.KeepRule{Basis: "legal_obligation", Detail: "Bookkeeping Act: 5 years after
//		the end of the financial year", Years: 5, YearsAfter: connectors.YearsAfterFinancialYear}
//	ex := sdk.Kept(bookkeeping, connectors.YearEnd{}, "invoices", []string{"user.financial.invoice"}, dates...)
func Kept(rule connectors.KeepRule, fyEnd connectors.YearEnd, dataset string, categories []string, dates ...time.Time) connectors.Exemption {
	var latest *time.Time
	for _, d := range dates {
		if latest == nil || d.After(*latest) {
			latest = &d
		}
	}
	return rule.Exemption(dataset, categories, latest, fyEnd)
}

// KeptPurger deletes kept records whose period has ended (action purge_kept): Job.Kept names them by the
// Ref its Eraser gave their exemptions. It deletes exactly the rows each ref names whose own period has
// ended by Job.Cutoff, and answers completed with counts purged (rows) and kept_refs (the refs handled:
// all of Job.Kept, or dsrflow does not record them deleted).
type KeptPurger interface {
	PurgeKept(ctx context.Context, job connectors.Job) (connectors.Result, error)
}
