package connectors

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// keepSections are connectors.yaml's top-level keys beside connectors:.
var keepSections = []string{"legal_entities", "legal_retention"}

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// decodeKeepSection reads legal_entities: or legal_retention: into kc. Every problem is reported with its
// line through errorf.
func decodeKeepSection(kc *KeepConfig, key string, v *yaml.Node, errorf func(int, string, ...any) error) []error {
	var errs []error
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return []error{errorf(v.Line, "%s must be a list", key)}
	}
	for i, item := range v.Content {
		item = Resolve(item)
		label := fmt.Sprintf("%s #%d", key, i+1)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, errorf(item.Line, "%s: expected a mapping", label))
			continue
		}
		fields := map[string]string{}
		lines := map[string]int{}
		allowed, named, prefix := []string{"name", "country", "financial_year_end"}, "name", "legal entity "
		if key == "legal_retention" {
			allowed, named, prefix = []string{"id", "entity", "country", "basis", "detail", "years", "years_after"}, "id", "legal_retention "
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k, e := item.Content[j], Resolve(item.Content[j+1]); k.Value == named && e.Kind == yaml.ScalarNode && e.Value != "" {
				label = prefix + e.Value
			}
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, e := item.Content[j], Resolve(item.Content[j+1])
			switch {
			case !slices.Contains(allowed, k.Value):
				errs = append(errs, errorf(k.Line, "%s: unknown field %q (expected %s)", label, k.Value, joinComma(allowed)))
			case lines[k.Value] != 0:
				errs = append(errs, errorf(k.Line, "%s: field %s given twice", label, k.Value))
			case e.Kind != yaml.ScalarNode || e.Tag == "!!null":
				errs = append(errs, errorf(e.Line, "%s: %s must be a single value", label, k.Value))
			default:
				fields[k.Value], lines[k.Value] = e.Value, k.Line
			}
		}
		at := func(field string) int {
			if l, ok := lines[field]; ok {
				return l
			}
			return item.Line
		}
		if key == "legal_entities" {
			e := LegalEntity{Name: fields["name"], Country: fields["country"], FinancialYearEnd: CalendarYearEnd}
			if e.Name == "" {
				errs = append(errs, errorf(item.Line, "%s: name (the legal entity, as connectors name their owner) is required", label))
			}
			if e.Country != "" && !countryPattern.MatchString(e.Country) {
				errs = append(errs, errorf(at("country"), "%s: country must be an ISO 3166 code like NO, not %q", label, e.Country))
			}
			if s, ok := fields["financial_year_end"]; ok {
				end, err := ParseYearEnd(s)
				if err != nil {
					errs = append(errs, errorf(at("financial_year_end"), "%s: %v", label, err))
				}
				e.FinancialYearEnd = end
			}
			if slices.ContainsFunc(kc.Entities, func(o LegalEntity) bool { return o.Name == e.Name && e.Name != "" }) {
				errs = append(errs, errorf(item.Line, "%s: listed twice", label))
			}
			kc.Entities = append(kc.Entities, e)
			continue
		}
		r := KeepRule{ID: fields["id"], Entity: fields["entity"], Country: fields["country"], Basis: fields["basis"],
			Detail: fields["detail"], YearsAfter: fields["years_after"]}
		if r.ID == "" {
			errs = append(errs, errorf(item.Line, "%s: id (the name datasets use: retain: {rule: ID}) is required", label))
		}
		if s, ok := fields["years"]; ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				n = -1
			}
			r.Years = n
		}
		switch {
		case (r.Entity == "") == (r.Country == ""):
			errs = append(errs, errorf(item.Line, "%s: give either entity (a legal entity) or country (every entity of that country)", label))
		case r.Country != "" && !countryPattern.MatchString(r.Country):
			errs = append(errs, errorf(at("country"), "%s: country must be an ISO 3166 code like NO, not %q", label, r.Country))
		}
		for _, p := range r.Check() {
			errs = append(errs, errorf(at(p.Field), "%s: %s", label, p.Msg))
		}
		if slices.ContainsFunc(kc.Rules, func(o KeepRule) bool {
			return o.ID == r.ID && o.Entity == r.Entity && o.Country == r.Country && r.ID != ""
		}) {
			errs = append(errs, errorf(item.Line, "%s: given twice for the same %s", label, whom(r)))
		}
		kc.Rules = append(kc.Rules, r)
		kc.ruleLines = append(kc.ruleLines, item.Line)
	}
	return errs
}

func whom(r KeepRule) string {
	if r.Entity != "" {
		return "entity"
	}
	return "country"
}

// checkKeepEntities reports rules for an entity legal_entities does not list: its country and financial
// year would be guessed.
func checkKeepEntities(kc KeepConfig, errorf func(int, string, ...any) error) []error {
	var errs []error
	for i, r := range kc.Rules {
		if r.Entity != "" && !slices.ContainsFunc(kc.Entities, func(e LegalEntity) bool { return e.Name == r.Entity }) {
			errs = append(errs, errorf(kc.ruleLines[i], "legal_retention %s: entity %q is not listed under legal_entities", r.ID, r.Entity))
		}
	}
	return errs
}
