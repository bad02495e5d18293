// Package answer writes what dsrflow tells the data subject when a request ends: the plain-language
// message (Compose) and, for access and portability, the export bundle (BuildExport). Both draw the
// controller's standing information — who it is, why it processes data, who receives it, how long it keeps
// it, the subject's rights and where to complain (GDPR Art. 15(1)(a)–(h)) — from controller.yaml
// (LoadController).
package answer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"gopkg.in/yaml.v3"
)

// DefaultRecordRetention is how long dsrflow keeps its own record of a request (the evidence that it was
// handled) when controller.yaml does not say.
const DefaultRecordRetention = "3 years after the request closes"

// Controller is the controller's standing information, as controller.yaml gives it.
type Controller struct {
	// Name is how the controller signs its answers: "Example Group".
	Name    string  `yaml:"name"`
	Contact Contact `yaml:"contact"`
	// DPO is the data protection officer's contact (Art. 13(1)(b)).
	DPO Contact `yaml:"dpo"`
	// GroupCompanies lists the legal entities that share the controller's policy.
	GroupCompanies []string `yaml:"group_companies"`

	Purposes   []Purpose   `yaml:"purposes"`   // Art. 15(1)(a), with the Art. 6 basis of each
	Categories []Category  `yaml:"categories"` // Art. 15(1)(b)
	Recipients []Recipient `yaml:"recipients"` // Art. 15(1)(c)
	// Transfers says how data sent outside the EU/EEA is protected (Art. 15(2)); empty when none is.
	Transfers string      `yaml:"transfers"`
	Retention []Retention `yaml:"retention"` // Art. 15(1)(d)
	Rights    []Right     `yaml:"rights"`    // Art. 15(1)(e): one per request type
	// Authorities are the supervisory authorities a subject may complain to, by country (Art. 15(1)(f));
	// FallbackAuthority serves every other country.
	Authorities       []Authority `yaml:"supervisory_authorities"`
	FallbackAuthority Authority   `yaml:"fallback_authority"`
	// Sources says where data not collected from the subject comes from (Art. 15(1)(g)).
	Sources            []string           `yaml:"sources"`
	AutomatedDecisions AutomatedDecisions `yaml:"automated_decisions"` // Art. 15(1)(h)
	// RecordRetention is how long dsrflow keeps its record of a request; DefaultRecordRetention if unset.
	RecordRetention string `yaml:"request_records_retention"`
	// Verification is how strongly identity is checked per request type.
	Verification VerificationPolicy `yaml:"verification"`
}

// VerificationPolicy is controller.yaml's verification section.
type VerificationPolicy struct {
	// Sensitive lists the request types whose data is sensitive enough that an emailed code does not
	// prove who asks (EDPB Guidelines 01/2022 on the right of access, §§ 70-73: verification in
	// proportion to the data): they take an eID verification or an agent's attestation.
	Sensitive dsrflow.Sensitive `yaml:"sensitive"`
}

// Contact is how to reach the controller or its DPO.
type Contact struct {
	Name    string `yaml:"name"`
	Email   string `yaml:"email"`
	Address string `yaml:"address"`
	URL     string `yaml:"url"`
}

// Purpose is one purpose of processing and its legal basis.
type Purpose struct {
	// ID names the purpose in consent withdrawals and objections (InputPurposes): "email_marketing".
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// LegalBasis is one of the Art. 6(1) bases: consent, contract, legal_obligation, vital_interests,
	// public_task, legitimate_interests.
	LegalBasis string `yaml:"legal_basis"`
	// LegalBasisDetail explains the basis: the legitimate interest, or the law.
	LegalBasisDetail string `yaml:"legal_basis_detail"`
	// DirectMarketing marks direct marketing, or profiling related to it: an objection naming it is
	// absolute (GDPR Art. 21(3)), never reviewed or refused.
	DirectMarketing bool `yaml:"direct_marketing"`
}

// DeclaredPurposes are the purposes requests may name (consent withdrawals, objections), in file order.
func (c Controller) DeclaredPurposes() []dsrflow.DeclaredPurpose {
	out := make([]dsrflow.DeclaredPurpose, len(c.Purposes))
	for i, p := range c.Purposes {
		out[i] = dsrflow.DeclaredPurpose{ID: p.ID, Name: p.Name, LegalBasis: p.LegalBasis, DirectMarketing: p.DirectMarketing}
	}
	return out
}

// Category is a category of personal data the controller processes.
type Category struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Taxonomy lists the data-category prefixes connectors report (user.contact, user.financial, ...)
	// that belong to this category; the longest matching prefix names a record's field in the answer.
	Taxonomy []string `yaml:"taxonomy"`
	// What an export says of each dataset holding data of this category (Art. 15(1)(a), (c), (d), (g)):
	// Purposes are ids of the controller's purposes (each shown with its legal basis); Retention says
	// how long it is kept; Source where it comes from; Recipients names entries of recipients. Optional:
	// a dataset whose categories say none of these shows only its kinds of data.
	Purposes   []string `yaml:"purposes"`
	Retention  string   `yaml:"retention"`
	Source     string   `yaml:"source"`
	Recipients []string `yaml:"recipients"`
}

