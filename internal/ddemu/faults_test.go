package ddemu

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingSleep stands in for the latency timer: it records what it was
// asked to wait and returns at once.
type recordingSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordingSleep) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return nil
}

func TestPathMatches(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/api/v2/api_keys", "/api/v2/api_keys", true},
		{"/api/v2/api_keys", "/api/v2/api_keys/abc", false},
		{"/api/v2/api_keys/*", "/api/v2/api_keys/abc", true},
		{"/api/v2/api_keys/*", "/api/v2/api_keys", false},
		{"/api/v2/api_keys/*", "/api/v2/api_keys/", false},
		{"/api/v2/service_accounts/*/application_keys/*", "/api/v2/service_accounts/sa/application_keys/k", true},
		{"/api/v2/service_accounts/*/application_keys/*", "/api/v2/service_accounts/sa/application_keys", false},
	}
	for _, tt := range tests {
		if got := pathMatches(tt.pattern, tt.path); got != tt.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestFaultSelection(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		hit   bool // whether DELETE /api/v2/api_keys/{id} is faulted
	}{
		{"by op", Fault{Op: DeleteAPIKey}, true},
		{"by other op", Fault{Op: GetAPIKey}, false},
		{"by method", Fault{Method: "delete"}, true},
		{"by other method", Fault{Method: "GET"}, false},
		{"by path pattern", Fault{Path: "/api/v2/api_keys/*"}, true},
		{"by other path", Fault{Path: "/api/v2/api_keys"}, false},
		{"all must match", Fault{Method: "DELETE", Op: GetAPIKey}, false},
		{"everything", Fault{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			target := h.srv.AddAPIKey("target")
			tt.fault.Status = http.StatusServiceUnavailable
			h.srv.AddFault(tt.fault)

			rep := h.do("DELETE", "/api/v2/api_keys/"+target.ID, nil)
			if hit := rep.status == http.StatusServiceUnavailable; hit != tt.hit {
				t.Fatalf("status = %d; faulted = %v, want %v", rep.status, hit, tt.hit)
			}
			if tt.hit {
				if !slices.Equal(rep.errors(), []string{"Service Unavailable"}) {
					t.Errorf("errors = %q, want a Datadog-shaped body", rep.errors())
				}
				if !h.srv.APIKeyValid(target.Key) {
					t.Error("a failing fault still performed the delete")
				}
			}
			if calls := h.srv.Calls(); calls[len(calls)-1].Faulted != tt.hit {
				t.Errorf("call log Faulted = %v, want %v", calls[len(calls)-1].Faulted, tt.hit)
			}
		})
	}
}

func TestFaultTimesThenHealthy(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: ListAPIKeys, Status: http.StatusInternalServerError, Times: 2})
	var got []int
	for range 4 {
		got = append(got, h.do("GET", "/api/v2/api_keys", nil).status)
	}
	if want := []int{500, 500, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func TestFirstMatchingFaultApplies(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: ListAPIKeys, Status: http.StatusBadGateway, Times: 1})
	h.srv.AddFault(Fault{Status: http.StatusInternalServerError})
	first := h.do("GET", "/api/v2/api_keys", nil).status
	second := h.do("GET", "/api/v2/api_keys", nil).status
	if first != 502 || second != 500 {
		t.Errorf("statuses = %d, %d; want 502 then 500", first, second)
	}
	h.srv.ClearFaults()
	h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
}

func TestAfterEffectFaultLosesTheResponse(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: CreateAPIKey, AfterEffect: true, Status: http.StatusGatewayTimeout, Times: 1})

	h.do("POST", "/api/v2/api_keys", apiKeyBody("lost")).mustStatus(t, http.StatusGatewayTimeout)
	if !slices.ContainsFunc(h.srv.APIKeys(), func(k APIKey) bool { return k.Name == "lost" }) {
		t.Fatal("the operation was not performed before the failure")
	}

	// Status defaults to 500.
	h.srv.AddFault(Fault{Op: CreateAPIKey, AfterEffect: true, Times: 1})
	h.do("POST", "/api/v2/api_keys", apiKeyBody("lost-again")).mustStatus(t, http.StatusInternalServerError)
	if n := len(h.srv.APIKeys()); n != 3 {
		t.Errorf("org has %d API keys, want 3", n)
	}
}

