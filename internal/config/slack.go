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
//	people:                             # optional: the names one person votes under
//	  alice: [U01LEGAL1, token:alice]   # her Slack id and her token: one approver
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
	var groups, people *yaml.Node
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var slot **yaml.Node
		switch k.Value {
		case "groups":
			slot = &groups
		case "people":
			slot = &people
		default:
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: unknown key %q (known: groups, people)", k.Line, k.Value)
		}
		if *slot != nil {
			return dsrflow.Reviewers{}, fmt.Errorf("line %d: %s given twice", k.Line, k.Value)
		}
		*slot = v
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
	if people != nil {
		var err error
		if rv.People, err = parsePeople(people); err != nil {
			return dsrflow.Reviewers{}, err
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return dsrflow.Reviewers{}, fmt.Errorf("line %d: a second YAML document; the file holds one", extra.Line)
	}
	return rv, nil
}

// parsePeople reads the people section: person -> the names they act under. A name belongs to one
// person at most; otherwise one person's vote could count as another's.
func parsePeople(n *yaml.Node) (map[string][]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: people must map each person to the names they use, e.g. alice: [U01LEGAL1, alice]", n.Line)
	}
	people := map[string][]string{}
	owner := map[string]string{}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		person := strings.TrimSpace(k.Value)
		switch {
		case k.Kind != yaml.ScalarNode || person == "":
			return nil, fmt.Errorf("line %d: a person needs a name", k.Line)
		case people[person] != nil:
			return nil, fmt.Errorf("line %d: person %q given twice", k.Line, person)
		case v.Kind != yaml.SequenceNode || len(v.Content) == 0:
			return nil, fmt.Errorf("line %d: person %q must list the names they use", v.Line, person)
		}
		for _, m := range v.Content {
			name := strings.TrimSpace(m.Value)
			if m.Kind != yaml.ScalarNode || name == "" || m.Tag == "!!null" || strings.ContainsAny(name, " \t@<>") {
				return nil, fmt.Errorf("line %d: person %q: a name must be a member as in groups (slack:, token: or oidc:)", m.Line, person)
			}
			q, err := dsrflow.ReviewerMember(name)
			if err != nil {
				return nil, fmt.Errorf("line %d: person %q: %s", m.Line, person, dsrflow.ErrorMessage(err))
			}
			if owner[q] != "" {
				return nil, fmt.Errorf("line %d: %s is a name of both %q and %q", m.Line, name, owner[q], person)
			}
			owner[q] = person
			people[person] = append(people[person], name)
		}
	}
	return people, nil
}
