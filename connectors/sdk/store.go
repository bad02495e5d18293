package sdk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/dsrflow/dsrflow/connectors"
)

// JobStore keeps each job's answer under its job id, so that a job sent again is answered, not redone.
// Results of access jobs hold the subject's data: protect the store as the system's own data.
// Implementations must be safe for concurrent use.
type JobStore interface {
	// Get returns the stored result of the job, and false when the job was never stored.
	Get(jobID string) (connectors.Result, bool, error)
	// Put stores the job's result, replacing an earlier one (accepted, then final).
	Put(jobID string, r connectors.Result) error
}

// MemoryStore is a JobStore that forgets on restart: the default.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string][]byte{}} }

// Get implements JobStore. The result is a copy.
func (s *MemoryStore) Get(jobID string) (connectors.Result, bool, error) {
	s.mu.Lock()
	data, ok := s.m[jobID]
	s.mu.Unlock()
	return decodeStored(data, ok)
}

// decodeStored turns a stored result back into a copy; both stores keep results as JSON.
func decodeStored(data []byte, ok bool) (connectors.Result, bool, error) {
	if !ok {
		return connectors.Result{}, false, nil
	}
	var r connectors.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return connectors.Result{}, false, err
	}
	return r, true, nil
}

// Put implements JobStore.
func (s *MemoryStore) Put(jobID string, r connectors.Result) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.m[jobID] = data
	s.mu.Unlock()
	return nil
}

// FileStore is a JobStore in a file that survives restarts: JSON lines, one {"job_id", "result"} per
// Put, appended and fsync'd before Put returns; the last line for a job wins. A line torn by a crash
// at the end of the file is dropped on open. The file is created with mode 0600.
type FileStore struct {
	mu sync.Mutex
	f  *os.File
	m  map[string][]byte
}

type fileEntry struct {
	JobID  string          `json:"job_id"`
	Result json.RawMessage `json:"result"`
}

// FileJobStore opens (or creates) the store at path. Close it when done.
func FileJobStore(path string) (*FileStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("job store: %w", err)
	}
	s := &FileStore{f: f, m: map[string][]byte{}}
	if err := s.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("job store %s: %w", path, err)
	}
	return s, nil
}

func (s *FileStore) load() error {
	r := bufio.NewReader(s.f)
	var good int64 // end of the last complete line
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 { // torn by a crash: drop it so the next append starts a clean line
				return s.f.Truncate(good)
			}
			return nil
		}
		if err != nil {
			return err
		}
		good += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e fileEntry
		if err := json.Unmarshal(line, &e); err != nil || e.JobID == "" {
			return fmt.Errorf("line %d is corrupt", n)
		}
		s.m[e.JobID] = e.Result
	}
}

// Get implements JobStore. The result is a copy.
func (s *FileStore) Get(jobID string) (connectors.Result, bool, error) {
	s.mu.Lock()
	data, ok := s.m[jobID]
	s.mu.Unlock()
	return decodeStored(data, ok)
}

// Put implements JobStore: the result is on disk when it returns.
func (s *FileStore) Put(jobID string, r connectors.Result) error {
	res, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line, err := json.Marshal(fileEntry{JobID: jobID, Result: res})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("job store is closed")
	}
	if _, err := s.f.Write(line); err != nil {
		return fmt.Errorf("job store: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("job store: %w", err)
	}
	s.m[jobID] = res
	return nil
}

// Close closes the file.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
