// Package slacktest is a fake Slack for tests: a real HTTP server implementing the Web API methods dsrflow
// calls (auth.test, chat.postMessage, chat.update, chat.postEphemeral, views.open, apps.connections.open)
// and a Socket Mode websocket that can push interactive envelopes. It keeps the channels' messages,
// records every call, and builds and signs the interaction payloads Slack would send when a person clicks a
// button or submits a modal.
//
// A test points the code under test at it with SLACK_API_URL (Server.URL), then:
//
//	srv := slacktest.New(t)
//	... code posts a card ...
//	msg := srv.WaitMessage(t, "C0REVIEW")                      // the card as Slack holds it
//	payload := srv.Click(t, msg, "U01LEGAL1", "dsr_approve")   // what Slack sends for the click
//	resp := slacktest.PostInteraction(t, frontDoor+"/slack/interactions", secret, payload)   // HTTP mode
//	id := srv.PushInteractive(t, payload); srv.WaitAck(t, id)                                 // Socket Mode
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Wait is how long the Wait* helpers wait before failing the test.
const Wait = 10 * time.Second

// Call is one Web API call the fake received.
type Call struct {
	Method string // e.g. "chat.postMessage"
	Token  string // from the Authorization header or the form
	Form   url.Values
	JSON   json.RawMessage // the body of JSON calls (views.open)
}

// Message is a channel message as the fake holds it: chat.update replaces Text and Blocks.
type Message struct {
	Channel, TS string
	Text        string
	Blocks      json.RawMessage
}

// Ephemeral is a chat.postEphemeral: a message only User sees.
type Ephemeral struct {
	Channel, User, Text string
	Blocks              json.RawMessage
}

// View is a modal opened with views.open.
type View struct {
	ID        string
	TriggerID string
	// View is the view as sent (type, callback_id, private_metadata, blocks...).
	View json.RawMessage
}

// Ack is a Socket Mode acknowledgement: the envelope id and the optional response payload.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

// Server is the fake Slack. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Web API base URL, ending in a slash: the value for SLACK_API_URL.
	URL string
	// BotUserID is the bot's user id, returned by auth.test.
	BotUserID string

	srv *httptest.Server

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change, for the Wait* helpers
	calls      []Call
	messages   []*Message
	ephemerals []Ephemeral
	views      []View
	acks       []Ack
	failures   map[string][]failure
	conn       *websocket.Conn
	connWrite  sync.Mutex
	conns      int
	seq        int
}

type failure struct {
	status     int
	retryAfter int
	err        string
}

// New starts a fake Slack, closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{BotUserID: "U0BOT", changed: make(chan struct{}), failures: map[string][]failure{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.serveMethod)
	mux.HandleFunc("GET /socket", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/"
	tb.Cleanup(s.Close)
	return s
}

// Close closes the socket connection and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// RateLimit makes the next n calls of method answer 429 Too Many Requests with Retry-After seconds.
func (s *Server) RateLimit(method string, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
	}
}

// Fail makes the next call of method answer {"ok": false, "error": slackError}, e.g. "channel_not_found";
// a slackError of "" answers 500 instead.
func (s *Server) Fail(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := failure{status: http.StatusOK, err: slackError}
	if slackError == "" {
		f.status = http.StatusInternalServerError
	}
	s.failures[method] = append(s.failures[method], f)
}

// Calls returns the calls of method received so far (every call when method is "").
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages of a channel (every channel when channel is ""), oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns the message at channel and ts, as last updated.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return *m, true
		}
	}
	return Message{}, false
}

// Ephemerals returns the ephemeral messages posted so far.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Views returns the modals opened so far.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}

// Until waits until cond, evaluated on every change of the fake's state, holds; it fails the test after
// Wait. Use it for what the Wait* helpers do not cover.
func (s *Server) Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(Wait)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("slacktest: gave up waiting for %s after %s", what, Wait)
		}
	}
}

// WaitCalls waits until method has been called at least n times and returns its calls.
func (s *Server) WaitCalls(tb testing.TB, method string, n int) []Call {
	tb.Helper()
	s.Until(tb, fmt.Sprintf("%d call(s) of %s", n, method), func() bool { return len(s.Calls(method)) >= n })
	return s.Calls(method)
}

// WaitMessage waits for the first message in channel and returns it.
func (s *Server) WaitMessage(tb testing.TB, channel string) Message {
	tb.Helper()
	s.Until(tb, "a message in "+channel, func() bool { return len(s.Messages(channel)) > 0 })
	return s.Messages(channel)[0]
}

