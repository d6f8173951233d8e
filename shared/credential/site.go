package credential

import (
	"strings"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Site is a Datadog site, the domain that a key belongs to and the only place
// it may be sent. The sites are listed once, in the deploy contract
// ([deploy.Sites]), which the CDK stack validates the deployment's site with.
type Site = deploy.Site

// siteProblem names every site, so that an operator can fix a secret.
var siteProblem = func() string {
	names := make([]string, 0, len(deploy.Sites()))
	for _, s := range deploy.Sites() {
		names = append(names, string(s))
	}
	return "must be one of the Datadog sites (" + strings.Join(names, ", ") + ")"
}()

// ParseSite returns s as a Site if it is exactly one of the Datadog sites.
// Look-alikes such as "app.datadoghq.com", "https://datadoghq.com" or
// "datadoghq.com.evil.com" are refused rather than repaired, because the site
// decides where keys are sent. The error is a *FieldError for "site".
func ParseSite(s string) (Site, error) {
	if !Site(s).Valid() {
		return "", &FieldError{Field: "site", Problem: siteProblem}
	}
	return Site(s), nil
}
