package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBodiesHoldOneObjectAndNothingElse(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"type":"access"}`:                   true,
		`{"type":"access"}` + "\n":            true,
		`{"type":"access"}{"type":"erasure"}`: false,
		`{"type":"access"} trailing`:          false,
		`{"type":"access","admin":true}`:      false,
		`{"type":`:                            false,
		``:                                    false,
		`{"type":"` + strings.Repeat("a", maxBody): false,
	} {
		var v struct {
			Type string `json:"type"`
		}
		err := decodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &v)
		if (err == nil) != ok {
			t.Errorf("%.40q: err %v, want ok=%v", body, err, ok)
		}
	}
	for body, ok := range map[string]bool{``: true, " \n": true, `{}`: true, `{"to":"x@example.com"}`: false, `[]`: false, `{}{}`: false} {
		err := decodeEmptyJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)))
		if (err == nil) != ok {
			t.Errorf("empty body %q: err %v, want ok=%v", body, err, ok)
		}
	}
}