// WaitEphemeral waits until n ephemeral messages have been posted and returns the nth.
func (s *Server) WaitEphemeral(tb testing.TB, n int) Ephemeral {
	tb.Helper()
	s.Until(tb, fmt.Sprintf("%d ephemeral message(s)", n), func() bool { return len(s.Ephemerals()) >= n })
	return s.Ephemerals()[n-1]
}

// WaitView waits until n modals have been opened and returns the nth.
func (s *Server) WaitView(tb testing.TB, n int) View {
	tb.Helper()
	s.Until(tb, fmt.Sprintf("%d modal(s)", n), func() bool { return len(s.Views()) >= n })
	return s.Views()[n-1]
}

func (s *Server) record(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", 1700000000+s.seq, s.seq)
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := Call{Method: method, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		call.JSON = body
	} else {
		call.Form, _ = url.ParseQuery(string(body))
		if t := call.Form.Get("token"); t != "" {
			call.Token = t
		}
	}

	var (
		fail   *failure
		answer map[string]any
	)
	s.record(func() {
		s.calls = append(s.calls, call)
		if q := s.failures[method]; len(q) > 0 {
			fail, s.failures[method] = &q[0], q[1:]
			return
		}
		answer = s.answer(r, call)
	})
	switch {
	case fail != nil && fail.status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", fmt.Sprint(fail.retryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case fail != nil && fail.status != http.StatusOK:
		w.WriteHeader(fail.status)
		return
	case fail != nil:
		answer = map[string]any{"ok": false, "error": fail.err}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

// answer performs a call; s.mu is held.
func (s *Server) answer(r *http.Request, c Call) map[string]any {
	if c.Token == "" {
		return map[string]any{"ok": false, "error": "not_authed"}
	}
	switch c.Method {
	case "auth.test":
		return map[string]any{"ok": true, "user_id": s.BotUserID, "team_id": "T0FAKE", "bot_id": "B0FAKE", "url": "https://fake.slack.invalid/"}
	case "chat.postMessage":
		ch := c.Form.Get("channel")
		if ch == "" {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		m := &Message{Channel: ch, TS: s.nextTS(), Text: c.Form.Get("text"), Blocks: json.RawMessage(c.Form.Get("blocks"))}
		s.messages = append(s.messages, m)
		return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}}
	case "chat.update":
		for _, m := range s.messages {
			if m.Channel == c.Form.Get("channel") && m.TS == c.Form.Get("ts") {
				m.Text, m.Blocks = c.Form.Get("text"), json.RawMessage(c.Form.Get("blocks"))
				return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text}
			}
		}
		return map[string]any{"ok": false, "error": "message_not_found"}
	case "chat.postEphemeral":
		e := Ephemeral{Channel: c.Form.Get("channel"), User: c.Form.Get("user"), Text: c.Form.Get("text"), Blocks: json.RawMessage(c.Form.Get("blocks"))}
		if e.Channel == "" || e.User == "" {
			return map[string]any{"ok": false, "error": "user_not_in_channel"}
		}
		s.ephemerals = append(s.ephemerals, e)
		return map[string]any{"ok": true, "message_ts": s.nextTS()}
	case "views.open":
		var req struct {
			TriggerID string          `json:"trigger_id"`
			View      json.RawMessage `json:"view"`
		}
		if err := json.Unmarshal(c.JSON, &req); err != nil || req.TriggerID == "" {
			return map[string]any{"ok": false, "error": "invalid_arguments"}
		}
		for _, v := range s.views {
			if v.TriggerID == req.TriggerID {
				return map[string]any{"ok": false, "error": "expired_trigger_id"} // a trigger opens one view
			}
		}
		v := View{ID: fmt.Sprintf("V%06d", len(s.views)+1), TriggerID: req.TriggerID, View: req.View}
		s.views = append(s.views, v)
		return map[string]any{"ok": true, "view": map[string]any{"id": v.ID}}
	case "apps.connections.open":
		if !strings.HasPrefix(c.Token, "xapp-") {
			return map[string]any{"ok": false, "error": "not_allowed_token_type"}
		}
		return map[string]any{"ok": true, "url": "ws://" + r.Host + "/socket"}
	}
	return map[string]any{"ok": false, "error": "unknown_method"}
}

// Content returns every text in the message's blocks (headers, fields, context, button labels), decoded
// and joined by newlines: what a person would read, for assertions.
func (m Message) Content() string {
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		return m.Text
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if t, ok := v["text"].(string); ok {
				out = append(out, t)
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
