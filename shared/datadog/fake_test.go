package datadog

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Key values the fake servers below answer with. The tests check that they
// never reach an error message. They are generated at run time so that no
// key-shaped string is committed.
var (
	leakedAPIKey   = testkeys.APIKey("datadog leaked")
	leakedAppKey   = testkeys.AppKey("datadog leaked")
	leakedAppToken = testkeys.AppToken("datadog leaked")
	adminAPIKey    = testkeys.APIKey("datadog admin")
	adminAppKey    = testkeys.AppKey("datadog admin")

	// unknownAPIKey is well-formed but known to no server or emulator.
	unknownAPIKey = testkeys.APIKey("datadog unknown")
)

// fakeClient returns a client whose requests are all answered by handler.
func fakeClient(t *testing.T, handler http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := New(deploy.SiteUS1, credential.NewSecret(adminAPIKey), credential.NewSecret(adminAppKey),
		Options{Endpoint: srv.URL, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestErrorsNeverCarryResponseBodies(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		wantKind    Kind
		wantMessage string
	}{
		{"plain messages, one with a key", 400,
			`{"errors":["Invalid name","key ` + leakedAPIKey + ` is malformed"]}`, KindBadRequest, "Invalid name"},
		{"upper-case key", 400,
			`{"errors":["` + strings.ToUpper(leakedAppKey) + `"]}`, KindBadRequest, ""},
		{"application key token", 409,
			`{"errors":["conflict with ` + leakedAppToken + `"]}`, KindBadRequest, ""},
		{"JSON:API errors", 404,
			`{"errors":[{"status":"404","title":"Not Found","detail":"API key not found"}]}`, KindNotFound, "API key not found"},
		{"not the errors shape", 401, `{"key":"` + leakedAPIKey + `"}`, KindUnauthorized, ""},
		{"not JSON", 422, `key=` + leakedAPIKey, KindBadRequest, ""},
		{"2xx body that does not decode", 200, `{"data": "` + leakedAPIKey + `"`, KindBadResponse, "the answer could not be decoded"},
		{"2xx without a key value", 200,
			`{"data":{"type":"api_keys","id":"9286a10e-fe08-48ba-9884-8e26e7e67695","attributes":{"key":"` + leakedAPIKey[:31] + `"}}}`,
			KindBadResponse, "the answer has no well-formed API key value"},
		{"control characters", 400, `{"errors":["line one\nFAKE LOG LINE"]}`, KindBadRequest, "line one FAKE LOG LINE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeClient(t, answer(tt.status, tt.body))
			_, err := c.GetAPIKey(context.Background(), "9286a10e-fe08-48ba-9884-8e26e7e67695")
			e := errorKind(t, err, tt.wantKind)
			if e.Message != tt.wantMessage {
				t.Errorf("Message = %q, want %q", e.Message, tt.wantMessage)
			}
			msg := strings.ToLower(err.Error())
			if strings.Contains(msg, "ddapp_") {
				t.Errorf("error %q shows an application key", err)
			}
			for _, key := range []string{leakedAPIKey, leakedAppKey, adminAPIKey, adminAppKey} {
				if strings.Contains(msg, key[:12]) {
					t.Errorf("error %q shows a key", err)
				}
			}
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var reached atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Store(true)
	}))
	t.Cleanup(elsewhere.Close)
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})

	_, err := c.ListAPIKeys(context.Background(), "")
	e := errorKind(t, err, KindBadResponse)
	if e.Status != http.StatusTemporaryRedirect {
		t.Errorf("Status = %d, want 307", e.Status)
	}
	if reached.Load() {
		t.Error("the redirect was followed: the keys went to another server")
	}
}

// recordingTransport answers every request itself and remembers the last,
// so a test can see where a request would have gone without any network.
type recordingTransport struct {
	last *http.Request
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.last = r
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"valid":true}`)),
		Request:    r,
	}, nil
}

func TestRequestsGoToTheSiteAPI(t *testing.T) {
	for _, site := range deploy.Sites() {
		t.Run(string(site), func(t *testing.T) {
			rt := &recordingTransport{}
			c, err := New(site, credential.NewSecret(adminAPIKey), credential.NewSecret(adminAppKey),
				Options{HTTPClient: &http.Client{Transport: rt}})
			if err != nil {
				t.Fatal(err)
			}
			checked := credential.NewSecret(leakedAPIKey)
			if err := c.ValidateAPIKey(context.Background(), checked); err != nil {
				t.Fatal(err)
			}
			if got, want := rt.last.URL.String(), "https://api."+string(site)+"/api/v1/validate"; got != want {
				t.Errorf("request went to %s, want %s", got, want)
			}
			if rt.last.Header.Get("DD-API-KEY") != leakedAPIKey {
				t.Error("DD-API-KEY is not the key under validation")
			}
			if rt.last.Header.Get("DD-APPLICATION-KEY") != "" {
				t.Error("the admin application key was sent with a validation of an API key alone")
			}
		})
	}
}

func TestManagementCallsSendTheAdminKeys(t *testing.T) {
	var apiKey, appKey string
	c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
		apiKey, appKey = r.Header.Get("DD-API-KEY"), r.Header.Get("DD-APPLICATION-KEY")
		answer(http.StatusNoContent, "")(w, r)
	})
	if err := c.DeleteAPIKey(context.Background(), "9286a10e-fe08-48ba-9884-8e26e7e67695"); err != nil {
		t.Fatal(err)
	}
	if apiKey != adminAPIKey || appKey != adminAppKey {
		t.Error("the admin keys were not sent")
	}
}
