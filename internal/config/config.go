// Package config reads dsrflow's configuration from the environment. Every variable dsrflow reads is
// listed in Vars, which feeds the README table and the docker-compose check; a missing or malformed value
// is an *Error naming the variable.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Default string
	// Required lists the programs that refuse to start without it: "worker" (production mode),
	// "serve" (starter serve), "migrate".
	Required []string
	Doc      string
}

// Vars lists every environment variable dsrflow's programs read.
var Vars = []Var{
	{Name: "DSR_DATA_DIR", Default: "./.dsrflow", Doc: "`worker --dev`: directory for the embedded Temporal server's SQLite file, the store, the dev token"},
	{Name: "DSR_TEMPORAL_ADDR", Default: "127.0.0.1:7233", Doc: "`worker --dev`: where the embedded Temporal frontend listens"},
	{Name: "DSR_HTTP_ADDR", Default: "127.0.0.1:8080", Doc: "where the front door (`starter serve`, or `worker --dev`) listens"},
	{Name: "DSR_WORKER_ADDR", Default: "127.0.0.1:9091", Doc: "`worker` (production mode): where its /healthz and /readyz listen; `off` disables"},
	{Name: "DSR_LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error"},
	{Name: "TEMPORAL_ADDRESS", Required: []string{"worker", "serve"}, Doc: "production: the Temporal frontend, host:port"},
	{Name: "TEMPORAL_NAMESPACE", Default: "default", Doc: "production: the Temporal namespace"},
	{Name: "TEMPORAL_TLS_CERT", Doc: "production: client certificate file (PEM) for mTLS; with TEMPORAL_TLS_KEY"},
	{Name: "TEMPORAL_TLS_KEY", Doc: "production: client private key file (PEM); with TEMPORAL_TLS_CERT"},
	{Name: "TEMPORAL_TLS_CA", Doc: "production: CA bundle (PEM) that signed the Temporal server's certificate; setting any TEMPORAL_TLS_* enables TLS"},
	{Name: "TEMPORAL_API_KEY", Doc: "production (`worker`, `starter serve`, `starter temporal setup`): an API key sent as a bearer token, as Temporal Cloud takes it; it turns TLS on (with the system's CAs unless TEMPORAL_TLS_CA is set)"},
	{Name: "TEMPORAL_TLS_SERVER_NAME", Doc: "production: server name to verify, when it differs from the host in TEMPORAL_ADDRESS"},
	{Name: "DATABASE_URL", Required: []string{"worker", "serve", "migrate"}, Doc: "production: the PostgreSQL store, `postgres://user:pass@host:5432/db?sslmode=...`"},
	{Name: "DSR_HMAC_KEY", Required: []string{"worker", "serve"}, Doc: "production: secret key (hex or base64, at least 32 bytes) for the keyed hashes of subjects' emails and verification codes; `worker --dev` keeps one in the data directory"},
	{Name: "DSR_MASTER_KEYS", Required: []string{"worker", "serve"}, Doc: "production: the keys that encrypt Temporal payloads, `id:base64key,...` (32-byte AES keys, the first encrypts, all decrypt), or `file:PATH` naming a file that holds them; `worker --dev` keeps one in the data directory. They also wrap the store's per-request data keys; `starter migrate` needs them to encrypt a store that holds data from before schema version 6"},
	{Name: "DSR_TRUSTED_PROXIES", Doc: "the front door's reverse proxies, comma-separated CIDRs (`10.0.0.0/8,192.168.1.7/32`): only from these peers is `X-Forwarded-For` read, so the privacy center's rate limits count the real client; unset, the header is ignored and the peer is the client"},
	{Name: "DSR_CODEC_ORIGIN", Doc: "the Temporal UI's origin (e.g. `http://127.0.0.1:8233`), allowed by CORS to call the front door's `/codec` to decrypt payloads"},
	{Name: "DSR_CONNECTORS", Required: []string{"worker", "serve"}, Doc: "path of connectors.yaml; in `worker --dev` its connectors join the demo subsidiaries"},
	{Name: "DSR_PUBLIC_URL", Required: []string{"worker", "serve"}, Doc: "production: the front door's public base URL, where connectors send their callbacks and the only base of every link dsrflow builds (mail to subjects, Slack cards, exports, tasks); never taken from a request's Host or X-Forwarded-* headers. `worker --dev` uses its own listen address"},
	{Name: "DSR_SMTP_URL", Required: []string{"worker"}, Doc: "production: where the worker sends mail to subjects, `smtp://user:pass@host:587?from=privacy@example.com` (STARTTLS required; `&starttls=off` only for a local mail catcher) or `smtps://...:465` (implicit TLS)"},
	{Name: "DSR_RECORD_RETENTION", Default: "3 years", Doc: "how long a closed request's personal data (identity, details, connector records, export, mail) is kept in dsrflow's store before the daily retention sweep crypto-shreds it: `3 years`, `36 months`, `1095d`; the answer to the subject states it"},
	{Name: "DSR_WORKFLOW_CACHE", Default: "500", Doc: "`worker`, `worker --dev`: how many requests' workflows the worker keeps in memory between their steps (Temporal's sticky cache); one evicted is rebuilt from its history when its next step comes. Each costs about 50 KB: most requests wait days for a code or a connector"},
	{Name: "DSR_REPEAT_WINDOW", Default: "90d", Doc: "the front door: a new request of a subject and type within this long (days `90d`, or a duration `36h`) of an earlier completed one is flagged for review as a repeat (audit event `repeat_request_flagged`, `repeat_of` in the request's JSON), never refused automatically; `0` turns the flag off"},
	{Name: "DSR_CUSTOMERS", Doc: "path of customers.yaml: the business customers whose data the group processes as a processor (legal name, privacy contact, DPA assistance deadline, language); required when connectors.yaml has a processor connector"},
	{Name: "DSR_CONTROLLER", Doc: "path of the controller configuration (Art. 15 information for answers); the built-in demo controller when unset"},
	{Name: "DSR_DEMO", Default: "1", Doc: "`worker --dev`: 0 runs without the demo subsidiaries"},
	{Name: "DSR_URL", Default: "http://127.0.0.1:8080", Doc: "`starter` commands: the front door's base URL"},
	{Name: "DSR_TOKEN", Doc: "`starter` commands: the API token; when unset, the dev token in DSR_DATA_DIR"},
	{Name: "DSRFLOW_ADMIN", Doc: "`starter`: the path of the dsrflow-admin program, which runs the commands starter hands over to it (serve, migrate, audit, token, session, connector, retention, temporal, reconcile, demo); when unset, dsrflow-admin beside starter's executable, then on PATH, then (under `go run` in this module) `go run ./starter/dsrflow-admin`"},
	{Name: "DSR_OIDC_ISSUER", Doc: "single sign-on for the console: the OpenID Connect provider's issuer URL; off when unset (people sign in with API tokens). The provider must allow the redirect `DSR_PUBLIC_URL/console/oidc/callback`"},
	{Name: "DSR_OIDC_CLIENT_ID", Doc: "the console's client id at the provider; required with DSR_OIDC_ISSUER"},
	{Name: "DSR_OIDC_CLIENT_SECRET", Doc: "the console's client secret (a public client with PKCE leaves it empty)"},
	{Name: "DSR_OIDC_ROLES", Doc: "which provider groups give which role, `group=role,...` (roles agent, reviewer, dpo, admin; a person in several gets the strongest); required with DSR_OIDC_ISSUER"},
	{Name: "DSR_EID_ISSUER", Doc: "the privacy center's eID verification (BankID, MitID, Finnish bank ID): the OpenID Connect broker's issuer URL; off when unset. Register the redirect `DSR_PUBLIC_URL/privacy/eid/callback`"},
	{Name: "DSR_EID_CLIENT_ID", Doc: "the privacy center's client id at the eID broker; required with DSR_EID_ISSUER"},
	{Name: "DSR_EID_CLIENT_SECRET", Doc: "the privacy center's client secret at the eID broker (the flow uses PKCE either way)"},
	{Name: "DSR_EID_CLIENT_KEY_FILE", Doc: "path of the privacy center's private key at the eID broker (PEM: PKCS #8, PKCS #1 RSA of 2048 bits or more, or SEC 1 EC on P-256/384/521): the code is exchanged with a private_key_jwt client assertion instead of the secret, and ID tokens encrypted to the key are decrypted (the Finnish Trust Network requires both); its public half is at `/privacy/eid/jwks.json`"},
	{Name: "DSR_EID_CLIENT_KEY_ID", Doc: "the key's `kid` at the broker; the key's RFC 7638 thumbprint when unset"},
	{Name: "DSR_EID_LABEL", Doc: "the eID brands named on the privacy center's button, `Verify with LABEL` in the subject's language (e.g. `BankID`); BankID, MitID or Finnish bank ID, in the subject's language, when unset"},
	{Name: "DSR_EID_SCOPES", Doc: "scopes asked for beside openid, comma- or space-separated (some brokers name the national id's scope)"},
	{Name: "DSR_EID_CLAIM_NATIONAL_ID", Doc: "the ID token claim carrying the national identity number (a dotted name reads a nested claim); `national_id` when unset"},
	{Name: "DSR_EID_CLAIM_NAME", Doc: "the ID token claim carrying the person's full name; `name` when unset"},
	{Name: "DSR_EID_CLAIM_BIRTHDATE", Doc: "the ID token claim carrying the birth date (YYYY-MM-DD, DD.MM.YYYY or YYYYMMDD); `birthdate` when unset"},
	{Name: "DSR_OIDC_GROUPS_CLAIM", Default: "groups", Doc: "the ID token claim that lists the person's groups"},
	{Name: "DSR_REVIEWERS", Doc: "path of the reviewer groups file (`groups: {legal: [U01LEGAL1, U01LEGAL2], dpo: [U01DPO]}`: Slack user ids or API token names); no groups when unset"},
	{Name: "SLACK_BOT_TOKEN", Doc: "the Slack app's bot token (xoxb-...); Slack is off when unset, and reviews go through the API, starter and the console"},
	{Name: "SLACK_APP_TOKEN", Doc: "an app-level token (xapp-..., scope connections:write) for Socket Mode: reviewers' clicks arrive over a websocket, no public URL needed"},
	{Name: "SLACK_SIGNING_SECRET", Doc: "the app's signing secret, for HTTP interactivity at `POST /slack/interactions` on the front door; this or SLACK_APP_TOKEN (or both) when SLACK_BOT_TOKEN is set"},
	{Name: "SLACK_API_URL", Default: DefaultSlackAPIURL, Doc: "Slack's Web API base URL (tests, proxies)"},
	{Name: "DSR_SLACK_REVIEW_CHANNEL", Doc: "channel id where review cards are posted; required with SLACK_BOT_TOKEN"},
	{Name: "DSR_SLACK_ALERT_CHANNEL", Doc: "channel id for reminders, overdue escalations and connector failures; the review channel when unset"},
	{Name: "DSR_TEST_POSTGRES_URL", Doc: "tests: a PostgreSQL server (admin URL) for the store conformance tests; `make test` starts a throwaway one"},
}