// Recipient kinds.
const (
	RecipientGroup       = "group_companies"
	RecipientPartners    = "partners"
	RecipientAuthorities = "authorities"
	RecipientOther       = "other"
)

// Recipient is a recipient or category of recipients.
type Recipient struct {
	Name string `yaml:"name"`
	// Kind is group_companies, partners, authorities or other.
	Kind        string `yaml:"kind"`
	Description string `yaml:"description"`
	// Condition limits when they receive data: authorities only with a court order.
	Condition string `yaml:"condition"`
}

// Retention is how long one kind of data is kept.
type Retention struct {
	Data   string `yaml:"data"`
	Period string `yaml:"period"`
}

// Right is one of the subject's rights, in plain language.
type Right struct {
	// Type is the request type that exercises it.
	Type dsrflow.RequestType `yaml:"type"`
	Name string              `yaml:"name"`
	Text string              `yaml:"text"`
}

// Authority is a supervisory authority.
type Authority struct {
	// Country is the ISO 3166-1 alpha-2 code; empty for the fallback.
	Country string `yaml:"country"`
	Name    string `yaml:"name"`
	URL     string `yaml:"url"`
	// Address is the postal address, one line per line of the envelope.
	Address string `yaml:"address"`
	// Note tells the subject something particular: which authority is competent in a federal state.
	Note string `yaml:"note"`
}

// AutomatedDecisions is the Art. 15(1)(h) information.
type AutomatedDecisions struct {
	// Decisions says whether decisions with legal or similarly significant effects are automated.
	Decisions string `yaml:"decisions"`
	// Profiling describes the profiling done, its logic and consequences.
	Profiling string `yaml:"profiling"`
}

// Authority returns the supervisory authority of country (the subject's residence, ISO code, any case):
// the built-in table's (authorities.json) with controller.yaml's entry for the country laid over it, or
// the fallback for a country neither has.
func (c Controller) Authority(country string) Authority {
	country = strings.ToUpper(strings.TrimSpace(country))
	a, known := authorities()[country]
	for _, o := range c.Authorities {
		if o.Country == country {
			return a.overlay(o)
		}
	}
	if known {
		return a
	}
	return c.FallbackAuthority
}

// purpose returns the purpose with the id, if there is one.
func (c Controller) purpose(id string) (Purpose, bool) {
	for _, p := range c.Purposes {
		if p.ID == id {
			return p, true
		}
	}
	return Purpose{}, false
}

// categoryName names a connector's data category (user.contact.email) by the controller category whose
// taxonomy prefix matches it longest; "" when none does.
func (c Controller) categoryName(taxonomy string) string {
	best, bestLen := "", -1
	for _, cat := range c.Categories {
		for _, prefix := range cat.Taxonomy {
			if (taxonomy == prefix || strings.HasPrefix(taxonomy, prefix+".")) && len(prefix) > bestLen {
				best, bestLen = cat.Name, len(prefix)
			}
		}
	}
	return best
}

// describedBy returns the controller categories that describe the connector categories given (the
// longest matching taxonomy prefix of each), in the controller's order.
func (c Controller) describedBy(taxonomy []string) []Category {
	var out []Category
	for _, cat := range c.Categories {
		for _, t := range taxonomy {
			if c.categoryName(t) == cat.Name {
				out = append(out, cat)
				break
			}
		}
	}
	return out
}

// Describes reports whether one of the controller's categories describes a connector's data category
// (its taxonomy prefix matches), so that an answer can name it (GDPR Art. 15(1)(b)).
func (c Controller) Describes(taxonomy string) bool { return c.categoryName(taxonomy) != "" }

// LoadController reads and checks a controller configuration file.
func LoadController(path string) (Controller, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Controller{}, dsrflow.Errorf(dsrflow.EINVALID, "controller config: %v", err)
	}
	c, err := ParseController(data)
	if err != nil {
		return Controller{}, dsrflow.Errorf(dsrflow.EINVALID, "%s: %s", path, dsrflow.ErrorMessage(err))
	}
	return c, nil
}

