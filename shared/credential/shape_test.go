package credential

import (
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

func TestValidAPIKey(t *testing.T) {
	k := testkeys.APIKey("credential shape")
	tests := []struct {
		key  string
		want bool
	}{
		{k, true},
		{strings.ToUpper(k), false},
		{k[:31], false},
		{k + "0", false},
		{k[:31] + "g", false},
		{k[:31] + "\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidAPIKey(tt.key); got != tt.want {
			t.Errorf("ValidAPIKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestValidAppKey(t *testing.T) {
	k, tok := testkeys.AppKey("credential shape"), testkeys.AppToken("credential shape")
	tests := []struct {
		key  string
		want bool
	}{
		{k, true},
		{tok, true},
		{strings.ToUpper(k), false},
		{testkeys.APIKey("credential shape"), false}, // an API key
		{k + "0a", false},
		{tok[:len(tok)-1], false},
		{tok + "8", false},
		{tok[:len(tok)-3] + "_" + tok[len(tok)-2:], false},
		{"DDAPP_" + strings.TrimPrefix(tok, "ddapp_"), false},
		{"xxapp_" + strings.TrimPrefix(tok, "ddapp_"), false},
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
		{strings.ReplaceAll("9286a10e-fe08-48ba-9884-8e26e7e67695", "-", ""), false},
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
