package datadog

import (
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// baseURL returns where the client sends its requests: the API of the
// validated site, or a local emulator endpoint. Keys go nowhere else.
func baseURL(site credential.Site, endpoint string) (string, error) {
	if _, err := credential.ParseSite(string(site)); err != nil {
		return "", fmt.Errorf("datadog client: %w", err)
	}
	if endpoint == "" {
		return site.APIBaseURL(), nil
	}
	if err := checkLocalEndpoint(endpoint); err != nil {
		return "", fmt.Errorf("datadog client: endpoint: %w", err)
	}
	u, _ := url.Parse(endpoint) // checked above
	return "http://" + u.Host, nil
}

// checkLocalEndpoint accepts only a plain http URL on a loopback address, such
// as http://127.0.0.1:8080: the override exists for the local emulator, and
// must not become a way to send real keys to another host.
func checkLocalEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" {
		return errors.New(`scheme must be "http" (the endpoint is for a local emulator)`)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return errors.New("must be scheme, host and port only")
	}
	if !isLoopback(u.Hostname()) {
		return errors.New("host must be a loopback address (localhost, 127.0.0.0/8 or ::1)")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
