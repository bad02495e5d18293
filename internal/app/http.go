package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// AddrError is a listen address that cannot be used; it names the variable that sets it.
type AddrError struct {
	Var, Addr string
	Err       error
}

func (e *AddrError) Error() string {
	return fmt.Sprintf("cannot listen on %s (set by %s): %v", e.Addr, e.Var, e.Err)
}

func (e *AddrError) Unwrap() error { return e.Err }

// Listen opens a TCP listener, failing with an *AddrError that names the variable.
func Listen(varName, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &AddrError{Var: varName, Addr: addr, Err: err}
	}
	return ln, nil
}

// HTTPServer serves a handler on a listener until Shutdown.
type HTTPServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Serve starts serving in the background.
func Serve(ln net.Listener, h http.Handler, logger *slog.Logger) *HTTPServer {
	s := &HTTPServer{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s
}

// URL is the base URL clients on this machine use.
func (s *HTTPServer) URL() string { return "http://" + s.ln.Addr().String() }

// Shutdown stops accepting connections and waits for requests in flight until ctx ends.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	if serveErr := <-s.done; serveErr != nil && err == nil {
		err = serveErr
	}
	return err
}

// ConfigProblem marks an unusable address as a configuration problem (exit status 2).
func (e *AddrError) ConfigProblem() {}
