package activities_test

import (
	"reflect"
	"testing"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
)

// TestWorkflowsCallRegisteredNames: the workflows execute activities by the names in package act, and
// the worker (internal/app.NewWorker) registers these structs, whose exported methods the SDK registers
// under their own names. A method renamed here, or a name mistyped in act, would leave every request
// retrying an activity no worker has: this fails instead.
func TestWorkflowsCallRegisteredNames(t *testing.T) {
	for _, tc := range []struct {
		names any
		impl  any
	}{
		{act.Store, &activities.Store{}},
		{act.Verification, &activities.Verification{}},
		{act.Connectors, &activities.Connectors{}},
		{act.Answer, &activities.Answer{}},
		{act.Review, &activities.Review{}},
		{act.Disclosure, &activities.Disclosure{}},
		{act.Suppression, &activities.Suppression{}},
		{act.Routing, &activities.Routing{}},
	} {
		impl := reflect.TypeOf(tc.impl)
		names := reflect.ValueOf(tc.names)
		if names.NumField() == 0 {
			t.Errorf("act names no activity of %s", impl)
		}
		for i := range names.NumField() {
			field, name := names.Type().Field(i).Name, names.Field(i).String()
			if name != field {
				t.Errorf("act's %s.%s is %q: the name must be the method's", impl.Elem().Name(), field, name)
			}
			m, ok := impl.MethodByName(name)
			if !ok || !m.IsExported() {
				t.Errorf("%s has no method %s: the workflows execute an activity the worker does not register", impl, name)
				continue
			}
			if in := m.Type.NumIn(); in < 2 || m.Type.In(1).String() != "context.Context" {
				t.Errorf("%s.%s does not take a context first: it is not an activity", impl, name)
			}
		}
	}
}
