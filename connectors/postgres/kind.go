package postgres

import (
	"context"
	"strconv"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

func init() { connectors.Register(kind{}) }

type kind struct{}

func (kind) Name() string { return Name }
func (kind) Fields() []string {
	return []string{"dsn_env", "datasets", "access_limit", "job_table", connectors.TenantsField}
}

// Decode reads dsn_env, datasets, access_limit, job_table and tenants.
func (kind) Decode(sec *connectors.Section) connectors.Settings {
	var s Settings
	if env, ok := sec.String("dsn_env"); ok {
		if sec.Getenv(env) == "" {
			sec.Bad(sec.Line("dsn_env"), "dsn_env: variable %s is not set", env)
		}
		s.DSNEnv = env
	}
	if v, ok := sec.String("access_limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAccessLimit {
			sec.Reported("access_limit", "access_limit must be a whole number of rows from 1 to %d", MaxAccessLimit)
		}
		s.AccessLimit = n
	}
	s.JobTable, _ = sec.String("job_table")
	if v := sec.Node("datasets"); v != nil {
		s.Datasets = decodeDatasets(sec, v)
	}
	s.Tenants = connectors.DecodeTenants(sec)
	return s
}

// Open connects to the connector's database and checks the mapping against it (Open); warnings go to
// env.Logger.
func (kind) Open(ctx context.Context, c connectors.Connector, env connectors.Env) (connectors.Runner, error) {
	db, err := Open(ctx, c, env.Getenv)
	if err != nil {
		return nil, err
	}
	for _, w := range db.Warnings() {
		env.Logger.Warn("connector mapping", "connector", c.ID, "warning", w)
	}
	return runner{db}, nil
}

// runner runs jobs on an opened database. Its results are final: nothing is ever accepted for later.
type runner struct{ *Connector }

// Run carries out the job; a job the mapping refuses (EINVALID) or an identity conflict the database
// cannot resolve (ECONFLICT) goes to a person rather than being retried.
func (r runner) Run(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	res, err := r.Connector.Run(ctx, job)
	if code := dsrflow.ErrorCode(err); code == dsrflow.EINVALID || code == dsrflow.ECONFLICT {
		return res, &connectors.CallError{Connector: r.conn.ID, Permanent: true, Message: dsrflow.ErrorMessage(err)}
	}
	return res, err
}

// Poll is never needed: Run's results are final.
func (r runner) Poll(context.Context, string) (connectors.Result, error) {
	return connectors.Result{}, &connectors.CallError{Connector: r.conn.ID, Permanent: true, Message: "a postgres connector's jobs are final when run; there is nothing to poll"}
}
