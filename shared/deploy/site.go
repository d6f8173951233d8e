package deploy

import "slices"

// Site is a Datadog site, the domain that a key belongs to and the only place
// it may be sent.
type Site string

// The Datadog sites. A key is valid on exactly one of them.
const (
	SiteUS1    Site = "datadoghq.com"
	SiteUS3    Site = "us3.datadoghq.com"
	SiteUS5    Site = "us5.datadoghq.com"
	SiteEU1    Site = "datadoghq.eu"
	SiteAP1    Site = "ap1.datadoghq.com"
	SiteAP2    Site = "ap2.datadoghq.com"
	SiteGov    Site = "ddog-gov.com"
	SiteGovUS2 Site = "us2.ddog-gov.com"
)

// sites is the allowlist of Datadog sites. It is an array, and Sites returns
// a copy, so no caller can widen where keys are sent.
var sites = [...]Site{SiteUS1, SiteUS3, SiteUS5, SiteEU1, SiteAP1, SiteAP2, SiteGov, SiteGovUS2}

// Sites lists every Datadog site, in a fixed order; the slice is the
// caller's own.
func Sites() []Site { return slices.Clone(sites[:]) }

// Valid reports whether s is exactly one of the Datadog sites. Look-alikes
// such as "app.datadoghq.com" or "datadoghq.com.evil.com" are not.
func (s Site) Valid() bool { return slices.Contains(sites[:], s) }

// APIBaseURL returns the base URL of the Datadog API for the site, such as
// "https://api.datadoghq.com", or "" if s is not a Datadog site.
func (s Site) APIBaseURL() string {
	if !s.Valid() {
		return ""
	}
	return "https://api." + string(s)
}
