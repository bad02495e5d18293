package sdk

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dsrflow/dsrflow/connectors"
)

func TestFileJobStoreSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	s, err := FileJobStore(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			id := connectors.JobID("r"+string(rune('a'+i)), "crm", "erase")
			if err := s.Put(id, connectors.Result{JobID: id, Status: connectors.StatusAccepted}); err != nil {
				t.Error(err)
			}
			if err := s.Put(id, connectors.Result{JobID: id, Status: connectors.StatusCompleted, Counts: map[string]int{"erased": i}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi.Mode(), err)
	}

	// A crash in the middle of a write leaves a torn last line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"job_id":"rz:crm:erase","result":{"job_i`)
	f.Close()

	s, err = FileJobStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 10 {
		id := connectors.JobID("r"+string(rune('a'+i)), "crm", "erase")
		r, ok, err := s.Get(id)
		if err != nil || !ok || r.Status != connectors.StatusCompleted || r.Counts["erased"] != i {
			t.Fatalf("Get(%s) = %+v, %v, %v", id, r, ok, err)
		}
	}
	if _, ok, _ := s.Get("rz:crm:erase"); ok {
		t.Fatal("torn line was read")
	}
	// Appends after the torn line start clean.
	if err := s.Put("ry:crm:erase", connectors.Result{JobID: "ry:crm:erase", Status: connectors.StatusNotFound}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = FileJobStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok, _ := s.Get("ry:crm:erase"); !ok || r.Status != connectors.StatusNotFound {
		t.Fatalf("after torn line: %+v %v", r, ok)
	}
}

func TestFileJobStoreRejectsCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	if err := os.WriteFile(path, []byte("not json\n{\"job_id\":\"a:b:c\",\"result\":{}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FileJobStore(path); err == nil {
		t.Fatal("corrupt store opened")
	}
}

func TestServerWithFileStoreAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	h := &eraser{}
	for range 2 {
		store, err := FileJobStore(path)
		if err != nil {
			t.Fatal(err)
		}
		s := New(Options{Secret: secret, Jobs: store}, h)
		if code, _ := postJob(t, s, job("r1")); code != 200 {
			t.Fatalf("submit: %d", code)
		}
		s.Close()
		store.Close()
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times across a restart", n)
	}
}

func TestAsyncJobInterruptedByRestartRunsAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	store, err := FileJobStore(path)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	s := New(Options{Secret: secret, Jobs: store, Async: true, Attempts: 1}, HandlerFunc(func(ctx context.Context, j connectors.Job) (connectors.Result, error) {
		close(started)
		<-ctx.Done() // the process stops before the job is done
		return connectors.Result{}, ctx.Err()
	}))
	if code, _ := postJob(t, s, job("r1")); code != 202 {
		t.Fatalf("submit: %d", code)
	}
	<-started
	s.Close()
	store.Close()

	store, err = FileJobStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	done := make(chan struct{})
	s = New(Options{Secret: secret, Jobs: store, Async: true}, HandlerFunc(func(ctx context.Context, j connectors.Job) (connectors.Result, error) {
		defer close(done)
		return connectors.Result{Status: connectors.StatusCompleted}, nil
	}))
	defer s.Close()
	if code, _ := postJob(t, s, job("r1")); code != 202 {
		t.Fatalf("resubmit: %d", code)
	}
	<-done
	s.Close()
	if r, ok, _ := store.Get("r1:crm:erase"); !ok || r.Status != connectors.StatusCompleted {
		t.Fatalf("stored %+v %v", r, ok)
	}
}
