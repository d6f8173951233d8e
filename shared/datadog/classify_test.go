package datadog

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// failure reads the body only for a status outside 200-299: a 2xx the
// library could not decode is a bad response, whatever its code.
func TestFailureTellsAnAnswerFromAnError(t *testing.T) {
	for _, status := range []int{200, 204, 299} {
		got := failure("GetAPIKey", &http.Response{StatusCode: status}, errors.New("json: cannot unmarshal"))
		if got.Kind != KindBadResponse || got.Message != "the answer could not be decoded" {
			t.Errorf("status %d: %+v, want an undecodable answer", status, got)
		}
	}
	for status, want := range map[int]Kind{199: KindBadResponse, 300: KindBadResponse, 404: KindNotFound, 500: KindUnavailable} {
		got := failure("GetAPIKey", &http.Response{StatusCode: status}, errors.New("failed"))
		if got.Kind != want || got.Message == "the answer could not be decoded" {
			t.Errorf("status %d: %+v, want kind %s from the status", status, got, want)
		}
	}
}

// Every 3xx is a refused redirect, and says so; a status no class names is
// a bad response without that explanation.
func TestStatusFailureClassifiesEveryStatus(t *testing.T) {
	const redirect = "redirect refused: keys are only sent to the configured API"
	for status, want := range map[int]struct {
		kind     Kind
		redirect bool
	}{
		300: {KindBadResponse, true}, 301: {KindBadResponse, true}, 307: {KindBadResponse, true}, 399: {KindBadResponse, true},
		299: {KindBadResponse, false}, 199: {KindBadResponse, false},
		400: {KindBadRequest, false}, 401: {KindUnauthorized, false}, 403: {KindForbidden, false}, 404: {KindNotFound, false},
		429: {KindRateLimited, false}, 499: {KindBadRequest, false}, 500: {KindUnavailable, false}, 503: {KindUnavailable, false},
	} {
		got := statusFailure("op", status, []byte(`{"errors":["nope"]}`))
		if got.Kind != want.kind || got.Status != status {
			t.Errorf("status %d: kind %s, want %s", status, got.Kind, want.kind)
		}
		if (got.Message == redirect) != want.redirect {
			t.Errorf("status %d: message %q (a redirect: %v)", status, got.Message, want.redirect)
		}
	}
}

// A connection that failed for any other reason keeps the reason; a call
// with no error at all and no answer says just that.
func TestTransportFailureMessages(t *testing.T) {
	if got := transportFailure("op", errors.New("tls: handshake failure")); got.Message != "tls: handshake failure" || got.Kind != KindUnavailable {
		t.Errorf("transportFailure(tls error) = %+v", got)
	}
	if got := transportFailure("op", nil); got.Message != "no answer" || got.Kind != KindUnavailable {
		t.Errorf("transportFailure(nil) = %+v", got)
	}
}

// A JSON:API error object explains itself by its detail or, without one,
// its title.
func TestErrorMessagesOfJSONAPIObjects(t *testing.T) {
	got := errorMessages([]byte(`{"errors":[{"title":"Forbidden"},{"title":"T","detail":"the detail"},{"status":"403"}]}`))
	if want := []string{"Forbidden", "the detail"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("errorMessages = %q, want %q", got, want)
	}
}

// truncate never cuts a UTF-8 sequence: at a byte inside one it backs off
// to the sequence's start, so the result is at most n bytes.
func TestTruncateBacksOffToARuneStart(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"aé", 2, "a…"},   // é is bytes 1-2: cut at 2 would split it
		{"a€b", 3, "a…"},  // € is bytes 1-3
		{"aé", 3, "aé"},   // fits
		{"abc", 2, "ab…"}, // ASCII
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
