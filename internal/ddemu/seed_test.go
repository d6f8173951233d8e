package ddemu

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

// Key values of the admin in testdata/seed.json, generated at run time so that
// no key-shaped string is committed.
var (
	seedAPIKey = testkeys.APIKey("ddemu seed admin")
	seedAppKey = testkeys.AppKey("ddemu seed admin")
)

// exampleSeedPath writes testdata/seed.json, with its key placeholders
// replaced, to a temporary directory and returns the copy's path. The
// placeholders are:
//
//	${API_KEY}  seedAPIKey, the admin API key
//	${APP_KEY}  seedAppKey, the admin application key
func exampleSeedPath(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.NewReplacer("${API_KEY}", seedAPIKey, "${APP_KEY}", seedAppKey).Replace(string(data)))
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadSeedExample(t *testing.T) {
	seed, err := LoadSeed(exampleSeedPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if seed.OrgName != "acme-staging" || seed.MaxAPIKeys != 50 || len(seed.ServiceAccounts) != 2 {
		t.Fatalf("seed = %+v", seed)
	}
	if seed.AppKeys[1].Scopes != nil {
		t.Errorf("null scopes loaded as %q, want nil (unscoped)", seed.AppKeys[1].Scopes)
	}

	srv := New(seed)
	if srv.OrgName() != "acme-staging" {
		t.Errorf("OrgName = %q", srv.OrgName())
	}
	h := &harness{t: t, srv: srv, admin: Admin{
		APIKey: seedAPIKey,
		AppKey: seedAppKey,
	}}
	list := h.do("GET", "/api/v2/api_keys", nil).mustStatus(t, http.StatusOK)
	if got := names(list); !slices.Equal(got, []string{"ddrotate-admin", "payments-prod"}) {
		t.Errorf("API keys = %q", got)
	}
	if list.path("meta", "max_allowed") != float64(50) {
		t.Errorf("max_allowed = %v, want the seeded 50", list.path("meta", "max_allowed"))
	}
	generated := srv.APIKeys()[1]
	if !isLowerHex(generated.Key, 32) || generated.ID == "" {
		t.Errorf("generated API key = %v, want a fresh id and 32-hex value", generated)
	}
	appKeys := srv.AppKeys()
	if appKeys[1].Scopes != nil || !isLowerHex(appKeys[1].Key, 40) {
		t.Errorf("generated app key = %v", appKeys[1])
	}
	// The seeded admin key is scoped: it may not manage current-user keys.
	h.do("GET", "/api/v2/current_user/application_keys", nil).mustStatus(t, http.StatusForbidden)
}

func TestLoadSeedRejects(t *testing.T) {
	secret := testkeys.APIKey("ddemu seed duplicate")
	tests := []struct {
		name, json, wantErr string
	}{
		{"unknown field", `{"organisation":"x"}`, "unknown field"},
		{"not JSON", `{`, "parse seed"},
		{"duplicate id", `{"serviceAccounts":[{"id":"a","name":"x"}],"apiKeys":[{"id":"a","name":"y"}]}`, `id "a" is used twice`},
		{"short API key", `{"apiKeys":[{"name":"x","key":"abc"}]}`, "32 lowercase hex"},
		{"uppercase app key", `{"appKeys":[{"name":"x","ownerId":"o","key":"` + strings.ToUpper(testkeys.AppKey("ddemu seed uppercase")) + `"}]}`, "40 lowercase hex"},
		{"same value twice", `{"apiKeys":[{"name":"x","key":"` + secret + `"},{"name":"y","key":"` + secret + `"}]}`, "used twice"},
		{"app key without owner", `{"appKeys":[{"name":"x"}]}`, "ownerId is required"},
		{"over the cap", `{"maxApiKeys":1,"apiKeys":[{"name":"x"},{"name":"y"}]}`, "exceed the org cap"},
		{"nameless service account", `{"serviceAccounts":[{"id":"a"}]}`, "name is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seed.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSeed(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Error("the error quotes a key value")
			}
		})
	}
	if _, err := LoadSeed(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestNewPanicsOnInvalidSeedWithoutValues(t *testing.T) {
	value := testkeys.APIKey("ddemu seed duplicate")
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "used twice") || strings.Contains(msg, value) {
			t.Errorf("panic = %q, want a duplicate-value message without the value", msg)
		}
	}()
	New(Seed{APIKeys: []SeedAPIKey{{Name: "a", Key: value}, {Name: "b", Key: value}}})
}

func TestDefaultSeedAdmin(t *testing.T) {
	seed, admin := DefaultSeed()
	srv := New(seed)
	if !srv.APIKeyValid(admin.APIKey) || !srv.AppKeyValid(admin.AppKey) {
		t.Fatal("the admin keys do not validate")
	}
	keys := srv.AppKeys()
	if len(keys) != 1 || keys[0].ID != admin.AppKeyID || keys[0].OwnerID != admin.ServiceAccountID {
		t.Fatalf("app keys = %v", keys)
	}
	if !slices.Equal(keys[0].Scopes, AdminScopes) {
		t.Errorf("admin scopes = %q, want %q", keys[0].Scopes, AdminScopes)
	}
	if sas := srv.ServiceAccounts(); len(sas) != 1 || sas[0].Name != "ddrotate" || sas[0].ID != admin.ServiceAccountID {
		t.Errorf("service accounts = %+v", sas)
	}
	if _, other := DefaultSeed(); other.APIKey == admin.APIKey || other.AppKey == admin.AppKey {
		t.Error("two DefaultSeed calls share key values")
	}
}
