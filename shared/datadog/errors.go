package datadog

import (
	"errors"
	"strconv"
	"strings"
)

// Kind classifies a failed call by what the caller can do about it.
type Kind string

const (
	KindNotFound     Kind = "NotFound"     // the key (or service account) does not exist
	KindUnauthorized Kind = "Unauthorized" // the admin keys were not accepted
	KindForbidden    Kind = "Forbidden"    // accepted, but not allowed; see Error.MissingScope
	KindRateLimited  Kind = "RateLimited"  // still rate limited when the time bound ran out
	KindUnavailable  Kind = "Unavailable"  // 5xx, timeout or connection failure
	KindBadRequest   Kind = "BadRequest"   // Datadog (or this client) refused the request as malformed
	KindInvalid      Kind = "Invalid"      // a validation call said the key is not valid
	KindBadResponse  Kind = "BadResponse"  // a 2xx or redirect answer that cannot be used
)

// kindText is how a Kind reads inside an error message.
var kindText = map[Kind]string{
	KindNotFound:     "not found",
	KindUnauthorized: "unauthorized",
	KindForbidden:    "forbidden",
	KindRateLimited:  "rate limited",
	KindUnavailable:  "unavailable",
	KindBadRequest:   "bad request",
	KindInvalid:      "key not valid",
	KindBadResponse:  "unusable response",
}

// Error is a failed Datadog call. Message is built only from the "errors" of
// a non-2xx answer, minus any entry that looks like it holds a key, so the
// error can be logged and returned through Step Functions as is.
type Error struct {
	Op           string // client method, such as "CreateAPIKey"
	Kind         Kind
	Status       int    // HTTP status, 0 if no answer arrived
	MissingScope string // for Forbidden, the scope Datadog said is missing, if it said
	Message      string // sanitized Datadog message, or what went wrong locally

	cause error // transport or context error, for errors.Is; never a response body
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("datadog ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if text, ok := kindText[e.Kind]; ok {
		b.WriteString(text)
	} else {
		b.WriteString(string(e.Kind))
	}
	if e.Status != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(")")
	}
	if e.MissingScope != "" {
		b.WriteString(", missing scope ")
		b.WriteString(e.MissingScope)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the transport or context error behind an Unavailable error,
// so that errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.cause }

// KindOf returns the Kind of the *Error in err's chain, or "" if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsNotFound reports whether err says the key does not exist.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IgnoreNotFound returns nil if err says the key does not exist, and err
// otherwise. Deleting a key that is already gone is success for a step that
// may run twice.
func IgnoreNotFound(err error) error {
	if IsNotFound(err) {
		return nil
	}
	return err
}

// IsTransient reports whether the same call may succeed later unchanged:
// Datadog was rate limiting, unavailable, slow or unreachable.
func IsTransient(err error) bool {
	switch KindOf(err) {
	case KindRateLimited, KindUnavailable:
		return true
	}
	return false
}
