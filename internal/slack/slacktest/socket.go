package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pingEvery keeps slack-go's Socket Mode client, which expects Slack's pings, from reconnecting.
const pingEvery = time.Second

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket is the Socket Mode websocket: hello, pings, and the acknowledgements read back.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.record(func() {
		if s.conn != nil {
			_ = s.conn.Close()
		}
		s.conn = c
		s.conns++
	})
	_ = s.write(c, map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0FAKE"}})
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)) != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			s.record(func() {
				if s.conn == c {
					s.conn = nil
				}
			})
			return
		}
		var a Ack
		if json.Unmarshal(data, &a) == nil && a.EnvelopeID != "" {
			s.record(func() { s.acks = append(s.acks, a) })
		}
	}
}

func (s *Server) write(c *websocket.Conn, v any) error {
	s.connWrite.Lock()
	defer s.connWrite.Unlock()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.WriteJSON(v)
}

// WaitConnected waits until a Socket Mode client is connected (the nth connection when it reconnects).
func (s *Server) WaitConnected(tb testing.TB) {
	tb.Helper()
	s.Until(tb, "a Socket Mode connection", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.conn != nil
	})
}

// Connected reports whether a Socket Mode client is connected now.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// PushInteractive sends an interactive envelope carrying payload (see Click and Submit) to the connected
// Socket Mode client, waiting for one to connect, and returns the envelope id. retryAttempt > 0 marks a
// redelivery, as Slack does when an envelope is not acknowledged in time.
func (s *Server) PushInteractive(tb testing.TB, payload []byte, retryAttempt ...int) string {
	tb.Helper()
	s.WaitConnected(tb)
	var id string
	var c *websocket.Conn
	s.record(func() {
		s.seq++
		id = fmt.Sprintf("env-%d", s.seq)
		c = s.conn
	})
	env := map[string]any{"type": "interactive", "envelope_id": id, "payload": json.RawMessage(payload), "accepts_response_payload": true}
	if len(retryAttempt) > 0 {
		env["retry_attempt"] = retryAttempt[0]
		env["retry_reason"] = "timeout"
	}
	if err := s.write(c, env); err != nil {
		tb.Fatalf("slacktest: push envelope: %v", err)
	}
	return id
}

// WaitAck waits for the acknowledgement of an envelope and returns it.
func (s *Server) WaitAck(tb testing.TB, envelopeID string) Ack {
	tb.Helper()
	var a Ack
	s.Until(tb, "the ack of "+envelopeID, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := slices.IndexFunc(s.acks, func(a Ack) bool { return a.EnvelopeID == envelopeID })
		if i >= 0 {
			a = s.acks[i]
		}
		return i >= 0
	})
	return a
}
