package datadog

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what is kept of Datadog's error messages: enough to diagnose,
// too little to carry a payload.
const (
	maxMessages     = 3
	maxMessageBytes = 200
	// keyHexRun is the shortest run of hex digits treated as a possible key:
	// API keys are 32 hex digits, hex application keys 40.
	keyHexRun = 32
)

// errorMessages returns the messages of a Datadog error body, keeping only
// those that cannot hold a key. Datadog answers {"errors": ["..."]}, or
// JSON:API objects with title and detail; anything else yields nothing rather
// than the raw body.
func errorMessages(body []byte) []string {
	var parsed struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &parsed) != nil {
		return nil
	}
	var kept []string
	for _, raw := range parsed.Errors {
		msg, ok := errorText(raw)
		if !ok || mayHoldKey(msg) {
			continue
		}
		kept = append(kept, truncate(clean(msg), maxMessageBytes))
		if len(kept) == maxMessages {
			break
		}
	}
	return kept
}

// errorText reads one entry of "errors": a string, or an object whose detail
// (or failing that, title) explains the problem.
func errorText(raw json.RawMessage) (string, bool) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text, text != ""
	}
	var object struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &object) != nil {
		return "", false
	}
	switch {
	case object.Detail != "":
		return object.Detail, true
	case object.Title != "":
		return object.Title, true
	}
	return "", false
}

// mayHoldKey reports whether s contains something shaped like a Datadog key:
// a long run of hex digits, or the "ddapp_" application key prefix.
func mayHoldKey(s string) bool {
	if strings.Contains(strings.ToLower(s), "ddapp_") {
		return true
	}
	run := 0
	for i := 0; i < len(s); i++ {
		if isHex(s[i]) {
			run++
			if run >= keyHexRun {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// clean replaces control characters, so a message cannot forge log lines.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// missingScope returns the scope that a Forbidden message names, such as
// "api_keys_write" in "missing the required scope api_keys_write", or "".
// Datadog often answers a bare "Forbidden"; then the scope is unknown.
func missingScope(messages []string) string {
	for _, msg := range messages {
		words := strings.FieldsFunc(strings.ToLower(msg), func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_')
		})
		afterScope := false
		for _, w := range words {
			switch {
			case w == "scope" || w == "scopes" || w == "permission" || w == "permissions":
				afterScope = true
			case afterScope && strings.Contains(w, "_"):
				return w
			}
		}
	}
	return ""
}
