// Package devserver runs a real Temporal server inside the dsrflow process, persisted in a SQLite file
// (or, for drills that stand in for a self-hosted cluster, in PostgreSQL), for `worker --dev` and the
// end-to-end tests. On PostgreSQL a process can run some of the server's four services (Options.Services),
// so that four processes form one cluster, as the Cluster drill runs it. It is the only package that
// imports go.temporal.io/server;
// it follows the server's own temporaltest lite server, which is internal to the server module.
package devserver

import (
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives/timestamp"
	"go.temporal.io/server/common/testing/freeport"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, which the server itself uses

	"github.com/dsrflow/dsrflow/internal/store"
)

// Options configure the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file holding the server's state; created with its schema on first start.
	DatabaseFile string
	// Postgres, when set, holds the server's state instead of DatabaseFile.
	Postgres *Postgres
	// FrontendAddr is host:port for the frontend gRPC service, the address clients dial.
	FrontendAddr string
	// Namespace is registered on first start.
	Namespace string
	// SearchAttributes are registered with the namespace on first start; later additions go through the
	// operator API (see temporalx.EnsureSearchAttributes).
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogFile receives the server's own log at warn level and above; empty discards it.
	LogFile string
	// Services are the Temporal services this process runs: some of frontend, history, matching and
	// worker (temporal.DefaultServices when empty). A subset needs Postgres: the processes of one cluster
	// find each other through the membership table of the database they share.
	Services []string
	// HistoryShards is the cluster's number of history shards (1 when 0). Temporal fixes it when the
	// database is created: every later start, of every process, must give the same number.
	HistoryShards int
	// GRPCPort and MembershipPort fix the ports of the one service this process runs (0 picks free ones;
	// the frontend's gRPC port is FrontendAddr's). A restarted process given the ports it had takes its
	// old place in the membership ring at once, as a pod with a stable address would.
	GRPCPort, MembershipPort int
	// TLS, when set, serves the frontend over TLS, requiring a client certificate when it names a client
	// CA: the production dial path (TEMPORAL_TLS_*) is tested against it. The server's own services then
	// reach the frontend through an internal frontend on the same host (Ports names it), which has neither
	// TLS nor authorization: whoever reaches its port acts as the server itself. Fine on loopback, for
	// tests; a cluster on a shared network would give it internode TLS.
	TLS *TLS
	// APIKey, when set, admits to the frontend only calls that carry `authorization: Bearer APIKey`
	// (TEMPORAL_API_KEY, as Temporal Cloud takes it), which get the admin role on Namespace; every other
	// call but the gRPC health check is refused (PermissionDenied). As with TLS, the server's own services
	// go through the internal frontend. Both need all four services in this process.
	APIKey string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv  temporal.Server
	addr string
	// Ports are the gRPC and membership ports of each service this process runs.
	Ports map[string][2]int
}

// clusterName is the one cluster's name in the server's metadata.
const clusterName = "active"

