package helmtest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The README's production section is the install guide: these tests run the chart's side of its commands.
// Every `helm install` and `helm upgrade` in it renders with the values files its heredocs write and its
// --set, and decodes strictly; every Secret and key the rendered pods read is one a `kubectl create secret`
// of the section creates, and every Secret it creates is read; every value name it gives (in a values
// file, a --set or the text) is one values.yaml has.

const readme = "../../README.md"

// guide is what the README's production section gives a reader to run.
type guide struct {
	text    string              // the section's text
	files   map[string]string   // heredoc `cat > NAME <<'EOF'`: NAME -> content
	secrets map[string][]string // kubectl create secret: name -> keys
	helm    [][]string          // helm install/upgrade command lines, split into words
}

func readGuide(t *testing.T) guide {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Production\n")
	if i < 0 {
		t.Fatal("README.md has no ## Production section")
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	g := guide{text: s, files: map[string]string{}, secrets: map[string][]string{}}
	heredoc := regexp.MustCompile(`^cat > (\S+) <<'EOF'$`)
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s, -1) {
		lines := strings.Split(block[1], "\n")
		var logical string
		for n := 0; n < len(lines); n++ {
			line := lines[n]
			if m := heredoc.FindStringSubmatch(line); m != nil {
				var body []string
				for n++; n < len(lines) && lines[n] != "EOF"; n++ {
					body = append(body, lines[n])
				}
				g.files[m[1]] = strings.Join(body, "\n") + "\n"
				continue
			}
			if strings.HasSuffix(line, "\\") {
				logical += strings.TrimSuffix(line, "\\") + " "
				continue
			}
			g.command(t, words(logical+line))
			logical = ""
		}
	}
	if len(g.helm) == 0 || len(g.secrets) == 0 {
		t.Fatalf("the production section has %d helm install/upgrade commands and %d secrets", len(g.helm), len(g.secrets))
	}
	return g
}

// command records a kubectl create secret or a helm install/upgrade.
func (g *guide) command(t *testing.T, w []string) {
	t.Helper()
	switch {
	case len(w) > 1 && w[0] == "helm" && (w[1] == "install" || w[1] == "upgrade"):
		g.helm = append(g.helm, w)
	case len(w) > 0 && w[0] == "kubectl" && slices.Contains(w, "secret") && slices.Contains(w, "create"):
		var pos []string // the words after "secret" that are not flags: TYPE NAME
		var keys []string
		for i := slices.Index(w, "secret") + 1; i < len(w); i++ {
			switch a := w[i]; {
			case a == "-n" || a == "--namespace":
				i++
			case strings.HasPrefix(a, "--from-literal="), strings.HasPrefix(a, "--from-file="):
				kv := a[strings.Index(a, "=")+1:]
				key, _, ok := strings.Cut(kv, "=")
				if !ok {
					key = filepath.Base(kv)
				}
				keys = append(keys, key)
			case strings.HasPrefix(a, "-"):
			default:
				pos = append(pos, a)
			}
		}
		if len(pos) != 2 {
			t.Fatalf("kubectl create secret without TYPE NAME: %q", w)
		}
		if pos[0] == "tls" {
			keys = append(keys, "tls.crt", "tls.key")
		}
		g.secrets[pos[1]] = append(g.secrets[pos[1]], keys...)
	}
}

// words splits a shell command line into its words: quotes, and # comments outside them.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return out
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// chartValues is values.yaml as a tree.
func chartValues(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkValues reports every key of got that values.yaml (want) does not have. Below an empty map or a
// list of values.yaml (annotations, extraEnv...) any key goes.
func checkValues(t *testing.T, where, path string, got, want any) {
	t.Helper()
	wm, wantMap := want.(map[string]any)
	if !wantMap {
		_, gotMap := got.(map[string]any)
		_, wantList := want.([]any)
		if gotMap && !wantList {
			t.Errorf("%s: %s is a map, but values.yaml has %v there", where, path, want)
		}
		return
	}
	if len(wm) == 0 {
		return
	}
	gm, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s: %s is %v, but values.yaml has a map there", where, path, got)
		return
	}
	for k, v := range gm {
		p := strings.TrimPrefix(path+"."+k, ".")
		w, has := wm[k]
		if !has {
			t.Errorf("%s: %s is not a value of the chart (values.yaml)", where, p)
			continue
		}
		checkValues(t, where, p, v, w)
	}
}

// valuePath reports whether a dotted value name (temporal.apiKey.existingSecret) is in values.yaml.
func valuePath(values map[string]any, name string) bool {
	var node any = values
	for _, seg := range strings.Split(name, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[seg]; !ok {
			return false
		}
	}
	return true
}

