package rotation_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// TestCreateRefusesBadInput: a bad execution input, target configuration or
// secret value fails Create with an error whose type says which, whose
// message names the field, and which changed nothing in Datadog or Secrets
// Manager.
func TestCreateRefusesBadInput(t *testing.T) {
	const otherUUID = "0a3f2c1e-5b6d-4e7f-8091-a2b3c4d5e6f7"
	tests := []struct {
		name     string
		setup    func(f *fixture)
		noExecID bool
		input    string
		wantType string
		// wantField is the field the error names: InputError.Field,
		// ConfigError.Field or the credential.FieldError's Field.
		wantField string
	}{
		{name: "empty", input: ``, wantType: "InputError", wantField: "target"},
		{name: "blank", input: " \n\t", wantType: "InputError", wantField: "target"},
		{name: "not JSON", input: `payments`, wantType: "InputError", wantField: "input"},
		{name: "truncated", input: `{"target":"paym`, wantType: "InputError", wantField: "input"},
		{name: "JSON array", input: `["payments"]`, wantType: "InputError", wantField: "input"},
		{name: "two objects", input: `{"target":"payments"}{"target":"analytics"}`, wantType: "InputError", wantField: "input"},
		{name: "null", input: `null`, wantType: "InputError", wantField: "target"},
		{name: "no target", input: `{"mode":"compromise"}`, wantType: "InputError", wantField: "target"},
		{name: "unknown target", input: `{"target":"billing"}`, wantType: "InputError", wantField: "target"},
		{name: "bad target name", input: `{"target":"Payments!"}`, wantType: "InputError", wantField: "target"},
		{name: "target name too long", input: `{"target":"` + strings.Repeat("a", 41) + `"}`, wantType: "InputError", wantField: "target"},
		{name: "target is a path", input: `{"target":"../admin"}`, wantType: "InputError", wantField: "target"},
		{name: "unknown mode", input: `{"target":"payments","mode":"urgent"}`, wantType: "InputError", wantField: "mode"},
		{name: "extra field", input: `{"target":"payments","mdoe":"compromise"}`, wantType: "InputError", wantField: "mdoe"},
		{name: "target of wrong type", input: `{"target":5}`, wantType: "InputError", wantField: "target"},
		{name: "mode of wrong type", input: `{"target":"payments","mode":true}`, wantType: "InputError", wantField: "mode"},
		{name: "missing executionId", noExecID: true, input: `{"target":"payments"}`, wantType: "InputError", wantField: "executionId"},

		{name: "missing kind tag", input: `{"target":"untagged"}`, wantType: "ConfigError", wantField: deploy.TagKind,
			setup: func(f *fixture) {
				f.addTarget("untagged", deploy.KindAPIKey, map[string]string{deploy.TagKind: ""})
			}},
		{name: "unknown kind tag", input: `{"target":"oddkind"}`, wantType: "ConfigError", wantField: deploy.TagKind,
			setup: func(f *fixture) {
				f.addTarget("oddkind", deploy.KindAPIKey, map[string]string{deploy.TagKind: "api-secret"})
			}},
		{name: "api-app-key without service account tag", input: `{"target":"noowner"}`, wantType: "ConfigError", wantField: deploy.TagServiceAccountID,
			setup: func(f *fixture) {
				f.addTarget("noowner", deploy.KindAPIAppKey, map[string]string{deploy.TagServiceAccountID: ""})
			}},
		{name: "target tag names another target", input: `{"target":"mislabelled"}`, wantType: "ConfigError", wantField: deploy.TagTarget,
			setup: func(f *fixture) {
				f.addTarget("mislabelled", deploy.KindAPIKey, map[string]string{deploy.TagTarget: payments})
			}},
		{name: "bad grace tag", input: `{"target":"slowgrace"}`, wantType: "ConfigError", wantField: deploy.TagGraceSeconds,
			setup: func(f *fixture) {
				f.addTarget("slowgrace", deploy.KindAPIKey, map[string]string{deploy.TagGraceSeconds: "1d"})
			}},

		{name: "malformed AWSCURRENT JSON", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "",
			setup: func(f *fixture) { f.putCurrent(payments, `{"apiKey": "`) }},
		{name: "AWSCURRENT not an object", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "",
			setup: func(f *fixture) { f.putCurrent(payments, `"just a string"`) }},
		{name: "foreign site", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "site",
			setup: func(f *fixture) { f.putCurrentWith(payments, func(m map[string]any) { m["site"] = "evil.com" }) }},
		{name: "look-alike site", input: `{"target":"payments","mode":"compromise"}`, wantType: "SecretError", wantField: "site",
			setup: func(f *fixture) {
				f.putCurrentWith(payments, func(m map[string]any) { m["site"] = "datadoghq.com.evil.com" })
			}},
		{name: "another Datadog site than the admin's", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "site",
			setup: func(f *fixture) {
				f.putCurrentWith(payments, func(m map[string]any) { m["site"] = string(deploy.SiteEU1) })
			}},
		{name: "api key of wrong shape", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "apiKey",
			setup: func(f *fixture) { f.putCurrentWith(payments, func(m map[string]any) { m["apiKey"] = "abc123" }) }},
		{name: "app key of wrong shape", input: `{"target":"analytics"}`, wantType: "SecretError", wantField: "appKey",
			setup: func(f *fixture) {
				f.putCurrentWith(analytics, func(m map[string]any) { m["appKey"] = "not-an-application-key" })
			}},
		{name: "api-key target holding an app key", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "appKey",
			setup: func(f *fixture) {
				a := f.targets[analytics]
				f.putCurrentWith(payments, func(m map[string]any) {
					m["appKey"], m["appKeyId"], m["serviceAccountId"] = a.AppKey.Key, a.AppKey.ID, a.ServiceAccountID
				})
			}},
		{name: "api-app-key target without its app key", input: `{"target":"analytics"}`, wantType: "SecretError", wantField: "appKey",
			setup: func(f *fixture) {
				f.putCurrentWith(analytics, func(m map[string]any) {
					delete(m, "appKey")
					delete(m, "appKeyId")
					delete(m, "serviceAccountId")
				})
			}},
		{name: "service account other than the tag's", input: `{"target":"analytics"}`, wantType: "SecretError", wantField: "serviceAccountId",
			setup: func(f *fixture) {
				f.putCurrentWith(analytics, func(m map[string]any) { m["serviceAccountId"] = otherUUID })
			}},
		{name: "admin credential of a foreign site", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "site",
			setup: func(f *fixture) { f.putCurrentWith(adminTarget, func(m map[string]any) { m["site"] = "evil.com" }) }},
		{name: "admin credential of another deployment's site", input: `{"target":"payments"}`, wantType: "SecretError", wantField: "site",
			setup: func(f *fixture) {
				f.putCurrentWith(adminTarget, func(m map[string]any) { m["site"] = string(deploy.SiteUS5) })
			}},
		{name: "admin credential without its app key", input: `{"target":"admin"}`, wantType: "SecretError", wantField: "adminAppKey",
			setup: func(f *fixture) { f.putCurrentWith(adminTarget, func(m map[string]any) { delete(m, "adminAppKey") }) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			before := f.snapshot()
			exec := f.newExecution()
			if tt.noExecID {
				exec = ""
			}
			_, err := f.create(exec, json.RawMessage(tt.input), 0)
			wantErrorName(t, err, tt.wantType)
			switch tt.wantType {
			case "InputError":
				if e := wantErrorAs[*rotation.InputError](t, err); e.Field != tt.wantField {
					t.Errorf("InputError names field %q, want %q (%v)", e.Field, tt.wantField, err)
				}
				if strings.Contains(err.Error(), "rotation.") {
					t.Errorf("InputError %q speaks of Go types, not of the input", err)
				}
			case "ConfigError":
				if e := wantErrorAs[*rotation.ConfigError](t, err); !strings.Contains(e.Field, tt.wantField) {
					t.Errorf("ConfigError names field %q, want %q (%v)", e.Field, tt.wantField, err)
				}
			case "SecretError":
				e := wantErrorAs[*rotation.SecretError](t, err)
				if e.Stage != "AWSCURRENT" || !strings.Contains(err.Error(), "AWSCURRENT") {
					t.Errorf("SecretError %q does not name the AWSCURRENT version", err)
				}
				if tt.wantField != "" && !namesField(err, tt.wantField) {
					t.Errorf("SecretError %q does not name field %q", err, tt.wantField)
				}
			}
			if tt.wantField != "" && !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error message %q does not name %q", err, tt.wantField)
			}
			f.requireUnchanged(before)
		})
	}
}

// namesField reports whether one of the credential.FieldErrors in err's
// chain is about field.
func namesField(err error, field string) bool {
	var invalid *credential.InvalidError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			if p.Field == field {
				return true
			}
		}
	}
	var fe *credential.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// TestCreateDefaultsToScheduled: an input without a mode is a scheduled
// rotation, with the target's grace period.
func TestCreateDefaultsToScheduled(t *testing.T) {
	f := newFixture(t)
	f.addTarget("checkout", deploy.KindAPIKey, map[string]string{deploy.TagGraceSeconds: "60"})
	rec := f.mustCreate(f.newExecution(), json.RawMessage(`{"target":"checkout"}`))
	if rec.Mode != rotation.ModeScheduled || rec.GraceSeconds != 60 {
		t.Errorf("record mode %q grace %ds, want scheduled with the tagged 60s", rec.Mode, rec.GraceSeconds)
	}
}
