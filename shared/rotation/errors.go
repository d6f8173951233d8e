package rotation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"

	"github.com/aws/smithy-go"

	"github.com/ddrotate/ddrotate/shared/datadog"
)

// The error types below are what Step Functions sees: aws-lambda-go reports a
// handler error by its Go type name, and the state machine definitions retry
// or catch on those names (TransientError, KeyNotYetValidError, ...). Their
// messages become an execution's Cause, so none of them ever holds a key value.

// InputError is a bad execution input: unknown target, unknown mode, an
// extra field, a wrong type. Nothing was changed.
type InputError struct {
	Field   string
	Problem string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("execution input: field %q: %s", e.Field, e.Problem)
}

// ConfigError is a target whose configuration (the tags the CDK stack puts on
// its secret, or the step's environment) is missing or malformed.
type ConfigError struct {
	Target  string
	Field   string
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Target == "" {
		return fmt.Sprintf("configuration: %s: %s", e.Field, e.Problem)
	}
	return fmt.Sprintf("target %q configuration: %s: %s", e.Target, e.Field, e.Problem)
}

// SecretError is a secret value that cannot be used: not initialised,
// malformed JSON, a key of the wrong shape, a foreign site. Err names the
// field (a *credential.InvalidError) and never quotes the value.
type SecretError struct {
	SecretID string
	Stage    string
	Err      error
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("secret %s (%s): %v", e.SecretID, e.Stage, e.Err)
}

func (e *SecretError) Unwrap() error { return e.Err }

// RotationInProgressError means another execution that is still running
// holds the target's AWSPENDING lock. Nothing was changed.
type RotationInProgressError struct {
	Target          string
	HolderExecution string
}

func (e *RotationInProgressError) Error() string {
	return fmt.Sprintf("target %q: a rotation is already in progress (AWSPENDING held by execution %s); nothing was changed", e.Target, e.HolderExecution)
}

// CurrentKeyInvalidError means, in scheduled mode, that the key consumers use
// now does not validate in Datadog. A scheduled rotation refuses to proceed:
// an operator should look, and use compromise mode if the key leaked.
type CurrentKeyInvalidError struct {
	Target string
	KeyID  string
	Last4  string
	Reason string
}

func (e *CurrentKeyInvalidError) Error() string {
	return fmt.Sprintf("target %q: the current key %s (…%s) does not validate: %s; start a compromise rotation if it leaked or was revoked", e.Target, e.KeyID, e.Last4, e.Reason)
}

// KeyNotYetValidError means the new key does not validate yet. Datadog takes
// a few seconds to propagate a new key, so the state machine retries it with
// backoff before giving up and rolling back.
type KeyNotYetValidError struct {
	Target string
	KeyID  string
	Last4  string
	Reason string
}

func (e *KeyNotYetValidError) Error() string {
	return fmt.Sprintf("target %q: the new key %s (…%s) does not validate yet: %s", e.Target, e.KeyID, e.Last4, e.Reason)
}

// TransientError is a failure worth retrying: Datadog or AWS rate limited,
// unavailable, timed out, or the connection dropped. The clients have
// already retried within their own bounds.
type TransientError struct {
	Op  string
	Err error
}

func (e *TransientError) Error() string { return fmt.Sprintf("%s: %v (transient)", e.Op, e.Err) }
func (e *TransientError) Unwrap() error { return e.Err }

// DatadogError is a Datadog failure that a retry will not fix: a missing
// scope on the admin key, a bad request, the org's API key cap.
type DatadogError struct {
	Op  string
	Err error
}

func (e *DatadogError) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }
func (e *DatadogError) Unwrap() error { return e.Err }

// AWSError is an AWS failure that a retry will not fix, such as access denied.
type AWSError struct {
	Op  string
	Err error
}

func (e *AWSError) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }
func (e *AWSError) Unwrap() error { return e.Err }

