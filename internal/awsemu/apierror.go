package awsemu

import (
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error as an AWS service reports it on the wire: a code, a
// message and an HTTP status. The protocol writers turn it into the JSON or
// XML shape the SDKs parse. Messages name resources by id only, never by value.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Error codes shared by more than one handler. Secrets Manager reports them
// all with status 400, including AccessDeniedException.
const (
	codeResourceNotFound  = "ResourceNotFoundException"
	codeInvalidRequest    = "InvalidRequestException"
	codeInvalidParameter  = "InvalidParameterException"
	codeResourceExists    = "ResourceExistsException"
	codeAccessDenied      = "AccessDeniedException"
	codeValidation        = "ValidationException"
	codeSerialization     = "SerializationException"
	codeUnknownOperation  = "UnknownOperationException"
	codeMissingAuthToken  = "MissingAuthenticationTokenException"
	codeUnrecognizedToken = "UnrecognizedClientException"
	codeExpiredToken      = "ExpiredTokenException"
)

func smNotFound(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, codeResourceNotFound, format, args...)
}

func smInvalidRequest(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

func smInvalidParameter(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, codeInvalidParameter, format, args...)
}

// missingParameter is what AWS's request validation answers when a required
// member is absent, before the operation itself runs.
func missingParameter(member string) *apiError {
	return newAPIError(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// lengthOutOfRange is AWS's request validation answer to a member whose
// length is outside the model's bounds. The value itself is not echoed,
// because it may be a secret.
func lengthOutOfRange(member string, minLen, maxLen int) *apiError {
	return newAPIError(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length between %d and %d", member, minLen, maxLen)
}

// patternMismatch is AWS's request validation answer to a member that does
// not match the model's pattern. The value is not echoed.
func patternMismatch(member, pattern string) *apiError {
	return newAPIError(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", member, pattern)
}

// valueOutOfRange is AWS's request validation answer to a number outside
// the model's bounds.
func valueOutOfRange(member string, minValue, maxValue int) *apiError {
	return newAPIError(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have value between %d and %d", member, minValue, maxValue)
}

// enumMismatch is AWS's request validation answer to a value outside an
// enum of the model.
func enumMismatch(member, value string, values []string) *apiError {
	return newAPIError(http.StatusBadRequest, codeValidation,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, member, strings.Join(values, ", "))
}
