package datadog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV1"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// Defaults for Options.
const (
	DefaultMaxElapsed = 20 * time.Second
	DefaultMaxRetries = 3
)

// The library's retry waits BackOffBase * BackOffMultiplier^n seconds, or
// until X-RateLimit-Reset for a 429, whichever is longer. 2 is the smallest
// base it accepts without logging a warning.
const (
	retryBackOffBase       = 2
	retryBackOffMultiplier = 2
)

// Options tune a Client. The zero value is ready for production use.
type Options struct {
	// Endpoint replaces the site's API URL with a local emulator, such as
	// "http://127.0.0.1:8080". Only http URLs on a loopback address are
	// accepted. Empty means https://api.<site>.
	Endpoint string
	// HTTPClient sends the requests; nil means a client with the default
	// transport. It is copied, not modified, and the copy never follows
	// redirects.
	HTTPClient *http.Client
	// MaxElapsed bounds one method call, its retries and (for lists) all its
	// pages included. The library's backoff never sleeps past it. Default 20s.
	MaxElapsed time.Duration
	// MaxRetries is how many times a 429 or 5xx answer is retried. Default 3.
	// Creates are never retried: see New.
	MaxRetries int
}

// Client calls Datadog with the admin keys it was created with. It is safe
// for concurrent use.
type Client struct {
	// keys, serviceAccounts and authentication retry 429 and 5xx answers.
	keys            *datadogV2.KeyManagementApi
	serviceAccounts *datadogV2.ServiceAccountsApi
	authentication  *datadogV1.AuthenticationApi
	// createKeys and createAppKeys make one attempt; see New.
	createKeys    *datadogV2.KeyManagementApi
	createAppKeys *datadogV2.ServiceAccountsApi

	apiKey, appKey credential.Secret
	maxElapsed     time.Duration
}

// New returns a client for site that authenticates with apiKey and appKey.
// It refuses an unknown site, keys of the wrong shape and any endpoint other
// than a loopback http URL, so a misconfiguration fails here and not with a
// key sent to the wrong place.
func New(site credential.Site, apiKey, appKey credential.Secret, opts Options) (*Client, error) {
	base, err := baseURL(site, opts.Endpoint)
	if err != nil {
		return nil, err
	}
	if !credential.ValidAPIKey(apiKey.Reveal()) {
		return nil, errors.New("datadog client: API key must be 32 lowercase hex characters")
	}
	if !credential.ValidAppKey(appKey.Reveal()) {
		return nil, errors.New("datadog client: application key has the wrong shape")
	}
	if opts.MaxElapsed < 0 || opts.MaxRetries < 0 {
		return nil, fmt.Errorf("datadog client: MaxElapsed (%s) and MaxRetries (%d) must not be negative", opts.MaxElapsed, opts.MaxRetries)
	}
	maxElapsed := cmp.Or(opts.MaxElapsed, DefaultMaxElapsed)

	httpClient := noRedirects(opts.HTTPClient)
	retrying := newAPIClient(base, httpClient, datadog.RetryConfiguration{
		EnableRetry:       true,
		BackOffBase:       retryBackOffBase,
		BackOffMultiplier: retryBackOffMultiplier,
		HTTPRetryTimeout:  maxElapsed,
		MaxRetries:        cmp.Or(opts.MaxRetries, DefaultMaxRetries),
	})
	// Creates are not retried here: a 5xx (or a lost answer) may come after
	// Datadog made the key, and a blind retry would make a second one. The
	// caller retries instead, after looking for the key by name.
	once := newAPIClient(base, httpClient, datadog.RetryConfiguration{
		BackOffBase:       retryBackOffBase,
		BackOffMultiplier: retryBackOffMultiplier,
		HTTPRetryTimeout:  maxElapsed,
	})
	return &Client{
		keys:            datadogV2.NewKeyManagementApi(retrying),
		serviceAccounts: datadogV2.NewServiceAccountsApi(retrying),
		authentication:  datadogV1.NewAuthenticationApi(retrying),
		createKeys:      datadogV2.NewKeyManagementApi(once),
		createAppKeys:   datadogV2.NewServiceAccountsApi(once),
		apiKey:          apiKey,
		appKey:          appKey,
		maxElapsed:      maxElapsed,
	}, nil
}

// newAPIClient configures the library to send every call to base.
func newAPIClient(base string, httpClient *http.Client, retry datadog.RetryConfiguration) *datadog.APIClient {
	cfg := datadog.NewConfiguration()
	cfg.Servers = datadog.ServerConfigurations{{URL: base}}
	cfg.OperationServers = nil // no per-operation hosts: every call goes to base
	cfg.HTTPClient = httpClient
	cfg.Debug = false // debug mode dumps requests and responses to the log
	cfg.RetryConfiguration = retry
	return datadog.NewAPIClient(cfg)
}

// noRedirects returns a copy of c (or of a default client) that returns
// redirects to the caller instead of following them: net/http forwards custom
// headers such as DD-API-KEY to wherever a redirect points.
func noRedirects(c *http.Client) *http.Client {
	copied := http.Client{}
	if c != nil {
		copied = *c
	}
	copied.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &copied
}

// bounded returns ctx limited to the client's time bound and carrying the
// keys that the library puts in the DD-API-KEY and DD-APPLICATION-KEY
// headers. An empty appKey sends the API key alone.
func (c *Client) bounded(ctx context.Context, apiKey, appKey credential.Secret) (context.Context, context.CancelFunc) {
	keys := map[string]datadog.APIKey{"apiKeyAuth": {Key: apiKey.Reveal()}}
	if !appKey.IsZero() {
		keys["appKeyAuth"] = datadog.APIKey{Key: appKey.Reveal()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.maxElapsed)
	return context.WithValue(ctx, datadog.ContextAPIKeys, keys), cancel
}

// admin is bounded with the client's own keys, for every management call.
func (c *Client) admin(ctx context.Context) (context.Context, context.CancelFunc) {
	return c.bounded(ctx, c.apiKey, c.appKey)
}