// ConflictError means the secret's staging labels changed under the step in
// a way the protocol does not expect (for example AWSCURRENT moved by hand
// during a rotation). Nothing further was changed.
type ConflictError struct {
	Target  string
	Problem string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("target %q: %s", e.Target, e.Problem)
}

// RefusedError is a safety refusal: a step was asked to delete a key that
// consumers still read (it is in AWSCURRENT).
type RefusedError struct {
	Target string
	KeyID  string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("target %q: refused to delete key %s: %s", e.Target, e.KeyID, e.Reason)
}

// OwnershipError refuses to rotate an application key that does not belong
// to the service account the target declares (for the admin credential, its
// own serviceAccountId): the new key would be made for another owner than
// the old one, and the old key, deleted through that service account, would
// survive. Nothing was changed.
type OwnershipError struct {
	Target string
	KeyID  string
	Owner  string // who owns the key in Datadog ("" if Datadog does not say)
	Want   string // the service account the target declares
}

func (e *OwnershipError) Error() string {
	return fmt.Sprintf("target %q: application key %s is owned by %q, not by the target's service account %s; give the target an application key of that service account (or correct its serviceAccountId), and revoke this one by hand if it leaked",
		e.Target, e.KeyID, e.Owner, e.Want)
}

// datadogErr classifies a Datadog client error for the state machine.
func datadogErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if datadog.IsTransient(err) || errors.Is(err, context.DeadlineExceeded) {
		return &TransientError{Op: op, Err: err}
	}
	return &DatadogError{Op: op, Err: err}
}

// transientAWSCodes are the AWS error codes worth a retry. Most are not
// modelled as types by the SDK (they are common to every service), so they
// are matched by code.
var transientAWSCodes = map[string]bool{
	codeInternalServiceError:     true,
	codeInternalFailure:          true,
	codeServiceUnavailable:       true,
	codeThrottlingException:      true,
	codeThrottling:               true,
	codeTooManyRequestsException: true,
	codeRequestTimeout:           true,
	codeRequestLimitExceeded:     true,
}

// AWS error codes that mean "try again". The errors the steps act on
// otherwise (a secret or version not found, a label held elsewhere, an
// execution unknown) are matched by the SDK's types, with isAWSError.
const (
	codeInternalServiceError     = "InternalServiceError"
	codeInternalFailure          = "InternalFailure"
	codeServiceUnavailable       = "ServiceUnavailable"
	codeThrottlingException      = "ThrottlingException"
	codeThrottling               = "Throttling"
	codeTooManyRequestsException = "TooManyRequestsException"
	codeRequestTimeout           = "RequestTimeout"
	codeRequestLimitExceeded     = "RequestLimitExceeded"
)

// awsErr classifies an AWS SDK error for the state machine.
func awsErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if transientAWSCodes[apiErr.ErrorCode()] {
			return &TransientError{Op: op, Err: err}
		}
		return &AWSError{Op: op, Err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return &TransientError{Op: op, Err: err}
	}
	// Anything else the SDK returns without an API error code is a transport
	// failure (connection reset, EOF, a response it could not read).
	return &TransientError{Op: op, Err: err}
}

// isAWSError reports whether err is, or wraps, the AWS error T that the SDK
// deserialises a service's error code into, such as
// *smtypes.ResourceNotFoundException.
func isAWSError[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// keyLikeRun matches anything shaped like a Datadog key value. Error texts
// that leave a step are scrubbed with it as a last line of defence: every
// error built here already leaves values out.
var keyLikeRun = regexp.MustCompile(`(?i)(ddapp_)?[0-9a-z]{32,}`)

// Scrub replaces anything shaped like a key value in s.
func Scrub(s string) string {
	return keyLikeRun.ReplaceAllStringFunc(s, func(m string) string {
		if isHexOrAlnumKey(m) {
			return "[redacted]"
		}
		return m
	})
}

func isHexOrAlnumKey(m string) bool {
	digits := 0
	for _, c := range m {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	// Long words without digits are prose, not keys.
	return digits > 0
}
