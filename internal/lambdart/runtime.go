// Package lambdart runs Lambda functions as their real bootstrap binaries
// under a local implementation of the Lambda Runtime API
// (/2018-06-01/runtime/...), one process per concurrent invocation as
// Lambda runs one execution environment per concurrent request, reusing
// idle ones, with the function's timeout enforced.
package lambdart

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of the Lambda service that the Runtime API enforces.
const (
	// MaxResponseBytes is the synchronous invocation payload limit.
	MaxResponseBytes = 6 * 1024 * 1024
	// initTimeout bounds the init phase (process start to the first
	// /next), as Lambda bounds an on-demand function's init to 10 s.
	initTimeout = 10 * time.Second
	apiPrefix   = "/2018-06-01/runtime"
)

// Credentials are the temporary credentials an execution environment
// gets for the function's role.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// Config describes one function.
type Config struct {
	Name, ARN string
	// Binary is the bootstrap executable.
	Binary   string
	Timeout  time.Duration
	MemoryMB int
	Region   string
	// Env are the function's environment variables (the template's, and
	// any local endpoint overrides). They are set after Lambda's own
	// reserved variables, except that reserved ones cannot be overridden.
	Env map[string]string
	// Credentials issues the credentials of a new execution environment.
	Credentials func() (Credentials, error)
	// Logs receives the processes' stdout and stderr; default os.Stderr.
	Logs io.Writer
	// MaxConcurrency caps the execution environments; an invocation beyond
	// it waits for one to be idle. Default 16.
	MaxConcurrency int
}

// ErrorDoc is the error document a function error carries.
type ErrorDoc struct {
	ErrorMessage string            `json:"errorMessage"`
	ErrorType    string            `json:"errorType"`
	StackTrace   []json.RawMessage `json:"stackTrace,omitempty"`
}

// Result is what one invocation returned.
type Result struct {
	RequestID string
	Payload   []byte
	// FunctionError is "Unhandled" when the function failed, timed out or
	// its process died; Payload is then the error document.
	FunctionError string
	// ColdStart is set when the invocation started a new process;
	// InitDuration is its process start to its first /next.
	ColdStart    bool
	InitDuration time.Duration
	Duration     time.Duration
}

// Error decodes a failed invocation's error document.
func (r Result) Error() (ErrorDoc, bool) {
	if r.FunctionError == "" {
		return ErrorDoc{}, false
	}
	var d ErrorDoc
	_ = json.Unmarshal(r.Payload, &d)
	return d, true
}

// Function is a function's pool of execution environments.
type Function struct {
	cfg Config

	mu     sync.Mutex
	idle   []*sandbox
	all    map[*sandbox]bool
	slots  chan struct{}
	closed bool
}

// New returns a function with no environment started yet.
func New(cfg Config) *Function {
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = 16
	}
	if cfg.Logs == nil {
		cfg.Logs = os.Stderr
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	return &Function{cfg: cfg, all: map[*sandbox]bool{}, slots: make(chan struct{}, cfg.MaxConcurrency)}
}

// Config returns the function's configuration.
func (f *Function) Config() Config { return f.cfg }

// Environments returns how many processes are running.
func (f *Function) Environments() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// Close stops every process.
func (f *Function) Close() {
	f.mu.Lock()
	f.closed = true
	all := make([]*sandbox, 0, len(f.all))
	for sb := range f.all {
		all = append(all, sb)
	}
	f.idle = nil
	f.mu.Unlock()
	for _, sb := range all {
		sb.kill()
	}
}

