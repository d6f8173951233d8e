package datadog

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

func TestNewAcceptsOnlyLoopbackHTTPEndpoints(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.2:8080/", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"https://127.0.0.1:8080", false},
		{"http://api.datadoghq.com", false},
		{"http://evil.com:8080", false},
		{"http://127.0.0.1.evil.com", false},
		{"http://10.0.0.1:8080", false},
		{"http://user:pass@127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/api", false},
		{"http://127.0.0.1:8080?x=1", false},
		{"127.0.0.1:8080", false},
		{"://", false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			_, err := New(deploy.SiteEU1, credential.NewSecret(adminAPIKey), credential.NewSecret(adminAppKey),
				Options{Endpoint: tt.endpoint})
			if (err == nil) != tt.ok {
				t.Errorf("New with endpoint %q: %v, want ok=%v", tt.endpoint, err, tt.ok)
			}
		})
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	good := credential.NewSecret(adminAPIKey)
	goodApp := credential.NewSecret(adminAppKey)
	tests := []struct {
		name           string
		site           credential.Site
		apiKey, appKey credential.Secret
		opts           Options
	}{
		{"unknown site", "evil.com", good, goodApp, Options{}},
		{"empty site", "", good, goodApp, Options{}},
		{"unknown site with an emulator", "evil.com", good, goodApp, Options{Endpoint: "http://127.0.0.1:1"}},
		{"no API key", deploy.SiteUS1, credential.Secret{}, goodApp, Options{}},
		{"application key as API key", deploy.SiteUS1, goodApp, goodApp, Options{}},
		{"API key as application key", deploy.SiteUS1, good, good, Options{}},
		{"negative bound", deploy.SiteUS1, good, goodApp, Options{MaxElapsed: -time.Second}},
		{"negative retries", deploy.SiteUS1, good, goodApp, Options{MaxRetries: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.site, tt.apiKey, tt.appKey, tt.opts)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			for _, key := range []string{adminAPIKey, adminAppKey} {
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q shows a key", err)
				}
			}
		})
	}
}

func TestNewDoesNotModifyTheCallersHTTPClient(t *testing.T) {
	mine := &http.Client{Timeout: time.Minute}
	if _, err := New(deploy.SiteUS1, credential.NewSecret(adminAPIKey), credential.NewSecret(adminAppKey),
		Options{HTTPClient: mine}); err != nil {
		t.Fatal(err)
	}
	if mine.CheckRedirect != nil {
		t.Error("New changed the caller's http.Client")
	}
}
