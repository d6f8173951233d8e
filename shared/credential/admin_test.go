package credential

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

func TestParseAdmin(t *testing.T) {
	admin, err := ParseAdmin(readFixture(t, "admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name      string
		got, want any
	}{
		{"APIKey", admin.APIKey.Reveal(), fixtureAdminAPIKey},
		{"APIKeyID", admin.APIKeyID, "9286a10e-fe08-48ba-9884-8e26e7e67695"},
		{"AppKey", admin.AppKey.Reveal(), fixtureAdminAppKey},
		{"AppKeyID", admin.AppKeyID, "e01199cd-849e-4fb8-ae34-af8b6a8cd129"},
		{"ServiceAccountID", admin.ServiceAccountID, "fbebe517-c0ed-45a9-b3c9-4377cbe04efd"},
		{"Site", admin.Site, deploy.SiteEU1},
		{"Metadata", admin.Metadata, Metadata{}},
	}
	for _, w := range want {
		if !reflect.DeepEqual(w.got, w.want) {
			t.Errorf("%s = %v, want %v", w.name, w.got, w.want)
		}
	}
}

func TestParseAdminWithMetadataAndTokenAppKey(t *testing.T) {
	admin, err := ParseAdmin(readFixture(t, "admin_with_metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := admin.AppKey.Last4(), fixtureAdminAppToken[len(fixtureAdminAppToken)-4:]; got != want {
		t.Errorf("AppKey.Last4() = %q, want %q", got, want)
	}
	wantTime := time.Date(2025, 9, 8, 9, 24, 42, 999350000, time.UTC)
	if admin.KeyName != "ddrotate-admin-4f2a9c1e" || !admin.RotatedAt.Equal(wantTime) ||
		!strings.HasSuffix(admin.ExecutionID, ":4f2a9c1e") {
		t.Errorf("Metadata = %+v", admin.Metadata)
	}
}

func TestAdminSecretStringRoundTrip(t *testing.T) {
	for _, name := range []string{"admin.json", "admin_with_metadata.json"} {
		t.Run(name, func(t *testing.T) {
			original := readFixture(t, name)
			admin, err := ParseAdmin(original)
			if err != nil {
				t.Fatal(err)
			}
			out, err := admin.SecretString()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := jsonFields(t, []byte(out)), jsonFields(t, original); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the secret:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestParseAdminRejects(t *testing.T) {
	edit := func(f func(map[string]any)) []byte { return editedFixture(t, "admin.json", f) }
	tests := []struct {
		name      string
		data      []byte
		wantField string // "" means a *JSONError
	}{
		{"not JSON", []byte("adminApiKey: " + fixtureAdminAPIKey), ""},
		{"truncated", readFixture(t, "admin.json")[:60], ""},
		{"team field names", readFixture(t, "team_api_key_only.json"), "adminApiKey"},
		{"missing adminApiKey", edit(without("adminApiKey")), "adminApiKey"},
		{"missing adminApiKeyId", edit(without("adminApiKeyId")), "adminApiKeyId"},
		{"missing adminAppKey", edit(without("adminAppKey")), "adminAppKey"},
		{"missing adminAppKeyId", edit(without("adminAppKeyId")), "adminAppKeyId"},
		{"missing serviceAccountId", edit(without("serviceAccountId")), "serviceAccountId"},
		{"missing site", edit(without("site")), "site"},
		{"adminApiKey is a list", edit(with("adminApiKey", []string{fixtureAdminAPIKey})), "adminApiKey"},
		{"adminAppKey is a boolean", edit(with("adminAppKey", true)), "adminAppKey"},
		{"adminApiKey upper-case hex", edit(with("adminApiKey", strings.ToUpper(fixtureAdminAPIKey))), "adminApiKey"},
		{"keys swapped", edit(func(f map[string]any) {
			f["adminApiKey"], f["adminAppKey"] = f["adminAppKey"], f["adminApiKey"]
		}), "adminApiKey"},
		{"adminAppKey of 39 hex", edit(with("adminAppKey", fixtureAdminAppKey[1:])), "adminAppKey"},
		{"adminAppKeyId bad UUID", edit(with("adminAppKeyId", strings.ReplaceAll("e01199cd-849e-4fb8-ae34-af8b6a8cd129", "-", ""))), "adminAppKeyId"},
		{"site foreign", edit(with("site", "datadoghq.com.evil.com")), "site"},
		{"rotatedAt a number", edit(with("rotatedAt", 1757323482)), "rotatedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAdmin(tt.data)
			checkParseError(t, err, tt.wantField)
		})
	}
}

func TestAdminSecretStringRefusesInvalid(t *testing.T) {
	admin, err := ParseAdmin(readFixture(t, "admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	admin.Site = "evil.com"
	if out, err := admin.SecretString(); err == nil || out != "" {
		t.Errorf("SecretString() with a foreign site = %q, %v; want an error", out, err)
	}
}
