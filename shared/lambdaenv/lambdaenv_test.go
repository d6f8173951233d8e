package lambdaenv

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		EnvSecretPrefix:  "ddrotate/",
		EnvAdminSecretID: "ddrotate/admin",
		EnvTopicARN:      "arn:aws:sns:us-east-1:123456789012:ddrotate",
		EnvSite:          "datadoghq.eu",
		EnvDefaultGrace:  "3600",
	}
}

func TestSettingsFromEnv(t *testing.T) {
	s, err := SettingsFromEnv(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Rotation.Site != "datadoghq.eu" || s.Rotation.DefaultGrace != time.Hour || s.Rotation.AdminSecretID != "ddrotate/admin" {
		t.Errorf("settings %+v", s.Rotation)
	}
	if s.DatadogEndpoint != "" {
		t.Errorf("a deployed Lambda must not have a Datadog endpoint override, got %q", s.DatadogEndpoint)
	}
}

// A misconfigured Lambda fails at init with a message naming the variable.
func TestSettingsFromEnvNamesTheBadVariable(t *testing.T) {
	cases := map[string]struct {
		key, value, want string
	}{
		"foreign site":     {EnvSite, "evil.example.com", EnvSite},
		"missing site":     {EnvSite, "", EnvSite},
		"grace not number": {EnvDefaultGrace, "a day", EnvDefaultGrace},
		"negative grace":   {EnvDefaultGrace, "-5", EnvDefaultGrace},
		"no admin secret":  {EnvAdminSecretID, "", "admin secret id"},
		"no topic":         {EnvTopicARN, "", "topic ARN"},
		"topic not an ARN": {EnvTopicARN, "ddrotate-topic", "topic ARN"},
		"bad log level":    {EnvLogLevel, "chatty", EnvLogLevel},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := validEnv()
			m[tc.key] = tc.value
			_, err := SettingsFromEnv(env(m))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}
