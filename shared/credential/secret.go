package credential

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strconv"
)

// mask is what a Secret shows instead of its value.
const mask = "****"

// minLenForLast4 is the shortest value whose last four characters are shown.
// Datadog keys are 32 or more characters, so four of them identify a key
// without weakening it; for a short value four characters would be most of it.
const minLenForLast4 = 16

// Secret is a key value that masks itself everywhere it could be printed or
// serialised: only "****" and the last four characters ever appear.
//
// The value sits behind a pointer so that even reflection-based printing of a
// struct that holds a Secret in an unexported field (where fmt does not call
// methods) shows an address rather than the value. As a consequence == on two
// Secrets compares identity, not value: use [Secret.Equal].
type Secret struct {
	value *string
}

// NewSecret wraps v. The empty string gives the zero Secret.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{value: &v}
}

// Reveal returns the value. It is the only way to get it, so every place that
// handles a real key is easy to find.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// Last4 returns the last four characters, the part Datadog itself shows to
// identify a key, or "" when the value is too short to show any of it safely.
func (s Secret) Last4() string {
	v := s.Reveal()
	if len(v) < minLenForLast4 {
		return ""
	}
	return v[len(v)-4:]
}

// IsZero reports whether the Secret holds no value.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Equal reports whether both Secrets hold the same value, in time that
// depends on their lengths but not on their contents.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(o.Reveal())) == 1
}

// String returns the masked form: "" for the zero Secret, otherwise "****"
// followed by [Secret.Last4].
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return mask + s.Last4()
}

// GoString masks the value for %#v.
func (s Secret) GoString() string {
	return "credential.Secret{" + s.String() + "}"
}

// Format masks the value for every fmt verb, including %x and %q, which would
// otherwise encode the raw bytes of a plain string.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprint(f, strconv.Quote(s.String()))
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue masks the value for log/slog handlers.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the value, so a struct holding a Secret can be encoded for
// logs or step outputs without leaking it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalText masks the value for encoders that use encoding.TextMarshaler,
// including encoding/json for map keys.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
