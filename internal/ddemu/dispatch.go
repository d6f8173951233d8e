package ddemu

import (
	"net"
	"net/http"
	"time"
)

// noResponse is the status logged for calls that got no HTTP answer: the
// connection was reset, or the client gave up during injected latency.
const noResponse = 0

// outcome is how a call ends: with an answer, a reset connection, or nothing
// at all when the client left first.
type outcome struct {
	resp    response
	headers http.Header
	reset   bool
	gone    bool
	limited bool // a SetRateLimit window refused the call
	// made is the key the operation created, kept when a fault then
	// throws its answer away.
	made madeKey
}

func (o outcome) status() int {
	if o.reset || o.gone {
		return noResponse
	}
	return o.resp.status
}

// serveEndpoint runs one call through the test instrument (latency, fault
// rules, rate limits) and the emulated API (auth, then the operation). The
// call is logged before the answer goes out, so a client that has its answer
// always finds its call in Calls.
func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, ep endpoint) {
	s.mu.Lock()
	s.counters[ep.op]++
	fault, faulted := s.takeFaultLocked(r.Method, r.URL.Path, ep.op)
	latency := s.latency
	s.mu.Unlock()

	if faulted {
		latency += fault.Latency
	}
	out := s.decide(r, ep, fault, faulted, latency)
	s.recordCall(r, Call{Op: ep.op, Status: out.status(), Faulted: faulted || out.limited, Latency: latency, KeyID: out.made.id, KeyName: out.made.name})
	switch {
	case out.gone:
	case out.reset:
		resetConnection(w)
	default:
		writeResponse(w, out.resp, out.headers)
	}
}

func (s *Server) decide(r *http.Request, ep endpoint, fault Fault, faulted bool, latency time.Duration) outcome {
	if latency > 0 {
		if err := s.sleep(r.Context(), latency); err != nil {
			return outcome{gone: true} // nobody is left to read an answer
		}
	}
	if faulted && fault.failsBeforeEffect() {
		return s.failure(ep.op, fault)
	}
	limitHeaders, allowed := s.takeRateLimit(ep.op)
	if !allowed {
		return outcome{resp: errorResponse(http.StatusTooManyRequests, msgRateLimited), headers: limitHeaders, limited: true}
	}
	resp := s.perform(r, ep)
	if faulted && fault.AfterEffect {
		out := s.failure(ep.op, fault)
		out.made = resp.made
		return out
	}
	return outcome{resp: resp, headers: limitHeaders, made: resp.made}
}

// perform authenticates the call and runs the operation.
func (s *Server) perform(r *http.Request, ep endpoint) response {
	c, denied := s.authenticate(r, ep)
	if denied != nil {
		return *denied
	}
	return ep.handle(s, c)
}

// msgRateLimited is the error of a 429 answer.
const msgRateLimited = "Rate limit exceeded"

// failure is the answer a fault describes.
func (s *Server) failure(op string, f Fault) outcome {
	switch {
	case f.ResetConn:
		return outcome{reset: true}
	case f.RateLimit:
		return outcome{resp: errorResponse(http.StatusTooManyRequests, msgRateLimited), headers: s.faultRateLimitHeaders(op, f)}
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		return outcome{resp: errorResponse(status, statusMessage(status))}
	}
}

func statusMessage(status int) string {
	if text := http.StatusText(status); text != "" {
		return text
	}
	return "Error"
}

// resetConnection drops the connection without an answer. On a TCP
// connection it sets SO_LINGER to 0 so the client sees a reset, as after a
// load balancer failure, rather than a clean close.
func resetConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				tcp.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2, or a recorder): net/http aborts the stream.
	panic(http.ErrAbortHandler)
}
