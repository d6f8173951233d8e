package credential

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/internal/testkeys"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

func TestParseTeamWithAppKey(t *testing.T) {
	team, err := ParseTeam(readFixture(t, "team_with_app_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"APIKey", team.APIKey.Reveal(), fixtureTeamAPIKey},
		{"APIKeyID", team.APIKeyID, "2f1ff7ed-ab88-4c56-9d6b-8e1b8b3e8c44"},
		{"Site", team.Site, deploy.SiteAP1},
		{"AppKey", team.AppKey.Reveal(), fixtureTeamAppKey},
		{"AppKeyID", team.AppKeyID, "7a1b9c3d-5e6f-4a0b-8c2d-1e3f5a7b9c0d"},
		{"ServiceAccountID", team.ServiceAccountID, "fbebe517-c0ed-45a9-b3c9-4377cbe04efd"},
		{"Scopes", team.Scopes, []string{"dashboards_read", "metrics_read"}},
		{"HasAppKey", team.HasAppKey(), true},
		{"KeyName", team.KeyName, "ddrotate-payments-4f2a9c1e"},
		{"RotatedAt", team.RotatedAt.UTC(), time.Date(2025, 9, 8, 7, 24, 42, 0, time.UTC)},
		{"ExecutionID", team.ExecutionID, "arn:aws:states:eu-west-1:123456789012:execution:ddrotate:4f2a9c1e"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseTeamAPIKeyOnly(t *testing.T) {
	team, err := ParseTeam(readFixture(t, "team_api_key_only.json"))
	if err != nil {
		t.Fatal(err)
	}
	if team.HasAppKey() || team.AppKeyID != "" || team.Scopes != nil {
		t.Errorf("team without an application key parsed as having one: %+v", team)
	}
	if !team.RotatedAt.IsZero() || team.KeyName != "" {
		t.Errorf("metadata set on a secret that has none: %+v", team.Metadata)
	}
}

func TestTeamSecretStringRoundTrip(t *testing.T) {
	for _, name := range []string{"team_with_app_key.json", "team_api_key_only.json"} {
		t.Run(name, func(t *testing.T) {
			original := readFixture(t, name)
			team, err := ParseTeam(original)
			if err != nil {
				t.Fatal(err)
			}
			out, err := team.SecretString()
			if err != nil {
				t.Fatal(err)
			}
			got, want := jsonFields(t, []byte(out)), jsonFields(t, original)
			// A secret put by hand may lack dd_api_key; it is written from apiKey.
			want[FieldLambdaExtensionAPIKey] = want["apiKey"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the secret:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestTeamSecretStringAfterRotation(t *testing.T) {
	team, err := ParseTeam(readFixture(t, "team_with_app_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	newAPIKey := testkeys.APIKey("credential rotated team")
	team.APIKey = NewSecret(newAPIKey)
	team.APIKeyID = "11111111-2222-4333-8444-555555555555"
	team.RotatedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	out, err := team.SecretString()
	if err != nil {
		t.Fatal(err)
	}
	fields := jsonFields(t, []byte(out))
	if fields["apiKey"] != newAPIKey || fields["apiKeyId"] != team.APIKeyID {
		t.Errorf("new key not written: apiKeyId %v", fields["apiKeyId"])
	}
	if fields[FieldLambdaExtensionAPIKey] != newAPIKey {
		t.Error("dd_api_key does not hold the new API key: the Datadog Lambda Extension would read the old one")
	}
	if fields["rotatedAt"] != "2026-01-02T03:04:05Z" {
		t.Errorf("rotatedAt = %v", fields["rotatedAt"])
	}
	if fields["ticket"] != 4711.0 || fields["team"] == nil {
		t.Errorf("unknown fields lost: %v", fields)
	}
	again, err := ParseTeam([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !again.APIKey.Equal(team.APIKey) || !again.AppKey.Equal(team.AppKey) {
		t.Error("written secret does not parse back to the same keys")
	}
}

func TestTeamSecretStringRefusesInvalid(t *testing.T) {
	team := Team{APIKey: NewSecret(fixtureTeamAPIKey), Site: deploy.SiteUS1}
	out, err := team.SecretString()
	if err == nil || out != "" {
		t.Fatalf("SecretString() = %q, %v; want an error", out, err)
	}
	if !strings.Contains(err.Error(), `field "apiKeyId"`) {
		t.Errorf("error %q does not name apiKeyId", err)
	}
}

func TestTeamBuiltInCodeValidates(t *testing.T) {
	team := Team{
		APIKey:   NewSecret(fixtureTeamAPIKey),
		APIKeyID: "2f1ff7ed-ab88-4c56-9d6b-8e1b8b3e8c44",
		Site:     deploy.SiteUS3,
	}
	out, err := team.SecretString()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiKey":"` + fixtureTeamAPIKey + `","apiKeyId":"2f1ff7ed-ab88-4c56-9d6b-8e1b8b3e8c44","dd_api_key":"` + fixtureTeamAPIKey + `","site":"` + string(deploy.SiteUS3) + `"}`
	if out != want {
		t.Errorf("SecretString() =\n%s\nwant\n%s", out, want)
	}
}

func TestParseTeamRejects(t *testing.T) {
	const fixture = "team_with_app_key.json"
	edit := func(f func(map[string]any)) []byte { return editedFixture(t, fixture, f) }
	valid := readFixture(t, fixture)
	tests := []struct {
		name      string
		data      []byte
		wantField string // "" means a *JSONError
	}{
		{"not JSON", []byte("apiKey=" + fixtureTeamAPIKey), ""},
		{"empty", nil, ""},
		{"truncated", valid[:len(valid)/2], ""},
		{"array", []byte(`["` + fixtureTeamAPIKey + `"]`), ""},
		{"string", []byte(`"` + fixtureTeamAPIKey + `"`), ""},
		{"null", []byte(`null`), ""},
		{"control character in a key value", []byte("{\"apiKey\": \"" + fixtureTeamAPIKey + "\x01\"}"), ""},
		{"apiKey is a number", edit(with("apiKey", 12345)), "apiKey"},
		{"apiKey is an object", edit(with("apiKey", map[string]any{"value": fixtureTeamAPIKey})), "apiKey"},
		{"scopes is a string", edit(with("scopes", "dashboards_read")), "scopes"},
		{"keyName is a number", edit(with("keyName", 7)), "keyName"},
		{"missing apiKey", edit(without("apiKey")), "apiKey"},
		{"null apiKey", edit(with("apiKey", nil)), "apiKey"},
		{"missing apiKeyId", edit(without("apiKeyId")), "apiKeyId"},
		{"missing site", edit(without("site")), "site"},
		{"apiKey upper-case hex", edit(with("apiKey", strings.ToUpper(fixtureTeamAPIKey))), "apiKey"},
		{"apiKey too short", edit(with("apiKey", fixtureTeamAPIKey[1:])), "apiKey"},
		{"apiKey with trailing newline", edit(with("apiKey", fixtureTeamAPIKey+"\n")), "apiKey"},
		{"application key in apiKey", edit(with("apiKey", fixtureTeamAppKey)), "apiKey"},
		{"apiKeyId not a UUID", edit(with("apiKeyId", "2f1ff7ed-ab88-4c56-9d6b")), "apiKeyId"},
		{"apiKeyId upper-case UUID", edit(with("apiKeyId", "2F1FF7ED-AB88-4C56-9D6B-8E1B8B3E8C44")), "apiKeyId"},
		{"unknown site", edit(with("site", "us4.datadoghq.com")), "site"},
		{"foreign site", edit(with("site", "evil.com")), "site"},
		{"site as URL", edit(with("site", "https://api.datadoghq.com")), "site"},
		{"appKey bad shape", edit(with("appKey", fixtureTeamAPIKey)), "appKey"},
		{"appKey without appKeyId", edit(without("appKeyId")), "appKeyId"},
		{"appKey without serviceAccountId", edit(without("serviceAccountId")), "serviceAccountId"},
		{"appKeyId without appKey", edit(without("appKey")), "appKeyId"},
		{"scopes without appKey", edit(without("appKey", "appKeyId", "serviceAccountId")), "scopes"},
		{"serviceAccountId not a UUID", edit(with("serviceAccountId", "svc-payments")), "serviceAccountId"},
		{"scope with a space", edit(with("scopes", []string{"dashboards_read", "metrics read"})), "scopes"},
		{"empty scope", edit(with("scopes", []string{""})), "scopes"},
		{"rotatedAt not RFC 3339", edit(with("rotatedAt", "08/09/2025")), "rotatedAt"},
		{"dd_api_key another key", edit(with(FieldLambdaExtensionAPIKey, testkeys.APIKey("credential other key"))), FieldLambdaExtensionAPIKey},
		{"dd_api_key a number", edit(with(FieldLambdaExtensionAPIKey, 7)), FieldLambdaExtensionAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTeam(tt.data)
			checkParseError(t, err, tt.wantField)
		})
	}
}

// checkParseError asserts that err names wantField (or is a *JSONError when
// wantField is empty) and shows no key value.
func checkParseError(t *testing.T, err error, wantField string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, key := range []string{fixtureTeamAPIKey, fixtureTeamAppKey, fixtureAdminAPIKey, fixtureAdminAppKey} {
		if strings.Contains(strings.ToLower(msg), key[:8]) {
			t.Errorf("error %q shows a key", msg)
		}
	}
	if wantField == "" {
		var jsonErr *JSONError
		if !errors.As(err, &jsonErr) {
			t.Fatalf("error %q (%T) is not a *JSONError", msg, err)
		}
		if strings.ContainsAny(msg, `'"`) {
			t.Errorf("error %q quotes its input", msg)
		}
		return
	}
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("error %q (%T) is not an *InvalidError", msg, err)
	}
	named := slices.ContainsFunc(invalid.Problems, func(p *FieldError) bool { return p.Field == wantField })
	if !named || !strings.Contains(msg, `field "`+wantField+`"`) {
		t.Errorf("error %q does not name field %q", msg, wantField)
	}
}

func TestJSONErrorCarriesOffset(t *testing.T) {
	data := []byte(`{"apiKey": "` + fixtureTeamAPIKey + `" "site"}`)
	_, err := ParseTeam(data)
	var jsonErr *JSONError
	if !errors.As(err, &jsonErr) {
		t.Fatalf("error %v is not a *JSONError", err)
	}
	if want := int64(strings.Index(string(data), ` "site"`) + 2); jsonErr.Offset != want {
		t.Errorf("Offset = %d, want %d", jsonErr.Offset, want)
	}
	if want := "team credential is not valid JSON (at byte offset 47)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestParseTeamReportsEveryProblem(t *testing.T) {
	_, err := ParseTeam([]byte(`{"apiKey": "nope", "site": "evil.com"}`))
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("error %v is not an *InvalidError", err)
	}
	var fields []string
	for _, p := range invalid.Problems {
		fields = append(fields, p.Field)
	}
	if want := []string{"apiKey", "apiKeyId", "site"}; !slices.Equal(fields, want) {
		t.Errorf("problems name %v, want %v", fields, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "apiKey" {
		t.Errorf("errors.As found %v, want the apiKey problem first", fe)
	}
	want := `invalid team credential: field "apiKey": must be 32 lowercase hex characters; ` +
		`field "apiKeyId": is required; field "site": ` + siteProblem
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
}
