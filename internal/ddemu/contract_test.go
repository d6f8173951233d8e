package ddemu

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The contract test replays every recorded interaction with an emulated
// endpoint and checks that the emulator answers with the recorded status,
// Content-Type and JSON shape. Ids created during a replay differ from the
// recorded ones, so each recorded id is mapped to the emulator's id as soon as
// a response reveals it, and substituted into later requests.

// skippedCassettes lists the cassettes that concern no emulated endpoint, and why.
var skippedCassettes = map[string]string{
	"v2/Feature_Key_Management__Create_a_personal_access_token_returns_Created_response.yaml":    reasonPAT,
	"v2/Feature_Key_Management__Get_a_personal_access_token_returns_OK_response.yaml":            reasonPAT,
	"v2/Feature_Key_Management__Get_all_personal_access_tokens_returns_OK_response.yaml":         reasonPAT,
	"v2/Feature_Key_Management__Revoke_a_personal_access_token_returns_No_Content_response.yaml": reasonPAT,
	"v2/Feature_Key_Management__Update_a_personal_access_token_returns_OK_response.yaml":         reasonPAT,

	"v2/Feature_Service_Accounts__Create_a_service_account_returns_OK_response.yaml": "roles and service account creation are not emulated: " +
		"ddrotate never creates service accounts; tests seed them (AddServiceAccount, Seed.ServiceAccounts)",

	"v2/Feature_Service_Accounts__Create_an_access_token_for_a_service_account_returns_Created_response.yaml":    reasonAccessToken,
	"v2/Feature_Service_Accounts__Get_an_access_token_for_a_service_account_returns_OK_response.yaml":            reasonAccessToken,
	"v2/Feature_Service_Accounts__List_access_tokens_for_a_service_account_returns_OK_response.yaml":             reasonAccessToken,
	"v2/Feature_Service_Accounts__Revoke_an_access_token_for_a_service_account_returns_No_Content_response.yaml": reasonAccessToken,
	"v2/Feature_Service_Accounts__Update_an_access_token_for_a_service_account_returns_OK_response.yaml":         reasonAccessToken,
}

const (
	reasonPAT         = "personal access tokens are not emulated: ddrotate rotates API and application keys only"
	reasonAccessToken = "service account access tokens are not emulated: ddrotate rotates API and application keys only"
)

// emulatedPath matches the paths the emulator must answer as Datadog does.
var emulatedPath = regexp.MustCompile(`^/api/(v1/validate|v2/validate_keys|v2/api_keys(/[^/]+)?|v2/application_keys(/[^/]+)?|v2/current_user/application_keys(/[^/]+)?|v2/service_accounts/[^/]+/application_keys(/[^/]+)?)$`)

// Given-steps outside the emulated surface, replayed by seeding instead.
var (
	givenServiceAccount = regexp.MustCompile(`^/api/v2/service_accounts$`) // POST: seed the account
	teardownUser        = regexp.MustCompile(`^/api/v2/users/[^/]+$`)      // DELETE: the scenario's cleanup
)

// deviation is a known, deliberate difference between a recording and the
// emulator. Each must be met at least once, so the list cannot go stale.
type deviation struct {
	method, pathPart string // the requests it applies to
	field            string // the field path as shapeDiff names it
	missing          bool   // the emulator omits a recorded field (else: adds one)
	reason           string
}

var knownDeviations = []deviation{
	{"GET", "/current_user/application_keys/", "data.attributes.key", true,
		"One-Time Read: recorded before Datadog stopped returning application key values after creation"},
	{"PATCH", "/current_user/application_keys/", "data.attributes.key", true,
		"One-Time Read: recorded before Datadog stopped returning application key values after creation"},
	{"", "/api_keys", "data.attributes.remote_config_read_enabled", false,
		"added by Datadog after the 2022 recordings (present in the 2025 ones)"},
	{"", "/api_keys", "data.attributes.category", false,
		"added by Datadog after the 2022 recordings (present in the 2025 ones)"},
}

func (d deviation) covers(method, path, diff string) bool {
	kind := ": extra field"
	if d.missing {
		kind = ": missing field"
	}
	return (d.method == "" || d.method == method) && strings.Contains(path, d.pathPart) && diff == d.field+kind
}

func TestContractWithRecordedDatadogResponses(t *testing.T) {
	dir := cassetteDir(t)
	auth, err := loadScenarioAuth(dir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "v*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no cassettes in %s", dir)
	}
	for skipped := range skippedCassettes {
		if !slices.Contains(names, filepath.Join(dir, skipped)) {
			t.Errorf("skip list names %s, which does not exist", skipped)
		}
	}
	used := make([]bool, len(knownDeviations))
	replayed := 0
	for _, path := range names {
		name, _ := filepath.Rel(dir, path)
		name = filepath.ToSlash(name)
		t.Run(strings.TrimSuffix(filepath.Base(name), ".yaml"), func(t *testing.T) {
			if reason, ok := skippedCassettes[name]; ok {
				t.Skip(reason)
			}
			scenario, ok := auth[filepath.FromSlash(name)]
			if !ok {
				t.Fatalf("no scenario in the .feature files produced %s", name)
			}
			c, err := loadCassette(dir, name)
			if err != nil {
				t.Fatal(err)
			}
			replayCassette(t, c, scenario, used)
			replayed++
		})
	}
	for i, d := range knownDeviations {
		if !used[i] && replayed > 0 && !t.Failed() {
			t.Errorf("known deviation %s %s %s was never met; remove it", d.method, d.pathPart, d.field)
		}
	}
}

