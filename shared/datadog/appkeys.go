package datadog

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// AppKey is an application key of a service account. Key is set only by
// CreateAppKey: with One-Time Read, Datadog shows the value once, at
// creation. Scopes nil means unscoped (the owner's permissions).
type AppKey struct {
	ID        string
	Name      string
	Key       credential.Secret
	Last4     string
	Scopes    []string
	OwnerID   string
	CreatedAt time.Time
	// LastUsed is when Datadog last saw the key used; only GetOrgAppKey
	// reports it.
	LastUsed time.Time
}

// CreateAppKey creates an application key named name for the service
// account, limited to scopes (nil for unscoped), and returns it with its
// value. The value cannot be read again: store it before anything else.
func (c *Client) CreateAppKey(ctx context.Context, serviceAccountID, name string, scopes []string) (AppKey, error) {
	const op = "CreateAppKey"
	if !credential.ValidID(serviceAccountID) {
		return AppKey{}, requestFailure(op, "service account id must be a lowercase UUID")
	}
	if strings.TrimSpace(name) == "" {
		return AppKey{}, requestFailure(op, "name is empty")
	}
	attrs := datadogV2.NewApplicationKeyCreateAttributes(name)
	if scopes != nil {
		attrs.Scopes = *datadog.NewNullableList(&scopes)
	}
	body := datadogV2.NewApplicationKeyCreateRequest(*datadogV2.NewApplicationKeyCreateData(
		*attrs, datadogV2.APPLICATIONKEYSTYPE_APPLICATION_KEYS))

	ctx, cancel := c.admin(ctx)
	defer cancel()
	created, resp, err := c.createAppKeys.CreateServiceAccountApplicationKey(ctx, serviceAccountID, *body)
	if err != nil {
		return AppKey{}, failure(op, resp, err)
	}
	data := created.Data
	if data == nil || !credential.ValidID(data.GetId()) || data.Attributes == nil {
		return AppKey{}, responseFailure(op, resp.StatusCode, "the answer has no application key id")
	}
	value := data.Attributes.GetKey()
	if !credential.ValidAppKey(value) {
		return AppKey{}, responseFailure(op, resp.StatusCode, "the answer has no well-formed application key value")
	}
	key := credential.NewSecret(value)
	return AppKey{
		ID:        data.GetId(),
		Name:      data.Attributes.GetName(),
		Key:       key,
		Last4:     cmp.Or(data.Attributes.GetLast4(), key.Last4()),
		Scopes:    listOrNil(data.Attributes.Scopes),
		OwnerID:   ownerID(data.Relationships),
		CreatedAt: data.Attributes.GetCreatedAt(),
	}, nil
}

