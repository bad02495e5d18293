package devstack_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// billingInvoices counts jane's invoices the demo billing still holds (-1: she is not known there).
func billingInvoices(t *testing.T, s *devstack.Stack, request string) int {
	t.Helper()
	billing, _ := s.Demo.Registry().Get("billing")
	ep, _ := billing.Endpoint()
	var c connectors.Client
	res, err := c.Submit(context.Background(), ep, connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, "billing", dsrflow.ActionAccess),
		RequestID: request, Connector: "billing", Action: dsrflow.ActionAccess, Identities: dsrflow.Identity{Email: jane}, Deadline: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatalf("billing access: %v", err)
	}
	if res.Status == connectors.StatusNotFound {
		return -1
	}
	return len(res.Records)
}

// TestKeptInvoicesGoWhenTheirPeriodEnds: jane's erasure keeps her two invoices under the Bookkeeping
// Act, each until 31 December of the fifth year after its financial year; dsrflow keeps those dates.
// A sweep run with its clock the day after the first one's last day deletes exactly that invoice, and
// the request's audit says so; a sweep after the second's deletes the last one. The sweep that deleted
// one replays, and with DSR_RECORD_HISTORIES=DIR is written there as retention_sweep_kept.json.
func TestKeptInvoicesGoWhenTheirPeriodEnds(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("k", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	ctx := context.Background()
	c := apiClient{t: t, stack: s}
	id := c.create(web.NewRequest{Type: "erasure", Email: jane, Attest: "video call"})
	c.waitStatus(id, "completed")

	kept, err := s.Store.ListKept(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0].ConnectorID != "billing" || kept[0].Dataset != "invoices" || kept[0].Until.Equal(kept[1].Until) {
		t.Fatalf("kept data of the erasure: %+v, want billing's two invoices with their own until-dates", kept)
	}
	first, last := kept[0], kept[1]
	if last.Until.Before(first.Until) {
		first, last = last, first
	}
	for _, k := range kept {
		if k.Until.Month() != time.December || k.Until.Day() != 31 || k.Until.Year() < time.Now().Year()+4 {
			t.Fatalf("kept until %s: want 31 December, five years after the invoice's financial year", k.Until.Format(time.DateOnly))
		}
	}
	if n := billingInvoices(t, s, "look-0"); n != 2 {
		t.Fatalf("billing holds %d of jane's invoices after the erasure, want the 2 kept", n)
	}

	sweep := func(at time.Time) workflows.RetentionSummary {
		t.Helper()
		run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "test-" + workflows.RetentionSweepID(at), TaskQueue: workflows.TaskQueue},
			workflows.Retention, workflows.RetentionInput{Now: &at})
		if err != nil {
			t.Fatal(err)
		}
		var summary workflows.RetentionSummary
		if err := run.Get(ctx, &summary); err != nil {
			t.Fatalf("sweep at %s: %v", at, err)
		}
		return summary
	}
	onLastDay := sweep(first.Until.Add(23 * time.Hour))
	if len(onLastDay.Kept) != 0 || billingInvoices(t, s, "look-1") != 2 {
		t.Fatalf("a sweep on the last day kept purged %+v", onLastDay.Kept)
	}
	dayAfter := sweep(first.Until.AddDate(0, 0, 1).Add(3 * time.Hour))
	if len(dayAfter.Kept) != 1 || dayAfter.Kept[0].Connector != "billing" || dayAfter.Kept[0].Purged != 1 || dayAfter.Kept[0].Failed {
		t.Fatalf("the day after: kept outcome %+v", dayAfter.Kept)
	}
	if n := billingInvoices(t, s, "look-2"); n != 1 {
		t.Fatalf("billing holds %d of jane's invoices, want the one still kept", n)
	}
	replayAndRecord(t, s, payload.NewCodec(keys), os.Getenv("DSR_RECORD_HISTORIES"), "retention_sweep_kept", "test-"+dayAfter.Sweep, workflows.Retention)
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for _, e := range events {
		if e.Action == "kept_data_deleted" {
			deleted++
			if e.Detail["connector"] != "billing" || e.Detail["until"] != first.Until.Format(time.DateOnly) || e.Detail["purge_job"] == "" {
				t.Errorf("audit %+v", e)
			}
		}
	}
	if deleted != 1 {
		t.Fatalf("%d kept_data_deleted events on the request, want 1: %+v", deleted, events)
	}
	sweepEvents, err := s.Store.ListAudit(ctx, dayAfter.Sweep)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range sweepEvents {
		found = found || (e.Action == "kept_data_purged" && e.Detail["connector"] == "billing" && e.Detail["purged"] == "1")
	}
	if !found {
		t.Fatalf("the sweep's audit: %+v", sweepEvents)
	}

	final := sweep(last.Until.AddDate(0, 0, 1).Add(3 * time.Hour))
	if len(final.Kept) != 1 || final.Kept[0].Purged != 1 || billingInvoices(t, s, "look-3") != -1 {
		t.Fatalf("the last sweep: %+v; billing still knows jane", final.Kept)
	}
	if again := sweep(last.Until.AddDate(0, 0, 2).Add(3 * time.Hour)); len(again.Kept) != 0 {
		t.Fatalf("a later sweep purged kept data again: %+v", again.Kept)
	}
}