// Invoke runs one synchronous invocation. A function error, timeout or
// crash is a Result with FunctionError set; the error return is for the
// local service itself failing (the process could not start at all).
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	release := func() { <-f.slots }

	reqID := newRequestID()
	sb, cold, err := f.acquire()
	if err != nil {
		release()
		return Result{}, err
	}
	res := Result{RequestID: reqID, ColdStart: cold}
	if cold {
		initDur, doc := sb.waitInit()
		res.InitDuration = initDur
		if doc != nil {
			f.discard(sb)
			release()
			res.FunctionError = "Unhandled"
			res.Payload, _ = json.Marshal(doc)
			return res, nil
		}
	}
	start := time.Now()
	inv := &invocation{id: reqID, payload: payload, deadline: start.Add(f.cfg.Timeout), done: make(chan outcome, 1)}
	sb.next <- inv
	timer := time.NewTimer(f.cfg.Timeout)
	defer timer.Stop()
	finish := func(o outcome) Result {
		res.Duration = time.Since(start)
		res.Payload, res.FunctionError = o.payload, o.functionError
		return res
	}
	select {
	case o := <-inv.done:
		f.putIdle(sb)
		release()
		return finish(o), nil
	case <-sb.exited:
		f.discard(sb)
		release()
		doc := ErrorDoc{ErrorType: "Runtime.ExitError", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", reqID, sb.exitStatus())}
		b, _ := json.Marshal(doc)
		return finish(outcome{payload: b, functionError: "Unhandled"}), nil
	case <-timer.C:
		// Lambda resets the environment of a timed-out invocation.
		f.discard(sb)
		release()
		doc := ErrorDoc{ErrorType: "Sandbox.Timedout", ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", reqID, f.cfg.Timeout.Seconds())}
		b, _ := json.Marshal(doc)
		return finish(outcome{payload: b, functionError: "Unhandled"}), nil
	case <-ctx.Done():
		// The caller gave up; the function runs on, as in Lambda, and its
		// environment is reused once it has answered.
		go func() {
			select {
			case <-inv.done:
				f.putIdle(sb)
			case <-sb.exited:
				f.discard(sb)
			case <-time.After(time.Until(inv.deadline)):
				f.discard(sb)
			}
			release()
		}()
		return Result{}, ctx.Err()
	}
}

func (f *Function) acquire() (*sandbox, bool, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, false, errors.New("lambdart: function closed")
	}
	for len(f.idle) > 0 {
		sb := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		select {
		case <-sb.exited:
			delete(f.all, sb)
			continue
		default:
		}
		f.mu.Unlock()
		return sb, false, nil
	}
	f.mu.Unlock()
	sb, err := f.spawn()
	if err != nil {
		return nil, false, err
	}
	f.mu.Lock()
	f.all[sb] = true
	f.mu.Unlock()
	return sb, true, nil
}

func (f *Function) putIdle(sb *sandbox) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		go sb.kill()
		return
	}
	f.idle = append(f.idle, sb)
}

func (f *Function) discard(sb *sandbox) {
	f.mu.Lock()
	delete(f.all, sb)
	f.mu.Unlock()
	sb.kill()
}

// invocation is one request handed to a sandbox.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan outcome
}

type outcome struct {
	payload       []byte
	functionError string
}

// sandbox is one execution environment: a process and its Runtime API.
type sandbox struct {
	fn      *Function
	srv     *http.Server
	cmd     *exec.Cmd
	started time.Time
	next    chan *invocation
	ready   chan struct{} // closed at the first /next
	initErr chan ErrorDoc
	exited  chan struct{}

	mu       sync.Mutex
	current  *invocation
	readyAt  time.Time
	isReady  bool
	exitErr  error
	killOnce sync.Once
}

func (f *Function) spawn() (*sandbox, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdart: runtime API listener: %w", err)
	}
	sb := &sandbox{fn: f, next: make(chan *invocation, 1), ready: make(chan struct{}), initErr: make(chan ErrorDoc, 1), exited: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", sb.handleNext)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", sb.handleResponse)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", sb.handleError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", sb.handleInitError)
	sb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = sb.srv.Serve(ln) }()

	creds := Credentials{}
	if f.cfg.Credentials != nil {
		if creds, err = f.cfg.Credentials(); err != nil {
			sb.srv.Close()
			return nil, fmt.Errorf("lambdart: credentials of %s: %w", f.cfg.Name, err)
		}
	}
	cmd := exec.Command(f.cfg.Binary)
	cmd.Dir = filepath.Dir(f.cfg.Binary)
	cmd.Env = f.environment(ln.Addr().String(), creds)
	cmd.Stdout = f.cfg.Logs
	cmd.Stderr = f.cfg.Logs
	sb.cmd = cmd
	sb.started = time.Now()
	if err := cmd.Start(); err != nil {
		sb.srv.Close()
		return nil, fmt.Errorf("lambdart: start %s: %w", f.cfg.Name, err)
	}
	go func() {
		err := cmd.Wait()
		sb.mu.Lock()
		sb.exitErr = err
		sb.mu.Unlock()
		close(sb.exited)
		sb.srv.Close()
	}()
	return sb, nil
}

// reserved are the variables Lambda sets itself; a function's own
// environment cannot override them.
var reserved = map[string]bool{
	"_HANDLER": true, "AWS_REGION": true, "AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true,
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true,
	"LAMBDA_RUNTIME_DIR": true,
}

