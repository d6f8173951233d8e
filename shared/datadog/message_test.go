package datadog

import (
	"slices"
	"strings"
	"testing"
)

func TestMayHoldKey(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"Forbidden", false},
		{"API key 9286a10e-fe08-48ba-9884-8e26e7e67695 not found", false},
		{"hex run of 31: " + strings.Repeat("a", 31), false},
		{"API key " + strings.Repeat("0a", 16), true},
		{"APP KEY " + strings.Repeat("0A", 20), true},
		{"inside a word: zz" + strings.Repeat("b", 32) + "zz", true},
		{"token DDAPP_xyz", true},
	}
	for _, tt := range tests {
		if got := mayHoldKey(tt.msg); got != tt.want {
			t.Errorf("mayHoldKey(%.40q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}

func TestMissingScope(t *testing.T) {
	tests := []struct {
		messages []string
		want     string
	}{
		{[]string{"Forbidden: the application key is missing the required scope api_keys_write"}, "api_keys_write"},
		{[]string{"Forbidden", "Missing permission: org_app_keys_read."}, "org_app_keys_read"},
		{[]string{"Forbidden"}, ""},
		{[]string{"api_keys_write"}, ""}, // a scope-like word not introduced as one
		{nil, ""},
	}
	for _, tt := range tests {
		if got := missingScope(tt.messages); got != tt.want {
			t.Errorf("missingScope(%q) = %q, want %q", tt.messages, got, tt.want)
		}
	}
}

func TestErrorMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("é", maxMessageBytes) // two bytes each
	body := `{"errors":["` + long + `","b","c","d"]}`
	got := errorMessages([]byte(body))
	if len(got) != maxMessages {
		t.Fatalf("kept %d messages, want %d", len(got), maxMessages)
	}
	first := strings.TrimSuffix(got[0], "…")
	if len(first) > maxMessageBytes || !strings.HasPrefix(long, first) {
		t.Errorf("first message not cut cleanly to %d bytes: %d bytes", maxMessageBytes, len(first))
	}
	if !slices.Equal(got[1:], []string{"b", "c"}) {
		t.Errorf("messages = %q", got)
	}
}
