// Package testkeys makes values shaped like Datadog keys for tests and
// fixtures. No key-shaped string is committed to the repository: a secret
// scanner cannot tell a fixture from a leak, so tests derive their keys from
// a label at run time instead.
package testkeys

import (
	"crypto/sha256"
	"encoding/hex"
)

// APIKey returns a value shaped like a Datadog API key (32 lowercase hex
// characters), the same for the same label.
func APIKey(label string) string { return derive("api", label, 32) }

// AppKey returns a value shaped like a Datadog application key (40 lowercase
// hex characters), the same for the same label.
func AppKey(label string) string { return derive("app", label, 40) }

// AppToken returns a value shaped like the newer form of a Datadog
// application key: "ddapp_" and 34 letters and digits.
func AppToken(label string) string {
	h := []byte(derive("token", label, 34))
	for i := range h {
		if h[i] >= 'a' && i%3 == 0 {
			h[i] -= 'a' - 'A' // mixed case, as real tokens are
		}
	}
	return "ddapp_" + string(h)
}

// Hex returns n lowercase hex characters derived from label, for values of
// other key-like lengths (a UUID without its dashes, say).
func Hex(label string, n int) string { return derive("hex", label, n) }

func derive(kind, label string, n int) string {
	var out []byte
	for i := byte(0); len(out) < n; i++ {
		sum := sha256.Sum256([]byte{i})
		sum = sha256.Sum256(append(append([]byte(kind+"\x00"+label+"\x00"), sum[:]...), i))
		out = append(out, hex.EncodeToString(sum[:])...)
	}
	return string(out[:n])
}