// Error is a missing or malformed variable. Programs print it and exit with status 2.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Getenv reads a variable; os.Getenv in programs, a map in tests.
type Getenv func(string) string

// Common holds what every program reads.
type Common struct {
	LogLevel slog.Level
}

// Temporal says how to reach an external Temporal cluster.
type Temporal struct {
	Address, Namespace                    string
	TLSCert, TLSKey, TLSCA, TLSServerName string
	// APIKey, when set, authenticates as a bearer token (Temporal Cloud's API keys) over TLS.
	APIKey string
}

// TLS reports whether any TLS setting is present.
func (t Temporal) TLS() bool {
	return t.TLSCert != "" || t.TLSKey != "" || t.TLSCA != "" || t.TLSServerName != ""
}

// Dev is the configuration of `worker --dev`.
type Dev struct {
	Common
	Product
	DataDir      string
	TemporalAddr string
	HTTPAddr     string
	// Demo runs the demo subsidiaries (when no Connectors file is given).
	Demo bool
}

// Product is what the worker and the front door share about the product itself.
type Product struct {
	// HMACKey is the raw DSR_HMAC_KEY; empty in dev, where the data directory holds one.
	HMACKey string
	// Connectors is the path of connectors.yaml.
	Connectors string
	// Controller is the path of the controller configuration; empty for the built-in one.
	Controller string
	// Customers is the path of customers.yaml; empty when the group processes no customer's data.
	Customers string
	// MasterKeys is the payload key ring spec (DSR_MASTER_KEYS, a file's content for file:PATH); empty
	// in dev, where the data directory holds one.
	MasterKeys string
	// CodecOrigin is the Temporal UI origin allowed to call /codec.
	CodecOrigin string
	// Slack is the Slack app; zero when Slack is not configured.
	Slack Slack
	// Reviewers are the reviewer groups (DSR_REVIEWERS).
	Reviewers dsrflow.Reviewers
	// OIDC is single sign-on for the console; zero when off.
	OIDC OIDC
	// EID is the privacy center's eID verification; zero when off.
	EID EID
	// RecordRetention is DSR_RECORD_RETENTION as given ("3 years"); app.LoadProduct parses it.
	RecordRetention string
	// WorkflowCache is DSR_WORKFLOW_CACHE: the workflows the worker keeps in memory between steps.
	WorkflowCache int
	// TrustedProxies are DSR_TRUSTED_PROXIES: the peers whose X-Forwarded-For the front door believes.
	TrustedProxies []netip.Prefix
	// RepeatWindow is DSR_REPEAT_WINDOW: how far back an earlier completed request flags a new one as a
	// repeat; negative when turned off (`0`).
	RepeatWindow time.Duration
}

