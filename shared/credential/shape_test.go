package credential

import (
	"strings"
	"testing"
)

func TestValidAPIKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"0123456789abcdef0123456789abcdef", true},
		{"0123456789ABCDEF0123456789ABCDEF", false},
		{"0123456789abcdef0123456789abcde", false},
		{"0123456789abcdef0123456789abcdef0", false},
		{"0123456789abcdef0123456789abcdeg", false},
		{"0123456789abcdef0123456789abcde\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidAPIKey(tt.key); got != tt.want {
			t.Errorf("ValidAPIKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestValidAppKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{strings.Repeat("0a", 20), true},
		{"ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", true},
		{strings.Repeat("0A", 20), false},
		{strings.Repeat("0a", 16), false}, // an API key
		{strings.Repeat("0a", 21), false},
		{"ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456", false},
		{"ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz012345678", false},
		{"ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz01234_67", false},
		{"DDAPP_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", false},
		{"xxapp_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidAppKey(tt.key); got != tt.want {
			t.Errorf("ValidAppKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"9286a10e-fe08-48ba-9884-8e26e7e67695", true},
		{"9286A10E-FE08-48BA-9884-8E26E7E67695", false},
		{"9286a10efe0848ba98848e26e7e67695", false},
		{"9286a10e-fe08-48ba-9884-8e26e7e6769", false},
		{"9286a10e-fe08-48ba-9884-8e26e7e676950", false},
		{"9286a10e_fe08_48ba_9884_8e26e7e67695", false},
		{"9286a10e-fe08-48ba-9884-8e26e7e6769z", false},
		{"{9286a10e-fe08-48ba-9884-8e26e7e6769}", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
