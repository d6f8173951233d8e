package ddemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a hand-moved clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 9, 8, 9, 24, 42, 999350000, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// keys are the credentials a test request carries; empty fields are not sent.
type keys struct{ api, app string }

// harness is an emulator seeded with DefaultSeed, driven in-process.
type harness struct {
	t     *testing.T
	srv   *Server
	admin Admin
	clock *fakeClock
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	seed, admin := DefaultSeed()
	clock := newFakeClock()
	srv := New(seed, append([]Option{WithClock(clock.Now)}, opts...)...)
	return &harness{t: t, srv: srv, admin: admin, clock: clock}
}

func (h *harness) adminKeys() keys { return keys{api: h.admin.APIKey, app: h.admin.AppKey} }

// reply is a decoded answer.
type reply struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// do sends a request with the admin keys.
func (h *harness) do(method, path string, body any) reply {
	h.t.Helper()
	return h.doWith(h.adminKeys(), method, path, body)
}

func (h *harness) doWith(k keys, method, path string, body any) reply {
	h.t.Helper()
	var rd io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.api != "" {
		req.Header.Set(HeaderAPIKey, k.api)
	}
	if k.app != "" {
		req.Header.Set(HeaderAppKey, k.app)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return decodeReply(h.t, rec.Code, rec.Header(), rec.Body.Bytes())
}

func decodeReply(t *testing.T, status int, header http.Header, raw []byte) reply {
	t.Helper()
	rep := reply{status: status, header: header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &rep.json); err != nil {
			t.Fatalf("status %d: body is not a JSON object: %v", status, err)
		}
	}
	return rep
}

// mustStatus fails the test unless the reply has the wanted status.
func (r reply) mustStatus(t *testing.T, want int) reply {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.raw)
	}
	return r
}

// errors returns the messages of a Datadog error body.
func (r reply) errors() []string {
	var msgs []string
	list, _ := r.json["errors"].([]any)
	for _, m := range list {
		s, _ := m.(string)
		msgs = append(msgs, s)
	}
	return msgs
}

// path walks the decoded JSON along object keys and array indexes.
func (r reply) path(steps ...any) any {
	var cur any = r.json
	for _, step := range steps {
		switch s := step.(type) {
		case string:
			obj, _ := cur.(map[string]any)
			cur = obj[s]
		case int:
			arr, _ := cur.([]any)
			if s >= len(arr) {
				return nil
			}
			cur = arr[s]
		}
	}
	return cur
}

func (r reply) str(steps ...any) string {
	s, _ := r.path(steps...).(string)
	return s
}

// dataList returns data as a list of objects.
func (r reply) dataList() []map[string]any {
	var out []map[string]any
	list, _ := r.json["data"].([]any)
	for _, item := range list {
		obj, _ := item.(map[string]any)
		out = append(out, obj)
	}
	return out
}

func apiKeyBody(name string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "api_keys", "attributes": map[string]any{"name": name}}}
}

func appKeyBody(name string, scopes []string) map[string]any {
	attrs := map[string]any{"name": name}
	if scopes != nil {
		attrs["scopes"] = scopes
	}
	return map[string]any{"data": map[string]any{"type": "application_keys", "attributes": attrs}}
}
