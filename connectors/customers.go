package connectors

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
)

// Customer is a business customer for whom the group processes personal data as a processor (GDPR
// Art. 28): the controller of the data in its tenants of processor systems. When a subject's request
// finds data in one of its tenants, the customer is told and decides (a routed item).
type Customer struct {
	ID        string `json:"id"`
	LegalName string `json:"legal_name"`
	// Email is the customer's privacy contact: routed items are mailed there.
	Email string `json:"email"`
	// CallbackURL, when set, also receives routed items as signed protocol v1 posts, signed with the
	// secret in the variable SecretEnv names.
	CallbackURL string `json:"callback_url,omitempty"`
	SecretEnv   string `json:"secret_env,omitempty"`
	Secret      []byte `json:"-"`
	// DeadlineDays is the data processing agreement's assistance deadline in business days: by then the
	// customer is expected to have instructed; a routed item left unanswered is escalated then.
	DeadlineDays int `json:"dpa_deadline_days"`
	// Language is the language the customer is written to (dsrflow.Languages).
	Language string `json:"language"`
}

// Customers is the registry of business customers (customers.yaml), read-only after load.
type Customers struct {
	byID map[string]Customer
	ids  []string
}

// maxDeadlineDays bounds a DPA's assistance deadline: a request's own deadline is one month, extendable
// by two (GDPR Art. 12(3)), so a longer assistance period could never be kept.
const maxDeadlineDays = 60

// customerFields are the keys a customer may have in customers.yaml.
var customerFields = []string{"id", "legal_name", "email", "callback_url", "secret_env", "dpa_deadline_days", "language"}

// LoadCustomers reads customers.yaml; callback secrets come from the variables the file names.
func LoadCustomers(path string, getenv func(string) string) (*Customers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	return parseCustomers(path, data, getenv)
}

// ParseCustomers is LoadCustomers for the contents of a customers.yaml.
func ParseCustomers(data []byte, getenv func(string) string) (*Customers, error) {
	return parseCustomers("customers.yaml", data, getenv)
}

func parseCustomers(name string, data []byte, getenv func(string) string) (*Customers, error) {
	var doc struct {
		Customers []yaml.Node `yaml:"customers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var errs []error
	var list []Customer
	for i, n := range doc.Customers {
		label := fmt.Sprintf("#%d", i+1)
		if n.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s:%d: customer %s: expected a mapping", name, n.Line, label))
			continue
		}
		for j := 0; j+1 < len(n.Content); j += 2 {
			if k := n.Content[j]; !slices.Contains(customerFields, k.Value) {
				errs = append(errs, fmt.Errorf("%s:%d: customer %s: unknown field %q (expected %s)", name, k.Line, label, k.Value, strings.Join(customerFields, ", ")))
			}
		}
		var c Customer
		if err := n.Decode(&struct {
			ID           *string `yaml:"id"`
			LegalName    *string `yaml:"legal_name"`
			Email        *string `yaml:"email"`
			CallbackURL  *string `yaml:"callback_url"`
			SecretEnv    *string `yaml:"secret_env"`
			DeadlineDays *int    `yaml:"dpa_deadline_days"`
			Language     *string `yaml:"language"`
		}{&c.ID, &c.LegalName, &c.Email, &c.CallbackURL, &c.SecretEnv, &c.DeadlineDays, &c.Language}); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: customer %s: %s", name, n.Line, label, strings.TrimPrefix(err.Error(), "yaml: ")))
			continue
		}
		if c.ID != "" {
			label = c.ID
		}
		if c.Language == "" {
			c.Language = dsrflow.DefaultLanguage
		}
		if c.SecretEnv != "" && getenv != nil {
			c.Secret = []byte(getenv(c.SecretEnv))
		}
		for _, p := range c.check() {
			errs = append(errs, fmt.Errorf("%s:%d: customer %s: %s", name, n.Line, label, p))
		}
		list = append(list, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewCustomers(list...)
}

// NewCustomers validates customers built in code (tests, the demo) as customers.yaml is validated.
// An empty Language is the default language.
func NewCustomers(list ...Customer) (*Customers, error) {
	cs := &Customers{byID: map[string]Customer{}}
	var errs []error
	for _, c := range list {
		if c.Language == "" {
			c.Language = dsrflow.DefaultLanguage
		}
		for _, p := range c.check() {
			errs = append(errs, fmt.Errorf("customer %s: %s", c.ID, p))
		}
		if _, dup := cs.byID[c.ID]; dup {
			errs = append(errs, fmt.Errorf("customer %s: duplicate id", c.ID))
		}
		cs.byID[c.ID] = c
		cs.ids = append(cs.ids, c.ID)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(cs.ids)
	return cs, nil
}

// check returns what is wrong with a customer, naming fields, never values.
func (c Customer) check() []string {
	var ps []string
	switch {
	case c.ID == "":
		ps = append(ps, "id is required")
	case !idPattern.MatchString(c.ID):
		ps = append(ps, "id must match [a-z0-9_-]+")
	}
	if strings.TrimSpace(c.LegalName) == "" {
		ps = append(ps, "legal_name is required")
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
		ps = append(ps, "email must be the privacy contact's address")
	}
	if c.CallbackURL != "" {
		u, err := url.Parse(c.CallbackURL)
		local := err == nil && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1")
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && local)) {
			ps = append(ps, "callback_url must be an https URL")
		}
		switch {
		case c.SecretEnv == "":
			ps = append(ps, "secret_env is required with callback_url")
		case len(c.Secret) < MinSecretBytes:
			ps = append(ps, fmt.Sprintf("secret_env: the secret must be at least %d bytes", MinSecretBytes))
		}
	} else if c.SecretEnv != "" {
		ps = append(ps, "secret_env is only for callback_url")
	}
	if c.DeadlineDays < 1 || c.DeadlineDays > maxDeadlineDays {
		ps = append(ps, fmt.Sprintf("dpa_deadline_days must be between 1 and %d business days", maxDeadlineDays))
	}
	if _, ok := dsrflow.ParseLanguage(c.Language); !ok || c.Language != strings.ToLower(c.Language) {
		ps = append(ps, fmt.Sprintf("language must be one of %s", strings.Join(dsrflow.Languages, ", ")))
	}
	return ps
}

// Get returns the customer with the id.
func (cs *Customers) Get(id string) (Customer, bool) {
	if cs == nil {
		return Customer{}, false
	}
	c, ok := cs.byID[id]
	c.Secret = slices.Clone(c.Secret)
	return c, ok
}

// List returns every customer, sorted by id.
func (cs *Customers) List() []Customer {
	if cs == nil {
		return nil
	}
	out := make([]Customer, 0, len(cs.ids))
	for _, id := range cs.ids {
		c, _ := cs.Get(id)
		out = append(out, c)
	}
	return out
}
