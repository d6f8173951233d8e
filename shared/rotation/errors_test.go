package rotation_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// errorName is the name under which aws-lambda-go reports a handler's
// error to Step Functions (its getErrorType): the reflect type name, with
// a pointer dereferenced. A wrapped error is named after its wrapper.
func errorName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// wantErrorName fails unless Step Functions would see err as name.
func wantErrorName(t testing.TB, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s", name)
	}
	if got := errorName(err); got != name {
		t.Fatalf("error %q reaches Step Functions as %q, want %q", err, got, name)
	}
}

// errorCases provoke every error a step returns, each through the handler
// as Lambda runs it, against the emulators.
var errorCases = []struct {
	want    string
	broken  string // the target whose current key the case breaks
	provoke func(f *fixture) error
}{
	{"InputError", "", func(f *fixture) error {
		_, err := f.create(f.newExecution(), json.RawMessage(`{"target":"payments","mdoe":"compromise"}`), 0)
		return err
	}},
	{"ConfigError", "", func(f *fixture) error {
		f.addTarget("untagged", deploy.KindAPIKey, map[string]string{deploy.TagKind: ""})
		_, err := f.create(f.newExecution(), input("untagged", rotation.ModeScheduled), 0)
		return err
	}},
	{"SecretError", payments, func(f *fixture) error {
		f.putCurrent(payments, `{"apiKey": "not a key"}`)
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeScheduled), 0)
		return err
	}},
	{"RotationInProgressError", "", func(f *fixture) error {
		f.mustCreate(f.newExecution(), input(payments, rotation.ModeScheduled))
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeCompromise), 0)
		return err
	}},
	{"RotationInProgressError", "", func(f *fixture) error {
		// The loser of a race for the lock, which made keys first.
		_, err := f.loseRaceForLock(analytics)
		return err
	}},
	{"CurrentKeyInvalidError", payments, func(f *fixture) error {
		f.dd.RevokeAPIKey(f.targets[payments].APIKey.ID)
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeScheduled), 0)
		return err
	}},
	{"KeyNotYetValidError", "", func(f *fixture) error {
		rec := f.mustCreate(f.newExecution(), input(analytics, rotation.ModeScheduled))
		f.dd.AddFault(ddemu.Fault{Op: ddemu.ValidateKeys, Status: 403, Times: 1})
		return f.verify(rec)
	}},
	{"TransientError", "", func(f *fixture) error {
		f.dd.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, Status: 503, Times: 1})
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeScheduled), 0)
		return err
	}},
	{"TransientError", "", func(f *fixture) error {
		f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "PutSecretValue", ErrorCode: "ThrottlingException", Times: 1})
		_, err := f.create(f.newExecution(), input(analytics, rotation.ModeScheduled), 0)
		return err
	}},
	{"TransientError", "", func(f *fixture) error {
		rec := f.mustCreate(f.newExecution(), input(payments, rotation.ModeScheduled))
		f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "UpdateSecretVersionStage", ResetConn: true, Times: 1})
		return f.store(rec)
	}},
	{"DatadogError", "", func(f *fixture) error {
		f.dd.SetMaxAPIKeys(len(f.dd.APIKeys())) // the org's API key cap
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeScheduled), 0)
		return err
	}},
	{"AWSError", "", func(f *fixture) error {
		f.aws.AddFault(awsemu.Fault{Service: "secretsmanager", Action: "PutSecretValue", Status: 400, ErrorCode: "AccessDeniedException", Times: 1})
		_, err := f.create(f.newExecution(), input(payments, rotation.ModeScheduled), 0)
		return err
	}},
	{"ConflictError", "", func(f *fixture) error {
		exec, in := f.newExecution(), input(payments, rotation.ModeScheduled)
		rec := f.mustCreate(exec, in)
		if _, err := f.rollback(exec, in); err != nil {
			f.t.Fatalf("Rollback: %v", err)
		}
		return f.store(rec)
	}},
	{"RefusedError", "", func(f *fixture) error {
		// DeleteOld before Store: the old key is still AWSCURRENT.
		_, err := f.deleteOld(f.mustCreate(f.newExecution(), input(payments, rotation.ModeScheduled)))
		return err
	}},
}

// TestErrorNames: each error type reaches Step Functions under its own name
// (never as a wrapper such as wrapError or joinError), and every error name
// the state machine definitions retry or catch is one a step returns.
func TestErrorNames(t *testing.T) {
	returned := map[string]bool{}
	for _, tc := range errorCases {
		t.Run(tc.want, func(t *testing.T) {
			f := newFixture(t)
			err := tc.provoke(f)
			wantErrorName(t, err, tc.want)
			returned[tc.want] = true
			// Whatever failed, the target's current key still works.
			for _, name := range []string{payments, analytics, adminTarget} {
				if name != tc.broken {
					f.requireCurrentWorks(name)
				}
			}
		})
	}

	retried, caught := aslErrorNames(t)
	for _, name := range []string{"TransientError", "KeyNotYetValidError"} {
		if !retried[name] {
			t.Errorf("the state machine does not retry %s", name)
		}
	}
	for name := range retried {
		if !returned[name] {
			t.Errorf("the state machine retries %q, which no step returns", name)
		}
	}
	for name := range caught {
		if !returned[name] {
			t.Errorf("the state machine catches %q, which no step returns", name)
		}
	}
	for _, notRetried := range []string{"InputError", "ConfigError", "SecretError", "RotationInProgressError", "CurrentKeyInvalidError", "DatadogError", "AWSError", "ConflictError", "RefusedError"} {
		if retried[notRetried] {
			t.Errorf("the state machine retries %s, which a retry cannot fix", notRetried)
		}
	}
}

// aslErrorNames reads the error names that the state machine definitions
// retry and catch, less the States., Lambda., Sandbox. and StepFunctions.
// names that Step Functions itself raises.
func aslErrorNames(t *testing.T) (retried, caught map[string]bool) {
	t.Helper()
	retried, caught = map[string]bool{}, map[string]bool{}
	paths, err := filepath.Glob(filepath.Join("..", "..", "statemachine", "*.asl.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no state machine definitions found: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var def any
		if err := json.Unmarshal(data, &def); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		collectErrorNames(def, "", retried, caught)
	}
	if len(retried) == 0 {
		t.Fatalf("found no custom error name in the definitions' Retry fields")
	}
	return retried, caught
}

func collectErrorNames(node any, field string, retried, caught map[string]bool) {
	switch v := node.(type) {
	case map[string]any:
		if names, ok := v["ErrorEquals"].([]any); ok {
			into := caught
			if field == "Retry" {
				into = retried
			}
			for _, n := range names {
				name, _ := n.(string)
				if !slices.ContainsFunc([]string{"States.", "Lambda.", "Sandbox.", "StepFunctions."}, func(p string) bool { return strings.HasPrefix(name, p) }) {
					into[name] = true
				}
			}
		}
		for k, child := range v {
			collectErrorNames(child, k, retried, caught)
		}
	case []any:
		for _, child := range v {
			collectErrorNames(child, field, retried, caught)
		}
	}
}
