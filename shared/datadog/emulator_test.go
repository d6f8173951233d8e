package datadog

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// org is an emulated Datadog org and a client holding its admin keys.
type org struct {
	emu    *ddemu.Server
	admin  ddemu.Admin
	url    string
	client *Client
}

// newOrg starts an emulator seeded for ddrotate and a client for it.
func newOrg(t *testing.T, opts Options) *org {
	t.Helper()
	seed, admin := ddemu.DefaultSeed()
	emu := ddemu.New(seed)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	o := &org{emu: emu, admin: admin, url: srv.URL}
	o.client = o.newClient(t, admin.APIKey, admin.AppKey, opts)
	return o
}

// newClient returns a client for the org that authenticates with the given
// key values.
func (o *org) newClient(t *testing.T, apiKey, appKey string, opts Options) *Client {
	t.Helper()
	opts.Endpoint = o.url
	c, err := New(deploy.SiteUS1, credential.NewSecret(apiKey), credential.NewSecret(appKey), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// calls returns how many calls the emulator received for op.
func (o *org) calls(op string) int { return o.emu.Counters()[op] }

// errorKind asserts that err is an *Error of the wanted kind and returns it.
func errorKind(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := KindOf(err); got != want {
		t.Fatalf("error %q has kind %q, want %q", err, got, want)
	}
	e, _ := err.(*Error)
	return e
}

// unknownID is a well-formed id that no emulated key has.
const unknownID = "00000000-0000-4000-8000-000000000000"

// shortBound keeps tests that wait for the library's backoff (2 s at least)
// to one retry.
const shortBound = 3 * time.Second