// ParseController parses and checks a controller configuration. Unknown fields, duplicate keys, missing
// required information and more than one YAML document are errors; each problem names its line. The
// error is a *dsrflow.Error with code EINVALID.
func ParseController(data []byte) (Controller, error) {
	var c Controller
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return Controller{}, dsrflow.Errorf(dsrflow.EINVALID, "controller config is empty")
		}
		return Controller{}, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return Controller{}, yamlError(err)
		}
		return Controller{}, dsrflow.Errorf(dsrflow.EINVALID, "controller config: line %d: only one YAML document is allowed", line)
	}
	// The node tree gives the checks below their line numbers; decoding already succeeded, so this does.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Controller{}, yamlError(err)
	}
	if c.RecordRetention == "" {
		c.RecordRetention = DefaultRecordRetention
	}
	if problems := check(c, &root); len(problems) > 0 {
		return Controller{}, dsrflow.Errorf(dsrflow.EINVALID, "controller config: %s", strings.Join(problems, "; "))
	}
	c.normalize()
	return c, nil
}

// normalize trims the codes and upper-cases country codes, so that comparisons are plain. The checks
// run before it, so that their messages quote the file.
func (c *Controller) normalize() {
	for i := range c.Authorities {
		c.Authorities[i].Country = strings.ToUpper(strings.TrimSpace(c.Authorities[i].Country))
	}
	for i := range c.Purposes {
		c.Purposes[i].ID = strings.TrimSpace(c.Purposes[i].ID)
		c.Purposes[i].LegalBasis = strings.TrimSpace(c.Purposes[i].LegalBasis)
	}
	for i := range c.Recipients {
		c.Recipients[i].Kind = strings.TrimSpace(c.Recipients[i].Kind)
	}
}

