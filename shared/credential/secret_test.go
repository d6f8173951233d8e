package credential

import (
	"testing"
)

func TestSecretLast4(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"zero", "", ""},
		{"too short to show any of it", "abcdef123", ""},
		{"API key", "0123456789abcdef0123456789ab1a2b", "1a2b"},
		{"application key token", "ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "4567"},
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
		{"key shows its last four", "0123456789abcdef0123456789ab1a2b", "****1a2b"},
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
	const value = "0123456789abcdef0123456789ab1a2b"
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
	a := NewSecret("0123456789abcdef0123456789ab1a2b")
	tests := []struct {
		name string
		b    Secret
		want bool
	}{
		{"same value, other Secret", NewSecret("0123456789abcdef0123456789ab1a2b"), true},
		{"same Secret", a, true},
		{"differs in the last character", NewSecret("0123456789abcdef0123456789ab1a2c"), false},
		{"prefix", NewSecret("0123456789abcdef"), false},
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
