package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
)

// DefaultSlackAPIURL is Slack's Web API base URL.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Slack is how dsrflow reaches Slack: the bot token for messages, and Socket Mode (AppToken), HTTP
// interactivity (SigningSecret) or both for the reviewers' clicks. The zero value means Slack is not
// configured: reviews then go through the API, starter and the console only.
type Slack struct {
	BotToken string
	// AppToken (xapp-...) enables Socket Mode: no public URL needed.
	AppToken string
	// SigningSecret enables HTTP interactivity at POST /slack/interactions.
	SigningSecret string
	// APIURL is the Web API base URL, ending in a slash.
	APIURL string
	// ReviewChannel is where review cards go unless a card names its own channel; AlertChannel is where
	// alerts go (the review channel when unset).
	ReviewChannel, AlertChannel string
}

// Enabled reports whether Slack is configured.
func (s Slack) Enabled() bool { return s.BotToken != "" }

// LoadSlack reads the Slack variables. None set: Slack is off, no error. The tokens and the secret are
// never echoed in errors.
func LoadSlack(getenv Getenv) (Slack, error) {
	r := reader{getenv: getenv}
	s := r.slack()
	return s, r.err
}

func (r *reader) slack() Slack {
	s := Slack{
		BotToken:      r.str("SLACK_BOT_TOKEN"),
		AppToken:      r.str("SLACK_APP_TOKEN"),
		SigningSecret: r.str("SLACK_SIGNING_SECRET"),
		APIURL:        r.str("SLACK_API_URL"),
		ReviewChannel: r.str("DSR_SLACK_REVIEW_CHANNEL"),
		AlertChannel:  r.str("DSR_SLACK_ALERT_CHANNEL"),
	}
	if s.BotToken == "" {
		for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DSR_SLACK_REVIEW_CHANNEL", "DSR_SLACK_ALERT_CHANNEL"} {
			if r.str(name) != "" {
				r.fail("SLACK_BOT_TOKEN", "must be set when %s is (Slack is configured only partly)", name)
				return Slack{}
			}
		}
		return Slack{}
	}
	if !strings.HasPrefix(s.BotToken, "xoxb-") {
		r.fail("SLACK_BOT_TOKEN", "must be a bot token (xoxb-...)")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		r.fail("SLACK_APP_TOKEN", "must be an app-level token (xapp-...) with the connections:write scope")
	}
	if s.AppToken == "" && s.SigningSecret == "" {
		r.fail("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN is set, but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP interactivity) is: reviewers' clicks would never arrive")
	}
	if s.APIURL == "" {
		s.APIURL = DefaultSlackAPIURL
	}
	if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("SLACK_API_URL", "%q is not an absolute http(s) URL", s.APIURL)
	} else if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/" // slack-go appends the method name
	}
	if s.ReviewChannel == "" {
		r.fail("DSR_SLACK_REVIEW_CHANNEL", "must be set when SLACK_BOT_TOKEN is (%s)", lookup("DSR_SLACK_REVIEW_CHANNEL").Doc)
	}
	for _, name := range []string{"DSR_SLACK_REVIEW_CHANNEL", "DSR_SLACK_ALERT_CHANNEL"} {
		if v := r.str(name); strings.ContainsAny(v, " \t#") {
			r.fail(name, "%q is not a channel id (e.g. C0123456789; find it in the channel's details)", v)
		}
	}
	if s.AlertChannel == "" {
		s.AlertChannel = s.ReviewChannel
	}
	return s
}

// LoadReviewers reads the reviewer groups from the file DSR_REVIEWERS names; no groups when it is unset.
func LoadReviewers(getenv Getenv) (dsrflow.Reviewers, error) {
	r := reader{getenv: getenv}
	rv := r.reviewers()
	return rv, r.err
}

func (r *reader) reviewers() dsrflow.Reviewers {
	path := r.str("DSR_REVIEWERS")
	if path == "" {
		return dsrflow.Reviewers{}
	}
	rv, err := ReadReviewers(path)
	if err != nil {
		r.fail("DSR_REVIEWERS", "%v", err)
	}
	return rv
}

// ReadReviewers reads a reviewers file:
//
//	groups:
//	  legal: [slack:U01LEGAL1, U01LEGAL2, token:legal-bot, oidc:248289761001]
//	  dpo:   [U01DPO]
//
// A member names its space (dsrflow.Reviewers): slack:, token: or oidc:. A bare Slack user id is that
// Slack member only; any other bare name is an API token's.
//
// Decoding is strict: unknown keys, empty groups, empty or repeated members are errors naming the file
// and the line.
func ReadReviewers(path string) (dsrflow.Reviewers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return dsrflow.Reviewers{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	rv, err := ParseReviewers(data)
	if err != nil {
		return dsrflow.Reviewers{}, fmt.Errorf("%s: %w", path, err)
	}
	return rv, nil
}

// ParseReviewers parses the content of a reviewers file (see ReadReviewers).
func ParseReviewers(data []byte) (dsrflow.Reviewers, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return dsrflow.Reviewers{}, errors.New("empty: expected groups: {legal: [U01LEGAL1, ...], ...}")
	} else if err != nil {
		return dsrflow.Reviewers{}, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return dsrflow.Reviewers{}, fmt.Errorf("line %d: expected a mapping with the key groups", doc.Line)
	}
	root := doc.Content[0]
	var groups *yaml.Node
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "groups" {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: unknown key %q (known: groups)", k.Line, k.Value)
		}
		if groups != nil {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: groups given twice", k.Line)
		}
		groups = v
	}
	if groups == nil || groups.Kind != yaml.MappingNode || len(groups.Content) == 0 {
		line := root.Line
		if groups != nil {
			line = groups.Line
		}
		return dsrflow.Reviewers{}, fmt.Errorf("line %d: groups must map each group name to a list of members, e.g. legal: [U01LEGAL1]", line)
	}
	rv := dsrflow.Reviewers{Groups: map[string][]string{}}
	for i := 0; i < len(groups.Content); i += 2 {
		k, v := groups.Content[i], groups.Content[i+1]
		name := strings.TrimSpace(k.Value)
		if k.Kind != yaml.ScalarNode || name == "" {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: a group needs a name", k.Line)
		}
		if _, dup := rv.Groups[name]; dup {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q given twice", k.Line, name)
		}
		if v.Kind != yaml.SequenceNode {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q must be a list of members (Slack user ids or API token names)", v.Line, name)
		}
		if len(v.Content) == 0 {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q is empty", v.Line, name)
		}
		members := make([]string, 0, len(v.Content))
		qualified := make([]string, 0, len(v.Content))
		for _, m := range v.Content {
			id := strings.TrimSpace(m.Value)
			switch {
			case m.Kind != yaml.ScalarNode || id == "" || m.Tag == "!!null":
				return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q: a member must be a Slack user id or an API token name", m.Line, name)
			case strings.ContainsAny(id, " \t@<>"):
				return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q: %q is not a Slack user id (U0123ABCD) or a token name", m.Line, name, id)
			}
			q, err := dsrflow.ReviewerMember(id)
			if err != nil {
				return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q: %s", m.Line, name, dsrflow.ErrorMessage(err))
			}
			if slices.Contains(qualified, q) {
				return dsrflow.Reviewers{}, fmt.Errorf("line %d: group %q lists %s twice", m.Line, name, id)
			}
			members, qualified = append(members, id), append(qualified, q)
		}
		rv.Groups[name] = members
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return dsrflow.Reviewers{}, fmt.Errorf("line %d: a second YAML document; the file holds one", extra.Line)
	}
	return rv, nil
}
