package web

import (
	"encoding/json"
	"fmt"
)

// The privacy center's texts live in one file, ui/texts.en.json, so the pages can be translated by
// translating that file. A missing key is a build mistake: text panics at start-up through mustTexts.

var texts = mustTexts()

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
	if v, ok := texts[key]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no text %q in ui/texts.en.json", key)
}
