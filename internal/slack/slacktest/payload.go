package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var clicks atomic.Int64

// unique returns a Slack-looking timestamp or trigger id that no other call returns.
func unique() string {
	n := clicks.Add(1)
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), n)
}

// Click returns the block_actions payload Slack sends when user clicks the button actionID of msg: the
// button's value and block as posted, a fresh action_ts and trigger_id (a second Click of the same button
// is a second click, as a double click is).
func (s *Server) Click(tb testing.TB, msg Message, user, actionID string) []byte {
	tb.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string          `json:"type"`
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		tb.Fatalf("slacktest: message %s has no blocks: %v", msg.TS, err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if b.Type != "actions" || e.ActionID != actionID {
				continue
			}
			ts := unique()
			return mustJSON(tb, map[string]any{
				"type":         "block_actions",
				"token":        "legacy-verification-token",
				"api_app_id":   "A0FAKE",
				"team":         map[string]any{"id": "T0FAKE"},
				"user":         map[string]any{"id": user, "team_id": "T0FAKE"},
				"trigger_id":   ts + ".trigger",
				"container":    map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": false},
				"channel":      map[string]any{"id": msg.Channel},
				"message":      map[string]any{"type": "message", "ts": msg.TS, "text": msg.Text},
				"response_url": "https://hooks.slack.invalid/actions/T0FAKE/1/x",
				"actions": []map[string]any{{
					"type": e.Type, "action_id": e.ActionID, "block_id": b.BlockID, "value": e.Value, "text": e.Text, "action_ts": ts,
				}},
			})
		}
	}
	tb.Fatalf("slacktest: message %s has no button %q", msg.TS, actionID)
	return nil
}

// Input is what a person entered in one input block of a modal: Value for a text input, Selected for
// checkboxes (the options' values).
type Input struct {
	BlockID, ActionID string
	Value             string
	Selected          []string
}

// Submit returns the view_submission payload Slack sends when user submits the modal v with inputs.
func (s *Server) Submit(tb testing.TB, v View, user string, inputs ...Input) []byte {
	tb.Helper()
	var view map[string]any
	if err := json.Unmarshal(v.View, &view); err != nil {
		tb.Fatalf("slacktest: view %s: %v", v.ID, err)
	}
	values := map[string]map[string]any{}
	for _, in := range inputs {
		if values[in.BlockID] == nil {
			values[in.BlockID] = map[string]any{}
		}
		if in.Selected != nil {
			opts := []map[string]any{}
			for _, o := range in.Selected {
				opts = append(opts, map[string]any{"value": o, "text": map[string]any{"type": "plain_text", "text": o}})
			}
			values[in.BlockID][in.ActionID] = map[string]any{"type": "checkboxes", "selected_options": opts}
		} else {
			values[in.BlockID][in.ActionID] = map[string]any{"type": "plain_text_input", "value": in.Value}
		}
	}
	view["id"] = v.ID
	view["state"] = map[string]any{"values": values}
	view["hash"] = unique()
	return mustJSON(tb, map[string]any{
		"type":       "view_submission",
		"token":      "legacy-verification-token",
		"api_app_id": "A0FAKE",
		"team":       map[string]any{"id": "T0FAKE"},
		"user":       map[string]any{"id": user, "team_id": "T0FAKE"},
		"trigger_id": unique() + ".trigger",
		"view":       view,
	})
}

// Sign returns the X-Slack-Signature Slack computes for body sent at timestamp (Unix seconds): v0= and
// the hex HMAC-SHA256, keyed with the signing secret, of "v0:timestamp:body".
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", timestamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// FormBody is the body of an interaction request: payload=<the JSON, form-encoded>.
func FormBody(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// InteractionRequest returns the POST Slack sends to an interactivity URL, signed with secret as of at.
func InteractionRequest(tb testing.TB, target, secret string, payload []byte, at time.Time) *http.Request {
	tb.Helper()
	body := FormBody(payload)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, at.Unix(), body))
	return req
}

// PostInteraction sends payload to an interactivity URL as Slack does now, signed with secret, and
// returns the response with its body read into memory.
func PostInteraction(tb testing.TB, target, secret string, payload []byte) *http.Response {
	tb.Helper()
	return Do(tb, InteractionRequest(tb, target, secret, payload, time.Now()))
}

// Do sends req and returns the response, its body read into memory (so it can be ignored safely).
func Do(tb testing.TB, req *http.Request) *http.Response {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body = nopCloser{&buf}
	return resp
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
