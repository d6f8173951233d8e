package ddemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// DefaultMaxAPIKeys is the API key cap of an org when the seed sets none; it is
// the meta.max_allowed that Datadog reports for a standard org.
const DefaultMaxAPIKeys = 200

// AdminScopes are the scopes of the admin application key that ddrotate runs
// with: exactly the permissions the key-management endpoints ask for.
var AdminScopes = []string{
	PermAPIKeysRead, PermAPIKeysWrite, PermAPIKeysDelete,
	PermOrgAppKeysRead, PermOrgAppKeysWrite, PermServiceAccountWrite,
}

// Seed is the JSON-loadable initial state of the emulated org.
type Seed struct {
	OrgName         string               `json:"orgName"`
	MaxAPIKeys      int                  `json:"maxApiKeys"` // 0 means DefaultMaxAPIKeys
	ServiceAccounts []SeedServiceAccount `json:"serviceAccounts"`
	APIKeys         []SeedAPIKey         `json:"apiKeys"`
	AppKeys         []SeedAppKey         `json:"appKeys"`
}

// SeedServiceAccount is a service account of the seeded org. An empty ID is generated.
type SeedServiceAccount struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// SeedAPIKey is an API key of the seeded org. An empty ID or Key is generated;
// a given Key must look like a Datadog API key (32 lowercase hex characters).
type SeedAPIKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

// SeedAppKey is an application key of the seeded org. An empty ID or Key is
// generated; a given Key must be 40 lowercase hex characters. Scopes nil (or
// JSON null) means unscoped: the key may do everything its owner may.
type SeedAppKey struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Key     string   `json:"key"`
	OwnerID string   `json:"ownerId"`
	Scopes  []string `json:"scopes"`
}

// Admin is the credential that DefaultSeed provisions for ddrotate itself.
type Admin struct {
	APIKey, APIKeyID, AppKey, AppKeyID, ServiceAccountID string
}

// String redacts the key values so that printing an Admin cannot leak them.
func (a Admin) String() string {
	return fmt.Sprintf("ddemu.Admin{APIKeyID:%s AppKeyID:%s ServiceAccountID:%s}", a.APIKeyID, a.AppKeyID, a.ServiceAccountID)
}

// GoString keeps %#v as safe as %v.
func (a Admin) GoString() string { return a.String() }

// LoadSeed reads a Seed from a JSON file and validates it.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("ddemu: read seed: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt field would otherwise be silently ignored
	var seed Seed
	if err := dec.Decode(&seed); err != nil {
		// The decoder's message quotes offsets and field names, never values.
		return Seed{}, fmt.Errorf("ddemu: parse seed %s: %w", path, err)
	}
	if err := seed.Validate(); err != nil {
		return Seed{}, fmt.Errorf("ddemu: seed %s: %w", path, err)
	}
	return seed, nil
}

// Validate reports the first inconsistency in the seed: duplicate ids or
// values, malformed key values, keys beyond the API key cap. Error messages
// name ids and positions only, never key values.
func (s Seed) Validate() error {
	if s.MaxAPIKeys < 0 {
		return errors.New("maxApiKeys must not be negative")
	}
	limit := s.MaxAPIKeys
	if limit == 0 {
		limit = DefaultMaxAPIKeys
	}
	if len(s.APIKeys) > limit {
		return fmt.Errorf("%d API keys exceed the org cap of %d", len(s.APIKeys), limit)
	}
	ids := map[string]bool{}
	claim := func(kind, id string) error {
		if id == "" {
			return nil
		}
		if ids[id] {
			return fmt.Errorf("%s id %q is used twice", kind, id)
		}
		ids[id] = true
		return nil
	}
	for i, sa := range s.ServiceAccounts {
		if err := claim("service account", sa.ID); err != nil {
			return err
		}
		if sa.Name == "" {
			return fmt.Errorf("serviceAccounts[%d]: name is required", i)
		}
	}
	values := map[string]bool{}
	for i, k := range s.APIKeys {
		if err := claim("API key", k.ID); err != nil {
			return err
		}
		if k.Key != "" && !isLowerHex(k.Key, 2*apiKeyValueBytes) {
			return fmt.Errorf("apiKeys[%d]: key must be %d lowercase hex characters", i, 2*apiKeyValueBytes)
		}
		if err := claimValue(values, k.Key); err != nil {
			return fmt.Errorf("apiKeys[%d]: %w", i, err)
		}
	}
	for i, k := range s.AppKeys {
		if err := claim("application key", k.ID); err != nil {
			return err
		}
		if k.Key != "" && !isLowerHex(k.Key, 2*appKeyValueBytes) {
			return fmt.Errorf("appKeys[%d]: key must be %d lowercase hex characters", i, 2*appKeyValueBytes)
		}
		if err := claimValue(values, k.Key); err != nil {
			return fmt.Errorf("appKeys[%d]: %w", i, err)
		}
		if k.OwnerID == "" {
			return fmt.Errorf("appKeys[%d]: ownerId is required", i)
		}
	}
	return nil
}

// claimValue records a seeded key value, refusing one seen before: two keys
// with one value would make authentication ambiguous.
func claimValue(seen map[string]bool, value string) error {
	if value == "" {
		return nil // generated
	}
	if seen[value] {
		return errors.New("key value is used twice")
	}
	seen[value] = true
	return nil
}

// DefaultSeed returns an org ready for ddrotate: a "ddrotate" service account
// owning an admin application key scoped exactly to AdminScopes, and an admin
// API key. Fresh ids and values are generated on every call.
func DefaultSeed() (Seed, Admin) {
	admin := Admin{
		APIKey:           newKeyValue(apiKeyValueBytes),
		APIKeyID:         newUUID(),
		AppKey:           newKeyValue(appKeyValueBytes),
		AppKeyID:         newUUID(),
		ServiceAccountID: newUUID(),
	}
	seed := Seed{
		OrgName: "ddrotate-local",
		ServiceAccounts: []SeedServiceAccount{
			{ID: admin.ServiceAccountID, Name: "ddrotate", Email: "ddrotate@service-account.invalid"},
		},
		APIKeys: []SeedAPIKey{
			{ID: admin.APIKeyID, Name: "ddrotate-admin", Key: admin.APIKey},
		},
		AppKeys: []SeedAppKey{{
			ID:      admin.AppKeyID,
			Name:    "ddrotate-admin",
			Key:     admin.AppKey,
			OwnerID: admin.ServiceAccountID,
			Scopes:  append([]string(nil), AdminScopes...),
		}},
	}
	return seed, admin
}
