package credential

import "strings"

// Datadog key and id shapes. Checking them before any call catches secrets
// that were pasted wrongly (swapped fields, a trailing newline, an id in the
// key field) before a rotation starts, not halfway through it.

const (
	apiKeyLen         = 32
	appKeyHexLen      = 40
	appKeyTokenPrefix = "ddapp_"
	appKeyTokenLen    = 34 // alphanumerics after the prefix
)

// ValidAPIKey reports whether s has the shape of a Datadog API key:
// 32 lowercase hexadecimal characters.
func ValidAPIKey(s string) bool {
	return len(s) == apiKeyLen && isLowerHex(s)
}

// ValidAppKey reports whether s has the shape of a Datadog application key:
// 40 lowercase hexadecimal characters, or "ddapp_" followed by 34 letters or
// digits (the newer token form).
func ValidAppKey(s string) bool {
	// Both forms are 40 characters long, so the prefix decides which applies.
	if rest, ok := strings.CutPrefix(s, appKeyTokenPrefix); ok {
		return len(rest) == appKeyTokenLen && isAlphanumeric(rest)
	}
	return len(s) == appKeyHexLen && isLowerHex(s)
}

// ValidID reports whether s is a UUID in the canonical lowercase form that
// Datadog uses for key, application key and service account ids. Upper case
// is refused so that ids compare equal as plain strings.
func ValidID(s string) bool {
	const uuidLen = 36
	if len(s) != uuidLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerHexByte(s[i]) {
				return false
			}
		}
	}
	return true
}

// validScope reports whether s looks like a Datadog authorization scope name,
// such as "api_keys_read".
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLowerHexByte(s[i]) {
			return false
		}
	}
	return true
}

func isLowerHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