// Start creates the schema on first use and starts the server. It returns when the frontend accepts
// connections (when this process runs the frontend).
func Start(opts Options) (*Server, error) {
	services, err := pickServices(opts.Services)
	if err != nil {
		return nil, err
	}
	all := len(services) == len(temporal.DefaultServices)
	switch {
	case !all && opts.Postgres == nil:
		return nil, fmt.Errorf("temporal services %s apart from the others need PostgreSQL: the processes of a cluster share its database", strings.Join(services, ","))
	case (opts.GRPCPort != 0 || opts.MembershipPort != 0) && len(services) != 1:
		return nil, fmt.Errorf("temporal ports: a gRPC or membership port is for a process that runs one service, not %s", strings.Join(services, ","))
	case opts.GRPCPort != 0 && services[0] == "frontend":
		return nil, fmt.Errorf("temporal ports: the frontend's gRPC port is its address's (%s)", opts.FrontendAddr)
	case opts.GRPCPort < 0 || opts.GRPCPort > 65535:
		return nil, fmt.Errorf("temporal gRPC port %d: must be from 1 to 65535", opts.GRPCPort)
	case opts.MembershipPort < 0 || opts.MembershipPort > 32767:
		// The PostgreSQL schema keeps membership ports in a smallint.
		return nil, fmt.Errorf("temporal membership port %d: must be from 1 to 32767", opts.MembershipPort)
	case opts.HistoryShards < 0:
		return nil, fmt.Errorf("temporal history shards %d: must be 1 or more", opts.HistoryShards)
	}
	if err := checkSecurity(opts, all); err != nil {
		return nil, err
	}
	shards := int32(max(opts.HistoryShards, 1))
	host, portText, err := net.SplitHostPort(opts.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("temporal frontend address %q: %w", opts.FrontendAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 {
		return nil, fmt.Errorf("temporal frontend address %q: port must be a number above 0", opts.FrontendAddr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	// The frontend takes its port last, after persistence is up; test it first so a clash fails at once.
	// A process without the frontend only dials it.
	var fixed []int
	if slices.Contains(services, "frontend") {
		fixed = append(fixed, port)
	}
	for _, p := range []int{opts.GRPCPort, opts.MembershipPort} {
		if p != 0 {
			fixed = append(fixed, p)
		}
	}
	for _, p := range fixed {
		if err := probeListen(net.JoinHostPort(host, strconv.Itoa(p))); err != nil {
			return nil, err
		}
	}

	var persistence config.Persistence
	if opts.Postgres != nil {
		// The membership rows a previous process left are all stale only when this process is the
		// whole cluster; otherwise they are its peers'.
		if persistence, err = postgresPersistence(opts, shards, all); err != nil {
			return nil, err
		}
	} else if persistence, err = sqlitePersistence(opts); err != nil {
		return nil, err
	}

	logger := newLogger(opts.LogFile)
	membershipPort := freePort
	if opts.Postgres != nil {
		membershipPort = lowPort // the PostgreSQL schema keeps membership ports in a smallint
	}
	cfg, err := serverConfig(persistence, host, port, membershipPort)
	if err != nil {
		return nil, err
	}
	if len(services) == 1 {
		svc := cfg.Services[services[0]]
		if opts.GRPCPort != 0 {
			svc.RPC.GRPCPort = opts.GRPCPort
		}
		if opts.MembershipPort != 0 {
			svc.RPC.MembershipPort = opts.MembershipPort
		}
		cfg.Services[services[0]] = svc
	}
	if opts.secured() {
		if err := secure(cfg, opts, host, membershipPort); err != nil {
			return nil, err
		}
		services = append(services, internalFrontend)
	}
	ports := map[string][2]int{}
	for _, name := range services {
		ports[name] = [2]int{cfg.Services[name].RPC.GRPCPort, cfg.Services[name].RPC.MembershipPort}
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	if opts.APIKey != "" {
		authorizer = apiKeyAuthorizer{authorization.NewDefaultAuthorizer()}
		claimMapper = apiKeyClaimMapper{bearer: []byte("Bearer " + opts.APIKey), namespace: opts.Namespace}
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(services),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Search attributes registered at start-up are visible to the very next request.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
			// The history service keeps up to 128,000 workflows' mutable state cached for an hour by default:
			// requests parked for days waiting for a code would hold ~25 KB each (BENCHMARKS.md, idle memory).
			// A parked workflow evicted from the cache is read back from SQLite when its signal comes.
			dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): []dynamicconfig.ConstrainedValue{{Value: 1000}},
			// The history service reads each shard's task queues at most 20 times a second by default, a
			// limit sized for clusters of hundreds of shards: this server has one, so past a burst every
			// workflow task waited for the next read, about 35 ms each, 100 ms a request (BENCHMARKS.md).
			dynamicconfig.TransferProcessorMaxPollRPS.Key():   []dynamicconfig.ConstrainedValue{{Value: 1000}},
			dynamicconfig.TimerProcessorMaxPollRPS.Key():      []dynamicconfig.ConstrainedValue{{Value: 1000}},
			dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): []dynamicconfig.ConstrainedValue{{Value: 1000}},
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("temporal server start: %w", err)
	}
	return &Server{srv: srv, addr: net.JoinHostPort(host, portText), Ports: ports}, nil
}

// pickServices checks names against Temporal's services; none means all four.
func pickServices(names []string) ([]string, error) {
	if len(names) == 0 {
		return slices.Clone(temporal.DefaultServices), nil
	}
	var out []string
	for _, n := range names {
		if !slices.Contains(temporal.DefaultServices, n) {
			return nil, fmt.Errorf("temporal service %q: must be one of %s", n, strings.Join(temporal.DefaultServices, ", "))
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("temporal service %q: given twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// sqlitePersistence creates the SQLite file with its schema on first use.
func sqlitePersistence(opts Options) (config.Persistence, error) {
	sqlConfig := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: opts.DatabaseFile,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// WAL with synchronous=NORMAL survives a killed process; only power loss can lose the last commits.
			"_journal_mode": "wal",
			"_synchronous":  "1",
		},
	}
	_, statErr := os.Stat(opts.DatabaseFile)
	fresh := os.IsNotExist(statErr)
	if fresh {
		if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o700); err != nil {
			return config.Persistence{}, fmt.Errorf("temporal data directory: %w", err)
		}
	}
	// The histories hold encrypted payloads, but search attributes, ids and timers in clear: 0600, like
	// dsrflow's own store; the log too.
	for _, f := range []string{opts.DatabaseFile, opts.LogFile} {
		if f == "" {
			continue
		}
		if err := store.PrivateFile(f); err != nil {
			return config.Persistence{}, fmt.Errorf("temporal files: %w", err)
		}
	}
	if fresh {
		if err := sqlite.SetupSchema(sqlConfig); err != nil {
			// A half-made file would be taken for a valid one on the next start.
			_ = os.Remove(opts.DatabaseFile)
			return config.Persistence{}, fmt.Errorf("temporal schema: %w", err)
		}
	}
	if err := forgetMembership(opts.DatabaseFile); err != nil {
		return config.Persistence{}, err
	}
	if err := createNamespace(sqlConfig, opts); err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlConfig}},
	}, nil
}

// postgresPersistence creates the PostgreSQL databases with their schema on first use.
func postgresPersistence(opts Options, shards int32, forgetMembership bool) (config.Persistence, error) {
	main, visibility, err := setupPostgres(opts.Postgres, shards, forgetMembership, func(main *config.SQL) error {
		return createNamespace(main, opts)
	})
	if err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     "postgres-default",
		VisibilityStore:  "postgres-visibility",
		NumHistoryShards: shards,
		DataStores: map[string]config.DataStore{
			"postgres-default":    {SQL: main},
			"postgres-visibility": {SQL: visibility},
		},
	}, nil
}

