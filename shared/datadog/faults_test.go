package datadog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/ddemu"
)

// Tests that wait for the library's backoff (2 s) run in parallel.

func TestRateLimitedCallIsRetriedAfterReset(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Options{})
	key := o.emu.AddAPIKey("ddrotate-payments-1")
	o.emu.AddFault(ddemu.Fault{Op: ddemu.GetAPIKey, RateLimit: true, ResetSeconds: 1, Times: 1})

	got, err := o.client.GetAPIKey(context.Background(), key.ID)
	if err != nil {
		t.Fatalf("GetAPIKey after one 429: %v", err)
	}
	if got.Key.Reveal() != key.Key {
		t.Error("wrong key after retry")
	}
	if n := o.calls(ddemu.GetAPIKey); n != 2 {
		t.Errorf("GetAPIKey reached the API %d times, want 2", n)
	}
}

func TestRateLimitResetBeyondBoundIsNotAwaited(t *testing.T) {
	o := newOrg(t, Options{MaxElapsed: shortBound})
	o.emu.AddFault(ddemu.Fault{Op: ddemu.ListAPIKeys, RateLimit: true, ResetSeconds: 60})

	start := time.Now()
	_, err := o.client.ListAPIKeys(context.Background(), "")
	e := errorKind(t, err, KindRateLimited)
	if e.Status != 429 || !IsTransient(err) {
		t.Errorf("error %+v: want status 429 and transient", e)
	}
	// A wait until X-RateLimit-Reset would not fit in the bound, so the
	// library must give up at once rather than sleep through it.
	if n := o.calls(ddemu.ListAPIKeys); n != 1 {
		t.Errorf("ListAPIKeys reached the API %d times, want 1", n)
	}
	if elapsed := time.Since(start); elapsed >= shortBound {
		t.Errorf("gave up after %s, beyond the %s bound", elapsed, shortBound)
	}
}

func TestServerErrorIsRetried(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Options{})
	key := o.emu.AddAPIKey("ddrotate-payments-1")
	o.emu.AddFault(ddemu.Fault{Op: ddemu.DeleteAPIKey, Status: 503, Times: 1})

	if err := o.client.DeleteAPIKey(context.Background(), key.ID); err != nil {
		t.Fatalf("DeleteAPIKey after one 503: %v", err)
	}
	if n := o.calls(ddemu.DeleteAPIKey); n != 2 {
		t.Errorf("DeleteAPIKey reached the API %d times, want 2", n)
	}
}

func TestPersistentServerErrorGivesUpWithinBound(t *testing.T) {
	t.Parallel()
	o := newOrg(t, Options{MaxElapsed: shortBound})
	key := o.emu.AddAPIKey("ddrotate-payments-1")
	o.emu.AddFault(ddemu.Fault{Op: ddemu.GetAPIKey, Status: 502})

	start := time.Now()
	_, err := o.client.GetAPIKey(context.Background(), key.ID)
	elapsed := time.Since(start)
	e := errorKind(t, err, KindUnavailable)
	if e.Status != 502 || !IsTransient(err) {
		t.Errorf("error %+v: want status 502 and transient", e)
	}
	// One retry after 2 s; the next backoff (4 s) does not fit in 3 s.
	if n := o.calls(ddemu.GetAPIKey); n != 2 {
		t.Errorf("GetAPIKey reached the API %d times, want 2", n)
	}
	if elapsed >= shortBound {
		t.Errorf("gave up after %s, beyond the %s bound", elapsed, shortBound)
	}
}

func TestCreateIsNotRetried(t *testing.T) {
	o := newOrg(t, Options{})
	// The key is made, then the answer is lost as a 500: a retry would make
	// a second key with the same name.
	o.emu.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 500, AfterEffect: true, Times: 1})

	_, err := o.client.CreateAPIKey(context.Background(), "ddrotate-payments-1")
	errorKind(t, err, KindUnavailable)
	if n := o.calls(ddemu.CreateAPIKey); n != 1 {
		t.Errorf("CreateAPIKey reached the API %d times, want 1", n)
	}
	listed, err := o.client.ListAPIKeys(context.Background(), "ddrotate-payments-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Errorf("%d keys named ddrotate-payments-1, want the 1 made before the answer was lost", len(listed))
	}
}

func TestConnectionResetIsUnavailable(t *testing.T) {
	o := newOrg(t, Options{})
	o.emu.AddFault(ddemu.Fault{Op: ddemu.ListServiceAccountAppKeys, ResetConn: true})

	_, err := o.client.ListAppKeys(context.Background(), o.admin.ServiceAccountID, "")
	e := errorKind(t, err, KindUnavailable)
	if e.Status != 0 || !IsTransient(err) {
		t.Errorf("error %+v: want no status and transient", e)
	}
}

func TestLatencyPastBoundIsUnavailable(t *testing.T) {
	const bound = 100 * time.Millisecond
	o := newOrg(t, Options{MaxElapsed: bound})
	o.emu.AddFault(ddemu.Fault{Op: ddemu.ListAPIKeys, Latency: time.Minute})

	_, err := o.client.ListAPIKeys(context.Background(), "")
	errorKind(t, err, KindUnavailable)
	if !IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q: want transient and DeadlineExceeded", err)
	}
}

func TestCallerCancellationIsReported(t *testing.T) {
	o := newOrg(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := o.client.ListAPIKeys(ctx, "")
	errorKind(t, err, KindUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q does not wrap context.Canceled", err)
	}
}

func TestMissingScopeIsReported(t *testing.T) {
	o := newOrg(t, Options{})
	readOnly := o.emu.AddAppKey(o.admin.ServiceAccountID, "read-only", []string{ddemu.PermAPIKeysRead})
	client := o.newClient(t, o.admin.APIKey, readOnly.Key, Options{})

	_, err := client.CreateAPIKey(context.Background(), "ddrotate-payments-1")
	e := errorKind(t, err, KindForbidden)
	if e.MissingScope != ddemu.PermAPIKeysWrite {
		t.Errorf("MissingScope = %q, want %q (error %q)", e.MissingScope, ddemu.PermAPIKeysWrite, err)
	}
	if IsTransient(err) {
		t.Error("a missing scope is reported as transient")
	}
}

func TestUnknownAdminKeyIsForbidden(t *testing.T) {
	o := newOrg(t, Options{})
	client := o.newClient(t, unknownAPIKey, o.admin.AppKey, Options{})

	_, err := client.ListAPIKeys(context.Background(), "")
	e := errorKind(t, err, KindForbidden)
	if e.MissingScope != "" {
		t.Errorf("MissingScope = %q for a bad key", e.MissingScope)
	}
}
