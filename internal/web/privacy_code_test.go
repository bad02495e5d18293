package web

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// The status page says why a code was not taken in the page's language, never as the API's English.
func TestCodeErrorInThePagesLanguage(t *testing.T) {
	wrong := func(left string) error {
		return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "wrong code; " + left + " attempts left", Fields: map[string]string{"code": "wrong", "attempts_left": left}}
	}
	for _, tc := range []struct {
		lang string
		err  error
		want string
	}{
		{"en", wrong("4"), "You have 4 attempts left."},
		{"sv", wrong("4"), "Du har 4 försök kvar."},
		{"en", wrong("0"), "no attempts are left. Ask for a new code below."},
		{"nb", &dsrflow.Error{Code: dsrflow.EINVALID, Message: "the code is 6 digits", Fields: map[string]string{"code": "must be 6 digits"}}, "Koden har 6 sifre."},
		{"da", dsrflow.Errorf(dsrflow.ECONFLICT, "the code has expired; ask for a new one"), "Koden er udløbet."},
		{"fi", dsrflow.Errorf(dsrflow.ECONFLICT, "this request has no code to check"), "ei enää syötetä koodia"},
	} {
		got := codeError(tc.lang, tc.err)
		if !strings.Contains(got, tc.want) || strings.Contains(got, "wrong code;") {
			t.Errorf("%s %v: %q, want %q", tc.lang, tc.err, got, tc.want)
		}
	}
}
