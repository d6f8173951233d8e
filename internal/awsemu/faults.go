package awsemu

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching requests misbehave, so that tests can show the
// rotation survives AWS errors, throttling, slowness and lost responses.
type Fault struct {
	// Service ("secretsmanager", "sns", "sts") and Action limit the fault to
	// matching requests; "" matches any.
	Service, Action string
	// SecretID, when set, limits the fault to requests naming that secret
	// (by name or ARN, whichever form either side uses).
	SecretID string
	// Status and ErrorCode make the request fail. With only ErrorCode the
	// status is 400 for throttling codes and 500 otherwise; with only Status
	// the code is the service's throttling code for 4xx and its internal
	// error code for 5xx. With neither, the fault only adds Latency.
	Status    int
	ErrorCode string
	// Latency delays the answer (before the action, or after it with
	// AfterEffect).
	Latency time.Duration
	// AfterEffect performs the action, then answers the error (or resets
	// the connection): the change happens but the caller never learns it.
	AfterEffect bool
	// ResetConn closes the connection with a TCP reset instead of answering.
	ResetConn bool
	// Times is how many requests the fault applies to; 0 means until
	// ClearFaults.
	Times int
}

// AddFault arms f. When several faults match a request, the first armed
// one applies.
func (s *Server) AddFault(f Fault) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	s.faults = nil
}

// takeFault returns a copy of the first fault matching req, consuming one of
// its Times, or nil.
func (s *Server) takeFault(req *request) *Fault {
	secretIDs := s.secretAliases(req.secretID)
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	for i, f := range s.faults {
		if !f.matches(req, secretIDs) {
			continue
		}
		applied := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &applied
	}
	return nil
}

// secretAliases lists every way of naming the secret that id names: id
// itself, and the secret's name and ARN if it exists.
func (s *Server) secretAliases(id string) []string {
	if id == "" {
		return nil
	}
	aliases := []string{id}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.findSecret(id); sec != nil {
		aliases = append(aliases, sec.name, sec.arn)
	}
	return aliases
}

func (f *Fault) matches(req *request, secretIDs []string) bool {
	if f.Service != "" && f.Service != req.service {
		return false
	}
	if f.Action != "" && f.Action != req.action {
		return false
	}
	if f.SecretID == "" {
		return true
	}
	for _, id := range secretIDs {
		if id == f.SecretID {
			return true
		}
	}
	return false
}

func (f *Fault) answersError() bool { return f.Status != 0 || f.ErrorCode != "" }

// faultResponse is the error a fault answers, in req's protocol.
func faultResponse(req *request, f *Fault) response {
	status, code := f.Status, f.ErrorCode
	throttling := "ThrottlingException"
	internal := "InternalServiceError"
	if req.service != serviceSecretsManager {
		throttling, internal = "Throttling", "InternalFailure"
		if req.service == serviceSNS {
			internal = "InternalError"
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
		if strings.Contains(code, "Throttl") {
			status = http.StatusBadRequest
		}
	}
	if code == "" {
		code = internal
		if status < 500 {
			code = throttling
		}
	}
	return errorResponse(req, newAPIError(status, code, "injected fault"))
}

// applyLatency waits out the fault's latency, or until the client goes
// away, in which case it reports false and nothing should be written.
func (s *Server) applyLatency(ctx context.Context, f *Fault) bool {
	if f.Latency <= 0 {
		return true
	}
	t := time.NewTimer(f.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// resetConnection drops the client's connection with a TCP RST, the closest
// local equivalent of a network failure mid-request.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
