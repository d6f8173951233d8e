package credential

import (
	"errors"
	"testing"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

func TestParseSiteAcceptsEveryDatadogSite(t *testing.T) {
	want := map[Site]string{
		deploy.SiteUS1:    "https://api.datadoghq.com",
		deploy.SiteUS3:    "https://api.us3.datadoghq.com",
		deploy.SiteUS5:    "https://api.us5.datadoghq.com",
		deploy.SiteEU1:    "https://api.datadoghq.eu",
		deploy.SiteAP1:    "https://api.ap1.datadoghq.com",
		deploy.SiteAP2:    "https://api.ap2.datadoghq.com",
		deploy.SiteGov:    "https://api.ddog-gov.com",
		deploy.SiteGovUS2: "https://api.us2.ddog-gov.com",
	}
	if len(deploy.Sites()) != len(want) {
		t.Errorf("len(deploy.Sites()) = %d, want %d", len(deploy.Sites()), len(want))
	}
	for _, s := range deploy.Sites() {
		got, err := ParseSite(string(s))
		if err != nil {
			t.Errorf("ParseSite(%q): %v", s, err)
			continue
		}
		if url := got.APIBaseURL(); url != want[s] {
			t.Errorf("%q.APIBaseURL() = %q, want %q", s, url, want[s])
		}
	}
}

func TestParseSiteRefusesLookAlikes(t *testing.T) {
	for _, s := range []string{
		"",
		"evil.com",
		"app.datadoghq.com",
		"api.datadoghq.com",
		"https://api.datadoghq.com",
		"DATADOGHQ.COM",
		"datadoghq.com.",
		" datadoghq.com",
		"datadoghq.com.evil.com",
		"datadoghq.com/evil",
		"us4.datadoghq.com",
	} {
		t.Run(s, func(t *testing.T) {
			_, err := ParseSite(s)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "site" {
				t.Fatalf("ParseSite(%q) error = %v, want a FieldError for site", s, err)
			}
			if Site(s).APIBaseURL() != "" {
				t.Errorf("APIBaseURL() of %q is not empty", s)
			}
		})
	}
}

func TestChangingTheListedSitesDoesNotWidenValidity(t *testing.T) {
	listed := deploy.Sites()
	listed[0] = "evil.com"
	if _, err := ParseSite("evil.com"); err == nil {
		t.Error("changing the slice deploy.Sites returned made evil.com a valid site")
	}
}
