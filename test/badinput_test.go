package test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/internal/testkeys"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// badCase is one bad input: something wrong with the execution input, a
// target's secret, the admin secret or the Datadog org, that a rotation must
// refuse with a named error before changing anything.
type badCase struct {
	name   string
	target string        // the target the execution names (for its team's notification)
	mode   rotation.Mode // default scheduled
	input  string        // raw execution input; default {"target": target, "mode": mode}
	// arm breaks something before the execution starts (after it, the
	// snapshot of "nothing changed" is taken).
	arm func(t *testing.T, w *world)
	// wantError lists acceptable error names; wantCause are substrings the
	// Cause must all contain (the field or the problem).
	wantError []string
	wantCause []string
	// broken is the target whose AWSCURRENT the case spoils on purpose:
	// invariant 1 cannot hold for it, everything else must.
	broken string
	// noTeam: the failure cannot be told to a team (the target is unknown,
	// or the input is too broken to name one).
	noTeam bool
	// startRefused: StartExecution itself refuses the input.
	startRefused bool
	// knownBug, when set, leaves the case out with this explanation.
	knownBug string
}

// putCurrent makes value the AWSCURRENT version of target's secret, as an
// operator's put-secret-value would.
func putCurrent(t *testing.T, w *world, target, value string) {
	t.Helper()
	if _, err := w.Secrets.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(localenv.SecretPrefix + target), SecretString: aws.String(value),
	}); err != nil {
		t.Fatalf("put a new AWSCURRENT of %s: %v", target, err)
	}
}

// currentValue is the AWSCURRENT secret string of target.
func currentValue(t *testing.T, w *world, target string) map[string]any {
	t.Helper()
	out, err := w.Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(localenv.SecretPrefix + target)})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// withField returns target's current secret with field set to value (or
