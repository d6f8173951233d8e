package datadog

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "DeleteAPIKey", Kind: KindNotFound, Status: 404, Message: "API key not found"},
			"datadog DeleteAPIKey: not found (HTTP 404): API key not found"},
		{&Error{Op: "CreateAPIKey", Kind: KindForbidden, Status: 403, MissingScope: "api_keys_write", Message: "Forbidden"},
			"datadog CreateAPIKey: forbidden (HTTP 403), missing scope api_keys_write: Forbidden"},
		{&Error{Op: "ListAPIKeys", Kind: KindUnavailable, Message: "no answer before the deadline"},
			"datadog ListAPIKeys: unavailable: no answer before the deadline"},
		{&Error{Op: "ValidateKeys", Kind: KindInvalid, Status: 403},
			"datadog ValidateKeys: key not valid (HTTP 403)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestKindHelpers(t *testing.T) {
	notFound := &Error{Op: "DeleteAPIKey", Kind: KindNotFound}
	tests := []struct {
		name          string
		err           error
		kind          Kind
		notFound      bool
		transient     bool
		ignoreKeepErr bool
	}{
		{"nil", nil, "", false, false, false},
		{"not found", notFound, KindNotFound, true, false, false},
		{"wrapped not found", fmt.Errorf("delete old key: %w", notFound), KindNotFound, true, false, false},
		{"rate limited", &Error{Kind: KindRateLimited}, KindRateLimited, false, true, true},
		{"unavailable", &Error{Kind: KindUnavailable}, KindUnavailable, false, true, true},
		{"forbidden", &Error{Kind: KindForbidden}, KindForbidden, false, false, true},
		{"invalid", &Error{Kind: KindInvalid}, KindInvalid, false, false, true},
		{"foreign error", errors.New("boom"), "", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %q, want %q", got, tt.kind)
			}
			if got := IsNotFound(tt.err); got != tt.notFound {
				t.Errorf("IsNotFound = %v", got)
			}
			if got := IsTransient(tt.err); got != tt.transient {
				t.Errorf("IsTransient = %v", got)
			}
			if got := IgnoreNotFound(tt.err); (got != nil) != tt.ignoreKeepErr || (got != nil && got != tt.err) {
				t.Errorf("IgnoreNotFound = %v", got)
			}
		})
	}
}

func TestTransportFailureUnwraps(t *testing.T) {
	err := transportFailure("ListAPIKeys", fmt.Errorf("get: %w", context.DeadlineExceeded))
	if !errors.Is(err, context.DeadlineExceeded) || err.Kind != KindUnavailable {
		t.Errorf("transportFailure = %v, want Unavailable wrapping DeadlineExceeded", err)
	}
}