// TestReadmeInstall renders each helm install and upgrade of the README's production section as written
// and checks its Secrets and value names against the chart.
func TestReadmeInstall(t *testing.T) {
	g := readGuide(t)
	values := chartValues(t)
	dir := t.TempDir()
	for name, content := range g.files {
		var v map[string]any
		if err := yaml.UnmarshalStrict([]byte(content), &v); err != nil {
			t.Fatalf("the README's %s is not YAML: %v", name, err)
		}
		checkValues(t, "README "+name, "", v, values)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := map[string]bool{} // Secrets the rendered pods read
	for _, cmd := range g.helm {
		line := strings.Join(cmd, " ")
		if len(cmd) < 4 || cmd[3] != "deploy/helm/dsrflow" {
			t.Errorf("%s: want helm %s RELEASE deploy/helm/dsrflow ...", line, cmd[1])
			continue
		}
		var args []string
		for i := 4; i < len(cmd); i++ {
			switch cmd[i] {
			case "-f", "--values":
				i++
				if i == len(cmd) || g.files[cmd[i]] == "" {
					t.Fatalf("%s: no heredoc of the section writes its values file", line)
				}
				args = append(args, "-f", filepath.Join(dir, cmd[i]))
			case "--set":
				i++
				k, _, _ := strings.Cut(cmd[i], "=")
				if !valuePath(values, k) {
					t.Errorf("%s: --set %s is not a value of the chart", line, k)
				}
				args = append(args, "--set", cmd[i])
			}
		}
		out, err := renderArgs(t, args...)
		if err != nil {
			t.Errorf("%s does not render: %v", line, err)
			continue
		}
		for key, obj := range decode(t, out) {
			var pod *corev1.PodSpec
			switch o := obj.(type) {
			case *appsv1.Deployment:
				pod = &o.Spec.Template.Spec
			case *batchv1.Job:
				pod = &o.Spec.Template.Spec
			default:
				continue
			}
			checkPodSecrets(t, line+": "+key, pod, g.secrets, read)
		}
	}
	for name := range g.secrets {
		if !read[name] {
			t.Errorf("the README creates Secret %s, which no pod of its helm commands reads", name)
		}
	}

	// Value names in the text and the commands' comments: `setup.enabled`, (database.existingSecret)...
	text := g.text
	for _, m := range regexp.MustCompile("(?m)(?:^|[\\s(`{])([a-z][A-Za-z]*(?:\\.[A-Za-z]+)+)").FindAllStringSubmatchIndex(text, -1) {
		name, rest := text[m[2]:m[3]], text[m[3]:]
		// A whole word: not the start of a host name, a path or a longer identifier.
		if rest != "" && !strings.ContainsAny(rest[:1], " \t\n),:;`}") && !(rest[0] == '.' && (len(rest) == 1 || strings.ContainsAny(rest[1:2], " \n"))) {
			continue
		}
		segs := strings.Split(name, ".")
		if _, top := values[segs[0]]; !top || slices.Contains([]string{"yaml", "yml", "go", "json", "md", "sh"}, segs[len(segs)-1]) {
			continue
		}
		if !valuePath(values, name) {
			t.Errorf("the README names the value %s, which values.yaml does not have", name)
		}
	}
}

// checkPodSecrets checks that every Secret key a pod reads (env secretKeyRef, or a file of a mounted
// Secret named in an env value) is created by the README, and records the Secrets read.
func checkPodSecrets(t *testing.T, where string, pod *corev1.PodSpec, created map[string][]string, read map[string]bool) {
	t.Helper()
	has := func(name, key string) {
		read[name] = true
		keys, ok := created[name]
		switch {
		case !ok:
			t.Errorf("%s reads Secret %s, which the README does not create", where, name)
		case !slices.Contains(keys, key):
			t.Errorf("%s reads key %s of Secret %s; the README creates it with %s", where, key, name, strconv.Quote(strings.Join(keys, ",")))
		}
	}
	secretVolumes := map[string]string{} // volume name -> Secret
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			secretVolumes[v.Name] = v.Secret.SecretName
		}
	}
	for _, c := range pod.Containers {
		mounts := map[string]string{} // mount path -> Secret
		for _, m := range c.VolumeMounts {
			if s, ok := secretVolumes[m.Name]; ok {
				mounts[m.MountPath] = s
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				has(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			for path, s := range mounts {
				if key, ok := strings.CutPrefix(e.Value, path+"/"); ok {
					has(s, key)
				}
			}
		}
	}
}