// removed, when value is nil), as JSON.
func withField(t *testing.T, w *world, target, field string, value any) string {
	t.Helper()
	v := currentValue(t, w, target)
	if value == nil {
		delete(v, field)
	} else {
		v[field] = value
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// putAdminWithScopes gives the admin secret a new application key of the
// admin service account holding only scopes.
func putAdminWithScopes(t *testing.T, w *world, scopes []string) {
	t.Helper()
	app := w.Datadog.AddAppKey(w.Admin.ServiceAccountID, "admin-fewer-scopes", scopes)
	admin := credential.Admin{
		APIKey: credential.NewSecret(w.Admin.APIKey), APIKeyID: w.Admin.APIKeyID,
		AppKey: credential.NewSecret(app.Key), AppKeyID: app.ID,
		ServiceAccountID: w.Admin.ServiceAccountID, Site: localenv.Site,
	}
	value, err := admin.SecretString()
	if err != nil {
		t.Fatal(err)
	}
	putCurrent(t, w, localenv.AdminTarget, value)
}

// keyIDs lists every API and application key id of the org.
func keyIDs(w *world) []string {
	var ids []string
	for _, k := range w.Datadog.APIKeys() {
		ids = append(ids, "api "+k.ID)
	}
	for _, k := range w.Datadog.AppKeys() {
		ids = append(ids, "app "+k.ID)
	}
	sort.Strings(ids)
	return ids
}

func badCases() []badCase {
	payments, analytics, admin := "payments", "analytics", localenv.AdminTarget
	var cases []badCase
	// The execution input.
	for _, in := range []struct{ input, cause string }{
		{`{"target":"nobody"}`, "nobody"},
		{`{"target":"payments","mode":"yearly"}`, "mode"},
		{`{"target":"payments","mode":"Compromise"}`, "mode"},
		{`{"target":"payments","extra":1}`, "extra"},
		{`{"target":"payments","mode":"scheduled","force":true}`, "force"},
		{`{"target":7}`, "target"},
		{`{"target":["payments"]}`, "target"},
		{`{"target":null}`, "target"},
		{`{"target":"payments","mode":1}`, "mode"},
		{`{}`, "target"},
		{`{"target":""}`, "target"},
		{`{"target":"Payments!"}`, "target"},
		{`{"target":"../admin"}`, "target"},
		{`["payments"]`, "input"},
		{`"payments"`, "input"},
		{`42`, "input"},
	} {
		cases = append(cases, badCase{name: "input " + in.input, target: payments, input: in.input,
			wantError: []string{"InputError"}, wantCause: []string{in.cause}, noTeam: true})
	}
	cases = append(cases, badCase{name: "input two JSON values", target: payments, input: `{"target":"payments"} {"target":"admin"}`, startRefused: true})
	// A team secret's AWSCURRENT.
	team := func(name, target string, value func(t *testing.T, w *world) string, wantError []string, cause ...string) {
		cases = append(cases, badCase{name: "secret " + target + ": " + name, target: target,
			arm:       func(t *testing.T, w *world) { putCurrent(t, w, target, value(t, w)) },
			wantError: wantError, wantCause: cause, broken: target})
	}
	raw := func(s string) func(*testing.T, *world) string { return func(*testing.T, *world) string { return s } }
	field := func(target, f string, v any) func(*testing.T, *world) string {
		return func(t *testing.T, w *world) string { return withField(t, w, target, f, v) }
	}
	secretErr := []string{"SecretError"}
	team("truncated JSON", payments, raw(`{"apiKey":"`+testkeys.APIKey("truncated")[:16]), secretErr, "JSON")
	team("not JSON", payments, raw("apiKey="+testkeys.APIKey("not JSON")), secretErr, "JSON")
	team("a JSON array", payments, raw(`[]`), secretErr)
	team("JSON null", payments, raw(`null`), secretErr)
	team("an empty object", payments, raw(`{}`), secretErr, "apiKey")
	team("truncated after a field", analytics, func(t *testing.T, w *world) string {
		v := withField(t, w, analytics, "site", string(localenv.Site))
		return v[:len(v)/2]
	}, secretErr, "JSON")
	team("apiKey missing", payments, field(payments, "apiKey", nil), secretErr, "apiKey")
	team("apiKeyId missing", payments, field(payments, "apiKeyId", nil), secretErr, "apiKeyId")
	team("site missing", payments, field(payments, "site", nil), secretErr, "site")
	team("foreign site", payments, field(payments, "site", "datadog.example.com"), secretErr, "site")
	team("site a URL", payments, field(payments, "site", "https://api.datadoghq.com"), secretErr, "site")
	team("site misspelt", payments, field(payments, "site", "datadoghq.co"), secretErr, "site")
	team("apiKey too short", payments, field(payments, "apiKey", "0123456789abcdef"), secretErr, "apiKey")
	team("apiKey upper case", payments, field(payments, "apiKey", strings.Repeat("AB", 16)), secretErr, "apiKey")
	team("apiKey with a trailing newline", payments, func(t *testing.T, w *world) string {
		return withField(t, w, payments, "apiKey", currentValue(t, w, payments)["apiKey"].(string)+"\n")
	}, secretErr, "apiKey")
	team("apiKey a number", payments, field(payments, "apiKey", 12345), secretErr, "apiKey")
	team("apiKey holds an app key", payments, field(payments, "apiKey", strings.Repeat("ab", 20)), secretErr, "apiKey")
	team("apiKeyId not a UUID", payments, field(payments, "apiKeyId", "not-a-uuid"), secretErr, "apiKeyId")
	team("appKey too short", analytics, field(analytics, "appKey", "abc"), secretErr, "appKey")
	team("appKey holds an API key", analytics, field(analytics, "appKey", strings.Repeat("ab", 16)), secretErr, "appKey")
	team("appKeyId missing", analytics, field(analytics, "appKeyId", nil), secretErr, "appKeyId")
	team("appKey missing on an api-app-key target", analytics, func(t *testing.T, w *world) string {
		v := currentValue(t, w, analytics)
		delete(v, "appKey")
		delete(v, "appKeyId")
		delete(v, "serviceAccountId")
		delete(v, "scopes")
		b, _ := json.Marshal(v)
		return string(b)
	}, []string{"SecretError", "ConfigError"}, "appKey")
	team("scopes not a list", analytics, field(analytics, "scopes", "metrics_read"), secretErr, "scopes")
	// The admin secret.
	adminCase := func(name string, arm func(t *testing.T, w *world), wantError []string, cause ...string) {
		cases = append(cases, badCase{name: "admin secret: " + name, target: analytics, arm: arm,
			wantError: wantError, wantCause: cause, broken: admin})
	}
	adminCase("truncated JSON", func(t *testing.T, w *world) { putCurrent(t, w, admin, `{"adminApiKey":"`) }, secretErr, "JSON")
	adminCase("foreign site", func(t *testing.T, w *world) {
		putCurrent(t, w, admin, withField(t, w, admin, "site", "datadoghq.evil.example"))
	}, secretErr, "site")
	adminCase("adminAppKey missing", func(t *testing.T, w *world) { putCurrent(t, w, admin, withField(t, w, admin, "adminAppKey", nil)) }, secretErr, "adminAppKey")
	adminCase("team-shaped", func(t *testing.T, w *world) {
		putCurrent(t, w, admin, fmt.Sprintf(`{"apiKey":%q,"apiKeyId":%q,"site":%q}`, w.Admin.APIKey, w.Admin.APIKeyID, localenv.Site))
	}, secretErr, "adminApiKey")
	for _, missing := range ddemu.AdminScopes {
		scopes := slices.DeleteFunc(slices.Clone(ddemu.AdminScopes), func(s string) bool { return s == missing })
		for _, target := range []string{payments, analytics} {
			for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
				cases = append(cases, badCase{name: "admin app key without " + missing + ": " + target + " " + string(mode), target: target, mode: mode,
					arm:       func(t *testing.T, w *world) { putAdminWithScopes(t, w, scopes) },
					wantError: []string{"DatadogError"}, wantCause: []string{missing}})
			}
		}
	}
	// Application keys owned by someone other than the declared service
	// account (a user's key put in a team's secret; an admin key of another
	// owner): refused before anything changes, in both modes.
	for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
		cases = append(cases, badCase{name: "team app key owned by a user: " + string(mode), target: analytics, mode: mode,
			arm: func(t *testing.T, w *world) {
				userKey := w.Datadog.AddAppKey(w.Datadog.OrgOwnerID(), "a person's key", []string{"dashboards_read"})
				v := currentValue(t, w, analytics)
				v["appKey"], v["appKeyId"] = userKey.Key, userKey.ID
				b, _ := json.Marshal(v)
				putCurrent(t, w, analytics, string(b))
			},
			wantError: []string{"OwnershipError"}, wantCause: []string{"owned by", "not by the target's service account"}})
		cases = append(cases, badCase{name: "admin app key owned by a user: " + string(mode), target: payments, mode: mode,
			arm: func(t *testing.T, w *world) {
				userKey := w.Datadog.AddAppKey(w.Datadog.OrgOwnerID(), "a person's admin key", nil)
				admin := credential.Admin{
					APIKey: credential.NewSecret(w.Admin.APIKey), APIKeyID: w.Admin.APIKeyID,
					AppKey: credential.NewSecret(userKey.Key), AppKeyID: userKey.ID,
					ServiceAccountID: w.Admin.ServiceAccountID, Site: localenv.Site,
				}
				value, err := admin.SecretString()
				if err != nil {
					t.Fatal(err)
				}
				putCurrent(t, w, localenv.AdminTarget, value)
			},
			wantError: []string{"OwnershipError"}, wantCause: []string{"owned by"}})
	}
	// A target whose secret does not exist (deleted for good).
	cases = append(cases, badCase{name: "secret deleted", target: "checkout",
		arm: func(t *testing.T, w *world) {
			if _, err := w.Secrets.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
				SecretId: aws.String(localenv.SecretPrefix + "checkout"), ForceDeleteWithoutRecovery: aws.Bool(true),
			}); err != nil {
				t.Fatal(err)
			}
			delete(w.Targets, "checkout")
		},
		wantError: []string{"InputError", "ConfigError", "SecretError"}, wantCause: []string{"checkout"}, noTeam: true})
	cases = append(cases, badCase{name: "secret scheduled for deletion", target: "checkout",
		arm: func(t *testing.T, w *world) {
			if _, err := w.Secrets.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
				SecretId: aws.String(localenv.SecretPrefix + "checkout"), RecoveryWindowInDays: aws.Int64(7),
			}); err != nil {
				t.Fatal(err)
			}
		},
		wantError: []string{"ConfigError"}, wantCause: []string{"scheduled for deletion"}, broken: "checkout"})
	// The org at its API key cap.
	for _, target := range []string{payments, analytics, admin} {
		for _, mode := range []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise} {
			cases = append(cases, badCase{name: "org at its API key cap: " + target + " " + string(mode), target: target, mode: mode,
				arm:       func(t *testing.T, w *world) { w.Datadog.SetMaxAPIKeys(len(w.Datadog.APIKeys())) },
				wantError: []string{"DatadogError"}, wantCause: []string{"API key"}})
		}
	}
	return cases
}

