package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// DefaultRepeatWindow is how far back a request looks for an earlier completed one of the same subject
// and type (DSR_REPEAT_WINDOW): one found is flagged for a reviewer, never refused.
const DefaultRepeatWindow = 90 * 24 * time.Hour

// Purpose is a purpose of processing the controller declares (controller.yaml): the only ids a consent
// withdrawal may name, and the choices the forms offer.
type Purpose = dsrflow.DeclaredPurpose

// PurposesOf are the purposes c declares, in its order.
func PurposesOf(c answer.Controller) []Purpose { return c.DeclaredPurposes() }

var demoPurposes = sync.OnceValue(func() []Purpose {
	c, err := answer.ParseController(dsrflow.DemoController)
	if err != nil {
		panic(fmt.Sprintf("built-in controller configuration: %v", err)) // TestDemoPurposes fails first
	}
	return PurposesOf(c)
})

// DemoPurposes are the built-in demo controller's purposes, for a service built without a controller.
func DemoPurposes() []Purpose { return demoPurposes() }

// purposes are the declared purposes this service accepts.
func (s *Service) purposes() []Purpose {
	if len(s.Purposes) > 0 {
		return s.Purposes
	}
	return DemoPurposes()
}

// checkPurposes returns the purposes given, trimmed and without repeats, or the field's message when
// one is not a purpose the controller declares.
func checkPurposes(given []string, declared []Purpose) ([]string, string) {
	var out []string
	for _, p := range given {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !slices.ContainsFunc(declared, func(d Purpose) bool { return d.ID == p }) {
			ids := make([]string, len(declared))
			for i, d := range declared {
				ids[i] = d.ID
			}
			return nil, fmt.Sprintf("unknown purpose %q; one of %s", p, strings.Join(ids, ", "))
		}
		out = append(out, p)
	}
	return out, ""
}

// repeatOf is the latest completed request of in's subject and type closed within the repeat window,
// or "". A store failure only costs the flag: the request is taken in all the same.
func (s *Service) repeatOf(ctx context.Context, in workflows.RequestInput) string {
	window := s.RepeatWindow
	if window == 0 {
		window = DefaultRepeatWindow
	}
	if window < 0 || in.SubjectKey == "" {
		return ""
	}
	earlier, err := s.Store.ListRequests(ctx, store.RequestFilter{SubjectKey: in.SubjectKey, Type: string(in.Type), Status: string(dsrflow.StatusCompleted), Limit: 1000})
	if err != nil {
		s.logger().Warn("repeat check failed; the request is not flagged", "request_id", in.ID, "error", err)
		return ""
	}
	since := s.now().Add(-window)
	var found string
	var at time.Time
	for _, r := range earlier {
		if r.ClosedAt != nil && !r.ClosedAt.Before(since) && r.ClosedAt.After(at) {
			found, at = r.ID, *r.ClosedAt
		}
	}
	return found
}
