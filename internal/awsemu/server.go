package awsemu

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Service names as they appear in Fault.Service, Call.Service and Counters.
const (
	serviceSecretsManager = "secretsmanager"
	serviceSNS            = "sns"
	serviceSTS            = "sts"
)

// DefaultAddr is where the emulator listens unless told otherwise: the port
// LocalStack made the conventional one for local AWS endpoints.
const DefaultAddr = "127.0.0.1:4566"

// maxRequestBody bounds what one request may send. Secrets Manager values
// are at most 64 KiB, so 1 MiB leaves room for any legitimate request.
const maxRequestBody = 1 << 20

// Options configures a Server. The zero value is usable.
type Options struct {
	// AccountID is the emulated account; default "000000000000".
	AccountID string
	// Region appears in ARNs; default "us-east-1".
	Region string
	// Logger receives one debug record per request (service, action, status;
	// never a parameter value). Default: discard.
	Logger *slog.Logger
	// Now is the clock used for timestamps and session expiry; default
	// time.Now. Tests inject one to expire sessions without waiting.
	Now func() time.Time
}

// Server is the emulator. It implements http.Handler, so it can be mounted
// in an httptest.Server, or serve on its own port with Listen.
type Server struct {
	opts Options

	// mu guards all emulated AWS state below.
	mu            sync.Mutex
	secrets       map[string]*secret // by ARN
	secretARNs    map[string]string  // name → ARN
	topics        map[string]*topic  // by ARN
	subscriptions map[string]*subscription
	inboxes       map[string][]Message    // by subscription ARN; kept after Unsubscribe
	roles         map[string]*roleEntry   // by ARN
	teamKeys      map[string]string       // access key id → account id
	sessions      map[string]*roleSession // by access key id

	// obsMu guards the fault table and the observations.
	obsMu    sync.Mutex
	faults   []*Fault
	calls    []Call
	counters map[string]int

	deliverer *deliverer

	// Extension services and the policy authorizer (guarded by obsMu).
	jsonServices map[string]*JSONService
	restServices []*RESTService
	authorizer   Authorizer
	accountOrgs  map[string]string // account id → organization id

	httpServer *http.Server
}

// New returns an emulator with empty state.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{
		opts:          opts,
		secrets:       map[string]*secret{},
		secretARNs:    map[string]string{},
		topics:        map[string]*topic{},
		subscriptions: map[string]*subscription{},
		inboxes:       map[string][]Message{},
		roles:         map[string]*roleEntry{},
		teamKeys:      map[string]string{},
		sessions:      map[string]*roleSession{},
		counters:      map[string]int{},
		deliverer:     newDeliverer(opts.Logger),
	}
}

func (s *Server) now() time.Time { return s.opts.Now() }

// Listen starts serving on addr (for example DefaultAddr, or "127.0.0.1:0"
// for any free port) until Close, and returns the base URL to give SDK
// clients as BaseEndpoint and the CLI as --endpoint-url. Call it once.
func (s *Server) Listen(addr string) (baseURL string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("awsemu: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.obsMu.Lock()
	s.httpServer = srv
	s.obsMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("awsemu: serve stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the listener started by Listen, if any, cancels SNS deliveries
// still in flight and waits for them to end.
func (s *Server) Close() error {
	s.obsMu.Lock()
	srv := s.httpServer
	s.obsMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	s.deliverer.close()
	return err
}

// response is a fully encoded answer. Handlers build one instead of writing
// to the connection so that a fault can replace it after the action ran.
type response struct {
	status      int
	contentType string
	body        []byte
	errorCode   string // empty on success; recorded in the call log
	header      map[string]string
}

// ServeHTTP decodes the request, authenticates it, applies any matching
// fault, runs the action and records the call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	req, resp, ok := s.decodeRequest(w, r)
	if ok {
		resp, ok = s.authenticate(req)
	}
	var fault *Fault
	if ok {
		fault = s.takeFault(req)
	}
	if fault != nil && !fault.AfterEffect {
		if !s.misbehave(w, r, start, req, fault) {
			return
		}
		if fault.answersError() {
			resp, ok = faultResponse(req, fault), false
		}
	}
	if ok {
		resp = s.dispatch(req)
	}
	if fault != nil && fault.AfterEffect {
		if !s.misbehave(w, r, start, req, fault) {
			return
		}
		if fault.answersError() {
			resp = faultResponse(req, fault)
		}
	}
	s.record(start, req, resp, fault != nil)
	s.opts.Logger.Debug("awsemu request", "service", req.service, "action", req.action, "status", resp.status, "error", resp.errorCode)

	for k, v := range resp.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", resp.contentType)
	w.Header().Set("X-Amzn-RequestId", req.id)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// misbehave applies a fault's latency and connection reset. It reports
// false when the request has been dealt with (reset, or abandoned by the
// client) and nothing more may be written.
func (s *Server) misbehave(w http.ResponseWriter, r *http.Request, start time.Time, req *request, f *Fault) bool {
	if !s.applyLatency(r.Context(), f) {
		s.record(start, req, response{}, true) // the client gave up waiting
		return false
	}
	if f.ResetConn {
		s.record(start, req, response{}, true)
		resetConnection(w)
		return false
	}
	return true
}

// dispatch runs the action of an authenticated request.
func (s *Server) dispatch(req *request) response {
	switch req.service {
	case serviceSecretsManager:
		return s.dispatchSecretsManager(req)
	case serviceSNS:
		return s.dispatchSNS(req)
	case serviceSTS:
		return s.dispatchSTS(req)
	default:
		return s.dispatchExtension(req)
	}
}

// errorResponse encodes e in the protocol of req's service.
func errorResponse(req *request, e *apiError) response {
	switch req.service {
	case serviceSecretsManager:
		return jsonErrorResponse(e)
	case serviceSTS:
		return queryErrorResponse(stsNamespace, req.id, e)
	case serviceSNS:
		return queryErrorResponse(snsNamespace, req.id, e)
	default:
		return extensionErrorResponse(req, e)
	}
}

// readBody reads at most maxRequestBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
}
