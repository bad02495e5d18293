// Package helmtest renders deploy/helm/dsrflow with `helm template` and decodes every object strictly
// into the Kubernetes API types: a field misspelt or misplaced in a template fails here, not at install.
package helmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const chart = "../helm/dsrflow"

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) the chart writes; decoding into it
// strictly catches a field KEDA would not know.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount *int32 `json:"maxReplicaCount,omitempty"`
		Triggers        []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
			} `json:"authenticationRef,omitempty"`
		} `json:"triggers"`
	} `json:"spec"`
}

// newObject returns an empty object of the rendered document's kind.
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, nil
	case "v1/Service":
		return &corev1.Service{}, nil
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "batch/v1/Job":
		return &batchv1.Job{}, nil
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}, nil
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "keda.sh/v1alpha1/ScaledObject":
		return &scaledObject{}, nil
	}
	return nil, fmt.Errorf("the chart renders %s %s, which this test does not know: add it to newObject", apiVersion, kind)
}

func helm(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	if h, err := exec.LookPath("helm"); err == nil {
		return h
	}
	t.Fatal("helm not found: set HELM or run `make helm-test`, which installs the pinned version")
	return ""
}

// render runs helm template with the values files (under testdata) and returns its output, or the error
// text.
func render(t *testing.T, values ...string) (string, error) {
	t.Helper()
	var args []string
	for _, v := range values {
		args = append(args, "-f", filepath.Join("testdata", v))
	}
	return renderArgs(t, args...)
}

// renderArgs runs helm template on the chart with these further arguments (-f FILE, --set K=V).
func renderArgs(t *testing.T, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"template", "dsrflow", chart, "--namespace", "privacy"}, extra...)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// objects decodes every rendered document strictly, keyed by "Kind/name".
func objects(t *testing.T, values ...string) map[string]any {
	t.Helper()
	out, err := render(t, values...)
	if err != nil {
		t.Fatalf("helm template %v: %v", values, err)
	}
	return decode(t, out)
}

// decode decodes every document of helm template's output strictly, keyed by "Kind/name".
func decode(t *testing.T, out string) map[string]any {
	t.Helper()
	objs := map[string]any{}
	for _, doc := range strings.Split(out, "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var meta struct {
			metav1.TypeMeta   `json:",inline"`
			metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("a rendered document is not YAML: %v\n%s", err, doc)
		}
		obj, err := newObject(meta.APIVersion, meta.Kind)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s %s does not decode strictly: %v\n%s", meta.Kind, meta.Name, err, doc)
		}
		key := meta.Kind + "/" + meta.Name
		if _, dup := objs[key]; dup {
			t.Fatalf("%s rendered twice", key)
		}
		objs[key] = obj
	}
	return objs
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func keys(objs map[string]any) []string {
	var ks []string
	for k := range objs {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func get[T any](t *testing.T, objs map[string]any, key string) T {
	t.Helper()
	o, ok := objs[key].(T)
	if !ok {
		t.Fatalf("no %s among %v", key, keys(objs))
	}
	return o
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func TestMinimalValues(t *testing.T) {
	objs := objects(t, "minimal.yaml")
	want := []string{
		"ConfigMap/dsrflow-connectors", "Deployment/dsrflow-frontdoor", "Deployment/dsrflow-worker",
		"Job/dsrflow-migrate", "Job/dsrflow-temporal-setup",
		"NetworkPolicy/dsrflow-frontdoor", "NetworkPolicy/dsrflow-worker",
		"PodDisruptionBudget/dsrflow-frontdoor", "PodDisruptionBudget/dsrflow-worker",
		"Service/dsrflow-frontdoor", "Service/dsrflow-worker", "ServiceAccount/dsrflow",
	}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Fatalf("objects:\n got %v\nwant %v", got, want)
	}

	worker := get[*appsv1.Deployment](t, objs, "Deployment/dsrflow-worker")
	// worker/main.go stops within 35 s of SIGTERM (30 s drain + 5 s); Kubernetes must not kill it first.
	if g := worker.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g < 35 {
		t.Errorf("worker terminationGracePeriodSeconds %v, want at least 35", g)
	}
	if s := worker.Spec.Strategy.RollingUpdate; s == nil || s.MaxUnavailable == nil || s.MaxUnavailable.IntValue() != 0 {
		t.Errorf("worker rolling update %+v: new workers must start before old ones drain", s)
	}
	wc := worker.Spec.Template.Spec.Containers[0]
	if !slices.Equal(wc.Command, []string{"worker"}) || wc.ReadinessProbe == nil || wc.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("worker container: command %v, readiness %+v", wc.Command, wc.ReadinessProbe)
	}
	e := env(wc)
	for _, name := range []string{"DATABASE_URL", "DSR_MASTER_KEYS", "DSR_HMAC_KEY", "DSR_SMTP_URL"} {
		if e[name].Value != "" || e[name].ValueFrom == nil || e[name].ValueFrom.SecretKeyRef == nil {
			t.Errorf("worker %s must come from a Secret by reference: %+v", name, e[name])
		}
	}
	if e["TEMPORAL_ADDRESS"].Value != "temporal-frontend.temporal:7233" || e["DSR_WORKER_ADDR"].Value != "0.0.0.0:9091" {
		t.Errorf("worker env %+v", e)
	}
	if _, ok := e["TEMPORAL_API_KEY"]; ok {
		t.Error("no API key configured, yet TEMPORAL_API_KEY is set")
	}

	fd := get[*appsv1.Deployment](t, objs, "Deployment/dsrflow-frontdoor")
	fc := fd.Spec.Template.Spec.Containers[0]
	if !slices.Equal(fc.Command, []string{"starter", "serve"}) || fc.ReadinessProbe.HTTPGet.Path != "/readyz" || fc.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("front door container: %v %+v %+v", fc.Command, fc.ReadinessProbe, fc.LivenessProbe)
	}
	if _, ok := env(fc)["DSR_SMTP_URL"]; ok {
		t.Error("the front door sends no mail, yet gets DSR_SMTP_URL")
	}

	migrate := get[*batchv1.Job](t, objs, "Job/dsrflow-migrate")
	setup := get[*batchv1.Job](t, objs, "Job/dsrflow-temporal-setup")
	for _, j := range []*batchv1.Job{migrate, setup} {
		if j.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" {
			t.Errorf("%s hook %q", j.Name, j.Annotations["helm.sh/hook"])
		}
	}
	if migrate.Annotations["helm.sh/hook-weight"] != "-10" || setup.Annotations["helm.sh/hook-weight"] != "-5" {
		t.Error("the migrations must run before the namespace's setup")
	}
	if c := setup.Spec.Template.Spec.Containers[0]; !slices.Equal(c.Command, []string{"starter", "temporal", "setup"}) {
		t.Errorf("setup job runs %v", c.Command)
	}
	if c := migrate.Spec.Template.Spec.Containers[0]; !slices.Equal(c.Command, []string{"starter", "migrate"}) {
		t.Errorf("migrate job runs %v", c.Command)
	}

	np := get[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy/dsrflow-worker")
	if len(np.Spec.Ingress) != 1 || np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
		t.Errorf("worker network policy %+v", np.Spec.Ingress)
	}
}