func TestRateLimitFault(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: CreateAPIKey, RateLimit: true, ResetSeconds: 7, Times: 1})

	rep := h.do("POST", "/api/v2/api_keys", apiKeyBody("x")).mustStatus(t, http.StatusTooManyRequests)
	want := map[string]string{
		"X-RateLimit-Limit":     "100",
		"X-RateLimit-Period":    "60",
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     "7",
		"X-RateLimit-Name":      CreateAPIKey,
	}
	for name, value := range want {
		if got := rep.header.Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	if len(h.srv.APIKeys()) != 1 {
		t.Error("a rate-limited create still created a key")
	}
}

func TestSetRateLimitFixedWindow(t *testing.T) {
	h := newHarness(t)
	h.clock.Set(time.Date(2025, 1, 1, 12, 0, 15, 0, time.UTC)) // 15 s into a minute window
	h.srv.SetRateLimit(ListAPIKeys, 2, time.Minute)

	first := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	if got := first.header.Get("X-RateLimit-Remaining"); got != "1" {
		t.Errorf("Remaining after one call = %q, want 1", got)
	}
	h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	limited := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusTooManyRequests)
	for name, value := range map[string]string{
		"X-RateLimit-Limit": "2", "X-RateLimit-Period": "60", "X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset": "45", "X-RateLimit-Name": ListAPIKeys,
	} {
		if got := limited.header.Get(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	// Other operations are not limited.
	h.do("GET", "/api/v2/api_keys/"+h.admin.APIKeyID, nil).mustStatus(t, http.StatusOK)

	h.clock.Advance(45 * time.Second) // the next window
	h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)

	if calls := h.srv.Calls(); !calls[2].Faulted || calls[0].Faulted {
		t.Errorf("Faulted flags = %v, %v; want only the refused call flagged", calls[0].Faulted, calls[2].Faulted)
	}
	h.srv.SetRateLimit(ListAPIKeys, 0, 0)
	if rep := h.do("GET", "/api/v2/api_keys", nil); rep.header.Get("X-RateLimit-Limit") != "" {
		t.Error("a removed limit still sends headers")
	}
}

func TestLatency(t *testing.T) {
	rec := &recordingSleep{}
	h := newHarness(t, WithSleep(rec.sleep))
	h.srv.SetLatency(20 * time.Millisecond)
	h.srv.AddFault(Fault{Op: GetAPIKey, Latency: time.Second, Times: 1})

	h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	h.do("GET", "/api/v2/api_keys/"+h.admin.APIKeyID, nil).mustStatus(t, http.StatusOK)
	h.srv.SetLatency(0)
	h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)

	want := []time.Duration{20 * time.Millisecond, time.Second + 20*time.Millisecond}
	if !slices.Equal(rec.waits, want) {
		t.Errorf("waits = %v, want %v", rec.waits, want)
	}
}

func TestLatencyEndsWhenTheClientGivesUp(t *testing.T) {
	h := newHarness(t) // the real timer
	h.srv.AddFault(Fault{Op: CreateAPIKey, Latency: time.Hour})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "/api/v2/api_keys", nil)
	h.srv.ServeHTTP(discardWriter{}, req)

	calls := h.srv.Calls()
	if len(calls) != 1 || calls[0].Status != 0 || !calls[0].Faulted {
		t.Errorf("calls = %+v, want one unanswered faulted call", calls)
	}
	if len(h.srv.APIKeys()) != 1 {
		t.Error("an abandoned call was still performed")
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

func TestCallLogAndCounters(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: DeleteAPIKey, Status: 500, Times: 1})
	h.do("GET", "/api/v2/api_keys", nil)
	h.do("DELETE", "/api/v2/api_keys/"+h.admin.APIKeyID, nil)
	h.do("GET", "/api/v2/nothing-here", nil).mustStatus(t, http.StatusNotFound)

	admin := func(c Call) Call { c.APIKeyID, c.AppKeyID = h.admin.APIKeyID, h.admin.AppKeyID; return c }
	want := []Call{
		admin(Call{Method: "GET", Path: "/api/v2/api_keys", Op: ListAPIKeys, Status: 200}),
		admin(Call{Method: "DELETE", Path: "/api/v2/api_keys/" + h.admin.APIKeyID, Op: DeleteAPIKey, Status: 500, Faulted: true, KeyID: h.admin.APIKeyID}),
		admin(Call{Method: "GET", Path: "/api/v2/nothing-here", Status: 404}),
	}
	calls := h.srv.Calls()
	for i := range calls {
		calls[i].Time = time.Time{}
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %+v\nwant    %+v", calls, want)
	}
	counters := h.srv.Counters()
	if counters[ListAPIKeys] != 1 || counters[DeleteAPIKey] != 1 || len(counters) != 2 {
		t.Errorf("counters = %v", counters)
	}
	h.srv.ResetObservations()
	if len(h.srv.Calls()) != 0 || len(h.srv.Counters()) != 0 {
		t.Error("ResetObservations left observations behind")
	}
}

