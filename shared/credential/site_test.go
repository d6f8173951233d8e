package credential

import (
	"errors"
	"testing"
)

func TestParseSiteAcceptsEveryDatadogSite(t *testing.T) {
	want := map[Site]string{
		"datadoghq.com":     "https://api.datadoghq.com",
		"us3.datadoghq.com": "https://api.us3.datadoghq.com",
		"us5.datadoghq.com": "https://api.us5.datadoghq.com",
		"datadoghq.eu":      "https://api.datadoghq.eu",
		"ap1.datadoghq.com": "https://api.ap1.datadoghq.com",
		"ap2.datadoghq.com": "https://api.ap2.datadoghq.com",
		"ddog-gov.com":      "https://api.ddog-gov.com",
		"us2.ddog-gov.com":  "https://api.us2.ddog-gov.com",
	}
	if len(Sites) != len(want) {
		t.Errorf("len(Sites) = %d, want %d", len(Sites), len(want))
	}
	for _, s := range Sites {
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

func TestSitesSliceDoesNotDecideValidity(t *testing.T) {
	saved := Sites
	t.Cleanup(func() { Sites = saved })
	Sites = append([]Site{"evil.com"}, saved...)
	if _, err := ParseSite("evil.com"); err == nil {
		t.Error("adding to Sites made evil.com a valid site")
	}
}
