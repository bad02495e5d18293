package web

import (
	"encoding/json"
	"fmt"
	"sync"
)

// The privacy center's texts live in one file, ui/texts.en.json, so the pages can be translated by
// translating that file. A broken file is a build mistake: it panics when the first server is made
// (NewServer), not at package init; a missing key fails the page that asks for it.

var texts = sync.OnceValue(mustTexts)

func mustTexts() map[string]string {
	b, err := uiFS.ReadFile("ui/texts.en.json")
	if err != nil {
		panic(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("ui/texts.en.json: %v", err))
	}
	return m
}

// text returns the text under key; templates call it as {{t "key"}}.
func text(key string) (string, error) {
	if v, ok := texts()[key]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no text %q in ui/texts.en.json", key)
}
