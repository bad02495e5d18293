package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

func TestLoadSlack(t *testing.T) {
	const bot, app, secret = "xoxb-test-bot", "xapp-test-app", "s3cr3t-signing"
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string // the variable the *config.Error names; "" for success
		check   func(t *testing.T, s config.Slack)
	}{
		{name: "nothing set: Slack off", env: map[string]string{}, check: func(t *testing.T, s config.Slack) {
			if s.Enabled() {
				t.Error("Enabled with no variables")
			}
		}},
		{name: "socket mode", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW"}, check: func(t *testing.T, s config.Slack) {
			if !s.Enabled() || s.AppToken != app || s.SigningSecret != "" {
				t.Errorf("got %+v", s)
			}
			if s.APIURL != "https://slack.com/api/" || s.AlertChannel != "C0REVIEW" {
				t.Errorf("defaults: API %q alert %q", s.APIURL, s.AlertChannel)
			}
		}},
		{name: "http interactivity, API URL without slash, alert channel", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": "http://127.0.0.1:9999/api", "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW", "DSR_SLACK_ALERT_CHANNEL": "C0ALERT"}, check: func(t *testing.T, s config.Slack) {
			if s.APIURL != "http://127.0.0.1:9999/api/" || s.AlertChannel != "C0ALERT" || s.SigningSecret != secret {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "both ways at once", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "SLACK_SIGNING_SECRET": secret, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW"}},
		{name: "no way for clicks to arrive", env: map[string]string{"SLACK_BOT_TOKEN": bot, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW"}, wantVar: "SLACK_SIGNING_SECRET"},
		{name: "signing secret without bot token", env: map[string]string{"SLACK_SIGNING_SECRET": secret}, wantVar: "SLACK_BOT_TOKEN"},
		{name: "user token instead of bot token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_APP_TOKEN": app, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW"}, wantVar: "SLACK_BOT_TOKEN"},
		{name: "bot token as app token", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": bot, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW"}, wantVar: "SLACK_APP_TOKEN"},
		{name: "no review channel", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app}, wantVar: "DSR_SLACK_REVIEW_CHANNEL"},
		{name: "channel name with #", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW", "DSR_SLACK_ALERT_CHANNEL": "#alerts"}, wantVar: "DSR_SLACK_ALERT_CHANNEL"},
		{name: "relative API URL", env: map[string]string{"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app, "DSR_SLACK_REVIEW_CHANNEL": "C0REVIEW", "SLACK_API_URL": "slack.example/api"}, wantVar: "SLACK_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := config.LoadSlack(env(tt.env))
			if tt.wantVar == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.check != nil {
					tt.check(t, s)
				}
				return
			}
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("err = %v, want a *config.Error naming %s", err, tt.wantVar)
			}
			for _, v := range tt.env {
				if strings.HasPrefix(v, "xox") || strings.HasPrefix(v, "xapp") || v == secret {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q shows a secret", err)
					}
				}
			}
		})
	}
}

func TestReviewersFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "groups:\n  legal: [U01LEGAL1, U01LEGAL2]\n  dpo:   [U01DPO]\n")
	rv, err := config.LoadReviewers(env(map[string]string{"DSR_REVIEWERS": good}))
	if err != nil {
		t.Fatal(err)
	}
	if got := rv.Members("legal"); !slices.Equal(got, []string{"U01LEGAL1", "U01LEGAL2"}) {
		t.Errorf("legal = %v", got)
	}
	if got := rv.GroupsOf("U01DPO"); !slices.Equal(got, []string{"dpo"}) {
		t.Errorf("GroupsOf(U01DPO) = %v", got)
	}
	// Members name their space; a bare Slack id is that Slack member only, another bare name a token.
	spaces := write("spaces.yaml", "groups:\n  legal: [U123LEGAL, token:legal-bot, oidc:248289761001, slack:W01GRID]\n  dpo: [dpo-bot]\n")
	rv, err = config.LoadReviewers(env(map[string]string{"DSR_REVIEWERS": spaces}))
	if err != nil {
		t.Fatal(err)
	}
	for principal, want := range map[string][]string{
		"slack:U123LEGAL": {"legal"}, "U123LEGAL": {"legal"}, "token:U123LEGAL": nil, "token:legal-bot": {"legal"},
		"oidc:248289761001": {"legal"}, "slack:W01GRID": {"legal"}, "token:dpo-bot": {"dpo"}, "slack:dpo-bot": nil, "dpo-bot": nil,
	} {
		if got := rv.GroupsOf(principal); !slices.Equal(got, want) {
			t.Errorf("GroupsOf(%s) = %v, want %v", principal, got, want)
		}
	}
	if rv, err := config.LoadReviewers(env(nil)); err != nil || len(rv.Groups) != 0 {
		t.Errorf("unset: %v %v", rv, err)
	}

	bad := []struct{ name, content, want string }{
		{"unknown top-level key", "groups:\n  legal: [U1]\nadmins: [U2]\n", "line 3: unknown key \"admins\""},
		{"misspelt groups", "group:\n  legal: [U1]\n", "line 1: unknown key \"group\""},
		{"empty group", "groups:\n  legal: [U1]\n  dpo: []\n", "line 3: group \"dpo\" is empty"},
		{"null group", "groups:\n  legal: [U1]\n  dpo:\n", "line 3: group \"dpo\" must be a list"},
		{"no groups", "groups: {}\n", "line 1: groups must map"},
		{"member twice", "groups:\n  legal:\n    - U1\n    - U1\n", "line 4: group \"legal\" lists U1 twice"},
		{"email as member", "groups:\n  legal: [someone@example.com]\n", "line 2: group \"legal\""},
		{"slack space, not a Slack id", "groups:\n  legal: [slack:alice]\n", "line 2: group \"legal\": \"slack:alice\" is not a Slack user id"},
		{"unknown space", "groups:\n  legal: [ldap:bob]\n", "unknown space \"ldap\""},
		{"no name after the space", "groups:\n  legal: [\"token:\"]\n", "names no member"},
		{"same member bare and qualified", "groups:\n  legal: [U01LEGAL1, slack:U01LEGAL1]\n", "lists slack:U01LEGAL1 twice"},
		{"group twice", "groups:\n  legal: [U1]\n  legal: [U2]\n", "line 3: group \"legal\" given twice"},
		{"not a mapping", "- legal\n", "expected a mapping"},
		{"empty file", "", "empty"},
		{"bad YAML", "groups: [\n", "not valid YAML"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tt.name, " ", "_")+".yaml", tt.content)
			_, err := config.LoadReviewers(env(map[string]string{"DSR_REVIEWERS": p}))
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != "DSR_REVIEWERS" {
				t.Fatalf("err = %v, want a *config.Error naming DSR_REVIEWERS", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %q, want it to contain %q and the file name", err, tt.want)
			}
		})
	}
	if _, err := config.LoadReviewers(env(map[string]string{"DSR_REVIEWERS": filepath.Join(dir, "missing.yaml")})); err == nil {
		t.Error("a missing file is accepted")
	}
}
