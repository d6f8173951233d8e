package ddemu

import "time"

// The JSON documents below reproduce the recorded Datadog responses field for
// field. Fields that Datadog sends only on some operations live in embedded
// pointer structs: encoding/json omits the fields of a nil embedded pointer,
// yet writes them (nulls included) when it is set.

// timeLayout is Datadog's timestamp form: microseconds and a +00:00 offset.
const timeLayout = "2006-01-02T15:04:05.000000-07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

type errorDocument struct {
	Errors []string `json:"errors"`
}

type resourceRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// relationship is {"data": {...}} or, with a nil Data, {"data": null}.
type relationship struct {
	Data *resourceRef `json:"data"`
}

func userRelationship(userID string) *relationship {
	return &relationship{Data: &resourceRef{Type: "users", ID: userID}}
}

// API keys.

type apiKeyDocument struct {
	Data apiKeyResource `json:"data"`
}

type apiKeyListDocument struct {
	Data []apiKeyResource `json:"data"`
	Meta apiKeyListMeta   `json:"meta"`
}

type apiKeyListMeta struct {
	Page       pageMeta `json:"page"`
	MaxAllowed int      `json:"max_allowed"`
}

type pageMeta struct {
	TotalFilteredCount int `json:"total_filtered_count"`
}

type apiKeyResource struct {
	Type          string              `json:"type"`
	Attributes    apiKeyAttributes    `json:"attributes"`
	Relationships apiKeyRelationships `json:"relationships"`
	ID            string              `json:"id"`
}

type apiKeyAttributes struct {
	CreatedAt               string `json:"created_at"`
	Key                     string `json:"key,omitempty"` // never in lists
	Last4                   string `json:"last4"`
	ModifiedAt              string `json:"modified_at"`
	RemoteConfigReadEnabled bool   `json:"remote_config_read_enabled"`
	Category                string `json:"category"`
	Name                    string `json:"name"`
	*apiKeyUsage                   // get and list only
}

// apiKeyUsage is the usage report of get and list. The emulator counts a
// key as used when it authenticates a request, and reports a key it has not
// seen used as Datadog reports an unused one (nulls).
type apiKeyUsage struct {
	DateLastUsed      *string      `json:"date_last_used"`
	UsedInLast24Hours bool         `json:"used_in_last_24_hours"`
	LastUsedDate      lastUsedDate `json:"last_used_date"`
}

type lastUsedDate struct {
	Timestamp   *string `json:"timestamp"`
	Description string  `json:"description"`
}

const lastUsedDescription = "Timestamp of when this key was last used in the past ninety (90) days, null if no recent usage"

// usageWindow is how far back Datadog reports a key's last use.
const usageWindow = 90 * 24 * time.Hour

// apiKeyUsageAt reports the usage of a key last used at lastUsed (zero:
// never), as seen at now.
func apiKeyUsageAt(lastUsed, now time.Time) *apiKeyUsage {
	u := &apiKeyUsage{LastUsedDate: lastUsedDate{Description: lastUsedDescription}}
	if lastUsed.IsZero() || now.Sub(lastUsed) > usageWindow {
		return u
	}
	at := formatTime(lastUsed)
	u.DateLastUsed, u.LastUsedDate.Timestamp = &at, &at
	u.UsedInLast24Hours = now.Sub(lastUsed) <= 24*time.Hour
	return u
}

type apiKeyRelationships struct {
	CreatedBy       *relationship `json:"created_by"`
	ModifiedBy      *relationship `json:"modified_by"`
	LeakInformation relationship  `json:"leak_information"`
}

// apiKeyView says which optional parts of an API key an answer shows.
type apiKeyView struct {
	value bool      // the key value: create, get and update, never list
	usage bool      // the usage report: get and list
	now   time.Time // when the usage report is made
}

func (k *apiKey) resource(view apiKeyView) apiKeyResource {
	res := apiKeyResource{
		Type: "api_keys",
		ID:   k.id,
		Attributes: apiKeyAttributes{
			CreatedAt:  formatTime(k.createdAt),
			Last4:      last4(k.value),
			ModifiedAt: formatTime(k.modifiedAt),
			// Datadog enables remote configuration on new keys by default.
			RemoteConfigReadEnabled: true,
			Category:                "default",
			Name:                    k.name,
		},
		Relationships: apiKeyRelationships{
			CreatedBy:  userRelationship(k.createdBy),
			ModifiedBy: userRelationship(k.modifiedBy),
		},
	}
	if view.value {
		res.Attributes.Key = k.value
	}
	if view.usage {
		res.Attributes.apiKeyUsage = apiKeyUsageAt(k.lastUsed, view.now)
	}
	return res
}

// Application keys.

type appKeyDocument struct {
	Data     appKeyResource `json:"data"`
	Included []any          `json:"included,omitempty"`
}

