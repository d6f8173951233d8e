package credential

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

// Key values in the fixtures under testdata, generated at run time so that no
// key-shaped string is committed.
var (
	fixtureAdminAPIKey   = testkeys.APIKey("credential admin")
	fixtureAdminAppKey   = testkeys.AppKey("credential admin")
	fixtureAdminAppToken = testkeys.AppToken("credential admin")
	fixtureTeamAPIKey    = testkeys.APIKey("credential team")
	fixtureTeamAppKey    = testkeys.AppKey("credential team")
)

// fixtureKeys replaces the placeholders that the fixtures under testdata hold
// in place of keys:
//
//	${ADMIN_API_KEY}    fixtureAdminAPIKey
//	${ADMIN_APP_KEY}    fixtureAdminAppKey
//	${ADMIN_APP_TOKEN}  fixtureAdminAppToken (a "ddapp_" application key)
//	${TEAM_API_KEY}     fixtureTeamAPIKey
//	${TEAM_APP_KEY}     fixtureTeamAppKey
var fixtureKeys = strings.NewReplacer(
	"${ADMIN_API_KEY}", fixtureAdminAPIKey,
	"${ADMIN_APP_KEY}", fixtureAdminAppKey,
	"${ADMIN_APP_TOKEN}", fixtureAdminAppToken,
	"${TEAM_API_KEY}", fixtureTeamAPIKey,
	"${TEAM_APP_KEY}", fixtureTeamAppKey,
)

// readFixture returns the named file under testdata with its key placeholders
// (see fixtureKeys) replaced by generated keys.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(fixtureKeys.Replace(string(data)))
}

// editedFixture returns the named fixture with edit applied to its fields.
func editedFixture(t testing.TB, name string, edit func(fields map[string]any)) []byte {
	t.Helper()
	fields := jsonFields(t, readFixture(t, name))
	edit(fields)
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func jsonFields(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	return fields
}

func without(names ...string) func(map[string]any) {
	return func(fields map[string]any) {
		for _, name := range names {
			delete(fields, name)
		}
	}
}

func with(name string, value any) func(map[string]any) {
	return func(fields map[string]any) { fields[name] = value }
}
