package datadog

import (
	"context"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// ValidateAPIKey asks Datadog whether apiKey is valid (GET /api/v1/validate,
// which authenticates with that key alone). It returns nil if it is, an
// *Error of Kind Invalid if Datadog refuses it, and another *Error if the
// question could not be answered. The client's own keys are not used.
func (c *Client) ValidateAPIKey(ctx context.Context, apiKey credential.Secret) error {
	const op = "ValidateAPIKey"
	if apiKey.IsZero() {
		return &Error{Op: op, Kind: KindInvalid, Message: "no API key"}
	}
	ctx, cancel := c.bounded(ctx, apiKey, credential.Secret{})
	defer cancel()
	answer, resp, err := c.authentication.Validate(ctx)
	if err != nil {
		return refusedAsInvalid(failure(op, resp, err))
	}
	if !answer.GetValid() {
		return &Error{Op: op, Kind: KindInvalid, Status: resp.StatusCode, Message: "Datadog says the API key is not valid"}
	}
	return nil
}

// ValidateKeys asks Datadog whether apiKey and appKey together authorise
// requests (GET /api/v2/validate_keys). It returns nil if they do, an *Error
// of Kind Invalid if Datadog refuses them, and another *Error if the
// question could not be answered. The client's own keys are not used.
func (c *Client) ValidateKeys(ctx context.Context, apiKey, appKey credential.Secret) error {
	const op = "ValidateKeys"
	if apiKey.IsZero() || appKey.IsZero() {
		return &Error{Op: op, Kind: KindInvalid, Message: "an API key and an application key are both needed"}
	}
	ctx, cancel := c.bounded(ctx, apiKey, appKey)
	defer cancel()
	answer, resp, err := c.keys.ValidateAPIKey(ctx)
	if err != nil {
		return refusedAsInvalid(failure(op, resp, err))
	}
	if answer.Status != datadogV2.VALIDATEAPIKEYSTATUS_OK {
		return &Error{Op: op, Kind: KindInvalid, Status: resp.StatusCode, Message: "Datadog did not confirm the key pair"}
	}
	return nil
}

// refusedAsInvalid turns the refusal of a validation call into its answer:
// for these endpoints 401 and 403 mean the keys under test are not valid,
// not that the caller lacks a permission.
func refusedAsInvalid(e *Error) error {
	if e.Kind == KindUnauthorized || e.Kind == KindForbidden {
		e.Kind, e.MissingScope = KindInvalid, ""
	}
	return e
}
