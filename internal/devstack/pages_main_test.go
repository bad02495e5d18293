package devstack_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Every page is checked (issue 17): checkPage records the template each checked page was rendered from
// (<body data-page>, set by the server's render) and tab the browser tests that ran. When every
// TestBrowser* test of the package ran and axe-core was there, TestMain fails the run if a template of
// internal/web/ui was never checked: a new page without a browser test is caught, not left unchecked.

var checked = struct {
	sync.Mutex
	pages map[string][]string // template -> the checks that saw it
	tests map[string]bool     // the browser tests that opened a tab
}{pages: map[string][]string{}, tests: map[string]bool{}}

func recordTest(t *testing.T) {
	checked.Lock()
	defer checked.Unlock()
	checked.tests[strings.SplitN(t.Name(), "/", 2)[0]] = true
}

func recordPage(page, name string) {
	checked.Lock()
	defer checked.Unlock()
	checked.pages[page] = append(checked.pages[page], name)
}

var browserTestFunc = regexp.MustCompile(`(?m)^func (TestBrowser\w*)\(t \*testing\.T\)`)

// uncheckedPages is the templates no check saw, and whether every browser test ran (else it is nil).
func uncheckedPages() ([]string, bool, error) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		return nil, false, err
	}
	checked.Lock()
	defer checked.Unlock()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, false, err
		}
		for _, m := range browserTestFunc.FindAllStringSubmatch(string(src), -1) {
			if !checked.tests[m[1]] {
				return nil, false, nil
			}
		}
	}
	templates, err := filepath.Glob("../web/ui/*.html")
	if err != nil {
		return nil, false, err
	}
	var missing []string
	for _, p := range templates {
		name := strings.TrimSuffix(filepath.Base(p), ".html")
		if name != "layout" && len(checked.pages[name]) == 0 {
			missing = append(missing, name)
		}
	}
	return missing, true, nil
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if _, err := loadAxe(); err == nil {
		missing, all, err := uncheckedPages()
		switch {
		case err != nil:
			fmt.Fprintln(os.Stderr, "pages checked:", err)
			code = 1
		case all && len(missing) > 0:
			fmt.Fprintf(os.Stderr, "FAIL: no browser test checks these pages of internal/web/ui with checkPage: %s\n", strings.Join(missing, ", "))
			code = 1
		case all:
			names := make([]string, 0, len(checked.pages))
			for p := range checked.pages {
				names = append(names, p)
			}
			sort.Strings(names)
			for _, p := range names {
				fmt.Fprintf(os.Stderr, "page %s checked as %s\n", p, strings.Join(slices.Compact(slices.Sorted(slices.Values(checked.pages[p]))), ", "))
			}
		}
	}
	os.Exit(code)
}
