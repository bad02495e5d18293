package metrics_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"github.com/dsrflow/dsrflow/internal/metrics"
)

func TestTemporalHandler(t *testing.T) {
	reg := metrics.NewRegistry()
	root := reg.TemporalHandler(nil).WithTags(map[string]string{"namespace": "default", "task_queue": "dsrflow"})

	root.Counter("temporal_request").Inc(2)
	root.Counter("temporal_request").Inc(-1) // ignored: a counter only goes up
	// Later tags replace earlier ones with the same key.
	root.WithTags(map[string]string{"task_queue": "other"}).Counter("temporal_request").Inc(1)
	// The same name with another set of tag keys is kept, not dropped or mixed up.
	root.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	root.Gauge("temporal_num_pollers").Update(2)
	root.Gauge("temporal_num_pollers").Update(3)
	root.Timer("temporal_request_latency").Record(30 * time.Millisecond)
	// Invalid characters in names are replaced.
	root.WithTags(map[string]string{"poller-type": "activity"}).Counter("temporal.odd-name").Inc(1)
	// A name used as a second kind is dropped; the first kind's series stays as it was.
	root.Gauge("temporal_request").Update(99)
	reg.TemporalHandler(nil).Counter("temporal_request").Inc(5) // the same metrics through a second handler

	lines := scrape(t, reg.Handler())
	wantLines(t, lines,
		"# TYPE temporal_request counter",
		`temporal_request{namespace="default",task_queue="dsrflow"} 2`,
		`temporal_request{namespace="default",task_queue="other"} 1`,
		`temporal_request{namespace="default",operation="StartWorkflowExecution",task_queue="dsrflow"} 1`,
		"temporal_request 5",
		"# TYPE temporal_num_pollers gauge",
		`temporal_num_pollers{namespace="default",task_queue="dsrflow"} 3`,
		"# TYPE temporal_request_latency histogram",
		`temporal_request_latency_bucket{namespace="default",task_queue="dsrflow",le="0.025"} 0`,
		`temporal_request_latency_bucket{namespace="default",task_queue="dsrflow",le="0.05"} 1`,
		`temporal_request_latency_sum{namespace="default",task_queue="dsrflow"} 0.03`,
		`temporal_request_latency_count{namespace="default",task_queue="dsrflow"} 1`,
		`temporal_odd_name{namespace="default",poller_type="activity",task_queue="dsrflow"} 1`,
	)
	if got := withPrefix(lines, "temporal_request"); len(got) != 4 {
		t.Errorf("temporal_request series = %q, want 4", got)
	}
}

// fakeFrontend answers GetSystemInfo, which the client calls on connecting, and nothing else.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (fakeFrontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// TestTemporalClientMetrics connects a real SDK client to a fake frontend and finds the SDK's own
// request metrics in the scrape.
func TestTemporalClientMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	workflowservice.RegisterWorkflowServiceServer(srv, fakeFrontend{})
	go srv.Serve(ln)
	defer srv.Stop()

	reg := metrics.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: ln.Addr().String(), Namespace: "default", MetricsHandler: reg.TemporalHandler(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.DescribeWorkflowExecution(ctx, "dsr_jane", ""); err == nil {
		t.Fatal("the fake frontend answered DescribeWorkflowExecution")
	}

	lines := scrape(t, reg.Handler())
	var request, failure []string
	for _, l := range lines {
		if strings.HasPrefix(l, "temporal_request{") && strings.Contains(l, `operation="GetSystemInfo"`) {
			request = append(request, l)
		}
		if strings.HasPrefix(l, "temporal_request_failure{") && strings.Contains(l, `operation="DescribeWorkflowExecution"`) && strings.Contains(l, `status_code="UNIMPLEMENTED"`) {
			failure = append(failure, l)
		}
	}
	if len(request) != 1 || !strings.HasSuffix(request[0], " 1") || !strings.Contains(request[0], `client_name="temporal_go"`) {
		t.Errorf("temporal_request for GetSystemInfo = %q", request)
	}
	if len(failure) != 1 || !strings.HasSuffix(failure[0], " 1") || !strings.Contains(failure[0], `namespace="default"`) {
		t.Errorf("temporal_request_failure for DescribeWorkflowExecution = %q", failure)
	}
	// Workflow ids (here a request id) never become labels.
	if whole := strings.Join(lines, "\n"); strings.Contains(whole, "dsr_jane") {
		t.Error("the scrape holds a workflow id")
	}
}
