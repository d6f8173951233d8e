package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// epoch is where every test's virtual clock starts.
var epoch = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// testWait bounds how long a test waits for an execution that should end
// at once; it only matters when the executor is broken.
const testWait = 10 * time.Second

// harness is an engine on a virtual clock with plain Go functions as
// Lambda handlers, wrapped by lambda.NewHandler as the real steps are.
type harness struct {
	t      *testing.T
	engine *Engine
	clock  *FakeClock
}

func newHarness(t *testing.T, functions map[string]any, configure ...func(*EngineOptions)) *harness {
	t.Helper()
	clock := NewFakeClock(epoch)
	opts := EngineOptions{Clock: clock, Functions: map[string]lambda.Handler{}}
	for name, fn := range functions {
		opts.Functions[name] = lambda.NewHandler(fn)
	}
	for _, c := range configure {
		c(&opts)
	}
	return &harness{t: t, engine: NewEngine(opts), clock: clock}
}

// register registers a definition from testdata/ under its file's base name.
func (h *harness) register(file string, substitutions map[string]string) string {
	h.t.Helper()
	def, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.registerDefinition(file[:len(file)-len(".asl.json")], def, substitutions)
}

func (h *harness) registerDefinition(name string, def []byte, substitutions map[string]string) string {
	h.t.Helper()
	arn, err := h.engine.Register(name, def, substitutions)
	if err != nil {
		h.t.Fatalf("Register(%s): %v", name, err)
	}
	return arn
}

// run starts an execution and waits for it to end.
func (h *harness) run(arn, input string) *Execution {
	h.t.Helper()
	x, err := h.engine.Start(h.t.Context(), arn, "", []byte(input))
	if err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	h.wait(x)
	return x
}

func (h *harness) wait(x *Execution) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), testWait)
	defer cancel()
	if err := x.Wait(ctx); err != nil {
		h.t.Fatalf("%v; history:\n%s", err, formatHistory(x))
	}
}

// requireStatus fails the test unless x ended with want.
func requireStatus(t *testing.T, x *Execution, want Status) {
	t.Helper()
	if got := x.Status(); got != want {
		t.Fatalf("status = %s (error %q, cause %q), want %s; history:\n%s", got, x.Error(), x.Cause(), want, formatHistory(x))
	}
}

func formatHistory(x *Execution) string {
	var b bytes.Buffer
	for _, ev := range x.History() {
		b.WriteString(ev.Type)
		if ev.State != "" {
			b.WriteString(" " + ev.State)
		}
		if ev.Error != "" {
			b.WriteString(" error=" + ev.Error)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// jsonOf decodes JSON text for comparison with jsonEqual.
func jsonOf(t *testing.T, text string) any {
	t.Helper()
	v, err := decodeJSON([]byte(text))
	if err != nil {
		t.Fatalf("bad JSON in test %q: %v", text, err)
	}
	return v
}

// requireJSON fails unless got is the same JSON value as want.
func requireJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	g, err := decodeJSON(got)
	if err != nil {
		t.Fatalf("%s is not JSON: %q", what, got)
	}
	if !jsonEqual(g, jsonOf(t, want)) {
		t.Fatalf("%s = %s\nwant %s", what, got, want)
	}
}

// eventTypes lists the types of x's events, optionally only those of one
// state.
func eventTypes(x *Execution, state string) []string {
	var out []string
	for _, ev := range x.History() {
		if state == "" || ev.State == state {
			out = append(out, ev.Type)
		}
	}
	return out
}

func eventsOf(x *Execution, typ string) []Event {
	var out []Event
	for _, ev := range x.History() {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func seconds(s ...float64) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v * float64(time.Second))
	}
	return out
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func readTestdata(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// releaseHandlersAtCleanup gives handlers contexts that end with the test,
// so that handlers an execution abandoned (as Lambda lets them run on) do
// not outlive it.
func releaseHandlersAtCleanup(t *testing.T) func(*EngineOptions) {
	return func(o *EngineOptions) {
		o.Timeout = func(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithTimeout(parent, d)
			t.Cleanup(cancel)
			return ctx, cancel
		}
	}
}

func lambdaHandler(fn any) lambda.Handler { return lambda.NewHandler(fn) }
