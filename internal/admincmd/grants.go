package admincmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/postgres"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
)

func newConnectorGrantsCmd(getenv func(string) string) *cobra.Command {
	var id, role, path string
	cmd := &cobra.Command{
		Use:   "grants --connector ID [--role NAME] [--connectors PATH]",
		Short: "print the SQL that creates a postgres connector's job table and grants its role exactly what the mapping needs",
		Long: `Prints SQL for a postgres connector of connectors.yaml: it creates the job table (where each job
that writes is recorded, so that it acts once) and grants the connector's database role exactly the
privileges its mapping needs, after revoking any others on those tables: SELECT on the columns jobs
read, UPDATE only on the columns masked, corrected or flagged, DELETE only on tables erased by delete,
SELECT and INSERT on the job table. Run it as the tables' owner:

  starter connector grants --connector erp --role dsr_erp | psql "$ERP_OWNER_DSN"

The file is read as the worker reads it, but the variables it names (dsn_env, secret_env) need not be
set: nothing is connected to. The role defaults to dsrflow_ID.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return app.UsageError{Err: errors.New("--connector is required")}
			}
			if path == "" {
				path = getenv("DSR_CONNECTORS")
			}
			if path == "" {
				path = "connectors.yaml"
			}
			if role == "" {
				role = "dsrflow_" + strings.ReplaceAll(id, "-", "_")
			}
			// Only the mapping matters here: a variable the file names but this shell lacks is not an error.
			placeholder := func(name string) string {
				if v := getenv(name); v != "" {
					return v
				}
				return strings.Repeat("x", connectors.MinSecretBytes)
			}
			reg, err := connectors.Load(path, placeholder)
			if err != nil {
				return app.UsageError{Err: err}
			}
			conn, ok := reg.Get(id)
			switch {
			case !ok:
				return dsrflow.Errorf(dsrflow.ENOTFOUND, "connector %s is not in %s", id, path)
			case conn.Kind != postgres.Name:
				return dsrflow.Errorf(dsrflow.EINVALID, "connector %s is kind %s; grants are for postgres connectors", id, conn.Kind)
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), postgres.GrantScript(conn, role))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "connector", "", "id of a postgres connector in connectors.yaml")
	f.StringVar(&role, "role", "", "the database role the connector's dsn_env connects as (default dsrflow_ID)")
	f.StringVar(&path, "connectors", "", "path of connectors.yaml (default $DSR_CONNECTORS, else ./connectors.yaml)")
	return cmd
}
