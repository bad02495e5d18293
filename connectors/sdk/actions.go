package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The per-action interfaces. A connector implements one method for each action it supports and hands
// the value to Actions, which makes the Handler for New:
//
//	type crm struct{ db *sql.DB }
//
//	func (c *crm) Access(ctx context.Context, job connectors.Job) (connectors.Result, error) { ... }
//	func (c *crm) Erase(ctx context.Context, job connectors.Job) (connectors.Result, error)  { ... }
//
//	h, err := sdk.Actions(&crm{db})   // h.Supported() is [access erase]: connectors.yaml's actions
//	srv := sdk.New(sdk.Options{Secret: secret}, h)
//
// Every method has Handler's contract: it returns the job's final Result (completed, not_found, exempt
// or failed); an error means the job was not done and dsrflow retries it, unless the error is wrapped in
// Permanent (422). Error texts are logged: they must hold no personal data. dsrflow sends a job again
// after timeouts and restarts, so each method must be safe to repeat.

// Locator answers a processor system's locate job: the customer tenants holding data about the job's
// identities (Result.Tenants, status completed; not_found when none), never records. A processor then
// gets access, erase, rectify or restrict jobs for one tenant (Job.Tenant), on that customer's
// instruction only.
type Locator interface {
	Locate(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Accessor returns the subject's data (GDPR Art. 15): the job's Records, by dataset, with the data
// category of each field. Job.Categories, when set, limits the answer to those categories; Job.Portable
// asks for machine-readable data only (Art. 20).
type Accessor interface {
	Access(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Eraser deletes the subject's data (Art. 17). Data kept on a legal basis is listed in the Result's
// Exemptions (Status exempt when nothing could go). Erasing what is already erased erases nothing.
type Eraser interface {
	Erase(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Rectifier corrects the subject's data (Art. 16): Job.Corrections maps a data category to its
// corrected value.
type Rectifier interface {
	Rectify(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Restricter restricts the processing of the subject's data (Art. 18): the data stays but is only
// stored, not otherwise used, until the restriction is lifted.
type Restricter interface {
	Restrict(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Unrestricter lifts a restriction of processing (action unrestrict, Art. 18(3)): dsrflow has told the
// subject before it sends the job.
type Unrestricter interface {
	Unrestrict(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Objector stops processing the subject objected to (Art. 21); Job.Grounds is the subject's stated
// grounds.
type Objector interface {
	Object(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// OptOuter stops marketing to and profiling of the subject (action optout, GDPR Art. 21(2)-(3)).
type OptOuter interface {
	OptOut(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// SaleOptOuter stops the sale and sharing of the subject's personal information (action optout_sale,
// the CCPA's do_not_sell).
type SaleOptOuter interface {
	OptOutSale(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// ConsentWithdrawer stops the processing based on consent for the purposes in Job.Purposes (Art. 7(3),
// action withdraw_consent).
type ConsentWithdrawer interface {
	WithdrawConsent(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Notifiee is told that data dsrflow's side disclosed to it was rectified, erased or restricted
// (Art. 19): Job.Cause names the request type. Partners usually support only this action.
type Notifiee interface {
	Notify(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// Purger deletes data whose last activity is before Job.Cutoff (retention sweeps). A purge job names
// no subject: Job.Identities may be empty.
type Purger interface {
	Purge(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// ErrNotSupported is wrapped, as a Permanent error, by ActionHandler.HandleJob for a job whose action
// the connector has no method for.
var ErrNotSupported = errors.New("action is not supported by this connector")

// actionMethods binds each action to the method of its interface, in the order of dsrflow's Action
// constants (the order of Supported).
var actionMethods = []struct {
	action dsrflow.Action
	method func(impl any) HandlerFunc // nil when impl lacks the method
}{
	{dsrflow.ActionAccess, func(impl any) HandlerFunc {
		if m, ok := impl.(Accessor); ok {
			return m.Access
		}
		return nil
	}},
	{dsrflow.ActionErase, func(impl any) HandlerFunc {
		if m, ok := impl.(Eraser); ok {
			return m.Erase
		}
		return nil
	}},
	{dsrflow.ActionRectify, func(impl any) HandlerFunc {
		if m, ok := impl.(Rectifier); ok {
			return m.Rectify
		}
		return nil
	}},
	{dsrflow.ActionRestrict, func(impl any) HandlerFunc {
		if m, ok := impl.(Restricter); ok {
			return m.Restrict
		}
		return nil
	}},
	{dsrflow.ActionUnrestrict, func(impl any) HandlerFunc {
		if m, ok := impl.(Unrestricter); ok {
			return m.Unrestrict
		}
		return nil
	}},
	{dsrflow.ActionObject, func(impl any) HandlerFunc {
		if m, ok := impl.(Objector); ok {
			return m.Object
		}
		return nil
	}},
	{dsrflow.ActionOptout, func(impl any) HandlerFunc {
		if m, ok := impl.(OptOuter); ok {
			return m.OptOut
		}
		return nil
	}},
	{dsrflow.ActionWithdrawConsent, func(impl any) HandlerFunc {
		if m, ok := impl.(ConsentWithdrawer); ok {
			return m.WithdrawConsent
		}
		return nil
	}},
	{dsrflow.ActionOptoutSale, func(impl any) HandlerFunc {
		if m, ok := impl.(SaleOptOuter); ok {
			return m.OptOutSale
		}
		return nil
	}},
	{dsrflow.ActionNotify, func(impl any) HandlerFunc {
		if m, ok := impl.(Notifiee); ok {
			return m.Notify
		}
		return nil
	}},
	{dsrflow.ActionPurge, func(impl any) HandlerFunc {
		if m, ok := impl.(Purger); ok {
			return m.Purge
		}
		return nil
	}},
	{dsrflow.ActionPurgeKept, func(impl any) HandlerFunc {
		if m, ok := impl.(KeptPurger); ok {
			return m.PurgeKept
		}
		return nil
	}},
	{dsrflow.ActionLocate, func(impl any) HandlerFunc {
		if m, ok := impl.(Locator); ok {
			return m.Locate
		}
		return nil
	}},
}

// ActionHandler is the Handler made by Actions: it hands each job to the method for its action.
type ActionHandler struct {
	methods   map[dsrflow.Action]HandlerFunc
	supported []dsrflow.Action
}

// Actions returns a Handler that runs each job with impl's method for the job's action: Access for
// access, Erase for erase, and so on (Accessor, Eraser, Rectifier, Restricter, Objector, OptOuter,
// ConsentWithdrawer, Notifiee, Purger, KeptPurger). A job whose action impl has no method for is a Permanent error
// (422). Actions fails when impl implements none of the interfaces.
func Actions(impl any) (*ActionHandler, error) {
	h := &ActionHandler{methods: map[dsrflow.Action]HandlerFunc{}}
	if impl != nil {
		for _, am := range actionMethods {
			if m := am.method(impl); m != nil {
				h.methods[am.action] = m
				h.supported = append(h.supported, am.action)
			}
		}
	}
	if len(h.supported) == 0 {
		return nil, fmt.Errorf("sdk: %T implements no action: give it a method such as Access or Erase", impl)
	}
	return h, nil
}

// HandleJob implements Handler.
func (h *ActionHandler) HandleJob(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	m, ok := h.methods[job.Action]
	if !ok {
		return connectors.Result{}, Permanent(fmt.Errorf("%w: %q", ErrNotSupported, job.Action))
	}
	return m(ctx, job)
}

// Supported returns the actions the connector implements, in the order of dsrflow's Action constants:
// what its connectors.yaml entry lists under actions.
func (h *ActionHandler) Supported() []dsrflow.Action {
	return slices.Clone(h.supported)
}
