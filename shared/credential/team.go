package credential

import (
	"fmt"
	"log/slog"
	"slices"
)

// Team is the credential of one rotation target: an API key and, where the
// target has one, a service-account application key with its scopes. The
// application key fields come as a group: AppKey, AppKeyID and
// ServiceAccountID are all set or all empty, because rotating an application
// key means creating its successor for the same service account.
type Team struct {
	APIKey   Secret // apiKey
	APIKeyID string // apiKeyId
	Site     Site   // site

	AppKey           Secret   // appKey, optional
	AppKeyID         string   // appKeyId, required with AppKey
	ServiceAccountID string   // serviceAccountId, required with AppKey: the key's owner
	Scopes           []string // scopes of AppKey; nil means unscoped (the owner's permissions)

	Metadata

	unknown unknownFields
}

// FieldLambdaExtensionAPIKey is the field in which the Datadog Lambda
// Extension (DD_API_KEY_SECRET_ARN, from its v96) looks for the API key in a
// JSON secret; the name is fixed by the Extension. A team secret carries the
// API key there too, so that the Extension reads it unchanged.
const FieldLambdaExtensionAPIKey = "dd_api_key"

const (
	fieldAPIKey           = "apiKey"
	fieldAPIKeyID         = "apiKeyId"
	fieldAppKey           = "appKey"
	fieldAppKeyID         = "appKeyId"
	fieldScopes           = "scopes"
	credentialKindTeam    = "team"
	problemOnlyWithAppKey = "is only allowed with appKey"
	problemMirrorsAPIKey  = "must be the same key as apiKey (it is apiKey again, for the Datadog Lambda Extension)"
)

// ParseTeam decodes and validates a team secret. Fields it does not know are
// kept and written back by [Team.SecretString].
func ParseTeam(data []byte) (Team, error) {
	o, err := decodeObject(credentialKindTeam, data)
	if err != nil {
		return Team{}, err
	}
	t := Team{
		APIKey:           NewSecret(o.text(fieldAPIKey)),
		APIKeyID:         o.text(fieldAPIKeyID),
		Site:             Site(o.text(fieldSite)),
		AppKey:           NewSecret(o.text(fieldAppKey)),
		AppKeyID:         o.text(fieldAppKeyID),
		ServiceAccountID: o.text(fieldServiceAccountID),
		Scopes:           o.list(fieldScopes),
		Metadata:         readMetadata(o),
	}
	// dd_api_key is derived from apiKey, never a second source: a secret put
	// by hand may lack it, but one that disagrees is refused rather than
	// rotated, since a consumer reading it would hold another key. While
	// apiKey itself is wrong, that is the problem to report.
	if mirror := o.text(FieldLambdaExtensionAPIKey); mirror != "" && mirror != t.APIKey.Reveal() && ValidAPIKey(t.APIKey.Reveal()) {
		o.problems.add(FieldLambdaExtensionAPIKey, problemMirrorsAPIKey)
	}
	t.unknown, err = o.rest()
	if err != nil {
		return Team{}, err
	}
	if err := o.problems.err(); err != nil {
		return Team{}, err
	}
	if err := t.Validate(); err != nil {
		return Team{}, err
	}
	return t, nil
}

// HasAppKey reports whether the target has an application key to rotate.
func (t Team) HasAppKey() bool { return !t.AppKey.IsZero() }

// Validate reports every field that is missing, malformed or set without
// the rest of its group, as an *InvalidError, or nil.
func (t Team) Validate() error {
	p := &problems{credential: credentialKindTeam}
	checkSecret(p, fieldAPIKey, t.APIKey, ValidAPIKey, problemAPIKeyShape)
	checkID(p, fieldAPIKeyID, t.APIKeyID)
	checkSite(p, t.Site)
	if t.HasAppKey() {
		checkSecret(p, fieldAppKey, t.AppKey, ValidAppKey, problemAppKeyShape)
		checkID(p, fieldAppKeyID, t.AppKeyID)
		checkID(p, fieldServiceAccountID, t.ServiceAccountID)
		if slices.ContainsFunc(t.Scopes, func(s string) bool { return !validScope(s) }) {
			p.add(fieldScopes, problemScopeShape)
		}
		return p.err()
	}
	if t.AppKeyID != "" {
		p.add(fieldAppKeyID, problemOnlyWithAppKey)
	}
	if t.ServiceAccountID != "" {
		p.add(fieldServiceAccountID, problemOnlyWithAppKey)
	}
	if len(t.Scopes) > 0 {
		p.add(fieldScopes, problemOnlyWithAppKey)
	}
	return p.err()
}

// SecretString returns the JSON to store in Secrets Manager, with the key
// values revealed and unknown fields preserved. It refuses an invalid
// credential so that a bad value is never written.
func (t Team) SecretString() (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	fields := map[string]any{
		fieldAPIKey:                t.APIKey.Reveal(),
		FieldLambdaExtensionAPIKey: t.APIKey.Reveal(),
		fieldAPIKeyID:              t.APIKeyID,
		fieldSite:                  string(t.Site),
	}
	if t.HasAppKey() {
		fields[fieldAppKey] = t.AppKey.Reveal()
		fields[fieldAppKeyID] = t.AppKeyID
		fields[fieldServiceAccountID] = t.ServiceAccountID
	}
	if t.Scopes != nil {
		fields[fieldScopes] = t.Scopes
	}
	t.Metadata.addTo(fields)
	out, err := t.unknown.encode(fields)
	if err != nil {
		return "", fmt.Errorf("encode team credential: %w", err)
	}
	return string(out), nil
}

// LogValue shows the ids, site, scopes and last four characters of each key,
// which is what an operator needs to tell credentials apart.
func (t Team) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String(fieldSite, string(t.Site)),
		slog.String(fieldAPIKeyID, t.APIKeyID),
		slog.String("apiKeyLast4", t.APIKey.Last4()),
	}
	if t.HasAppKey() {
		attrs = append(attrs,
			slog.String(fieldAppKeyID, t.AppKeyID),
			slog.String("appKeyLast4", t.AppKey.Last4()),
			slog.String(fieldServiceAccountID, t.ServiceAccountID),
			slog.Any(fieldScopes, t.Scopes),
		)
	}
	return slog.GroupValue(append(attrs, t.Metadata.logAttrs()...)...)
}
