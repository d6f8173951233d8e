package ddemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

// listening starts a harness on a loopback port and returns its base URL.
func listening(t *testing.T, opts ...Option) (*harness, string) {
	t.Helper()
	h := newHarness(t, opts...)
	baseURL, err := h.srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.srv.Close() })
	return h, baseURL
}

func send(client *http.Client, admin Admin, method, url string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set(HeaderAPIKey, admin.APIKey)
	req.Header.Set(HeaderAppKey, admin.AppKey)
	return client.Do(req)
}

func TestListenServesOverHTTP(t *testing.T) {
	h, baseURL := listening(t)
	resp, err := send(http.DefaultClient, h.admin, "GET", baseURL+"/api/v2/validate_keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("validate_keys = %d %s", resp.StatusCode, body)
	}
	if _, err := h.srv.Listen("127.0.0.1:0"); err == nil {
		t.Error("a second Listen succeeded")
	}
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := send(http.DefaultClient, h.admin, "GET", baseURL+"/api/v2/validate_keys", nil); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestListenRefusesNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "192.0.2.1:0", "example.com:80", "no-port"} {
		if _, err := New(Seed{}).Listen(addr); err == nil {
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
}

func TestResetConnFault(t *testing.T) {
	tests := []struct {
		name        string
		afterEffect bool
	}{
		{"before the effect", false},
		{"after the effect", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, baseURL := listening(t)
			h.srv.AddFault(Fault{Op: CreateAPIKey, ResetConn: true, AfterEffect: tt.afterEffect, Times: 1})
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

			resp, err := send(client, h.admin, "POST", baseURL+"/api/v2/api_keys", apiKeyBody("reset"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got status %d, want a connection error", resp.StatusCode)
			}
			if created := len(h.srv.APIKeys()) == 2; created != tt.afterEffect {
				t.Errorf("key created = %v, want %v", created, tt.afterEffect)
			}
			if calls := h.srv.Calls(); len(calls) != 1 || calls[0].Status != 0 || !calls[0].Faulted {
				t.Errorf("calls = %+v, want one unanswered faulted call", calls)
			}
			// The fault is used up: the next call is answered.
			resp, err = send(client, h.admin, "POST", baseURL+"/api/v2/api_keys", apiKeyBody("fine"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("status after the fault = %d", resp.StatusCode)
			}
		})
	}
}

func TestCloseEndsPendingLatency(t *testing.T) {
	waiting := make(chan struct{})
	h, baseURL := listening(t, WithSleep(func(ctx context.Context, d time.Duration) error {
		close(waiting)
		return sleepContext(ctx, d)
	}))
	h.srv.SetLatency(time.Hour)
	done := make(chan error, 1)
	go func() {
		resp, err := send(http.DefaultClient, h.admin, "GET", baseURL+"/api/v2/api_keys", nil)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-waiting
	h.srv.Close()
	if err := <-done; err == nil {
		t.Error("the delayed call got an answer after Close")
	}
}

func TestConcurrentCallsKeepStateConsistent(t *testing.T) {
	h, baseURL := listening(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				resp, err := send(http.DefaultClient, h.admin, "POST", baseURL+"/api/v2/api_keys", apiKeyBody(fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
				h.srv.Calls()
				h.srv.APIKeys()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(h.srv.APIKeys()); n != 1+workers*each {
		t.Errorf("org has %d API keys, want %d", n, 1+workers*each)
	}
	if n := h.srv.Counters()[CreateAPIKey]; n != workers*each {
		t.Errorf("CreateAPIKey counter = %d, want %d", n, workers*each)
	}
}

// TestObservationsNeverHoldKeyValues is the emulator's own leak test: after
// calls that create, read and fail on keys, no key value appears in the call
// log, the counters, or the printed form of the inspection types.
func TestObservationsNeverHoldKeyValues(t *testing.T) {
	h := newHarness(t)
	sa := h.srv.AddServiceAccount("team")
	h.srv.AddFault(Fault{Op: GetAPIKey, AfterEffect: true, Status: 502, Times: 1})
	created := h.do("POST", "/api/v2/api_keys", apiKeyBody("k")).str("data", "id")
	h.do("GET", "/api/v2/api_keys/"+created, nil)
	h.do("GET", "/api/v2/api_keys/"+created, nil)
	h.do("POST", saAppKeysPath(sa.ID), appKeyBody("a", nil))
	h.doWith(keys{api: testkeys.APIKey("ddemu unknown")}, "GET", "/api/v1/validate", nil)

	printed := fmt.Sprintf("%v %+v %#v %v %+v %#v %v %#v",
		h.srv.Calls(), h.srv.Calls(), h.srv.Counters(),
		h.srv.APIKeys(), h.srv.AppKeys(), h.srv.AppKeys(), h.admin, h.admin)
	var values []string
	for _, k := range h.srv.APIKeys() {
		values = append(values, k.Key)
	}
	for _, k := range h.srv.AppKeys() {
		values = append(values, k.Key)
	}
	for _, v := range values {
		if strings.Contains(printed, v) {
			t.Fatalf("a key value (last4 %s) appears in observations", last4(v))
		}
	}
	if len(values) != 4 {
		t.Fatalf("checked %d values, want 4", len(values))
	}
}
