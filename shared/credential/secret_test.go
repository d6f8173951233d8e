package credential

import (
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

var (
	secretAPIKey   = testkeys.APIKey("credential secret")
	secretAppToken = testkeys.AppToken("credential secret")
)

// last4 returns the last four characters of s.
func last4(s string) string { return s[len(s)-4:] }

func TestSecretLast4(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"zero", "", ""},
		{"too short to show any of it", "abcdef123", ""},
		{"API key", secretAPIKey, last4(secretAPIKey)},
		{"application key token", secretAppToken, last4(secretAppToken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewSecret(tt.value).Last4(); got != tt.want {
				t.Errorf("Last4() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretString(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"zero shows nothing", "", ""},
		{"short shows only the mask", "abcdef123", "****"},
		{"key shows its last four", secretAPIKey, "****" + last4(secretAPIKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewSecret(tt.value).String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretRevealAndIsZero(t *testing.T) {
	value := secretAPIKey
	s := NewSecret(value)
	if s.Reveal() != value {
		t.Error("Reveal() did not return the wrapped value")
	}
	if s.IsZero() {
		t.Error("IsZero() = true for a set Secret")
	}
	var zero Secret
	if !zero.IsZero() || zero.Reveal() != "" {
		t.Error("zero Secret is not empty")
	}
	if !NewSecret("").IsZero() {
		t.Error(`NewSecret("").IsZero() = false`)
	}
}

func TestSecretEqual(t *testing.T) {
	a := NewSecret(secretAPIKey)
	// otherLast is secretAPIKey with its last character changed.
	otherLast := secretAPIKey[:len(secretAPIKey)-1] + "0"
	if otherLast == secretAPIKey {
		otherLast = secretAPIKey[:len(secretAPIKey)-1] + "1"
	}
	tests := []struct {
		name string
		b    Secret
		want bool
	}{
		{"same value, other Secret", NewSecret(secretAPIKey), true},
		{"same Secret", a, true},
		{"differs in the last character", NewSecret(otherLast), false},
		{"prefix", NewSecret(secretAPIKey[:16]), false},
		{"zero", Secret{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal() = %v, want %v", got, tt.want)
			}
		})
	}
	if !(Secret{}).Equal(NewSecret("")) {
		t.Error("two empty Secrets are not Equal")
	}
}
