package credential

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// A key kept in a field that ddrotate does not model; it must not leak either.
var unknownFieldKey = testkeys.APIKey("credential unknown field")

// rotationError stands for an error type elsewhere in the project that
// carries a credential, exported or not.
type rotationError struct {
	Target string
	Team   Team
	admin  Admin
}

func (e *rotationError) Error() string { return fmt.Sprintf("rotate %s: %v", e.Target, e.Team) }

// leakSubjects are the values the test prints: credentials alone, behind
// pointers, in collections, in exported and unexported struct fields, and
// inside errors.
func leakSubjects(t *testing.T) map[string]any {
	admin, err := ParseAdmin(readFixture(t, "admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	team, err := ParseTeam(editedFixture(t, "team_with_app_key.json", with("previousApiKey", unknownFieldKey)))
	if err != nil {
		t.Fatal(err)
	}
	secret := team.APIKey
	wrapped := &rotationError{Target: "payments", Team: team, admin: admin}
	return map[string]any{
		"Secret":                   secret,
		"*Secret":                  &secret,
		"[]Secret":                 []Secret{team.APIKey, team.AppKey},
		"map[string]Secret":        map[string]Secret{"key": secret},
		"map[Secret]string":        map[Secret]string{secret: "key"},
		"Admin":                    admin,
		"*Admin":                   &admin,
		"Team":                     team,
		"*Team":                    &team,
		"exported Team field":      struct{ Team Team }{team},
		"unexported Secret field":  struct{ key Secret }{secret},
		"unexported Admin field":   struct{ admin Admin }{admin},
		"unexported Team field":    struct{ team *Team }{&team},
		"error with a credential":  wrapped,
		"fmt.Errorf wrapping":      fmt.Errorf("store: %w", wrapped),
		"errors.Join":              errors.Join(errors.New("rollback"), wrapped),
		"error formatted with %+v": fmt.Errorf("create: %+v", admin),
	}
}

// leakedKey returns the key that out shows, in plain text or in an encoding
// that fmt or encoding/json could produce, or "" if it shows none.
func leakedKey(out string) string {
	lower := strings.ToLower(out)
	for _, key := range []string{fixtureAdminAPIKey, fixtureAdminAppKey, fixtureTeamAPIKey, fixtureTeamAppKey, unknownFieldKey} {
		head := []byte(key[:9])
		encodings := []string{
			key[:9],
			hex.EncodeToString(head),
			strings.Trim(fmt.Sprint(head), "[]"),
			base64.StdEncoding.EncodeToString(head),
		}
		for _, enc := range encodings {
			if strings.Contains(lower, strings.ToLower(enc)) || strings.Contains(out, enc) {
				return key
			}
		}
	}
	return ""
}

func TestNoFormattingPathShowsAKey(t *testing.T) {
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10.40s", "%T"}
	for name, subject := range leakSubjects(t) {
		t.Run(name, func(t *testing.T) {
			outputs := map[string]string{
				"Sprint":   fmt.Sprint(subject),
				"Sprintln": fmt.Sprintln(subject),
			}
			for _, verb := range verbs {
				outputs[verb] = fmt.Sprintf(verb, subject)
			}
			if data, err := json.Marshal(subject); err == nil {
				outputs["json.Marshal"] = string(data)
			}
			if err, ok := subject.(error); ok {
				outputs["Error()"] = err.Error()
			}
			for handlerName, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
				"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
				"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			} {
				var buf bytes.Buffer
				logger := slog.New(newHandler(&buf))
				logger.Info("rotating", "credential", subject)
				logger.Info(fmt.Sprintf("rotating %v", subject), slog.Group("g", "credential", subject))
				outputs[handlerName] = buf.String()
			}
			for path, out := range outputs {
				if key := leakedKey(out); key != "" {
					t.Errorf("%s shows key ending %s: %s", path, key[len(key)-4:], out)
				}
			}
		})
	}
}

// TestLeakCheckCanFail guards the test above: a plain string holding a key
// must be caught by every encoding that leakedKey looks for.
func TestLeakCheckCanFail(t *testing.T) {
	for _, out := range []string{
		fmt.Sprintf("%v", fixtureTeamAPIKey),
		fmt.Sprintf("%X", fixtureTeamAPIKey),
		fmt.Sprintf("%v", []byte(fixtureTeamAPIKey)),
		base64.StdEncoding.EncodeToString([]byte(fixtureTeamAPIKey)),
		fmt.Sprintf("%+v", struct{ key string }{fixtureAdminAppKey}),
	} {
		if leakedKey(out) == "" {
			t.Errorf("leakedKey missed a key in %q", out)
		}
	}
}

func TestLogValueShowsIdentifiers(t *testing.T) {
	team, err := ParseTeam(readFixture(t, "team_with_app_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("rotated", "team", team)
	var record struct {
		Team map[string]any `json:"team"`
	}
	if err := json.Unmarshal(buf.Bytes(), &record); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"site":             string(deploy.SiteAP1),
		"apiKeyId":         "2f1ff7ed-ab88-4c56-9d6b-8e1b8b3e8c44",
		"apiKeyLast4":      fixtureTeamAPIKey[len(fixtureTeamAPIKey)-4:],
		"appKeyId":         "7a1b9c3d-5e6f-4a0b-8c2d-1e3f5a7b9c0d",
		"appKeyLast4":      fixtureTeamAppKey[len(fixtureTeamAppKey)-4:],
		"serviceAccountId": "fbebe517-c0ed-45a9-b3c9-4377cbe04efd",
		"keyName":          "ddrotate-payments-4f2a9c1e",
	}
	for k, v := range want {
		if record.Team[k] != v {
			t.Errorf("logged %s = %v, want %v", k, record.Team[k], v)
		}
	}
}

func TestSecretMaskedForms(t *testing.T) {
	s := NewSecret(fixtureTeamAPIKey)
	masked := "****" + fixtureTeamAPIKey[len(fixtureTeamAPIKey)-4:]
	tests := []struct {
		name, got, want string
	}{
		{"%v", fmt.Sprintf("%v", s), masked},
		{"%q", fmt.Sprintf("%q", s), `"` + masked + `"`},
		{"%#v", fmt.Sprintf("%#v", s), "credential.Secret{" + masked + "}"},
		{"%x", fmt.Sprintf("%x", s), masked},
		{"json", mustJSON(t, s), `"` + masked + `"`},
		{"json map key", mustJSON(t, map[Secret]int{s: 1}), `{"` + masked + `":1}`},
		{"zero json", mustJSON(t, Secret{}), `""`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
