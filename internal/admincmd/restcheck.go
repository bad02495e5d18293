package admincmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/rest"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
)

// restRead is `connector check --connector ID` without --url: a rest connector's reads for a test
// identity, shown without acting.
type restRead struct {
	path        string
	email       string
	phone       string
	name        string
	customerIDs []string
	showValues  bool
}

func (r *restRead) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.path, "connectors", "", "without --url: path of connectors.yaml (default $DSR_CONNECTORS, else ./connectors.yaml)")
	f.StringVar(&r.email, "email", "", "without --url: the test subject's email address")
	f.StringVar(&r.phone, "phone", "", "without --url: the test subject's phone number")
	f.StringVar(&r.name, "name", "", "without --url: the test subject's name")
	f.StringArrayVar(&r.customerIDs, "customer-id", nil, "without --url: SYSTEM=ID, the test subject's id in a system (repeatable)")
	f.BoolVar(&r.showValues, "show-values", false, "without --url: print the values found, not only field names (personal data: mind where the output goes)")
}

func (r *restRead) run(cmd *cobra.Command, getenv func(string) string, id string, asJSON bool) error {
	subject := dsrflow.Identity{Email: r.email, Phone: r.phone, Name: r.name}
	for _, kv := range r.customerIDs {
		system, value, ok := strings.Cut(kv, "=")
		if !ok || system == "" || value == "" {
			return app.UsageError{Err: fmt.Errorf("--customer-id %q wants SYSTEM=ID", system)}
		}
		subject = connectors.WithIdentity(subject, dsrflow.IdentityCustomerID+":"+system, value)
	}
	if len(subject.Types()) == 0 {
		return app.UsageError{Err: fmt.Errorf("--email, --phone, --name or --customer-id is required: the test subject to read (or give --url to check a protocol v1 connector)")}
	}
	path := r.path
	if path == "" {
		path = getenv("DSR_CONNECTORS")
	}
	if path == "" {
		path = "connectors.yaml"
	}
	reg, err := connectors.Load(path, getenv)
	if err != nil {
		return app.UsageError{Err: err}
	}
	conn, ok := reg.Get(id)
	switch {
	case !ok:
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "connector %s is not in %s", id, path)
	case conn.Kind != rest.Name:
		return dsrflow.Errorf(dsrflow.EINVALID, "connector %s is kind %s; without --url, check reads rest connectors (give --url and --secret-env to check an http one)", id, conn.Kind)
	}
	runner, err := connectors.Open(cmd.Context(), conn, connectors.Env{Getenv: getenv})
	if err != nil {
		return err
	}
	defer func() { _ = runner.Close() }()
	rr, ok := runner.(*rest.Runner)
	if !ok {
		return fmt.Errorf("connector %s: its runner is not a rest connector's", id)
	}
	p, err := rr.Preview(cmd.Context(), subject, r.showValues)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return json.NewEncoder(out).Encode(p)
	}
	if conn.Role == connectors.RoleProcessor {
		fmt.Fprintf(out, "connector %s is a processor: its locate request finds the subject in %d customer tenants (no records are read)\n", id, len(p.Tenants))
		for _, t := range p.Tenants {
			fmt.Fprintf(out, "  tenant %s: customer %s\n", t.Tenant, t.Customer)
		}
		return nil
	}
	fmt.Fprintf(out, "connector %s: what its reads find for the subject given (nothing was changed)\n", id)
	total, read := 0, 0
	for _, d := range p.Datasets {
		if !d.Read {
			fmt.Fprintf(out, "  %s: not read (its read needs %s)\n", d.Dataset, strings.Join(d.Needs, ", "))
			continue
		}
		read++
		total += d.Records
		more := ""
		if d.Truncated {
			more = " (stopped at max_pages: there are more)"
		}
		fmt.Fprintf(out, "  %s: %d records%s\n", d.Dataset, d.Records, more)
		if d.Records > 0 {
			fmt.Fprintf(out, "    categories: %s\n    fields: %s\n", strings.Join(d.Categories, ", "), strings.Join(d.Fields, ", "))
		}
		for i, vals := range d.Values {
			fmt.Fprintf(out, "    record %d:\n", i+1)
			for _, f := range d.Fields {
				if v, ok := vals[f]; ok {
					fmt.Fprintf(out, "      %s = %s\n", f, cli.OneLine(v))
				}
			}
		}
	}
	_, err = fmt.Fprintf(out, "%d records in %d of %d datasets read\n", total, read, len(p.Datasets))
	return err
}
