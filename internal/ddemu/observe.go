package ddemu

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// Call is one logged request. It deliberately holds no headers, query and
// bodies: those carry key values, and the call log is shown in test output
// and scanned for leaks. Keys appear in it by id and name only.
type Call struct {
	Time    time.Time
	Method  string
	Path    string
	Op      string // "" for paths the emulator does not implement
	Status  int    // 0 when no answer was sent (connection reset, client gone)
	Faulted bool   // a Fault rule matched, or a SetRateLimit window refused the call
	// Latency is the delay the emulator added before answering (SetLatency
	// and a Fault's Latency): a client whose time bound is shorter gave up
	// on the call, even if it took effect.
	Latency time.Duration
	// APIKeyID and AppKeyID identify the keys the request presented in
	// DD-API-KEY and DD-APPLICATION-KEY (for the validate operations, the
	// keys under test), whether or not they authenticated it; "" when the
	// header is absent or holds a value that was never a key of the org.
	APIKeyID, AppKeyID string
	// KeyID is the key the call made (a create that took effect, even if
	// its answer was then lost) or the key its path names (get, update,
	// delete); KeyName is the name a create gave the key it made.
	KeyID, KeyName string
}

// Created reports whether the call made a key: a create that took effect,
// whatever answer (if any) the client then received.
func (c Call) Created() bool {
	return c.KeyName != "" && c.KeyID != "" && (c.Op == CreateAPIKey || c.Op == CreateServiceAccountAppKey || c.Op == CreateCurrentUserAppKey)
}

// Succeeded reports whether the call was answered with a 2xx status.
func (c Call) Succeeded() bool { return c.Status >= 200 && c.Status < 300 }

func (s *Server) recordCall(r *http.Request, c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Time, c.Method, c.Path = s.now(), r.Method, r.URL.Path
	if c.KeyID == "" {
		c.KeyID = r.PathValue("key_id")
	}
	c.APIKeyID = s.st.idOfValue[r.Header.Get(HeaderAPIKey)]
	c.AppKeyID = s.st.idOfValue[r.Header.Get(HeaderAppKey)]
	s.calls = append(s.calls, c)
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
