package ddemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is the emulated Datadog API of one org. It implements http.Handler,
// so it can be mounted in an httptest.Server, or served with Listen.
// All methods are safe for concurrent use.
type Server struct {
	clock func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	mux   *http.ServeMux

	mu         sync.Mutex
	st         *store
	faults     []*faultRule
	latency    time.Duration
	rateLimits map[string]*rateWindow
	calls      []Call
	counters   map[string]int
	httpServer *http.Server
}

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now: created_at/modified_at stamps, the call log
// and rate-limit windows all read this clock, so tests can move time by hand.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

// WithSleep replaces the timer behind injected latency. The function must
// wait for d or until ctx is done, and return ctx.Err() in the latter case.
// Tests use it to observe requested delays without waiting for them.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Server) { s.sleep = sleep }
}

// New returns an emulator holding the seeded state. It panics if the seed is
// invalid (see Seed.Validate): a bad seed is a bug in the caller, and LoadSeed
// already reports file seeds as errors. The panic names ids, never values.
func New(seed Seed, opts ...Option) *Server {
	if err := seed.Validate(); err != nil {
		panic("ddemu: invalid seed: " + err.Error())
	}
	s := &Server{
		clock:      time.Now,
		sleep:      sleepContext,
		rateLimits: map[string]*rateWindow{},
		counters:   map[string]int{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.mux = s.newMux()
	s.st = newStore(seed.OrgName, seed.MaxAPIKeys, s.now())
	s.applySeed(seed)
	return s
}

func (s *Server) applySeed(seed Seed) {
	now := s.now()
	for _, sa := range seed.ServiceAccounts {
		s.addServiceAccountLocked(sa.ID, sa.Name, sa.Email, now)
	}
	for _, k := range seed.APIKeys {
		s.addAPIKeyLocked(k.ID, k.Name, k.Key, s.st.orgOwnerID, now)
	}
	for _, k := range seed.AppKeys {
		s.addAppKeyLocked(k.ID, k.Name, k.Key, k.OwnerID, k.Scopes, now)
	}
}

func (s *Server) now() time.Time { return s.clock().UTC() }

// ServeHTTP answers one Datadog API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Listen serves the emulator on addr (e.g. "127.0.0.1:0") until Close, and
// returns its base URL. Only loopback addresses are accepted: the emulator
// hands out key values to anyone who asks with a valid admin key.
func (s *Server) Listen(addr string) (baseURL string, err error) {
	if err := requireLoopback(addr); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("ddemu: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.httpServer != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("ddemu: already listening")
	}
	s.httpServer = srv
	s.mu.Unlock()
	go srv.Serve(ln) // returns ErrServerClosed on Close
	return "http://" + ln.Addr().String(), nil
}

func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ddemu: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("ddemu: listen address %q is not a loopback address", addr)
}

// Close stops serving and drops open connections, which also ends any
// injected latency still waiting. Closing a Server that never listened is a no-op.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.httpServer
	s.httpServer = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("ddemu: close: %w", err)
	}
	return nil
}

// callContext is what a handler knows about the request it answers.
type callContext struct {
	r *http.Request
	// userID is the owner of the application key the call authenticated
	// with: the "current user" of /current_user routes and the author of
	// the keys the call creates.
	userID string
}

// response is a handler's answer, kept apart from the ResponseWriter so a
// fault can perform an operation and then throw its answer away.
type response struct {
	status int
	body   any // encoded as JSON; nil for no body
	// made is the key a create made, for the call log; never sent.
	made madeKey
}

// madeKey names the key a create made, by id and name (never its value).
type madeKey struct{ id, name string }

func errorResponse(status int, messages ...string) response {
	return response{status: status, body: errorDocument{Errors: messages}}
}

func noContent() response { return response{status: http.StatusNoContent} }

func writeResponse(w http.ResponseWriter, resp response, extra http.Header) {
	for name, values := range extra {
		w.Header()[name] = values
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	data, err := json.Marshal(resp.body)
	if err != nil {
		// Only emulator bugs get here; the message names the type, not the data.
		data, _ = json.Marshal(errorDocument{Errors: []string{"Internal Server Error"}})
		resp.status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	w.Write(data)
}

// serveUnknown answers paths the emulator does not implement the way Datadog
// answers unknown routes.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	resp := errorResponse(http.StatusNotFound, "Not found")
	writeResponse(w, resp, nil)
	s.recordCall(r, Call{Status: resp.status})
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