// Bad input of every kind fails with a named error whose cause names the
// field or the problem, tells the team, and changes nothing.
func TestBadInput(t *testing.T) {
	cases := badCases()
	if len(cases) < 30 {
		t.Fatalf("only %d bad-input cases", len(cases))
	}
	forEachParallel(t, 4, cases, func(c badCase) string { return c.name }, func(t *testing.T, c badCase) {
		if c.knownBug != "" {
			reliability.add("bad-input cases left out (known product bug)", 1)
			reliability.leaveOut(c.knownBug, "bad input: "+c.name)
			t.Skip(c.knownBug)
		}
		w := newWorld(t)
		if c.arm != nil {
			c.arm(t, w)
		}
		before := w.snapshot()
		keysBefore := keyIDs(w)
		mode := c.mode
		if mode == "" {
			mode = rotation.ModeScheduled
		}
		input := c.input
		if input == "" {
			b, _ := json.Marshal(rotation.Input{Target: c.target, Mode: mode})
			input = string(b)
		}
		x, err := w.StartRaw(context.Background(), []byte(input))
		if c.startRefused {
			// StartExecution itself refuses input that is not one JSON
			// value, as Step Functions does (InvalidExecutionInput).
			if err == nil {
				_ = x.Wait(context.Background())
				t.Fatalf("the execution started: %s %s", x.Status(), x.Error())
			}
			reliability.add(cBadInputs, 1)
			reliability.add(cScenarios, 1)
			if got := keyIDs(w); !slices.Equal(got, keysBefore) {
				t.Errorf("the Datadog keys changed")
			}
			reliability.check(t, w, before, w.TargetNames()...)
			return
		}
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		_ = x.Wait(context.Background())
		reliability.add(cBadInputs, 1)
		reliability.add(cScenarios, 1)
		if x.Status() != asl.StatusFailed {
			t.Fatalf("execution %s, want FAILED (error %q, states %s)", x.Status(), x.Error(), statesVisited(x))
		}
		if !slices.Contains(c.wantError, x.Error()) {
			t.Errorf("error %q, want one of %v (cause %q)", x.Error(), c.wantError, x.Cause())
		}
		for _, want := range c.wantCause {
			if !strings.Contains(x.Cause(), want) {
				t.Errorf("cause %q does not name %q", x.Cause(), want)
			}
		}
		if got := statesVisited(x); got != "Create>Rollback>NotifyFailed>RotationFailed" {
			t.Errorf("states %s, want the failure to be caught in Create and rolled back", got)
		}
		// The rotation-failed notification carries the error: on the topic
		// (operators' unfiltered subscriptions) and, when the target is a
		// known team, in that team's filtered inbox.
		failed := func(msgs []awsemu.Message) *rotation.Message {
			for i := len(msgs) - 1; i >= 0; i-- {
				var m rotation.Message
				if json.Unmarshal([]byte(msgs[i].Message), &m) == nil && m.Event == rotation.EventFailed && m.ExecutionID == x.ARN() {
					return &m
				}
			}
			return nil
		}
		if m := failed(w.AWS.Published(w.TopicARN)); m == nil {
			t.Errorf("no rotation-failed message for execution %s on the topic", x.ARN())
		} else {
			if m.ErrorName != x.Error() {
				t.Errorf("rotation-failed message: error %q, want %q", m.ErrorName, x.Error())
			}
			if m.CurrentKeyUnchanged == nil || !*m.CurrentKeyUnchanged {
				t.Errorf("rotation-failed message should say the current key is unchanged")
			}
		}
		if tg, ok := w.Targets[c.target]; ok && !c.noTeam && c.target != localenv.AdminTarget {
			if m := failed(w.AWS.Inbox(tg.SubscriptionARN)); m == nil || m.ErrorName != x.Error() {
				t.Errorf("team %s did not receive a rotation-failed message carrying %s", c.target, x.Error())
			}
		}
		// Nothing changed.
		if got := keyIDs(w); !slices.Equal(got, keysBefore) {
			t.Errorf("the Datadog keys changed: %v → %v", keysBefore, got)
		}
		checkBadInput(t, w, before, c.broken)
	})
}

// checkBadInput is checkAll with every target unchanged, except that
// invariant 1 is not asked of the target the case broke on purpose.
func checkBadInput(t *testing.T, w *world, before snapshot, broken string) {
	t.Helper()
	reliability.add(cInvariantChecks, 1)
	for _, v := range w.CheckInvariants(context.Background()) {
		if broken != "" && strings.HasPrefix(v, "invariant 1: target "+broken+" ") || strings.HasPrefix(v, "invariant 1: target "+broken+":") {
			continue
		}
		reliability.add(cInvariantViolate, 1)
		t.Errorf("%s", v)
	}
	leaks := leaksIn(w)
	reliability.add(cLeaks, len(leaks))
	for _, leak := range leaks {
		t.Errorf("invariant 4: %s", leak)
	}
	for target, version := range before {
		if got := w.CurrentVersion(target); got != version {
			reliability.add(cInvariantViolate, 1)
			t.Errorf("invariant 5: target %s: AWSCURRENT moved from %s to %s", target, version, got)
		}
	}
}
