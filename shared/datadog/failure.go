package datadog

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
)

// failure turns what a library call returned into an *Error. It reads the
// response body only for a non-2xx status, and keeps only the sanitized
// messages: the library's own error carries the raw body, which for a key
// endpoint can hold a key.
func failure(op string, resp *http.Response, err error) *Error {
	switch {
	case resp != nil && (resp.StatusCode < 200 || resp.StatusCode > 299):
		return statusFailure(op, resp.StatusCode, errorBody(err))
	case resp != nil:
		// Not the library's message: a decoding error may quote the body.
		return &Error{Op: op, Kind: KindBadResponse, Status: resp.StatusCode, Message: "the answer could not be decoded"}
	default:
		return transportFailure(op, err)
	}
}

// errorBody returns the body the library kept in its error, if any.
func errorBody(err error) []byte {
	var apiErr datadog.GenericOpenAPIError
	if errors.As(err, &apiErr) {
		return apiErr.Body()
	}
	return nil
}

// statusFailure classifies a non-2xx answer.
func statusFailure(op string, status int, body []byte) *Error {
	messages := errorMessages(body)
	e := &Error{Op: op, Status: status, Message: strings.Join(messages, "; ")}
	switch {
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
	case status == http.StatusUnauthorized:
		e.Kind = KindUnauthorized
	case status == http.StatusForbidden:
		e.Kind = KindForbidden
		e.MissingScope = missingScope(messages)
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	case status >= 500:
		e.Kind = KindUnavailable
	case status >= 400:
		e.Kind = KindBadRequest
	case status >= 300 && status <= 399:
		e.Kind, e.Message = KindBadResponse, "redirect refused: keys are only sent to the configured API"
	default:
		e.Kind = KindBadResponse
	}
	return e
}

// transportFailure classifies a call that got no answer: the time bound ran
// out, the caller gave up, or the connection failed. All are transient.
func transportFailure(op string, err error) *Error {
	e := &Error{Op: op, Kind: KindUnavailable, cause: err}
	var urlErr *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Message = "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		e.Message = "canceled"
	case errors.As(err, &urlErr):
		e.Message = urlErr.Err.Error() // without the URL, which the Op already names
	case err != nil:
		e.Message = err.Error()
	default:
		e.Message = "no answer"
	}
	return e
}

// requestFailure reports a request that this client refuses to send.
func requestFailure(op, message string) *Error {
	return &Error{Op: op, Kind: KindBadRequest, Message: message}
}

// responseFailure reports a 2xx answer that lacks what the call needs.
func responseFailure(op string, status int, message string) *Error {
	return &Error{Op: op, Kind: KindBadResponse, Status: status, Message: message}
}
