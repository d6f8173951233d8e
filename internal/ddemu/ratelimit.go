package ddemu

import (
	"net/http"
	"strconv"
	"time"
)

// faultRateLimit is the X-RateLimit-Limit a RateLimit fault reports for an
// operation without a SetRateLimit window: the fault pretends that a limit of
// this size has just been used up.
const faultRateLimit = 100

// rateWindow is a fixed-window limit on one operation. Datadog's windows are
// calendar aligned, so a window starts at a multiple of its period.
type rateWindow struct {
	limit  int
	period time.Duration
	start  time.Time
	used   int
}

// SetRateLimit limits op to limit calls per period, in fixed windows read from
// the server clock. Calls over the limit get 429; every answer of a limited
// operation carries X-RateLimit-Limit/Period/Remaining/Reset/Name, as
// Datadog's do. A limit or period of 0 (or less) removes the limit.
func (s *Server) SetRateLimit(op string, limit int, period time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit <= 0 || period <= 0 {
		delete(s.rateLimits, op)
		return
	}
	s.rateLimits[op] = &rateWindow{limit: limit, period: period}
}

// takeRateLimit counts a call against op's window. It returns the headers to
// send and whether the call is within the limit; ops without a limit get no
// headers and are always allowed.
func (s *Server) takeRateLimit(op string) (http.Header, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.rateLimits[op]
	if !ok {
		return nil, true
	}
	now := s.now()
	if start := now.Truncate(w.period); !start.Equal(w.start) {
		w.start, w.used = start, 0
	}
	allowed := w.used < w.limit
	if allowed {
		w.used++
	}
	reset := w.start.Add(w.period).Sub(now)
	return rateLimitHeaders(op, w.limit, w.period, w.limit-w.used, reset), allowed
}

// faultRateLimitHeaders describes an exhausted limit for a RateLimit fault,
// using op's SetRateLimit window when there is one.
func (s *Server) faultRateLimitHeaders(op string, f Fault) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, period := faultRateLimit, time.Minute
	if w, ok := s.rateLimits[op]; ok {
		limit, period = w.limit, w.period
	}
	return rateLimitHeaders(op, limit, period, 0, time.Duration(f.ResetSeconds)*time.Second)
}

func rateLimitHeaders(name string, limit int, period time.Duration, remaining int, reset time.Duration) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Period", strconv.Itoa(ceilSeconds(period)))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.Itoa(ceilSeconds(reset)))
	h.Set("X-RateLimit-Name", name)
	return h
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