// Without a hijackable connection (HTTP/2, recorders) a reset aborts the
// handler the net/http way; the call is still logged, unanswered.
func TestResetConnWithoutHijackerAbortsAndLogs(t *testing.T) {
	h := newHarness(t)
	h.srv.AddFault(Fault{Op: ListAPIKeys, ResetConn: true})
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", r)
		}
		calls := h.srv.Calls()
		if len(calls) != 1 || calls[0].Status != 0 || !calls[0].Faulted {
			t.Errorf("calls = %+v, want one unanswered faulted call", calls)
		}
	}()
	h.do("GET", "/api/v2/api_keys", nil)
}

// The call log names the keys a call made, named and presented, by id and
// name only: a create that took effect (even with its answer lost), the key
// a path names, the keys a validate call tested (even a deleted one, and
// even when a fault answered instead), and the latency it was given.
func TestCallLogNamesKeysByID(t *testing.T) {
	h := newHarness(t, WithSleep(func(context.Context, time.Duration) error { return nil }))
	created := h.do("POST", "/api/v2/api_keys", apiKeyBody("made")).mustStatus(t, http.StatusCreated)
	id := created.str("data", "id")
	h.srv.AddFault(Fault{Op: CreateServiceAccountAppKey, AfterEffect: true, Status: 502, Times: 1})
	h.do("POST", "/api/v2/service_accounts/"+h.admin.ServiceAccountID+"/application_keys", appKeyBody("lost", nil)).mustStatus(t, 502)
	var lostID string
	for _, k := range h.srv.AppKeys() {
		if k.Name == "lost" {
			lostID = k.ID
		}
	}
	h.srv.AddFault(Fault{Op: CreateAPIKey, Status: 500, Times: 1})
	h.do("POST", "/api/v2/api_keys", apiKeyBody("refused")).mustStatus(t, 500)
	value := ""
	for _, k := range h.srv.APIKeys() {
		if k.ID == id {
			value = k.Key
		}
	}
	h.do("DELETE", "/api/v2/api_keys/"+id, nil).mustStatus(t, http.StatusNoContent)
	h.srv.AddFault(Fault{Op: ValidateKeys, Status: 403, Latency: 3 * time.Second, Times: 1})
	h.doWith(keys{api: value, app: h.admin.AppKey}, "GET", "/api/v2/validate_keys", nil).mustStatus(t, 403)
	h.doWith(keys{api: "0123456789abcdef0123456789abcdef"}, "GET", "/api/v1/validate", nil).mustStatus(t, 403)

	calls := h.srv.Calls()
	if len(calls) != 6 {
		t.Fatalf("%d calls logged, want 6", len(calls))
	}
	check := func(i int, what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("call %d (%s %s): %s = %v, want %v", i, calls[i].Op, calls[i].Path, what, got, want)
		}
	}
	check(0, "KeyID", calls[0].KeyID, id)
	check(0, "KeyName", calls[0].KeyName, "made")
	check(0, "Created", calls[0].Created(), true)
	check(0, "Succeeded", calls[0].Succeeded(), true)
	check(1, "KeyID", calls[1].KeyID, lostID)
	check(1, "Created", calls[1].Created(), lostID != "")
	check(1, "Succeeded", calls[1].Succeeded(), false)
	check(2, "Created", calls[2].Created(), false)
	check(2, "KeyID", calls[2].KeyID, "")
	check(3, "KeyID", calls[3].KeyID, id)
	check(3, "Created", calls[3].Created(), false)
	check(4, "APIKeyID", calls[4].APIKeyID, id)
	check(4, "AppKeyID", calls[4].AppKeyID, h.admin.AppKeyID)
	check(4, "Latency", calls[4].Latency, 3*time.Second)
	check(5, "APIKeyID", calls[5].APIKeyID, "")
	for i, c := range calls[:4] {
		check(i, "APIKeyID", c.APIKeyID, h.admin.APIKeyID)
	}
	data, _ := json.Marshal(calls)
	for _, v := range h.srv.AllKeyValues() {
		if strings.Contains(string(data), v) {
			t.Errorf("the call log holds a key value (…%s)", v[len(v)-4:])
		}
	}
}
