// Package sdk is the connector side of dsrflow's protocol v1 (connectors/PROTOCOL.md) for Go services:
// it verifies signatures, validates jobs, answers a job sent twice from its JobStore instead of acting
// twice, and in async mode answers 202, runs the job in the background, posts the signed result to the
// callback URL and serves polling. A connector author writes one method per action it supports (Access,
// Erase, ...) and hands the value to Actions, or writes a whole Handler:
//
//	actions, err := sdk.Actions(db) // db has Access and Erase methods
//	...
//	h := sdk.New(sdk.Options{Secret: secret}, actions)
//	http.Handle("/v1/", h) // or under a prefix: http.Handle("/crm/", http.StripPrefix("/crm", h))
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Handler does one job on the connector's system and returns its final Result (completed, not_found,
// exempt, failed or identity_conflict). An error means the job was not done: the SDK answers 500 and
// dsrflow retries, unless the error is wrapped in Permanent, or is ErrIdentityConflict (the SDK answers
// identity_conflict). Error texts are logged: they must hold no personal data.
//
// The job's Identities hold only the identities dsrflow verified; the extra ones are in Job.Extra, for
// Subjects (identity binding, bind.go).
type Handler interface {
	HandleJob(ctx context.Context, job connectors.Job) (connectors.Result, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job connectors.Job) (connectors.Result, error)

// HandleJob calls f.
func (f HandlerFunc) HandleJob(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	return f(ctx, job)
}

// Permanent marks a handler error as one that retrying the same job cannot fix (the job asks for
// something this system cannot do). Synchronously the SDK answers 422; in async mode the job ends with
// Status failed.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Options configure a Server. Only Secret is required.
type Options struct {
	// Secret is the HMAC key shared with dsrflow (its connectors.yaml secret_env).
	Secret []byte
	// Jobs stores answers by job id; default a MemoryStore. Use FileJobStore to survive restarts.
	Jobs JobStore
	// Async answers every job 202 at once, runs the handler in the background, then posts the result to
	// the job's callback_url; dsrflow may also poll for it.
	Async bool
	// Now is the clock for signatures; default time.Now.
	Now func() time.Time
	// HTTP posts callbacks; default a client with a 30 s timeout.
	HTTP *http.Client
	// Attempts is how many times an async job's handler runs after retryable errors, and how many
	// times a callback is posted, before giving up; default 5.
	Attempts int
	// Backoff is the first wait between attempts, doubled each time; default 1 s.
	Backoff time.Duration
	// Logger logs job ids and outcomes, never identities; default slog.Default().
	Logger *slog.Logger
}

// Server is the http.Handler serving protocol v1: POST /v1/jobs and GET /v1/jobs/{job_id}.
type Server struct {
	opts    Options
	handler Handler
	mux     *http.ServeMux
	locks   keyedMutex

	mu      sync.Mutex
	running map[string]bool // async jobs whose handler is running in this process

	ctx    context.Context // ends on Close: stops background work
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Server running h under the options.
func New(opts Options, h Handler) *Server {
	if opts.Jobs == nil {
		opts.Jobs = NewMemoryStore()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, handler: h, running: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/jobs", s.submit)
	s.mux.HandleFunc("GET /v1/jobs/{job_id}", s.poll)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops background work (async handlers see their context end, callback retries stop) and
// waits for it. Jobs cut short stay accepted: dsrflow's next submission of them runs them again.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	body, err := connectors.ReadSigned(r, s.opts.Secret, connectors.MaxJobBytes, s.opts.Now())
	if err != nil {
		connectors.WriteError(w, connectors.SignatureStatus(err), dsrflow.ErrorMessage(err))
		return
	}
	var job connectors.Job
	if err := json.Unmarshal(body, &job); err != nil {
		connectors.WriteError(w, http.StatusBadRequest, "body is not a JSON job")
		return
	}
	if err := job.Validate(); err != nil {
		connectors.WriteError(w, http.StatusBadRequest, dsrflow.ErrorMessage(err))
		return
	}
	log := s.opts.Logger.With("job_id", job.ID, "action", string(job.Action))

	// One submission of a job at a time: a duplicate waits and then finds the stored answer.
	unlock := s.locks.lock(job.ID)
	defer unlock()
	stored, ok, err := s.opts.Jobs.Get(job.ID)
	if err != nil {
		log.Error("job store read failed", "err", err)
		connectors.WriteError(w, http.StatusInternalServerError, "job store unavailable")
		return
	}
	if ok && stored.Status.Final() {
		connectors.WriteJSON(w, http.StatusOK, stored)
		return
	}
	if s.opts.Async {
		if !s.isRunning(job.ID) {
			if err := s.opts.Jobs.Put(job.ID, connectors.Result{JobID: job.ID, Status: connectors.StatusAccepted}); err != nil {
				log.Error("job store write failed", "err", err)
				connectors.WriteError(w, http.StatusInternalServerError, "job store unavailable")
				return
			}
			s.start(job)
		}
		connectors.WriteJSON(w, http.StatusAccepted, connectors.Ack{JobID: job.ID, Status: connectors.StatusAccepted})
		return
	}

	// The job runs to its end even if dsrflow hangs up: the stored answer serves the retry.
	res, err := s.run(context.WithoutCancel(r.Context()), job)
	if err != nil {
		if IsPermanent(err) {
			log.Warn("job cannot be processed", "err", err)
			connectors.WriteError(w, http.StatusUnprocessableEntity, "the connector cannot process this job")
			return
		}
		log.Error("job failed", "err", err)
		connectors.WriteError(w, http.StatusInternalServerError, "job failed; retry later")
		return
	}
	if err := s.opts.Jobs.Put(job.ID, res); err != nil {
		// Acted but not recorded: the retry runs the handler again, which must then find nothing left to do.
		log.Error("job store write failed", "err", err)
		connectors.WriteError(w, http.StatusInternalServerError, "job store unavailable")
		return
	}
	log.Info("job done", "status", string(res.Status))
	connectors.WriteJSON(w, http.StatusOK, res)
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	if _, err := connectors.ReadSigned(r, s.opts.Secret, connectors.MaxJobBytes, s.opts.Now()); err != nil {
		connectors.WriteError(w, connectors.SignatureStatus(err), dsrflow.ErrorMessage(err))
		return
	}
	id := r.PathValue("job_id")
	unlock := s.locks.lock(id)
	defer unlock()
	res, ok, err := s.opts.Jobs.Get(id)
	switch {
	case err != nil:
		s.opts.Logger.Error("job store read failed", "job_id", id, "err", err)
		connectors.WriteError(w, http.StatusInternalServerError, "job store unavailable")
	case ok && res.Status.Final():
		connectors.WriteJSON(w, http.StatusOK, res)
	case s.isRunning(id):
		connectors.WriteJSON(w, http.StatusAccepted, connectors.Ack{JobID: id, Status: connectors.StatusPending})
	default:
		// Never seen, or accepted by a process that stopped before finishing: dsrflow submits it again.
		connectors.WriteError(w, http.StatusNotFound, "unknown job")
	}
}

// run calls the handler and checks its answer.
func (s *Server) run(ctx context.Context, job connectors.Job) (res connectors.Result, err error) {
	defer func() {
		if recover() != nil { // the panic value may quote the subject's data: not logged
			err = errors.New("handler panicked")
		}
	}()
	res, err = s.handler.HandleJob(ctx, bind(job))
	if errors.Is(err, ErrIdentityConflict) {
		return Conflict(job), nil
	}
	if err != nil {
		return connectors.Result{}, err
	}
	if res.JobID == "" {
		res.JobID = job.ID
	}
	if err := res.Validate(job.ID); err != nil {
		return connectors.Result{}, fmt.Errorf("handler returned an invalid result: %w", err)
	}
	return res, nil
}

func (s *Server) isRunning(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[id]
}

func (s *Server) setRunning(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.running[id] = true
	} else {
		delete(s.running, id)
	}
}

// start runs an accepted job in the background; the caller holds the job's lock.
func (s *Server) start(job connectors.Job) {
	s.setRunning(job.ID, true)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.background(job)
	}()
}

func (s *Server) background(job connectors.Job) {
	log := s.opts.Logger.With("job_id", job.ID, "action", string(job.Action))
	var res connectors.Result
	delay := s.opts.Backoff
	for attempt := 1; ; attempt++ {
		var err error
		res, err = s.run(s.ctx, job)
		if err == nil {
			break
		}
		if IsPermanent(err) {
			log.Warn("job cannot be processed", "err", err)
			res = connectors.Result{JobID: job.ID, Status: connectors.StatusFailed, Detail: "the connector cannot process this job"}
			break
		}
		log.Error("job failed", "attempt", attempt, "err", err)
		if attempt >= s.opts.Attempts || !s.sleep(delay) {
			s.setRunning(job.ID, false) // stays accepted; a new submission runs it again
			return
		}
		delay *= 2
	}

	// Stored and marked done under the job's lock, so a concurrent submission sees either "running"
	// or the final answer, never neither.
	unlock := s.locks.lock(job.ID)
	err := s.opts.Jobs.Put(job.ID, res)
	s.setRunning(job.ID, false)
	unlock()
	if err != nil {
		log.Error("job store write failed", "err", err)
		return
	}
	log.Info("job done", "status", string(res.Status))
	if job.CallbackURL != "" {
		s.deliver(log, job.CallbackURL, res)
	}
}

// deliver posts the signed result to the callback URL, retrying with backoff.
func (s *Server) deliver(log *slog.Logger, callbackURL string, res connectors.Result) {
	body, err := json.Marshal(res)
	if err != nil {
		log.Error("encode result", "err", err)
		return
	}
	delay := s.opts.Backoff
	for attempt := 1; attempt <= s.opts.Attempts; attempt++ {
		status, retryAfter, err := s.post(callbackURL, body)
		switch {
		case err == nil && status/100 == 2:
			log.Info("callback delivered", "attempt", attempt)
			return
		case err == nil && status/100 == 4 && status != http.StatusTooManyRequests:
			log.Error("callback refused; dsrflow can still poll", "http_status", status)
			return
		case err != nil:
			log.Warn("callback failed", "attempt", attempt, "err", err)
		default:
			log.Warn("callback failed", "attempt", attempt, "http_status", status)
		}
		if attempt == s.opts.Attempts || !s.sleep(max(delay, retryAfter)) {
			break
		}
		delay *= 2
	}
	log.Error("callback not delivered; dsrflow can still poll")
}

func (s *Server) post(callbackURL string, body []byte) (status int, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	connectors.SignRequest(req, s.opts.Secret, body, s.opts.Now())
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, connectors.ParseRetryAfter(resp.Header.Get("Retry-After"), s.opts.Now()), nil
}

// sleep waits d, or returns false when the server closes first.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// keyedMutex is a mutex per key; entries go away when nobody holds or waits for them.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu sync.Mutex
	n  int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l, ok := k.m[key]
	if !ok {
		l = &keyLock{}
		k.m[key] = l
	}
	l.n++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.n--
		if l.n == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