// GetAppKey returns the service account's application key with the given
// id, without its value (One-Time Read).
func (c *Client) GetAppKey(ctx context.Context, serviceAccountID, id string) (AppKey, error) {
	const op = "GetAppKey"
	if !credential.ValidID(serviceAccountID) || !credential.ValidID(id) {
		return AppKey{}, requestFailure(op, "service account id and key id must be lowercase UUIDs")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	got, resp, err := c.serviceAccounts.GetServiceAccountApplicationKey(ctx, serviceAccountID, id)
	if err != nil {
		return AppKey{}, failure(op, resp, err)
	}
	if got.Data == nil {
		return AppKey{}, responseFailure(op, resp.StatusCode, "the answer has no application key")
	}
	key, ok := partialAppKey(*got.Data, serviceAccountID)
	if !ok {
		return AppKey{}, responseFailure(op, resp.StatusCode, "the answer has no application key id")
	}
	return key, nil
}

// GetOrgAppKey returns the application key with the given id through the
// organization's route, without its value: unlike the service account
// routes, it says who owns the key and when it was last used (last_used_at;
// zero if never, or not recently).
func (c *Client) GetOrgAppKey(ctx context.Context, id string) (AppKey, error) {
	const op = "GetOrgAppKey"
	if !credential.ValidID(id) {
		return AppKey{}, requestFailure(op, "key id must be a lowercase UUID")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	got, resp, err := c.keys.GetApplicationKey(ctx, id)
	if err != nil {
		return AppKey{}, failure(op, resp, err)
	}
	data, ok := got.GetDataOk()
	if !ok || data.GetId() != id {
		return AppKey{}, responseFailure(op, resp.StatusCode, "the answer is not the application key asked for")
	}
	attrs := data.GetAttributes()
	return AppKey{
		ID:        id,
		Name:      attrs.GetName(),
		Last4:     attrs.GetLast4(),
		Scopes:    listOrNil(attrs.Scopes),
		OwnerID:   ownerID(data.Relationships),
		CreatedAt: attrs.GetCreatedAt(),
		LastUsed:  nullableTime(attrs.LastUsedAt),
	}, nil
}

// ListAppKeys returns every application key of the service account whose
// name contains nameFilter (ignoring case), across all pages, without values.
func (c *Client) ListAppKeys(ctx context.Context, serviceAccountID, nameFilter string) ([]AppKey, error) {
	const op = "ListAppKeys"
	if !credential.ValidID(serviceAccountID) {
		return nil, requestFailure(op, "service account id must be a lowercase UUID")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	fetch := func(page int64) ([]AppKey, int64, error) {
		params := datadogV2.NewListServiceAccountApplicationKeysOptionalParameters().
			WithPageSize(pageSize).WithPageNumber(page).WithSort(datadogV2.APPLICATIONKEYSSORT_NAME_ASCENDING)
		if nameFilter != "" {
			params = params.WithFilter(nameFilter)
		}
		list, resp, err := c.serviceAccounts.ListServiceAccountApplicationKeys(ctx, serviceAccountID, *params)
		if err != nil {
			return nil, 0, failure(op, resp, err)
		}
		keys := make([]AppKey, 0, len(list.Data))
		for _, k := range list.Data {
			key, ok := partialAppKey(k, serviceAccountID)
			if !ok {
				return nil, 0, responseFailure(op, resp.StatusCode, "a listed application key has no id")
			}
			keys = append(keys, key)
		}
		total := int64(-1)
		if meta := list.Meta; meta != nil && meta.Page != nil && meta.Page.TotalFilteredCount != nil {
			total = *meta.Page.TotalFilteredCount
		}
		return keys, total, nil
	}
	return listAll(op, nameFilter, fetch, func(k AppKey) string { return k.Name })
}

// DeleteAppKey deletes the service account's application key with the
// given id. A key that is already gone gives a NotFound error; see
// IgnoreNotFound.
func (c *Client) DeleteAppKey(ctx context.Context, serviceAccountID, id string) error {
	const op = "DeleteAppKey"
	if !credential.ValidID(serviceAccountID) || !credential.ValidID(id) {
		return requestFailure(op, "service account id and key id must be lowercase UUIDs")
	}
	ctx, cancel := c.admin(ctx)
	defer cancel()
	if resp, err := c.serviceAccounts.DeleteServiceAccountApplicationKey(ctx, serviceAccountID, id); err != nil {
		return failure(op, resp, err)
	}
	return nil
}

// partialAppKey converts a fetched or listed key of the service account;
// ok is false without an id. Datadog leaves out the owner relationship on
// these routes, and the path already says who the owner is.
func partialAppKey(data datadogV2.PartialApplicationKey, serviceAccountID string) (key AppKey, ok bool) {
	if data.GetId() == "" {
		return AppKey{}, false
	}
	attrs := data.GetAttributes()
	return AppKey{
		ID:        data.GetId(),
		Name:      attrs.GetName(),
		Last4:     attrs.GetLast4(),
		Scopes:    listOrNil(attrs.Scopes),
		OwnerID:   cmp.Or(ownerID(data.Relationships), serviceAccountID),
		CreatedAt: parseTime(attrs.GetCreatedAt()),
	}, true
}

// listOrNil returns a copy of a nullable scope list, nil when absent or null.
func listOrNil(list datadog.NullableList[string]) []string {
	if p := list.Get(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}

func ownerID(rel *datadogV2.ApplicationKeyRelationships) string {
	if rel == nil || rel.OwnedBy == nil {
		return ""
	}
	return rel.OwnedBy.Data.Id
}
