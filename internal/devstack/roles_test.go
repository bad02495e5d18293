package devstack_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// apiRoles is the access matrix of the JSON API: who may call each route. The test below holds every
// route to it, and fails when routes.go has a route the matrix does not list.
var apiRoles = map[string][]string{
	"POST /api/v1/requests":                         {"agent", "dpo", "admin"},
	"GET /api/v1/requests":                          {"agent", "reviewer", "dpo", "admin"},
	"GET /api/v1/requests/{id}":                     {"agent", "reviewer", "dpo", "admin"},
	"POST /api/v1/requests/{id}/verify":             {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/resend":             {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/decisions":          {"reviewer", "dpo", "admin"},
	"POST /api/v1/requests/{id}/refusal":            {"reviewer", "dpo", "admin"},
	"POST /api/v1/requests/{id}/restriction/lift":   {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/extend":             {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/cancel":             {"agent", "dpo", "admin"},
	"GET /api/v1/requests/{id}/export":              {"agent", "dpo", "admin"},
	"GET /api/v1/requests/{id}/messages":            {"agent", "reviewer", "dpo", "admin"},
	"POST /api/v1/requests/{id}/assignee":           {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/notes":              {"agent", "dpo", "admin"},
	"GET /api/v1/routed":                            {"agent", "reviewer", "dpo", "admin"},
	"POST /api/v1/routed/{id}/instruction":          {"agent", "dpo", "admin"},
	"GET /api/v1/dashboard":                         {"agent", "reviewer", "dpo", "admin"},
	"GET /api/v1/outbox":                            {"admin"},
	"POST /api/v1/disclosures":                      {"agent", "dpo", "admin"},
	"POST /api/v1/disclosures/{id}/decisions":       {"reviewer", "dpo", "admin"},
	"GET /api/v1/reviews":                           {"agent", "reviewer", "dpo", "admin"},
	"GET /api/v1/reports/transparency":              {"dpo", "admin"},
	"GET /api/v1/reports/stats":                     {"dpo", "admin"},
	"GET /api/v1/disclosures":                       {"dpo", "admin"},
	"GET /api/v1/disclosures/{id}/order":            {"dpo", "admin"},
	"GET /api/v1/requests/{id}/tasks":               {"agent", "dpo", "admin"},
	"GET /api/v1/tasks":                             {"agent", "dpo", "admin"},
	"GET /api/v1/tasks/{id}":                        {"agent", "dpo", "admin"},
	"POST /api/v1/tasks/{id}/outcome":               {"agent", "dpo", "admin"},
	"POST /api/v1/requests/{id}/jobs/{job}/resolve": {"agent", "dpo", "admin"},
	"GET /api/v1/suppressions/{hash}":               {"agent", "reviewer", "dpo", "admin"},
}

var apiRoutePattern = regexp.MustCompile(`"((?:GET|POST|PUT|PATCH|DELETE) /api/[^"]*)"`)

func TestEveryAPIRouteChecksTheRole(t *testing.T) {
	src, err := os.ReadFile("../web/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range apiRoutePattern.FindAllStringSubmatch(string(src), -1) {
		if _, ok := apiRoles[m[1]]; !ok {
			t.Errorf("routes.go serves %s, which the role matrix in this test does not list", m[1])
		}
	}

	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	tokens := map[string]string{"none": "", "unknown": "dsr_tok_unknown", "admin": s.Token}
	for _, role := range []string{"agent", "reviewer", "dpo"} {
		tokens[role] = createToken(t, s, role+"-matrix", role)
	}
	c := apiClient{t: t, stack: s}
	routes := make([]string, 0, len(apiRoles))
	for r := range apiRoles {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{id}", "dsr_doesnotexist")
		path = strings.ReplaceAll(path, "{job}", "crm:access")
		path = strings.ReplaceAll(path, "{hash}", strings.Repeat("0", 64))
		var body any
		if method == "POST" {
			body = map[string]string{}
		}
		for _, who := range []string{"none", "unknown", "agent", "reviewer", "dpo", "admin"} {
			saved := s.Token
			s.Token = tokens[who]
			status, data := c.call(method, path, body)
			s.Token = saved
			switch {
			case who == "none" || who == "unknown":
				if status != http.StatusUnauthorized {
					t.Errorf("%s as %s: %d, want 401", route, who, status)
				}
			case slices.Contains(apiRoles[route], who):
				if status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
					t.Errorf("%s as %s: %d %s, want the route to serve the role", route, who, status, data)
				}
			default:
				if status != http.StatusForbidden {
					t.Errorf("%s as %s: %d, want 403", route, who, status)
				}
			}
		}
	}
}