func (f *Function) environment(api string, c Credentials) []string {
	env := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
		"LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
	}
	for k, v := range f.cfg.Env {
		if !reserved[k] {
			env[k] = v
		}
	}
	for k, v := range map[string]string{
		"_HANDLER": "bootstrap", "AWS_REGION": f.cfg.Region, "AWS_DEFAULT_REGION": f.cfg.Region,
		"AWS_LAMBDA_FUNCTION_NAME": f.cfg.Name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.cfg.MemoryMB), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":  "/aws/lambda/" + f.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME": time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + newRequestID()[:32],
		"AWS_ACCESS_KEY_ID":          c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey, "AWS_SESSION_TOKEN": c.SessionToken,
		"AWS_LAMBDA_RUNTIME_API": api, "LAMBDA_TASK_ROOT": filepath.Dir(f.cfg.Binary), "LAMBDA_RUNTIME_DIR": filepath.Dir(f.cfg.Binary),
	} {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// waitInit waits for the process to ask for its first invocation, and
// returns how long init took, or the init failure.
func (sb *sandbox) waitInit() (time.Duration, *ErrorDoc) {
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-sb.ready:
		sb.mu.Lock()
		defer sb.mu.Unlock()
		return sb.readyAt.Sub(sb.started), nil
	case doc := <-sb.initErr:
		<-waitOrTimeout(sb.exited, time.Second)
		return time.Since(sb.started), &doc
	case <-sb.exited:
		return time.Since(sb.started), &ErrorDoc{ErrorType: "Runtime.ExitError", ErrorMessage: "RequestId: " + newRequestID() + " Error: Runtime exited with error: " + sb.exitStatus()}
	case <-timer.C:
		return time.Since(sb.started), &ErrorDoc{ErrorType: "Sandbox.Timedout", ErrorMessage: "Error: init timed out after 10.00 seconds"}
	}
}

func waitOrTimeout(ch <-chan struct{}, d time.Duration) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-time.After(d):
		}
		close(out)
	}()
	return out
}

func (sb *sandbox) exitStatus() string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.exitErr == nil {
		return "exit status 0"
	}
	return sb.exitErr.Error()
}

func (sb *sandbox) kill() {
	sb.killOnce.Do(func() {
		if sb.cmd != nil && sb.cmd.Process != nil {
			_ = sb.cmd.Process.Kill()
		}
		<-waitOrTimeout(sb.exited, 5*time.Second)
		_ = sb.srv.Close()
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (sb *sandbox) handleNext(w http.ResponseWriter, r *http.Request) {
	sb.mu.Lock()
	if !sb.isReady {
		sb.isReady = true
		sb.readyAt = time.Now()
		close(sb.ready)
	}
	sb.current = nil
	sb.mu.Unlock()
	select {
	case inv := <-sb.next:
		sb.mu.Lock()
		sb.current = inv
		sb.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", sb.fn.cfg.ARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+newRequestID()[:24]+";Parent="+newRequestID()[:16]+";Sampled=0")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// take returns the invocation the runtime answers for, if id names the
// one in progress.
func (sb *sandbox) take(id string) *invocation {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	inv := sb.current
	if inv == nil || inv.id != id {
		return nil
	}
	sb.current = nil
	return inv
}

func (sb *sandbox) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorDoc{ErrorType: "InvalidRequest", ErrorMessage: "could not read the response"})
		return
	}
	id := r.PathValue("id")
	if len(body) > MaxResponseBytes {
		inv := sb.take(id)
		if inv != nil {
			doc, _ := json.Marshal(ErrorDoc{ErrorType: "Function.ResponseSizeTooLarge", ErrorMessage: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)})
			inv.done <- outcome{payload: doc, functionError: "Unhandled"}
		}
		writeJSON(w, http.StatusRequestEntityTooLarge, ErrorDoc{ErrorType: "RequestEntityTooLarge", ErrorMessage: "response payload too large"})
		return
	}
	inv := sb.take(id)
	if inv == nil {
		writeJSON(w, http.StatusBadRequest, ErrorDoc{ErrorType: "InvalidRequestID", ErrorMessage: "Invalid request ID"})
		return
	}
	inv.done <- outcome{payload: body}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (sb *sandbox) handleError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	inv := sb.take(r.PathValue("id"))
	if inv == nil {
		writeJSON(w, http.StatusBadRequest, ErrorDoc{ErrorType: "InvalidRequestID", ErrorMessage: "Invalid request ID"})
		return
	}
	inv.done <- outcome{payload: errorDocument(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")), functionError: "Unhandled"}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (sb *sandbox) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	var doc ErrorDoc
	if json.Unmarshal(errorDocument(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")), &doc) != nil {
		doc = ErrorDoc{ErrorType: "Runtime.Unknown", ErrorMessage: "init failed"}
	}
	select {
	case sb.initErr <- doc:
	default:
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// errorDocument normalizes an error body the runtime posted: a JSON error
// document passes as is; anything else becomes one whose type is the
// Lambda-Runtime-Function-Error-Type header.
func errorDocument(body []byte, errType string) []byte {
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil && doc != nil {
		if _, ok := doc["errorType"]; !ok && errType != "" {
			doc["errorType"] = errType
		}
		b, _ := json.Marshal(doc)
		return b
	}
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	b, _ := json.Marshal(ErrorDoc{ErrorType: errType, ErrorMessage: strings.TrimSpace(string(bytes.ToValidUTF8(body, nil)))})
	return b
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