// Worker is the configuration of `worker` against external Temporal and PostgreSQL.
type Worker struct {
	Common
	Product
	// PublicURL is the front door's base URL for connector callbacks.
	PublicURL   string
	Temporal    Temporal
	DatabaseURL string
	// HealthAddr is where /healthz and /readyz listen; empty when disabled.
	HealthAddr string
	// SMTP is where the worker delivers the outbox.
	SMTP SMTP
}

// SMTP security modes.
const (
	SMTPStartTLS = "starttls" // smtp://: the connection must be upgraded with STARTTLS before anything is sent
	SMTPTLS      = "tls"      // smtps://: TLS from the first byte
	SMTPPlain    = "plain"    // smtp://...?starttls=off: no TLS, for a mail catcher on a private network
)

// SMTP is the mail server the worker delivers the outbox to, read from DSR_SMTP_URL.
type SMTP struct {
	Host, Port         string
	Username, Password string // no authentication when Username is empty
	// From is the sender, as given (a bare address or "Name <address>"); FromAddress is its address.
	From, FromAddress string
	Security          string // SMTPStartTLS, SMTPTLS or SMTPPlain
}

// Addr is host:port.
func (s SMTP) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// Serve is the configuration of `starter serve`.
type Serve struct {
	Common
	Product
	Temporal    Temporal
	DatabaseURL string
	HTTPAddr    string
	// PublicURL is the front door's public base URL: every link it builds starts with it.
	PublicURL string
}

