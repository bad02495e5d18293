// Package texttest checks translated text files: the subject-facing texts of the privacy center
// (internal/web/ui/texts.<lang>.json) and of mails and exports (internal/answer/texts/<lang>.json).
// Only tests import it.
package texttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// Complete fails t when a language of dsrflow.Languages lacks a key of English, has a key English does
// not, leaves one empty, gives a key twice in one file (encoding/json would keep the last one silently,
// so the first is never shown), or when a text's placeholders differ from the English one's. read
// returns a language's file and the name to report it by.
func Complete(t testing.TB, placeholder *regexp.Regexp, read func(lang string) (name string, b []byte, err error)) {
	t.Helper()
	load := func(lang string) (string, map[string]string) {
		name, b, err := read(lang)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		m, err := decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return name, m
	}
	_, en := load(dsrflow.Languages[0])
	for _, lang := range dsrflow.Languages[1:] {
		name, m := load(lang)
		for k, v := range en {
			got, ok := m[k]
			switch {
			case !ok:
				t.Errorf("%s lacks %q", name, k)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s: %q is empty", name, k)
			default:
				want, have := placeholder.FindAllString(v, -1), placeholder.FindAllString(got, -1)
				slices.Sort(want)
				slices.Sort(have)
				if !slices.Equal(want, have) {
					t.Errorf("%s %q has placeholders %v, English has %v", name, k, have, want)
				}
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English does not", name, k)
			}
		}
	}
}

// decode reads a flat JSON object of strings, refusing a key given twice.
func decode(b []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%q: %v", k, err)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q is given twice", k)
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return m, nil
}
