package main

import (
	"os"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The Helm chart's grace period must outlast the worker's own stop, or Kubernetes kills a worker while it
// drains its running activities (a connector call cut in half).
func TestHelmGracePeriodOutlastsShutdown(t *testing.T) {
	data, err := os.ReadFile("../deploy/helm/dsrflow/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Worker struct {
			TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
		} `yaml:"worker"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	if grace := time.Duration(values.Worker.TerminationGracePeriodSeconds) * time.Second; grace <= shutdownTimeout {
		t.Fatalf("worker.terminationGracePeriodSeconds is %s, not above the worker's shutdownTimeout %s", grace, shutdownTimeout)
	}
}
