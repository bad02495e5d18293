package web

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dsrflow/dsrflow"
)

// The privacy center's texts live in one file per language, ui/texts.<lang>.json (dsrflow.Languages),
// so the pages are translated by translating those files; every file has the keys of texts.en.json,
// with the same placeholders (TestTextsComplete). A broken file is a build mistake: it panics when the
// first server is made (NewServer), not at package init; a missing key fails the page that asks for it.

var texts = sync.OnceValue(mustTexts)

func mustTexts() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range dsrflow.Languages {
		name := "ui/texts." + lang + ".json"
		b, err := uiFS.ReadFile(name)
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		out[lang] = m
	}
	return out
}

// textIn returns the text under key in lang; templates call it as {{t "key"}}.
func textIn(lang, key string) (string, error) {
	if v, ok := texts()[lang][key]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no text %q in ui/texts.%s.json", key, lang)
}

// mustTextIn is textIn for keys the code names: a missing one is a bug.
func mustTextIn(lang, key string) string {
	v, err := textIn(lang, key)
	if err != nil {
		panic(err)
	}
	return v
}
