package datadog

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// APIKey is a Datadog API key. Key is set only by CreateAPIKey and GetAPIKey;
// lists carry Last4 alone.
type APIKey struct {
	ID        string
	Name      string
	Key       credential.Secret
	Last4     string
	CreatedAt time.Time
	// LastUsed is when Datadog last saw the key used (date_last_used,
	// within its 90-day window); zero if not recently, or not reported.
	LastUsed time.Time
}

// CreateAPIKey creates an API key named name and returns it with its value.
// Datadog does not refuse a duplicate name, so a retried create would make a
// second key: callers look for the name with ListAPIKeys first.
func (c *Client) CreateAPIKey(ctx context.Context, name string) (APIKey, error) {
	const op = "CreateAPIKey"
	if strings.TrimSpace(name) == "" {
		return APIKey{}, requestFailure(op, "name is empty")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	body := datadogV2.NewAPIKeyCreateRequest(*datadogV2.NewAPIKeyCreateData(
		*datadogV2.NewAPIKeyCreateAttributes(name), datadogV2.APIKEYSTYPE_API_KEYS))
	created, resp, err := c.createKeys.CreateAPIKey(ctx, *body)
	if err != nil {
		return APIKey{}, failure(op, resp, err)
	}
	return fullAPIKey(op, resp.StatusCode, created.Data)
}

// GetAPIKey returns the API key with the given id, value included.
func (c *Client) GetAPIKey(ctx context.Context, id string) (APIKey, error) {
	const op = "GetAPIKey"
	if !credential.ValidID(id) {
		return APIKey{}, requestFailure(op, "id must be a lowercase UUID")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	got, resp, err := c.keys.GetAPIKey(ctx, id)
	if err != nil {
		return APIKey{}, failure(op, resp, err)
	}
	return fullAPIKey(op, resp.StatusCode, got.Data)
}

// ListAPIKeys returns every API key whose name contains nameFilter (ignoring
// case), across all pages, without values. Datadog's own filter also matches
// other attributes, so the names are checked again here; an empty filter
// returns every key.
func (c *Client) ListAPIKeys(ctx context.Context, nameFilter string) ([]APIKey, error) {
	const op = "ListAPIKeys"
	ctx, cancel := c.admin(ctx)
	defer cancel()
	fetch := func(page int64) ([]APIKey, int64, error) {
		params := datadogV2.NewListAPIKeysOptionalParameters().
			WithPageSize(pageSize).WithPageNumber(page).WithSort(datadogV2.APIKEYSSORT_NAME_ASCENDING)
		if nameFilter != "" {
			params = params.WithFilter(nameFilter)
		}
		list, resp, err := c.keys.ListAPIKeys(ctx, *params)
		if err != nil {
			return nil, 0, failure(op, resp, err)
		}
		keys := make([]APIKey, 0, len(list.Data))
		for _, k := range list.Data {
			key, ok := partialAPIKey(k)
			if !ok {
				return nil, 0, responseFailure(op, resp.StatusCode, "a listed API key has no id")
			}
			keys = append(keys, key)
		}
		total := int64(-1)
		if meta := list.Meta; meta != nil && meta.Page != nil && meta.Page.TotalFilteredCount != nil {
			total = *meta.Page.TotalFilteredCount
		}
		return keys, total, nil
	}
	return listAll(op, nameFilter, fetch, func(k APIKey) string { return k.Name })
}

// DeleteAPIKey deletes the API key with the given id. A key that is already
// gone gives a NotFound error; see IgnoreNotFound.
func (c *Client) DeleteAPIKey(ctx context.Context, id string) error {
	const op = "DeleteAPIKey"
	if !credential.ValidID(id) {
		return requestFailure(op, "id must be a lowercase UUID")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	if resp, err := c.keys.DeleteAPIKey(ctx, id); err != nil {
		return failure(op, resp, err)
	}
	return nil
}

// fullAPIKey converts a created or fetched key, insisting on an id and a
// well-formed value: a rotation must never store anything else.
func fullAPIKey(op string, status int, data *datadogV2.FullAPIKey) (APIKey, error) {
	if data == nil || data.Id == nil || !credential.ValidID(*data.Id) || data.Attributes == nil {
		return APIKey{}, responseFailure(op, status, "the answer has no API key id")
	}
	attrs := data.Attributes
	value := attrs.GetKey()
	if !credential.ValidAPIKey(value) {
		return APIKey{}, responseFailure(op, status, "the answer has no well-formed API key value")
	}
	key := credential.NewSecret(value)
	return APIKey{
		ID:        *data.Id,
		Name:      attrs.GetName(),
		Key:       key,
		Last4:     cmp.Or(attrs.GetLast4(), key.Last4()),
		CreatedAt: attrs.GetCreatedAt(),
		LastUsed:  nullableTime(attrs.DateLastUsed),
	}, nil
}

// partialAPIKey converts a listed key; ok is false without an id.
func partialAPIKey(data datadogV2.PartialAPIKey) (key APIKey, ok bool) {
	if data.Id == nil || *data.Id == "" {
		return APIKey{}, false
	}
	attrs := data.GetAttributes()
	return APIKey{
		ID:        *data.Id,
		Name:      attrs.GetName(),
		Last4:     attrs.GetLast4(),
		CreatedAt: parseTime(attrs.GetCreatedAt()),
		LastUsed:  nullableTime(attrs.DateLastUsed),
	}, true
}