// createNamespace registers opts.Namespace in the server's database unless it exists. The schema
// package's helper is named for SQLite but writes through any SQL plugin.
func createNamespace(db *config.SQL, opts Options) error {
	nsConfig, err := sqlite.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("temporal namespace %s: %w", opts.Namespace, err)
	}
	// Closed requests keep their history a week, for inspection; the store keeps the record.
	nsConfig.Detail.Config.Retention = timestamp.DurationFromHours(7 * 24)
	if err := sqlite.CreateNamespaces(db, nsConfig); err != nil {
		return fmt.Errorf("temporal namespace %s: %w", opts.Namespace, err)
	}
	return nil
}

// Addr is the frontend's host:port.
func (s *Server) Addr() string { return s.addr }

// Stop stops every service of the server.
func (s *Server) Stop() error { return s.srv.Stop() }

// AddrInUseError reports a listen address that another process holds.
type AddrInUseError struct {
	Addr string
	Err  error
}

func (e *AddrInUseError) Error() string { return fmt.Sprintf("%s: %v", e.Addr, e.Err) }
func (e *AddrInUseError) Unwrap() error { return e.Err }

func probeListen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return &AddrInUseError{Addr: addr, Err: err}
	}
	return l.Close()
}

// forgetMembership removes the cluster membership rows a previous process left. The data directory is
// locked to one process, so every row is stale; left in place, the new services would wait for the old
// addresses to answer before taking over history shards, which delays a restart by up to a minute.
func forgetMembership(file string) error {
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		return fmt.Errorf("temporal membership: %w", err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("temporal membership: %w", err)
	}
	return nil
}

func serverConfig(persistence config.Persistence, host string, frontendPort int, membershipPort func(string) (int, error)) (*config.Config, error) {
	service := func(grpcPort int) (config.Service, error) {
		membership, err := membershipPort(host)
		if err != nil {
			return config.Service{}, err
		}
		if grpcPort == 0 {
			if grpcPort, err = freePort(host); err != nil {
				return config.Service{}, err
			}
		}
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membership, BindOnIP: host}}, nil
	}
	services := map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		port := 0
		if name == "frontend" {
			port = frontendPort
		}
		svc, err := service(port)
		if err != nil {
			return nil, err
		}
		services[name] = svc
	}
	frontend := net.JoinHostPort(host, strconv.Itoa(frontendPort))
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
		},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
	}, nil
}

// freePort picks a port for one of the server's internal listeners. It uses the server's own freeport
// helper, which leaves the port in TIME_WAIT so the kernel does not hand it to another process's
// bind(:0) before the server binds it: two embedded servers starting at once (parallel test packages)
// must not collide.
func freePort(host string) (port int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("temporal internal port on %s: %v", host, r)
		}
	}()
	return freeport.MustGetFreePort(), nil
}

// lowPort picks a free port below 32768 for a membership listener: Temporal's PostgreSQL schema stores
// those ports as smallint. The kernel hands out ports for bind(:0) above 32767, so no other process's
// ephemeral port takes it between this probe and the server's bind.
func lowPort(host string) (int, error) {
	for range 100 {
		port := 10000 + mrand.IntN(32768-10000)
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("temporal membership port on %s: no free port below 32768", host)
}

func newLogger(path string) log.Logger {
	if path == "" {
		return log.NewNoopLogger()
	}
	return log.NewZapLogger(log.BuildZapLogger(log.Config{Level: "warn", OutputFile: path}))
}
