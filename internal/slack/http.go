package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/slack-go/slack"
)

// MaxInteractionBody bounds an interaction request's body; Slack's are a few kilobytes.
const MaxInteractionBody = 256 << 10

// Handler serves Slack's interactivity requests, for POST /slack/interactions. A request without a valid,
// fresh signature gets 401 and changes nothing. It answers at once; the vote is handled afterwards.
func (s *Slack) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if s.cfg.SigningSecret == "" {
			http.Error(w, "HTTP interactivity is not configured (SLACK_SIGNING_SECRET)", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInteractionBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if err := Verify(r.Header, body, s.cfg.SigningSecret, s.now()); err != nil {
			s.log.Warn("slack: interaction refused", "reason", err.Error())
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if s.dispatcher == nil {
			http.Error(w, "this process does not take votes", http.StatusServiceUnavailable)
			return
		}
		form, err := url.ParseQuery(string(body))
		var ic slack.InteractionCallback
		if err == nil {
			err = json.Unmarshal([]byte(form.Get("payload")), &ic)
		}
		if err != nil {
			http.Error(w, "no interaction payload", http.StatusBadRequest)
			return
		}
		retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
		answer, err := s.accept(ic, retry)
		if err != nil {
			http.Error(w, "shutting down, try again", http.StatusServiceUnavailable)
			return
		}
		if answer == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	})
}