// replayCassette replays one scenario against a fresh emulator whose caller
// holds an unscoped admin application key, like the recording client.
func replayCassette(t *testing.T, c cassette, scenario scenarioAuth, used []bool) {
	seed, admin := DefaultSeed()
	seed.AppKeys[0].Scopes = nil
	srv := New(seed)
	ids := map[string]string{} // recorded id -> emulator id

	for i, it := range c.interactions {
		u, err := url.Parse(it.url)
		if err != nil {
			t.Fatalf("interaction %d: %v", i, err)
		}
		switch {
		case it.method == "POST" && givenServiceAccount.MatchString(u.Path):
			recordedID := jsonPathString(decodeJSON(t, it.responseBody), "data", "id")
			ids[recordedID] = srv.AddServiceAccount("given service account").ID
			continue
		case it.method == "DELETE" && teardownUser.MatchString(u.Path):
			continue
		case !emulatedPath.MatchString(u.Path):
			t.Fatalf("interaction %d: %s %s is neither emulated nor a known given-step", i, it.method, u.Path)
		}

		target := substitute(u.RequestURI(), ids)
		req := httptest.NewRequest(it.method, target, strings.NewReader(substitute(it.requestBody, ids)))
		req.Header.Set("Accept", "application/json")
		if it.requestBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if scenario.apiKey {
			req.Header.Set(HeaderAPIKey, admin.APIKey)
		}
		if scenario.appKey {
			req.Header.Set(HeaderAppKey, admin.AppKey)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)

		where := it.method + " " + u.Path
		if rec.Code != it.status {
			t.Errorf("interaction %d %s: status %d, recorded %d (body %s)", i, where, rec.Code, it.status, rec.Body.Bytes())
			continue
		}
		if strings.TrimSpace(it.responseBody) == "" {
			if rec.Body.Len() != 0 {
				t.Errorf("interaction %d %s: recorded no body, emulator sent %s", i, where, rec.Body.Bytes())
			}
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != it.contentType {
			t.Errorf("interaction %d %s: Content-Type %q, recorded %q", i, where, got, it.contentType)
		}
		recorded, actual := decodeJSON(t, it.responseBody), decodeJSON(t, rec.Body.String())
		for _, diff := range shapeDiff(recorded, actual, "") {
			if j := slices.IndexFunc(knownDeviations, func(d deviation) bool { return d.covers(it.method, u.Path, diff) }); j >= 0 {
				used[j] = true
				continue
			}
			t.Errorf("interaction %d %s: %s", i, where, diff)
		}
		if want := errorMessages(recorded); want != nil && !slices.Equal(errorMessages(actual), want) {
			t.Errorf("interaction %d %s: errors %q, recorded %q", i, where, errorMessages(actual), want)
		}
		if recordedID := jsonPathString(recorded, "data", "id"); recordedID != "" {
			ids[recordedID] = jsonPathString(actual, "data", "id")
		}
	}
}

func substitute(s string, ids map[string]string) string {
	for recorded, emulated := range ids {
		s = strings.ReplaceAll(s, recorded, emulated)
	}
	return s
}

func decodeJSON(t *testing.T, body string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return v
}

// errorMessages returns the messages of a Datadog error body, nil for other
// bodies. Clients match on them (e.g. "not found"), so they must be exact.
func errorMessages(body any) []string {
	obj, _ := body.(map[string]any)
	list, ok := obj["errors"].([]any)
	if !ok {
		return nil
	}
	msgs := []string{}
	for _, m := range list {
		s, _ := m.(string)
		msgs = append(msgs, s)
	}
	return msgs
}

func jsonPathString(v any, keys ...string) string {
	for _, k := range keys {
		obj, _ := v.(map[string]any)
		v = obj[k]
	}
	s, _ := v.(string)
	return s
}

// TestContractCoversEveryEmulatedOperation guards against a cassette folder
// that silently stops exercising an operation.
func TestContractCoversEveryEmulatedOperation(t *testing.T) {
	dir := cassetteDir(t)
	seen := map[string]bool{}
	mux := New(Seed{}).newMux()
	names, _ := filepath.Glob(filepath.Join(dir, "v*", "*.yaml"))
	for _, path := range names {
		name, _ := filepath.Rel(dir, path)
		if _, skipped := skippedCassettes[filepath.ToSlash(name)]; skipped {
			continue
		}
		c, err := loadCassette(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range c.interactions {
			req := httptest.NewRequest(it.method, it.url, nil)
			_, pattern := mux.Handler(req)
			seen[pattern] = true
		}
	}
	var missing []string
	for _, ep := range endpoints() {
		if !seen[ep.pattern] {
			missing = append(missing, ep.op)
		}
	}
	slices.Sort(missing)
	// No recording exercises these; their answers follow the nearest
	// recorded sibling route, and the unit tests pin them down.
	want := []string{ValidateKeys}
	if !slices.Equal(missing, want) {
		t.Errorf("operations without a recorded interaction = %q, want exactly %q", missing, want)
	}
}
