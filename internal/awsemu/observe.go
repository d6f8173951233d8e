package awsemu

import (
	"maps"
	"slices"
	"time"
)

// maxCalls bounds the call log so that a long-running emulator does not
// grow without limit; the oldest calls are dropped first. Counters are not
// bounded by it.
const maxCalls = 10000

// Call is one request as the emulator saw it. It holds identifiers only,
// never a parameter value, so it is safe to print.
type Call struct {
	Time        time.Time
	Service     string
	Action      string
	AccessKeyID string
	SecretID    string // the SecretId (or, for CreateSecret, Name) the request named
	Status      int    // 0 when no answer was sent (connection reset, client gone)
	ErrorCode   string // empty on success
	Faulted     bool   // a Fault applied to the request
}

func (s *Server) record(start time.Time, req *request, resp response, faulted bool) {
	call := Call{
		Time:        start,
		Service:     req.service,
		Action:      req.action,
		AccessKeyID: req.creds.accessKeyID,
		SecretID:    req.secretID,
		Status:      resp.status,
		ErrorCode:   resp.errorCode,
		Faulted:     faulted,
	}
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if len(s.calls) == maxCalls {
		s.calls = slices.Delete(s.calls, 0, 1)
	}
	s.calls = append(s.calls, call)
	s.counters[req.service+"."+req.action]++
}

// Calls returns the recorded calls, oldest first.
func (s *Server) Calls() []Call {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	return slices.Clone(s.calls)
}

// Counters returns how many requests each action received, keyed
// "service.Action" (for example "secretsmanager.PutSecretValue"), failed
// and faulted ones included.
func (s *Server) Counters() map[string]int {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	return maps.Clone(s.counters)
}

// ResetObservations forgets the recorded calls and counters; faults and
// emulated state are kept.
func (s *Server) ResetObservations() {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	s.calls = nil
	s.counters = map[string]int{}
}
