package credential

import (
	"fmt"
	"log/slog"
)

// Admin is the admin credential: the Datadog API key and service-account
// application key that every Datadog call is made with. Its JSON is exactly
// the Secrets Manager "Datadog Admin Key" form, plus optional [Metadata].
type Admin struct {
	APIKey           Secret // adminApiKey
	APIKeyID         string // adminApiKeyId
	AppKey           Secret // adminAppKey
	AppKeyID         string // adminAppKeyId
	ServiceAccountID string // serviceAccountId, the owner of AppKey
	Site             Site   // site
	Metadata

	unknown unknownFields
}

const (
	fieldAdminAPIKey      = "adminApiKey"
	fieldAdminAPIKeyID    = "adminApiKeyId"
	fieldAdminAppKey      = "adminAppKey"
	fieldAdminAppKeyID    = "adminAppKeyId"
	fieldServiceAccountID = "serviceAccountId"
	fieldSite             = "site"
	credentialKindAdmin   = "admin"
)

// ParseAdmin decodes and validates the admin secret. Fields it does not know
// are kept and written back by [Admin.SecretString].
func ParseAdmin(data []byte) (Admin, error) {
	o, err := decodeObject(credentialKindAdmin, data)
	if err != nil {
		return Admin{}, err
	}
	a := Admin{
		APIKey:           NewSecret(o.text(fieldAdminAPIKey)),
		APIKeyID:         o.text(fieldAdminAPIKeyID),
		AppKey:           NewSecret(o.text(fieldAdminAppKey)),
		AppKeyID:         o.text(fieldAdminAppKeyID),
		ServiceAccountID: o.text(fieldServiceAccountID),
		Site:             Site(o.text(fieldSite)),
		Metadata:         readMetadata(o),
	}
	a.unknown, err = o.rest()
	if err != nil {
		return Admin{}, err
	}
	if err := o.problems.err(); err != nil {
		return Admin{}, err
	}
	if err := a.Validate(); err != nil {
		return Admin{}, err
	}
	return a, nil
}

// Validate reports every field that is missing or malformed, as an
// *InvalidError, or nil.
func (a Admin) Validate() error {
	p := &problems{credential: credentialKindAdmin}
	checkSecret(p, fieldAdminAPIKey, a.APIKey, ValidAPIKey, problemAPIKeyShape)
	checkID(p, fieldAdminAPIKeyID, a.APIKeyID)
	checkSecret(p, fieldAdminAppKey, a.AppKey, ValidAppKey, problemAppKeyShape)
	checkID(p, fieldAdminAppKeyID, a.AppKeyID)
	checkID(p, fieldServiceAccountID, a.ServiceAccountID)
	checkSite(p, a.Site)
	return p.err()
}

// SecretString returns the JSON to store in Secrets Manager, with the key
// values revealed and unknown fields preserved. It refuses an invalid
// credential so that a bad value is never written.
func (a Admin) SecretString() (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	fields := map[string]any{
		fieldAdminAPIKey:      a.APIKey.Reveal(),
		fieldAdminAPIKeyID:    a.APIKeyID,
		fieldAdminAppKey:      a.AppKey.Reveal(),
		fieldAdminAppKeyID:    a.AppKeyID,
		fieldServiceAccountID: a.ServiceAccountID,
		fieldSite:             string(a.Site),
	}
	a.Metadata.addTo(fields)
	out, err := a.unknown.encode(fields)
	if err != nil {
		return "", fmt.Errorf("encode admin credential: %w", err)
	}
	return string(out), nil
}

// LogValue shows the ids, site and last four characters of each key, which is
// what an operator needs to tell credentials apart.
func (a Admin) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String(fieldSite, string(a.Site)),
		slog.String(fieldAdminAPIKeyID, a.APIKeyID),
		slog.String("adminApiKeyLast4", a.APIKey.Last4()),
		slog.String(fieldAdminAppKeyID, a.AppKeyID),
		slog.String("adminAppKeyLast4", a.AppKey.Last4()),
		slog.String(fieldServiceAccountID, a.ServiceAccountID),
	}
	return slog.GroupValue(append(attrs, a.Metadata.logAttrs()...)...)
}