// LoadDev reads the configuration of `worker --dev`.
func LoadDev(getenv Getenv) (Dev, error) {
	r := reader{getenv: getenv}
	d := Dev{
		Common:       r.common(),
		DataDir:      r.str("DSR_DATA_DIR"),
		TemporalAddr: r.addr("DSR_TEMPORAL_ADDR"),
		HTTPAddr:     r.addr("DSR_HTTP_ADDR"),
		Product:      r.product(false),
		Demo:         r.str("DSR_DEMO") != "0",
	}
	return d, r.err
}

// LoadWorker reads the production worker's configuration.
func LoadWorker(getenv Getenv) (Worker, error) {
	r := reader{getenv: getenv}
	w := Worker{Common: r.common(), Temporal: r.temporal(), DatabaseURL: r.databaseURL(), Product: r.product(true), PublicURL: r.url("DSR_PUBLIC_URL")}
	if v := r.str("DSR_WORKER_ADDR"); v != "off" {
		w.HealthAddr = r.addr("DSR_WORKER_ADDR")
	}
	w.SMTP = r.smtp("DSR_SMTP_URL")
	return w, r.err
}

// LoadServe reads the configuration of `starter serve`.
func LoadServe(getenv Getenv) (Serve, error) {
	r := reader{getenv: getenv}
	s := Serve{Common: r.common(), Temporal: r.temporal(), DatabaseURL: r.databaseURL(), HTTPAddr: r.addr("DSR_HTTP_ADDR"), PublicURL: r.url("DSR_PUBLIC_URL"), Product: r.product(true)}
	return s, r.err
}

