package ddemu

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// Call is one logged request. It deliberately holds no headers, query and
// bodies: those carry key values, and the call log is shown in test output.
type Call struct {
	Time    time.Time
	Method  string
	Path    string
	Op      string // "" for paths the emulator does not implement
	Status  int    // 0 when no answer was sent (connection reset, client gone)
	Faulted bool   // a Fault rule matched, or a SetRateLimit window refused the call
}

func (s *Server) recordCall(r *http.Request, op string, status int, faulted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{
		Time:    s.now(),
		Method:  r.Method,
		Path:    r.URL.Path,
		Op:      op,
		Status:  status,
		Faulted: faulted,
	})
}

// Calls returns the calls made so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Counters returns how many calls each operation received, whatever their outcome.
func (s *Server) Counters() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counters)
}

// ResetObservations empties the call log and the counters.
func (s *Server) ResetObservations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	clear(s.counters)
}
