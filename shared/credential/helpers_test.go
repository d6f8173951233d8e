package credential

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Key values in the fixtures under testdata.
const (
	fixtureAdminAPIKey = "0123456789abcdef0123456789ab1a2b"
	fixtureAdminAppKey = "fedcba9876543210fedcba9876543210fedc3c4d"
	fixtureTeamAPIKey  = "aaaabbbbccccddddeeeeffff00001111"
	fixtureTeamAppKey  = "1111222233334444555566667777888899990000"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
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
