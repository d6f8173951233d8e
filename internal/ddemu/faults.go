package ddemu

import (
	"strings"
	"time"
)

// Fault describes how to disturb the calls it matches. Method, Path and Op
// select calls (all that are set must match); the other fields say what
// happens to them. With only Latency set the call is delayed and then answered
// normally.
type Fault struct {
	Method string // HTTP method; "" matches any
	// Path is an exact path or a pattern in which "*" stands for one
	// segment, e.g. "/api/v2/api_keys/*"; "" matches any.
	Path string
	Op   string // an operation name such as DeleteAPIKey; "" matches any

	// Status answers with this status and a Datadog-shaped error body
	// instead of the real answer.
	Status int
	// Latency delays the answer; the wait ends early if the client gives up.
	Latency time.Duration
	// RateLimit answers 429 with X-RateLimit-* headers whose Reset is
	// ResetSeconds.
	RateLimit    bool
	ResetSeconds int
	// AfterEffect performs the operation first and then fails (with Status,
	// 500 if unset, or as RateLimit/ResetConn say): a response lost on the way.
	AfterEffect bool
	// ResetConn drops the connection without any answer.
	ResetConn bool
	// Times limits the fault to the next N matching calls; 0 (or less)
	// keeps it until ClearFaults.
	Times int
}

type faultRule struct {
	Fault
	remaining int // calls left when Times > 0
}

// failsBeforeEffect reports whether the fault answers instead of the
// operation, so the operation must not run.
func (f Fault) failsBeforeEffect() bool {
	return !f.AfterEffect && (f.Status != 0 || f.RateLimit || f.ResetConn)
}

func (f Fault) matches(method, path, op string) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, method)) &&
		(f.Op == "" || f.Op == op) &&
		(f.Path == "" || pathMatches(f.Path, path))
}

// pathMatches compares segment by segment; "*" matches exactly one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, segs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(segs) {
		return false
	}
	for i, p := range ps {
		if p == "*" && segs[i] != "" {
			continue
		}
		if p != segs[i] {
			return false
		}
	}
	return true
}

// AddFault adds a fault rule. When several rules match a call, the one added
// first applies, and only it uses up one of its Times.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{Fault: f, remaining: f.Times})
}

// ClearFaults returns the server to health: it removes every fault rule, the
// latency set by SetLatency and the limits set by SetRateLimit.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.latency = 0
	clear(s.rateLimits)
}

// SetLatency delays every call to an emulated endpoint by d (0 turns it
// off), in addition to any Fault latency.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// takeFaultLocked returns the first rule that matches the call and uses up
// one of its Times, dropping it when none are left.
func (s *Server) takeFaultLocked(method, path, op string) (Fault, bool) {
	for i, rule := range s.faults {
		if !rule.matches(method, path, op) {
			continue
		}
		if rule.Times > 0 {
			rule.remaining--
			if rule.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return rule.Fault, true
	}
	return Fault{}, false
}