func TestFullValues(t *testing.T) {
	objs := objects(t, "full.yaml")
	for _, k := range []string{"Ingress/dsrflow", "HorizontalPodAutoscaler/dsrflow-frontdoor", "ScaledObject/dsrflow-worker"} {
		if _, ok := objs[k]; !ok {
			t.Errorf("no %s among %v", k, keys(objs))
		}
	}
	if _, ok := objs["ConfigMap/dsrflow-connectors"]; ok {
		t.Error("an existing connectors ConfigMap is named, yet the chart renders its own")
	}
	if _, ok := objs["HorizontalPodAutoscaler/dsrflow-worker"]; ok {
		t.Error("KEDA scales the worker; a CPU HPA must not as well")
	}

	ing := get[*networkingv1.Ingress](t, objs, "Ingress/dsrflow")
	var paths []string
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			paths = append(paths, p.Path)
		}
	}
	for _, internal := range []string{"/", "/metrics", "/codec", "/readyz", "/healthz"} {
		if slices.Contains(paths, internal) {
			t.Errorf("the Ingress routes %s, which must stay inside the cluster", internal)
		}
	}
	if !slices.Contains(paths, "/privacy") || !slices.Contains(paths, "/connectors") {
		t.Errorf("ingress paths %v lack the privacy center or the connectors' callbacks", paths)
	}

	worker := get[*appsv1.Deployment](t, objs, "Deployment/dsrflow-worker")
	if worker.Spec.Replicas != nil {
		t.Error("KEDA owns the worker's replicas, yet the Deployment sets them")
	}
	e := env(worker.Spec.Template.Spec.Containers[0])
	if k := e["TEMPORAL_API_KEY"].ValueFrom; k == nil || k.SecretKeyRef.Name != "temporal-api-key" {
		t.Errorf("worker TEMPORAL_API_KEY %+v", e["TEMPORAL_API_KEY"])
	}
	if e["TEMPORAL_TLS_CERT"].Value != "/etc/dsrflow/temporal-tls/tls.crt" || e["TEMPORAL_TLS_CA"].Value != "/etc/dsrflow/temporal-tls/ca.crt" {
		t.Errorf("worker TLS env %+v %+v", e["TEMPORAL_TLS_CERT"], e["TEMPORAL_TLS_CA"])
	}
	for _, name := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DSR_OIDC_CLIENT_SECRET", "CRM_SECRET"} {
		if e[name].ValueFrom == nil || e[name].ValueFrom.SecretKeyRef == nil {
			t.Errorf("worker %s must come from a Secret by reference: %+v", name, e[name])
		}
	}
	setup := get[*batchv1.Job](t, objs, "Job/dsrflow-temporal-setup")
	if k := env(setup.Spec.Template.Spec.Containers[0])["TEMPORAL_API_KEY"].ValueFrom; k == nil || k.SecretKeyRef.Name != "temporal-admin-api-key" {
		t.Errorf("the setup job must use the admin API key: %+v", k)
	}
	so := get[*scaledObject](t, objs, "ScaledObject/dsrflow-worker")
	if tr := so.Spec.Triggers[0]; tr.Type != "temporal" || tr.Metadata["taskQueue"] != "dsrflow" || tr.Metadata["namespace"] != "dsrflow.a1b2c" {
		t.Errorf("KEDA trigger %+v", tr)
	}
}

// Without the values nothing can run with, the render fails naming the value.
func TestMissingValuesNamed(t *testing.T) {
	_, err := render(t)
	if err == nil || !strings.Contains(err.Error(), "temporal.address is required") {
		t.Fatalf("render without values: %v", err)
	}
}
