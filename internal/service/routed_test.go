package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

type signalRecorder struct {
	*workflowRecorder
	ids  []string
	sigs []workflows.RoutedInstruction
}

func (c *signalRecorder) SignalWorkflow(_ context.Context, id, _, name string, arg any) error {
	if name == workflows.SignalRoutedInstruction {
		c.ids = append(c.ids, id)
		c.sigs = append(c.sigs, arg.(workflows.RoutedInstruction))
	}
	return nil
}

var _ client.Client = (*signalRecorder)(nil)

// A customer's instruction is checked (400 naming the field, nothing signalled), then signalled to the
// routed item's workflow with the caller as actor; a closed item is a conflict.
func TestInstructRouted(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	svc, rec, st := newStoreService(t, &now)
	sig := &signalRecorder{workflowRecorder: rec}
	svc.Client = sig
	it := dsrflow.RoutedItem{ID: dsrflow.RoutedID("dsr_1", "payroll", "t-acme"), RequestID: "dsr_1", RequestType: dsrflow.Access,
		Customer: "acme", Tenant: "t-acme", Connector: "payroll", DueAt: now.AddDate(0, 0, 14), NotifiedAt: now}
	if _, err := st.OpenRouted(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	agent := asWho("user:agent", dsrflow.RoleAgent)
	for _, c := range []struct {
		in    dsrflow.RoutedInstructionInput
		field string
	}{
		{dsrflow.RoutedInstructionInput{}, "instruction"},
		{dsrflow.RoutedInstructionInput{Instruction: "delete"}, "instruction"},
		{dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructExecute}, "action"},
		{dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionOptout}, "action"},
		{dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructDecline, Reason: "  "}, "reason"},
	} {
		_, err := svc.InstructRouted(agent, it.ID, c.in)
		var e *dsrflow.Error
		if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !asError(err, &e) || e.Fields[c.field] == "" {
			t.Fatalf("%+v: err %v, want EINVALID naming %s", c.in, err, c.field)
		}
	}
	if len(sig.sigs) != 0 {
		t.Fatalf("bad input was signalled: %+v", sig.sigs)
	}
	if _, err := svc.InstructRouted(asWho("rev", dsrflow.RoleReviewer), it.ID, dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructHandled}); dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
		t.Fatalf("reviewer: err %v, want EFORBIDDEN", err)
	}
	if _, err := svc.InstructRouted(agent, it.ID, dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase}); err != nil {
		t.Fatal(err)
	}
	if len(sig.ids) != 1 || sig.ids[0] != "routed:"+it.ID || sig.sigs[0].Action != dsrflow.ActionErase || sig.sigs[0].Actor != "user:agent" {
		t.Fatalf("signalled %v %+v", sig.ids, sig.sigs)
	}
	if _, err := st.UpdateRouted(context.Background(), it.ID, storeChangeHandled(now)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InstructRouted(agent, it.ID, dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructHandled}); dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
		t.Fatalf("closed item: err %v, want ECONFLICT", err)
	}
}

func asError(err error, target **dsrflow.Error) bool { return errors.As(err, target) }

func storeChangeHandled(at time.Time) store.RoutedChange {
	return store.RoutedChange{State: dsrflow.RoutedHandled, Instruction: dsrflow.InstructHandled, Actor: "user:agent", At: at}
}

// A rectify instruction carries the customer's corrections (data category → value) to the item's
// workflow; without them, with a bad category or an empty value, or corrections with another
// instruction or action, it is refused naming the field and nothing is signalled.
func TestInstructRoutedRectify(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	svc, rec, st := newStoreService(t, &now)
	sig := &signalRecorder{workflowRecorder: rec}
	svc.Client = sig
	it := dsrflow.RoutedItem{ID: dsrflow.RoutedID("dsr_1", "payroll", "t-acme"), RequestID: "dsr_1", RequestType: dsrflow.Rectification,
		Customer: "acme", Tenant: "t-acme", Connector: "payroll", DueAt: now.AddDate(0, 0, 14), NotifiedAt: now}
	if _, err := st.OpenRouted(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	agent := asWho("user:agent", dsrflow.RoleAgent)
	rectify := func(cs map[string]string) dsrflow.RoutedInstructionInput {
		return dsrflow.RoutedInstructionInput{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionRectify, Corrections: cs}
	}
	for _, in := range []dsrflow.RoutedInstructionInput{
		rectify(nil),
		rectify(map[string]string{"Name!": "Jane Smith"}),
		rectify(map[string]string{"user.name": "  "}),
		{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase, Corrections: map[string]string{"user.name": "Jane Smith"}},
		{Instruction: dsrflow.InstructHandled, Corrections: map[string]string{"user.name": "Jane Smith"}},
	} {
		_, err := svc.InstructRouted(agent, it.ID, in)
		var e *dsrflow.Error
		if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !asError(err, &e) || e.Fields["corrections"] == "" {
			t.Fatalf("%+v: err %v, want EINVALID naming corrections", in, err)
		}
		if strings.Contains(e.Error(), "Jane Smith") {
			t.Fatalf("the error quotes the value: %v", e)
		}
	}
	if len(sig.sigs) != 0 {
		t.Fatalf("bad input was signalled: %+v", sig.sigs)
	}
	if _, err := svc.InstructRouted(agent, it.ID, rectify(map[string]string{"user.name": "Jane Smith"})); err != nil {
		t.Fatal(err)
	}
	if len(sig.sigs) != 1 || sig.sigs[0].Action != dsrflow.ActionRectify || sig.sigs[0].Corrections["user.name"] != "Jane Smith" {
		t.Fatalf("signalled %+v", sig.sigs)
	}
}