// LoadDatabaseURL reads DATABASE_URL alone, for `starter migrate`.
func LoadDatabaseURL(getenv Getenv) (string, error) {
	r := reader{getenv: getenv}
	u := r.databaseURL()
	return u, r.err
}

// LoadMasterKeys reads DSR_MASTER_KEYS alone (following file:PATH), for `starter migrate` and the
// direct store commands; empty when unset.
func LoadMasterKeys(getenv Getenv) (string, error) {
	r := reader{getenv: getenv}
	k := r.masterKeys()
	return k, r.err
}

// reader collects the first error so a Load function reads like a list of fields.
type reader struct {
	getenv Getenv
	err    error
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Var: name, Problem: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) str(name string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return lookup(name).Default
}

func (r *reader) required(name string) string {
	v := r.str(name)
	if v == "" {
		r.fail(name, "must be set (%s)", lookup(name).Doc)
	}
	return v
}

func (r *reader) addr(name string) string {
	v := r.str(name)
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		r.fail(name, "%q is not host:port", v)
	}
	return v
}

func (r *reader) file(name string) string {
	v := r.str(name)
	if v == "" {
		return ""
	}
	if _, err := os.Stat(v); err != nil {
		r.fail(name, "cannot read file %q: %v", v, err)
	}
	return v
}

// product reads the shared product settings; production requires the key and the connectors file.
func (r *reader) product(production bool) Product {
	p := Product{Connectors: r.file("DSR_CONNECTORS"), Controller: r.file("DSR_CONTROLLER"), Customers: r.file("DSR_CUSTOMERS"), CodecOrigin: r.str("DSR_CODEC_ORIGIN"), MasterKeys: r.masterKeys(),
		RecordRetention: r.str("DSR_RECORD_RETENTION"), WorkflowCache: r.positive("DSR_WORKFLOW_CACHE")}
	p.Slack, p.Reviewers = r.slack(), r.reviewers()
	p.OIDC = r.oidc(production)
	p.EID = r.eid()
	p.TrustedProxies = r.prefixes("DSR_TRUSTED_PROXIES")
	p.RepeatWindow = r.window("DSR_REPEAT_WINDOW")
	if production {
		if p.MasterKeys == "" {
			r.required("DSR_MASTER_KEYS")
		}
		p.HMACKey = r.required("DSR_HMAC_KEY")
		if p.Connectors == "" {
			r.required("DSR_CONNECTORS")
		}
	}
	return p
}

// prefixes reads a comma-separated list of CIDRs; a bare address is one host.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(r.str(name), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				r.fail(name, "%q is not a CIDR (e.g. 10.0.0.0/8) or an address", f)
				return nil
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// masterKeys reads DSR_MASTER_KEYS, following file:PATH. The value is key material: errors never show it.
func (r *reader) masterKeys() string {
	v := r.str("DSR_MASTER_KEYS")
	path, ok := strings.CutPrefix(v, "file:")
	if !ok {
		return v
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.fail("DSR_MASTER_KEYS", "cannot read the key file %q: %v", path, err)
		return ""
	}
	return strings.TrimSpace(string(b))
}