// typeNoise matches the Go type names yaml.v3 puts in its messages; operators need the line, not them.
var typeNoise = regexp.MustCompile(` in type [\w.*\[\]]+`)

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = typeNoise.ReplaceAllString(m, "")
		}
		return dsrflow.Errorf(dsrflow.EINVALID, "controller config: %s", strings.Join(msgs, "; "))
	}
	return dsrflow.Errorf(dsrflow.EINVALID, "controller config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// LegalBases are the Art. 6(1) bases a purpose may name.
var LegalBases = []string{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"}

var (
	purposeID   = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
)

// checker collects problems, each with the line of the value it is about.
type checker struct {
	root     *yaml.Node
	problems []string
}

func check(c Controller, root *yaml.Node) []string {
	k := &checker{root: root}
	k.required(c.Name, "name")
	k.email(c.Contact.Email, "contact", "email")
	k.email(c.DPO.Email, "dpo", "email")
	k.optionalURL(c.Contact.URL, "contact", "url")

	k.nonEmpty(len(c.Purposes), "purposes")
	ids := map[string]bool{}
	for i, p := range c.Purposes {
		k.required(p.Name, "purposes", i, "name")
		p.ID, p.LegalBasis = strings.TrimSpace(p.ID), strings.TrimSpace(p.LegalBasis)
		switch {
		case !purposeID.MatchString(p.ID):
			k.fail(fmt.Sprintf("purposes[%d].id %q must be lower case letters, digits and _", i, p.ID), "purposes", i, "id")
		case ids[p.ID]:
			k.fail(fmt.Sprintf("purposes[%d].id %q is used twice", i, p.ID), "purposes", i, "id")
		}
		ids[p.ID] = true
		if !slices.Contains(LegalBases, p.LegalBasis) {
			k.fail(fmt.Sprintf("purposes[%d].legal_basis %q is not one of %s", i, p.LegalBasis, strings.Join(LegalBases, ", ")), "purposes", i, "legal_basis")
		}
	}

	for i, t := range c.Verification.Sensitive {
		switch {
		case !t.Valid():
			k.fail(fmt.Sprintf("verification.sensitive[%d] %q is not a request type", i, t), "verification", "sensitive", i)
		case t.DefaultVerification() == dsrflow.VerifyNone:
			k.fail(fmt.Sprintf("verification.sensitive[%d] %q needs no verification at all (an opt-out)", i, t), "verification", "sensitive", i)
		}
	}

	k.nonEmpty(len(c.Categories), "categories")
	for i, cat := range c.Categories {
		k.required(cat.Name, "categories", i, "name")
		for j, id := range cat.Purposes {
			if _, ok := c.purpose(strings.TrimSpace(id)); !ok {
				k.fail(fmt.Sprintf("categories[%d].purposes[%d] %q is not the id of one of purposes", i, j, id), "categories", i, "purposes", j)
			}
		}
		for j, name := range cat.Recipients {
			if !slices.ContainsFunc(c.Recipients, func(r Recipient) bool { return r.Name == strings.TrimSpace(name) }) {
				k.fail(fmt.Sprintf("categories[%d].recipients[%d] %q is not the name of one of recipients", i, j, name), "categories", i, "recipients", j)
			}
		}
	}

	k.nonEmpty(len(c.Recipients), "recipients")
	kinds := []string{RecipientGroup, RecipientPartners, RecipientAuthorities, RecipientOther}
	for i, r := range c.Recipients {
		k.required(r.Name, "recipients", i, "name")
		r.Kind = strings.TrimSpace(r.Kind)
		if !slices.Contains(kinds, r.Kind) {
			k.fail(fmt.Sprintf("recipients[%d].kind %q is not one of %s", i, r.Kind, strings.Join(kinds, ", ")), "recipients", i, "kind")
		}
		if r.Kind == RecipientAuthorities && strings.TrimSpace(r.Condition) == "" {
			k.fail(fmt.Sprintf("recipients[%d].condition must say when authorities receive data (a court order)", i), "recipients", i)
		}
	}

	k.nonEmpty(len(c.Retention), "retention")
	for i, r := range c.Retention {
		k.required(r.Data, "retention", i, "data")
		k.required(r.Period, "retention", i, "period")
	}

	seen := map[dsrflow.RequestType]bool{}
	for i, r := range c.Rights {
		switch {
		case !r.Type.Valid():
			k.fail(fmt.Sprintf("rights[%d].type %q is not a request type", i, r.Type), "rights", i, "type")
		case seen[r.Type]:
			k.fail(fmt.Sprintf("rights[%d].type %q is listed twice", i, r.Type), "rights", i, "type")
		}
		seen[r.Type] = true
		k.required(r.Name, "rights", i, "name")
		k.required(r.Text, "rights", i, "text")
	}
	// Every GDPR right is described (the Art. 13-15 information every answer and export carries); a
	// right of another law only (CCPA do_not_sell) may be, and an existing file stays valid when one is
	// added.
	for _, r := range dsrflow.Rights {
		if t := r.Type; !seen[t] && r.ExistsUnder("gdpr") {
			k.fail(fmt.Sprintf("rights must describe %q", t), "rights")
		}
	}

	countries := map[string]bool{}
	for i, a := range c.Authorities {
		code := strings.ToUpper(strings.TrimSpace(a.Country))
		switch {
		case !countryCode.MatchString(code):
			k.fail(fmt.Sprintf("supervisory_authorities[%d].country %q is not a two-letter country code", i, a.Country), "supervisory_authorities", i, "country")
		case countries[code]:
			k.fail(fmt.Sprintf("supervisory_authorities[%d].country %q is listed twice", i, a.Country), "supervisory_authorities", i, "country")
		}
		countries[code] = true
		k.required(a.Name, "supervisory_authorities", i, "name")
		k.url(a.URL, "supervisory_authorities", i, "url")
	}
	if c.FallbackAuthority.Country != "" {
		k.fail("fallback_authority.country must be empty: it serves every other country", "fallback_authority", "country")
	}
	k.required(c.FallbackAuthority.Name, "fallback_authority", "name")
	k.url(c.FallbackAuthority.URL, "fallback_authority", "url")

	k.nonEmpty(len(c.Sources), "sources")
	for i, s := range c.Sources {
		k.required(s, "sources", i)
	}
	k.required(c.AutomatedDecisions.Decisions, "automated_decisions", "decisions")
	return k.problems
}

func (k *checker) fail(msg string, path ...any) {
	k.problems = append(k.problems, fmt.Sprintf("line %d: %s", lineOf(k.root, path...), msg))
}

func (k *checker) required(v string, path ...any) {
	if strings.TrimSpace(v) == "" {
		k.fail(pathString(path)+" is required", path...)
	}
}

func (k *checker) nonEmpty(n int, path ...any) {
	if n == 0 {
		k.fail(pathString(path)+" must list at least one entry", path...)
	}
}

func (k *checker) email(v string, path ...any) {
	if v = strings.TrimSpace(v); v == "" {
		k.fail(pathString(path)+" is required", path...)
	} else if at := strings.Index(v, "@"); at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " <>") {
		k.fail(fmt.Sprintf("%s %q is not an email address", pathString(path), v), path...)
	}
}

func (k *checker) url(v string, path ...any) {
	if strings.TrimSpace(v) == "" {
		k.fail(pathString(path)+" is required", path...)
		return
	}
	k.optionalURL(v, path...)
}

func (k *checker) optionalURL(v string, path ...any) {
	if v == "" {
		return
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		k.fail(fmt.Sprintf("%s %q is not an http(s) URL", pathString(path), v), path...)
	}
}

// pathString writes a path as the YAML reader sees it: purposes[2].legal_basis.
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

// lineOf returns the line of the value at path (mapping keys as strings, sequence indexes as ints), or
// of the deepest ancestor present when the value is missing.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		nextLine := 0
		switch p := p.(type) {
		case string:
			// A mapping value is placed at its key: "rights:" rather than its first item.
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next, nextLine = n.Content[i+1], n.Content[i].Line
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				nextLine = next.Line
			}
		}
		if next == nil {
			return line
		}
		n, line = next, nextLine
	}
	return line
}
