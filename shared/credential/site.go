package credential

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

const siteProblem = "must be one of the Datadog sites (" +
	"datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, " +
	"ap1.datadoghq.com, ap2.datadoghq.com, ddog-gov.com, us2.ddog-gov.com)"

// Sites lists every Datadog site, for documentation and prompts. Validation
// does not read it, so changing it cannot widen where keys are sent.
var Sites = []Site{SiteUS1, SiteUS3, SiteUS5, SiteEU1, SiteAP1, SiteAP2, SiteGov, SiteGovUS2}

// knownSite is the allowlist that validation uses; see [Sites].
func knownSite(s Site) bool {
	switch s {
	case SiteUS1, SiteUS3, SiteUS5, SiteEU1, SiteAP1, SiteAP2, SiteGov, SiteGovUS2:
		return true
	}
	return false
}

// ParseSite returns s as a Site if it is exactly one of the Datadog sites.
// Look-alikes such as "app.datadoghq.com", "https://datadoghq.com" or
// "datadoghq.com.evil.com" are refused rather than repaired, because the site
// decides where keys are sent. The error is a *FieldError for "site".
func ParseSite(s string) (Site, error) {
	if !knownSite(Site(s)) {
		return "", &FieldError{Field: "site", Problem: siteProblem}
	}
	return Site(s), nil
}

// Valid reports whether s is one of the Datadog sites.
func (s Site) Valid() bool { return knownSite(s) }

// APIBaseURL returns the base URL of the Datadog API for the site, such as
// "https://api.datadoghq.com", or "" if s is not a Datadog site.
func (s Site) APIBaseURL() string {
	if !knownSite(s) {
		return ""
	}
	return "https://api." + string(s)
}