type appKeyListDocument struct {
	Data []appKeyResource `json:"data"`
	Meta appKeyListMeta   `json:"meta"`
}

type appKeyListMeta struct {
	Page              pageMeta `json:"page"`
	MaxAllowedPerUser int      `json:"max_allowed_per_user"`
}

// maxAppKeysPerUser is the meta.max_allowed_per_user Datadog reports. The
// emulator reports it but does not enforce it.
const maxAppKeysPerUser = 1000

type appKeyResource struct {
	Type          string              `json:"type"`
	ID            string              `json:"id"`
	Attributes    appKeyAttributes    `json:"attributes"`
	Relationships appKeyRelationships `json:"relationships"`
}

type appKeyAttributes struct {
	Name      string   `json:"name"`
	CreatedAt string   `json:"created_at"`
	Last4     string   `json:"last4"`
	Key       string   `json:"key,omitempty"` // on create only (One-Time Read)
	Scopes    []string `json:"scopes"`        // null when unscoped
	*appKeyUsage
}

type appKeyUsage struct {
	LastUsedAt *string `json:"last_used_at"`
}

type appKeyRelationships struct {
	OwnedBy         *relationship `json:"owned_by,omitempty"`
	LeakInformation relationship  `json:"leak_information"`
}

// appKeyView says which optional parts of an application key an answer shows;
// the recorded responses differ per route.
type appKeyView struct {
	value bool // only the create answer: One-Time Read
	usage bool // get and list
	owner bool // the owned_by relationship
}

func (k *appKey) resource(view appKeyView) appKeyResource {
	res := appKeyResource{
		Type: "application_keys",
		ID:   k.id,
		Attributes: appKeyAttributes{
			Name:      k.name,
			CreatedAt: formatTime(k.createdAt),
			Last4:     last4(k.value),
			Scopes:    k.scopes,
		},
	}
	if view.value {
		res.Attributes.Key = k.value
	}
	if view.usage {
		res.Attributes.appKeyUsage = &appKeyUsage{}
		if !k.lastUsed.IsZero() {
			res.Attributes.appKeyUsage.LastUsedAt = ptr(formatTime(k.lastUsed))
		}
	}
	if view.owner {
		res.Relationships.OwnedBy = userRelationship(k.ownerID)
	}
	return res
}

// Users and roles, for the "included" part of a current-user key.

type userResource struct {
	Type          string            `json:"type"`
	ID            string            `json:"id"`
	Attributes    userAttributes    `json:"attributes"`
	Relationships userRelationships `json:"relationships"`
}

type userAttributes struct {
	Name                string   `json:"name"`
	Handle              string   `json:"handle"`
	CreatedAt           string   `json:"created_at"`
	ModifiedAt          string   `json:"modified_at"`
	Email               string   `json:"email"`
	Icon                string   `json:"icon"`
	Title               *string  `json:"title"`
	Verified            bool     `json:"verified"`
	ServiceAccount      bool     `json:"service_account"`
	Disabled            bool     `json:"disabled"`
	AllowedLoginMethods []string `json:"allowed_login_methods"`
	Status              string   `json:"status"`
}

type userRelationships struct {
	Roles roleList `json:"roles"`
}

type roleList struct {
	Data []resourceRef `json:"data"`
}

type roleResource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes roleAttributes `json:"attributes"`
}

type roleAttributes struct {
	Name       string `json:"name"`
	Managed    bool   `json:"managed"`
	CreatedAt  string `json:"created_at"`
	ModifiedAt string `json:"modified_at"`
}

// serviceAccountIncluded describes a service account and its (admin) role the
// way Datadog includes them next to a current-user key.
func serviceAccountIncluded(sa *serviceAccount, r role) []any {
	return []any{
		userResource{
			Type: "users",
			ID:   sa.id,
			Attributes: userAttributes{
				Name:                sa.name,
				Handle:              sa.id,
				CreatedAt:           formatTime(sa.createdAt),
				ModifiedAt:          formatTime(sa.createdAt),
				Email:               sa.email,
				Verified:            true,
				ServiceAccount:      true,
				AllowedLoginMethods: []string{},
				Status:              "Active",
			},
			Relationships: userRelationships{Roles: roleList{Data: []resourceRef{{Type: "roles", ID: r.id}}}},
		},
		roleResource{
			Type: "roles",
			ID:   r.id,
			Attributes: roleAttributes{
				Name:       r.name,
				Managed:    true,
				CreatedAt:  formatTime(r.createdAt),
				ModifiedAt: formatTime(r.createdAt),
			},
		},
	}
}

// Validation.

type validateDocument struct {
	Valid bool `json:"valid"`
}

type validateKeysDocument struct {
	Status string `json:"status"`
}
