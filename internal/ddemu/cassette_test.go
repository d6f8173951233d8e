package ddemu

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Cassettes are the recorded Datadog interactions (go-vcr, format version 2)
// that the contract test replays against the emulator.

// cassetteDirEnv overrides where the cassettes are; by default they sit in the
// shared folder beside the repository checkout.
const (
	cassetteDirEnv        = "DDROTATE_CASSETTES"
	allowMissingCassettes = "DDROTATE_ALLOW_MISSING_CASSETTES"
	defaultCassetteDir    = "../../../shared/datadog-cassettes"
)

type cassette struct {
	name         string // path relative to the cassette folder, e.g. v2/Feature_...yaml
	interactions []interaction
}

type interaction struct {
	method, url, requestBody string
	status                   int
	contentType              string
	responseBody             string
}

// cassetteDir returns the cassette folder, failing the test when it is
// missing unless DDROTATE_ALLOW_MISSING_CASSETTES=1 allows a skip.
func cassetteDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(cassetteDirEnv)
	if dir == "" {
		dir = defaultCassetteDir
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		if os.Getenv(allowMissingCassettes) == "1" {
			t.Skipf("cassette folder %s is missing and %s=1", dir, allowMissingCassettes)
		}
		t.Fatalf("cassette folder %s is missing (set %s, or %s=1 to skip)", dir, cassetteDirEnv, allowMissingCassettes)
	}
	return dir
}

func loadCassette(dir, name string) (cassette, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return cassette{}, err
	}
	doc, err := parseYAML(string(data))
	if err != nil {
		return cassette{}, fmt.Errorf("%s: %w", name, err)
	}
	root, _ := doc.(map[string]any)
	if root["version"] != "2" {
		return cassette{}, fmt.Errorf("%s: cassette format version %v, want 2", name, root["version"])
	}
	items, _ := root["interactions"].([]any)
	c := cassette{name: name}
	for i, item := range items {
		it, err := decodeInteraction(item)
		if err != nil {
			return cassette{}, fmt.Errorf("%s: interaction %d: %w", name, i, err)
		}
		c.interactions = append(c.interactions, it)
	}
	return c, nil
}

func decodeInteraction(item any) (interaction, error) {
	obj, _ := item.(map[string]any)
	req, _ := obj["request"].(map[string]any)
	resp, _ := obj["response"].(map[string]any)
	if req == nil || resp == nil {
		return interaction{}, fmt.Errorf("missing request or response")
	}
	status, err := strconv.Atoi(fmt.Sprint(resp["code"]))
	if err != nil {
		return interaction{}, fmt.Errorf("response code: %w", err)
	}
	it := interaction{
		method:       fmt.Sprint(req["method"]),
		url:          fmt.Sprint(req["url"]),
		requestBody:  stringOrEmpty(req["body"]),
		status:       status,
		responseBody: stringOrEmpty(resp["body"]),
	}
	if headers, ok := resp["headers"].(map[string]any); ok {
		if values, ok := headers["Content-Type"].([]any); ok && len(values) > 0 {
			it.contentType = fmt.Sprint(values[0])
		}
	}
	return it, nil
}

func stringOrEmpty(v any) string {
	s, _ := v.(string)
	return s
}

// scenarioAuth is which keys a recorded scenario sent, from its given-steps.
type scenarioAuth struct{ apiKey, appKey bool }

// loadScenarioAuth reads the .feature files of the cassette folder and returns,
// per cassette name, the keys its scenario was given. go-vcr names a cassette
// after its feature and scenario: Feature_<feature>__<scenario>.yaml, with
// spaces as underscores and quotes dropped.
func loadScenarioAuth(dir string) (map[string]scenarioAuth, error) {
	features, err := filepath.Glob(filepath.Join(dir, "*", "*.feature"))
	if err != nil {
		return nil, err
	}
	out := map[string]scenarioAuth{}
	for _, path := range features {
		if err := readFeature(dir, path, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readFeature(dir, path string, out map[string]scenarioAuth) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rel, err := filepath.Rel(dir, filepath.Dir(path))
	if err != nil {
		return err
	}
	const apiStep, appStep = `a valid "apiKeyAuth" key in the system`, `a valid "appKeyAuth" key in the system`
	var feature, scenario string
	var background, current scenarioAuth
	inBackground := false
	flush := func() {
		if scenario != "" {
			out[filepath.Join(rel, cassetteFileName(feature, scenario))] = current
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Feature:"):
			feature = strings.TrimSpace(strings.TrimPrefix(line, "Feature:"))
		case strings.HasPrefix(line, "Background:"):
			inBackground = true
		case strings.HasPrefix(line, "Scenario:"):
			flush()
			inBackground = false
			scenario = strings.TrimSpace(strings.TrimPrefix(line, "Scenario:"))
			current = background
		case strings.HasSuffix(line, apiStep) || strings.HasSuffix(line, appStep):
			target := &current
			if inBackground {
				target = &background
			}
			if strings.HasSuffix(line, apiStep) {
				target.apiKey = true
			} else {
				target.appKey = true
			}
		}
	}
	flush()
	return sc.Err()
}

func cassetteFileName(feature, scenario string) string {
	clean := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, `"`, ""), " ", "_")
	}
	return "Feature_" + clean(feature) + "__" + clean(scenario) + ".yaml"
}

func TestCassetteFileName(t *testing.T) {
	got := cassetteFileName("Key Management", `Get API key returns "Not Found" response`)
	if want := "Feature_Key_Management__Get_API_key_returns_Not_Found_response.yaml"; got != want {
		t.Errorf("cassetteFileName = %q, want %q", got, want)
	}
}

func TestReadFeatureGivenKeys(t *testing.T) {
	dir := t.TempDir()
	feature := `Feature: Authentication
  Background:
    Given an instance of "Authentication" API

  Scenario: Validate returns "Forbidden" response
    When the request is sent

  Scenario: Validate returns "OK" response
    Given a valid "apiKeyAuth" key in the system
    When the request is sent
`
	if err := os.MkdirAll(filepath.Join(dir, "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "v1", "a.feature"), []byte(feature), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := loadScenarioAuth(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]scenarioAuth{
		filepath.Join("v1", "Feature_Authentication__Validate_returns_Forbidden_response.yaml"): {},
		filepath.Join("v1", "Feature_Authentication__Validate_returns_OK_response.yaml"):        {apiKey: true},
	}
	if len(got) != len(want) {
		t.Fatalf("scenarios = %v, want %v", got, want)
	}
	for name, auth := range want {
		if got[name] != auth {
			t.Errorf("%s: auth = %+v, want %+v", name, got[name], auth)
		}
	}
}