// url reads a required absolute http(s) URL without a trailing slash.
// window reads a period in days ("90d") or a Go duration ("36h"); "0" is off (-1).
func (r *reader) window(name string) time.Duration {
	v := r.str(name)
	if v == "0" {
		return -1
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	r.fail(name, "%q is not a period like 90d or 36h, or 0 for off", v)
	return 0
}

// positive reads a whole number of at least 1.
func (r *reader) positive(name string) int {
	v := r.str(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r.fail(name, "%q is not a whole number of at least 1", v)
	}
	return n
}

func (r *reader) url(name string) string {
	v := strings.TrimRight(r.required(name), "/")
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "%q is not an absolute http(s) URL", v)
	}
	return v
}

func (r *reader) common() Common {
	var level slog.Level
	v := r.str("DSR_LOG_LEVEL")
	if err := level.UnmarshalText([]byte(v)); err != nil {
		r.fail("DSR_LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
	return Common{LogLevel: level}
}

func (r *reader) temporal() Temporal {
	t := Temporal{
		Address:       r.required("TEMPORAL_ADDRESS"),
		Namespace:     r.str("TEMPORAL_NAMESPACE"),
		TLSCert:       r.file("TEMPORAL_TLS_CERT"),
		TLSKey:        r.file("TEMPORAL_TLS_KEY"),
		TLSCA:         r.file("TEMPORAL_TLS_CA"),
		TLSServerName: r.str("TEMPORAL_TLS_SERVER_NAME"),
		APIKey:        r.str("TEMPORAL_API_KEY"),
	}
	if t.Address != "" {
		if _, _, err := net.SplitHostPort(t.Address); err != nil {
			r.fail("TEMPORAL_ADDRESS", "%q is not host:port", t.Address)
		}
	}
	if (t.TLSCert == "") != (t.TLSKey == "") {
		r.fail("TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}
	return t
}

func (r *reader) databaseURL() string {
	v := r.required("DATABASE_URL")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// The URL may hold a password: name the problem, not the value.
		r.fail("DATABASE_URL", "must be a postgres:// URL with a host")
	}
	return v
}

// smtp reads a required smtp:// or smtps:// URL. The URL may hold a password: problems are named, the
// value is never echoed.
func (r *reader) smtp(name string) SMTP {
	v := r.required(name)
	if v == "" {
		return SMTP{}
	}
	u, err := url.Parse(v)
	if err != nil || u.Opaque != "" {
		r.fail(name, "must be an smtp:// or smtps:// URL (user and password percent-encoded)")
		return SMTP{}
	}
	s := SMTP{Host: u.Hostname(), Port: u.Port()}
	q := u.Query()
	switch u.Scheme {
	case "smtp":
		s.Security = SMTPStartTLS
		switch q.Get("starttls") {
		case "", "on":
		case "off":
			s.Security = SMTPPlain
		default:
			r.fail(name, "starttls must be on or off")
		}
		if s.Port == "" {
			s.Port = "587"
		}
	case "smtps":
		s.Security = SMTPTLS
		if q.Has("starttls") {
			r.fail(name, "starttls applies to smtp://; smtps:// is TLS from the start")
		}
		if s.Port == "" {
			s.Port = "465"
		}
	default:
		r.fail(name, "scheme must be smtp (STARTTLS) or smtps (implicit TLS)")
	}
	if s.Host == "" {
		r.fail(name, "has no host")
	}
	if p, err := strconv.Atoi(s.Port); err != nil || p < 1 || p > 65535 {
		r.fail(name, "port must be a number from 1 to 65535")
	}
	for k := range q {
		if k != "from" && k != "starttls" {
			r.fail(name, "unknown parameter %q (known: from, starttls)", k)
		}
	}
	s.From = q.Get("from")
	if s.From == "" {
		r.fail(name, "needs ?from= the sender's address, e.g. ?from=privacy@example.com")
	} else if a, err := mail.ParseAddress(s.From); err != nil {
		r.fail(name, "from= is not a valid email address")
	} else {
		s.FromAddress = a.Address
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			r.fail(name, "has a password but no user name")
		}
		if s.Security == SMTPPlain {
			r.fail(name, "starttls=off would send the password unencrypted; use TLS or a catcher without login")
		}
	}
	return s
}

func lookup(name string) Var {
	for _, v := range Vars {
		if v.Name == name {
			return v
		}
	}
	panic("config: undocumented variable " + name)
}

// StoreLocation says where the CLI's direct store commands (`starter audit verify`) find the store.
type StoreLocation struct {
	// PostgresURL is DATABASE_URL when set.
	PostgresURL string
	// SQLitePath is the dev stack's store file, used when DATABASE_URL is not set.
	SQLitePath string
}

// LoadStoreLocation reads DATABASE_URL, or else DSR_DATA_DIR for the dev stack's SQLite store, which
// must exist: a direct store command never creates an empty store by mistake.
func LoadStoreLocation(getenv Getenv) (StoreLocation, error) {
	r := reader{getenv: getenv}
	if strings.TrimSpace(getenv("DATABASE_URL")) != "" {
		return StoreLocation{PostgresURL: r.databaseURL()}, r.err
	}
	path := filepath.Join(r.str("DSR_DATA_DIR"), DevStoreFile)
	if _, err := os.Stat(path); err != nil {
		return StoreLocation{}, &Error{Var: "DATABASE_URL", Problem: fmt.Sprintf("not set, and no dev store at %s (set DSR_DATA_DIR to the dev stack's data directory)", path)}
	}
	return StoreLocation{SQLitePath: path}, nil
}

// DevStoreFile is the dev stack's SQLite store, under DSR_DATA_DIR.
const DevStoreFile = "dsrflow.db"

// DevKeyFile is the dev stack's HMAC key (DSR_HMAC_KEY's stand-in), under DSR_DATA_DIR.
const DevKeyFile = "hmac-key"

// LoadHMACKey returns DSR_HMAC_KEY as given, or else the dev stack's key file in DSR_DATA_DIR, for the
// operator commands that derive from it (secret.Parse reads either).
func LoadHMACKey(getenv Getenv) (string, error) {
	r := reader{getenv: getenv}
	if text := r.str("DSR_HMAC_KEY"); text != "" {
		return text, nil
	}
	path := filepath.Join(r.str("DSR_DATA_DIR"), DevKeyFile)
	text, err := os.ReadFile(path)
	if err != nil {
		return "", &Error{Var: "DSR_HMAC_KEY", Problem: fmt.Sprintf("not set, and no dev key at %s (set DSR_DATA_DIR to the dev stack's data directory)", path)}
	}
	return string(text), nil
}

// CLI is what `starter`'s API commands need: where the front door is and the token to show it.
type CLI struct {
	URL   string
	Token string
}

// LoadCLI reads DSR_URL and DSR_TOKEN, falling back to the dev stack's token file.
func LoadCLI(getenv Getenv) (CLI, error) {
	r := reader{getenv: getenv}
	c := CLI{URL: strings.TrimRight(r.str("DSR_URL"), "/"), Token: r.str("DSR_TOKEN")}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("DSR_URL", "%q is not an absolute http(s) URL", c.URL)
	}
	if c.Token == "" && r.err == nil {
		path := filepath.Join(r.str("DSR_DATA_DIR"), DevTokenFile)
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail("DSR_TOKEN", "not set, and no dev token at %s", path)
		}
		c.Token = strings.TrimSpace(string(b))
	}
	return c, r.err
}

// DevDemoDir is the demo connectors' state directory, under DSR_DATA_DIR.
const DevDemoDir = "demo"

// DevDataDir reads DSR_DATA_DIR, with its default.
func DevDataDir(getenv Getenv) string {
	r := reader{getenv: getenv}
	return r.str("DSR_DATA_DIR")
}

// DevTokenFile is the dev stack's API token, under DSR_DATA_DIR.
const DevTokenFile = "dev-token"
