package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localstack"
	"github.com/ddrotate/ddrotate/internal/localstack/localstacktest"
	"github.com/ddrotate/ddrotate/internal/syncbuf"
)

func TestMain(m *testing.M) { localstacktest.Main(m) }

// operator runs the CLI against one local stack, as an operator of the
// deployment account would from a shell, and remembers every key value
// the stack ever held so that no output may show one.
type operator struct {
	t    *testing.T
	ls   *localstack.Stack
	keys map[string]bool
	// outputs are everything the CLI printed.
	outputs []string
}

// newOperator stands a stack up and gives the CLI an environment that
// reaches it and nothing else: credentials in the environment, no shared
// config of this machine.
func newOperator(t *testing.T, opts localstacktest.Options) *operator {
	ls := localstacktest.Start(t, opts)
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIALOCALOPERATOR000", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": ls.Deployment.Region, "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_ENDPOINT_URL": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	poll := followPoll
	followPoll = 50 * time.Millisecond
	t.Cleanup(func() { followPoll = poll })
	o := &operator{t: t, ls: ls, keys: map[string]bool{}}
	o.noteKeys()
	t.Cleanup(o.checkNoKeyPrinted)
	return o
}

// noteKeys remembers every key value the Datadog emulator holds now.
func (o *operator) noteKeys() {
	for _, k := range o.ls.Datadog.APIKeys() {
		o.keys[k.Key] = true
	}
	for _, k := range o.ls.Datadog.AppKeys() {
		o.keys[k.Key] = true
	}
}

func (o *operator) checkNoKeyPrinted() {
	o.noteKeys()
	for _, out := range o.outputs {
		for k := range o.keys {
			if k != "" && strings.Contains(out, k) {
				o.t.Errorf("the CLI printed a key value (…%s)", k[len(k)-4:])
			}
		}
	}
}

// run runs ddrotate with the local stack's endpoint and returns its exit
// code and outputs.
func (o *operator) run(args ...string) (int, string, string) {
	o.t.Helper()
	return o.runCtx(context.Background(), nil, args...)
}

func (o *operator) runCtx(ctx context.Context, stdout *syncbuf.Buffer, args ...string) (int, string, string) {
	o.t.Helper()
	if stdout == nil {
		stdout = &syncbuf.Buffer{}
	}
	var stderr bytes.Buffer
	code := run(ctx, append(args, "--endpoint-url", o.ls.AWSURL), stdout, &stderr)
	o.noteKeys()
	o.outputs = append(o.outputs, stdout.String(), stderr.String())
	return code, stdout.String(), stderr.String()
}

// ok runs a command that must succeed.
func (o *operator) ok(args ...string) string {
	o.t.Helper()
	code, out, errOut := o.run(args...)
	if code != 0 {
		o.t.Fatalf("ddrotate %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// okJSON runs a command with -o json that must succeed and decodes it.
func (o *operator) okJSON(v any, args ...string) {
	o.t.Helper()
	out := o.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		o.t.Fatalf("ddrotate %s -o json printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (o *operator) root() aws.Config {
	return aws.Config{Region: o.ls.Deployment.Region, BaseEndpoint: aws.String(o.ls.AWSURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIALOCALTESTROOT000", "local", "")}
}

// executions lists every execution of both state machines.
func (o *operator) executions() []string {
	o.t.Helper()
	client := sfn.NewFromConfig(o.root())
	var arns []string
	for _, m := range o.ls.Deployment.Machines {
		out, err := client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(m.ARN)})
		if err != nil {
			o.t.Fatal(err)
		}
		for _, x := range out.Executions {
			arns = append(arns, aws.ToString(x.ExecutionArn))
		}
	}
	return arns
}

func (o *operator) putSecret(name, value string, stages ...string) string {
	o.t.Helper()
	in := &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)}
	if len(stages) > 0 {
		in.VersionStages = stages
	}
	out, err := secretsmanager.NewFromConfig(o.root()).PutSecretValue(context.Background(), in)
	if err != nil {
		o.t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func targetByName(t *testing.T, st statusOutput, name string) targetStatus {
	t.Helper()
	for _, x := range st.Targets {
		if x.Target == name {
			return x
		}
	}
	t.Fatalf("status has no target %s", name)
	return targetStatus{}
}

// TestOperatorCommands runs every operator command against the
// synthesized stack standing on this machine (its real bootstraps, its
// IAM, its state machines), in text and in JSON, with the usage errors
// that must start nothing and a rotation that fails.
func TestOperatorCommands(t *testing.T) {
	o := newOperator(t, localstacktest.Options{})
	targets := []string{"admin", "ingest", "payments", "search"}

	t.Run("usage errors start nothing", func(t *testing.T) {
		before := o.executions()
		for _, tt := range []struct {
			args []string
			want []string
		}{
			{[]string{"rotate"}, []string{"--target is required", "usage: ddrotate rotate"}},
			{[]string{"rotate", "--target", "payments"}, []string{"--mode is required", "usage: ddrotate rotate"}},
			{[]string{"rotate", "--target", "payments", "--mode", "bogus"}, []string{`--mode must be scheduled or compromise, not "bogus"`, "usage: ddrotate rotate"}},
			{[]string{"rotate", "--target", "payments", "--mode", "compromise", "--bogus"}, []string{"flag provided but not defined: -bogus", "usage: ddrotate rotate"}},
			{[]string{"rotate", "--target", "Payments!", "--mode", "compromise"}, []string{"is not a target name"}},
			{[]string{"rotate", "--target", "payments", "--mode", "compromise", "now"}, []string{`unexpected argument "now"`}},
			{[]string{"rotate", "--target", "nosuch", "--mode", "compromise"}, []string{`unknown target "nosuch"`, strings.Join(targets, ", ")}},
			{[]string{"rotate", "--target", "payments", "--mode", "compromise", "-o", "yaml"}, []string{"-o must be text or json"}},
			{[]string{"status", "--target", "nosuch"}, []string{`unknown target "nosuch"`, strings.Join(targets, ", ")}},
			{[]string{"history", "--limit", "0"}, []string{"--limit must be between 1 and 1000"}},
			{[]string{"history", "--target", "nosuch"}, []string{`unknown target "nosuch"`}},
			{[]string{"stop"}, []string{"--execution is required", "usage: ddrotate stop"}},
			{[]string{"stop", "--execution", "not-an-arn"}, []string{"is not an execution ARN"}},
			{[]string{"stop", "--execution", "arn:aws:states:us-east-1:000000000000:execution:other-rotate-target:x"}, []string{"not of deployment ddrotate"}},
			{[]string{"plan", "--prefix", ""}, []string{"--prefix must not be empty"}},
			{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`}},
		} {
			code, out, errOut := o.run(tt.args...)
			if code != 2 {
				t.Errorf("ddrotate %s exited %d, want 2\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, out, errOut)
			}
			mustContain(t, "stderr of ddrotate "+strings.Join(tt.args, " "), errOut, tt.want...)
		}
		if after := o.executions(); len(after) != len(before) {
			t.Fatalf("usage errors started executions: %v", after)
		}
	})

	t.Run("a wrong prefix names the deployments there are", func(t *testing.T) {
		code, _, errOut := o.run("status", "--prefix", "nope")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		mustContain(t, "stderr", errOut, `no ddrotate deployment with prefix "nope"`, "--prefix ddrotate")
	})

	t.Run("status of a fresh deployment", func(t *testing.T) {
		var st statusOutput
		o.okJSON(&st, "status")
		if st.Deployment.Schedule == nil || st.Deployment.Schedule.Expression != "rate(30 days)" || st.Deployment.Schedule.State != "ENABLED" {
			t.Errorf("schedule %+v", st.Deployment.Schedule)
		}
		if !strings.HasSuffix(st.Deployment.RotateTargetMachine, ":stateMachine:ddrotate-rotate-target") {
			t.Errorf("rotate-target machine %q", st.Deployment.RotateTargetMachine)
		}
		var names []string
		for _, x := range st.Targets {
			names = append(names, x.Target)
			if x.APIKeyID == "" || len(x.APIKeyLast4) != 4 || x.Problem != "" || x.Lock != nil || x.LastExecution != nil {
				t.Errorf("%s: %+v", x.Target, x)
			}
			if x.RotatedAt != nil || x.NextDue != nil || !strings.Contains(x.NextDueNote, "never rotated") {
				t.Errorf("%s: a first value is not a rotation: rotatedAt %v, next due %v (%s)", x.Target, x.RotatedAt, x.NextDue, x.NextDueNote)
			}
		}
		if !slices.Equal(names, targets) {
			t.Errorf("targets %v, want %v", names, targets)
		}
		if s := targetByName(t, st, "search"); s.Kind != "api-app-key" || s.AppKeyID == "" || len(s.AppKeyLast4) != 4 {
			t.Errorf("search: %+v", s)
		}
		if i := targetByName(t, st, "ingest"); i.GraceSeconds == nil || *i.GraceSeconds != 72*3600 {
			t.Errorf("ingest's grace period: %v", i.GraceSeconds)
		}
		text := o.ok("status")
		mustContain(t, "status", text, "deployment ddrotate in us-east-1; schedule rate(30 days), ENABLED (rule ddrotate-scheduled-rotation)",
			"TARGET", "API KEY", "NEXT DUE", "LOCK", "LAST EXECUTION", "payments", "api-app-key", "…"+targetByName(t, st, "payments").APIKeyLast4)
	})

	var payments execInfo
	t.Run("rotate --follow, text", func(t *testing.T) {
		before := o.executions()
		out := o.ok("rotate", "--target", "payments", "--mode", "compromise", "--follow")
		mustContain(t, "rotate --follow", out, "started compromise rotation of payments", ":execution:ddrotate-rotate-target:payments-compromise-",
			"Create", "new API key …", "Verify", "Store", "AWSCURRENT → …", "DeleteOld", "revoked api", "NotifyRevoked", "SUCCEEDED in")
		if after := o.executions(); len(after) != len(before)+1 {
			t.Fatalf("%d executions after one rotate, %d before", len(after), len(before))
		}
		var st statusOutput
		o.okJSON(&st, "status", "--target", "payments")
		p := st.Targets[0]
		if p.RotatedAt == nil || p.LastExecution == nil || p.LastExecution.Status != "SUCCEEDED" || p.LastExecution.Mode != "compromise" || p.RotatedBy != p.LastExecution.ExecutionARN {
			t.Fatalf("payments after its rotation: %+v, last %+v", p, p.LastExecution)
		}
		if p.NextDue == nil || !p.NextDue.Equal(p.RotatedAt.Add(30*24*time.Hour)) {
			t.Errorf("next due %v, want 30 days after %v", p.NextDue, p.RotatedAt)
		}
		payments = *p.LastExecution
		text := o.ok("status", "--target", "payments")
		mustContain(t, "status --target payments", text, "api key", p.APIKeyID+"  …"+p.APIKeyLast4, "rotated by", payments.ExecutionARN,
			"rate(30 days) after the last rotation", "SUCCEEDED compromise", "lock", "free")
	})

	t.Run("rotate --follow, JSON", func(t *testing.T) {
		var out rotateOutput
		o.okJSON(&out, "rotate", "--target", "search", "--mode", "compromise", "--follow")
		if out.Status != "SUCCEEDED" || out.Target != "search" || out.Mode != "compromise" || out.Error != "" || out.StopDate == nil {
			t.Fatalf("rotate -o json: %+v", out.execInfo)
		}
		var states []string
		for _, s := range out.States {
			states = append(states, s.State+":"+s.Outcome)
		}
		if !slices.Contains(states, "Create:ok") || !slices.Contains(states, "Store:ok") || !slices.Contains(states, "DeleteOld:ok") {
			t.Errorf("states %v", states)
		}
	})

	t.Run("rotate without --follow prints the ARN", func(t *testing.T) {
		var out rotateOutput
		o.okJSON(&out, "rotate", "--target", "admin", "--mode", "compromise")
		if out.Status != "RUNNING" || !executionARNPattern.MatchString(out.ExecutionARN) {
			t.Fatalf("rotate -o json: %+v", out.execInfo)
		}
		waitDone(t, o, out.ExecutionARN)
		text := o.ok("rotate", "--target", "admin", "--mode", "compromise")
		arn := regexp.MustCompile(`(?m)^arn:aws:states:\S+$`).FindString(text)
		if arn == "" {
			t.Fatalf("rotate printed no ARN:\n%s", text)
		}
		waitDone(t, o, arn)
	})

	t.Run("a failing rotation, followed", func(t *testing.T) {
		o.putSecret("ddrotate/ingest", `{"apiKey": "not a key", "site": "datadoghq.com"}`)
		code, out, errOut := o.run("rotate", "--target", "ingest", "--mode", "scheduled", "--follow")
		if code != 1 {
			t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		mustContain(t, "stdout", out, "Create", "failed", "SecretError", "Rollback", "NotifyFailed", "RotationFailed", "FAILED in")
		mustContain(t, "stderr", errOut, "FAILED: SecretError: ", "apiKey")
		for _, raw := range []string{"errorMessage", "errorType", "{"} {
			if strings.Contains(errOut, raw) {
				t.Errorf("stderr shows the raw error document (%q):\n%s", raw, errOut)
			}
		}
		var res rotateOutput
		code, jsonOut, _ := o.run("rotate", "--target", "ingest", "--mode", "scheduled", "--follow", "-o", "json")
		if code != 1 || json.Unmarshal([]byte(jsonOut), &res) != nil {
			t.Fatalf("exit %d, output:\n%s", code, jsonOut)
		}
		if res.Status != "FAILED" || res.Error != "SecretError" || res.ErrorMessage == "" || strings.Contains(res.ErrorMessage, "errorType") {
			t.Errorf("failed rotation as JSON: %+v", res.execInfo)
		}

		var st statusOutput
		o.okJSON(&st, "status")
		ing := targetByName(t, st, "ingest")
		if ing.Problem == "" || ing.LastExecution == nil || ing.LastExecution.Error != "SecretError" {
			t.Errorf("ingest after a failed rotation: %+v, last %+v", ing, ing.LastExecution)
		}
		mustContain(t, "status", o.ok("status"), "unreadable", "ingest: ", "FAILED SecretError scheduled")
		o.putSecret("ddrotate/ingest", `{"uninitialized": "put the first credential"}`)
		mustContain(t, "status", o.ok("status"), "ingest: not initialized: the secret still holds the stack's placeholder")
	})

	t.Run("history", func(t *testing.T) {
		var h historyOutput
		o.okJSON(&h, "history")
		if len(h.Executions) != 6 {
			t.Fatalf("%d executions, want 6: %+v", len(h.Executions), h.Executions)
		}
		for i := 1; i < len(h.Executions); i++ {
			if h.Executions[i].StartDate.After(*h.Executions[i-1].StartDate) {
				t.Errorf("history is not newest first")
			}
		}
		if h.Executions[0].Target != "ingest" || h.Executions[0].Status != "FAILED" || h.Executions[0].Error != "SecretError" {
			t.Errorf("newest %+v", h.Executions[0])
		}
		o.okJSON(&h, "history", "--target", "payments")
		if len(h.Executions) != 1 || h.Executions[0].ExecutionARN != payments.ExecutionARN {
			t.Errorf("history --target payments: %+v", h.Executions)
		}
		o.okJSON(&h, "history", "--limit", "2")
		if len(h.Executions) != 2 {
			t.Errorf("history --limit 2: %d", len(h.Executions))
		}
		text := o.ok("history")
		mustContain(t, "history", text, "STARTED", "STATE MACHINE", "TARGET", "MODE", "STATUS", "DURATION", "EXECUTION", "ERROR",
			"rotate-target", "payments", "compromise", "SUCCEEDED", "FAILED", "SecretError: ", payments.Name)
	})

	t.Run("plan", func(t *testing.T) {
		var p planOutput
		o.okJSON(&p, "plan")
		if p.PerTargetSchedules || p.Schedule.Expression != "rate(30 days)" || p.NextRun != nil || !strings.Contains(p.NextRunNote, "no fleet run") {
			t.Errorf("plan: %+v", p)
		}
		for _, x := range p.Targets {
			if x.Action != "rotate" || !strings.Contains(x.Reason, "every target") {
				t.Errorf("%s: %+v", x.Target, x)
			}
			if (x.Target == "ingest") != (len(x.Warnings) > 0) {
				t.Errorf("%s warnings %v", x.Target, x.Warnings)
			}
		}
		text := o.ok("plan")
		mustContain(t, "plan", text, "next scheduled run  unknown", "ddrotate-rotate-fleet in scheduled mode", "One schedule rotates the whole fleet",
			"ACTION", "rotate", "ingest", "its rotation will fail")
	})

	t.Run("audit without an audit function", func(t *testing.T) {
		code, out, errOut := o.run("audit")
		if code != 2 || out != "" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
		mustContain(t, "stderr", errOut, "deployment ddrotate has no audit function (no Lambda named ddrotate-audit)")
	})

	t.Run("Ctrl-C stops following, not the execution; the lock; stop", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &syncbuf.Buffer{}
		type result struct {
			code           int
			stdout, stderr string
		}
		done := make(chan result, 1)
		go func() {
			code, stdout, stderr := o.runCtx(ctx, out, "rotate", "--target", "payments", "--mode", "scheduled", "--follow")
			done <- result{code, stdout, stderr}
		}()
		waitFor(t, "the rotation to wait out its grace period", func() bool { return strings.Contains(out.String(), "waiting") })
		cancel()
		r := <-done
		if r.code != 130 {
			t.Fatalf("exit %d after Ctrl-C\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		mustContain(t, "stdout", r.stdout, "GracePeriod", "24h0m0s, until")
		mustContain(t, "stderr", r.stderr, "stopped following; the execution was not stopped and is still RUNNING", "ddrotate stop --execution arn:")
		arn := regexp.MustCompile(`--execution (\S+)`).FindStringSubmatch(r.stderr)[1]

		// A rotation that holds the lock, as one between Create and
		// Store does: its version is AWSPENDING.
		o.putSecret("ddrotate/payments", fmt.Sprintf(`{"executionId": %q}`, arn), "AWSPENDING")
		var st statusOutput
		o.okJSON(&st, "status", "--target", "payments")
		if l := st.Targets[0].Lock; l == nil || l.ExecutionARN != arn || l.ExecutionStatus != "RUNNING" || l.Stale {
			t.Fatalf("lock %+v", l)
		}
		mustContain(t, "status", o.ok("status"), "held by payments-scheduled-")
		code, lockedOut, errOut := o.run("rotate", "--target", "payments", "--mode", "compromise", "--follow")
		if code != 1 {
			t.Errorf("a rotation of a locked target: exit %d\n%s%s", code, lockedOut, errOut)
		}
		mustContain(t, "stderr", errOut, "warning: payments is locked: held by payments-scheduled-", "(RUNNING)", "FAILED: RotationInProgressError: ")
		var p planOutput
		o.okJSON(&p, "plan")
		for _, x := range p.Targets {
			if x.Target == "payments" && (len(x.Warnings) != 1 || !strings.Contains(x.Warnings[0], "RotationInProgressError")) {
				t.Errorf("plan for a locked target: %+v", x)
			}
		}

		var stopped stopOutput
		o.okJSON(&stopped, "stop", "--execution", arn)
		if stopped.Status != "ABORTED" || stopped.Target != "payments" || !stopped.AfterStore {
			t.Errorf("stop: %+v", stopped)
		}
		code, _, errOut = o.run("stop", "--execution", arn)
		if code != 1 || !strings.Contains(errOut, "is not running (ABORTED): nothing to stop") {
			t.Errorf("second stop: exit %d: %s", code, errOut)
		}
		o.okJSON(&st, "status", "--target", "payments")
		if l := st.Targets[0].Lock; l == nil || !l.Stale || l.ExecutionStatus != "ABORTED" {
			t.Errorf("lock after stop %+v", l)
		}
		mustContain(t, "status", o.ok("status", "--target", "payments"), "stale: payments-scheduled-", "(ABORTED)")
	})

	t.Run("stop before Store", func(t *testing.T) {
		// Datadog answers the scheduled rotation's check of the current
		// key slowly: the execution is in Create when it is stopped.
		o.ls.Datadog.AddFault(ddemu.Fault{Method: "GET", Path: "/api/v1/validate", Latency: 3 * time.Second, Times: 1})
		var started rotateOutput
		o.okJSON(&started, "rotate", "--target", "search", "--mode", "scheduled")
		waitFor(t, "the rotation to enter Create", func() bool { return o.stateEntered(started.ExecutionARN, "Create") })
		out := o.ok("stop", "--execution", started.ExecutionARN)
		mustContain(t, "stop", out, "(ABORTED)", "it stopped before Store: AWSCURRENT is unchanged; the next rotation of search cleans up")
	})

	t.Run("stop, text", func(t *testing.T) {
		var started rotateOutput
		o.okJSON(&started, "rotate", "--target", "search", "--mode", "scheduled")
		waitFor(t, "the rotation to reach its grace period", func() bool {
			return strings.Contains(o.ok("history", "--target", "search", "--limit", "1"), "RUNNING") &&
				o.stateEntered(started.ExecutionARN, "GracePeriod")
		})
		mustContain(t, "stop", o.ok("stop", "--execution", started.ExecutionARN), "stopped "+started.ExecutionARN+" (ABORTED)", "the old key it was to delete is still alive: the next rotation of search deletes it")
	})
}

// stateEntered reports whether an execution has entered the state.
func (o *operator) stateEntered(arn, state string) bool {
	out, err := sfn.NewFromConfig(o.root()).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		o.t.Fatal(err)
	}
	for _, ev := range out.Events {
		if ev.StateEnteredEventDetails != nil && aws.ToString(ev.StateEnteredEventDetails.Name) == state {
			return true
		}
	}
	return false
}

func waitDone(t *testing.T, o *operator, arn string) {
	t.Helper()
	client := sfn.NewFromConfig(o.root())
	waitFor(t, "execution "+arn, func() bool {
		out, err := client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status != sfntypes.ExecutionStatusRunning
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestOperatorCredentials: the CLI takes its credentials and region from
// the SDK's chain: a named profile, and refuses to guess a region.
func TestOperatorCredentials(t *testing.T) {
	o := newOperator(t, localstacktest.Options{})
	home := t.TempDir()
	cfg, creds := filepath.Join(home, "config"), filepath.Join(home, "credentials")
	if err := os.WriteFile(cfg, []byte("[profile ops]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[ops]\naws_access_key_id = AKIALOCALOPSPROFILE0\naws_secret_access_key = local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_REGION", "")

	code, _, errOut := o.run("status")
	if code != 2 || !strings.Contains(errOut, "no AWS region: pass --region") {
		t.Errorf("without a region: exit %d: %s", code, errOut)
	}
	var st statusOutput
	o.okJSON(&st, "status", "--profile", "ops")
	if len(st.Targets) != 4 || st.Deployment.Region != "us-east-1" {
		t.Errorf("status --profile ops: %+v", st)
	}
	o.okJSON(&st, "status", "--profile", "ops", "--region", "us-east-1")
	code, _, errOut = o.run("status", "--profile", "nosuch", "--region", "us-east-1")
	if code != 1 || !strings.Contains(errOut, "nosuch") {
		t.Errorf("an unknown profile: exit %d: %s", code, errOut)
	}
}

// TestAuditRunsTheDeploymentsAuditFunction: with a Lambda named
// <prefix>-audit in the stack, audit invokes it and prints its findings.
func TestAuditRunsTheDeploymentsAuditFunction(t *testing.T) {
	bin := localstacktest.BuildFunction(t, "./cmd/ddrotate/testdata/fakeaudit")
	o := newOperator(t, localstacktest.Options{
		Bootstraps: map[string]string{"ddrotate-audit": bin},
		Mutate: func(tmpl map[string]any) {
			resources := tmpl["Resources"].(map[string]any)
			for _, raw := range resources {
				res := raw.(map[string]any)
				props, _ := res["Properties"].(map[string]any)
				if res["Type"] == "AWS::Lambda::Function" && props["FunctionName"] == "ddrotate-notify" {
					var audit map[string]any
					b, _ := json.Marshal(res)
					_ = json.Unmarshal(b, &audit)
					audit["Properties"].(map[string]any)["FunctionName"] = "ddrotate-audit"
					resources["AuditFunction"] = audit
					return
				}
			}
			t.Fatal("the template has no function ddrotate-notify to copy")
		},
	})
	for _, format := range []string{"text", "json"} {
		out := o.ok("audit", "-o", format)
		var findings struct {
			Checked  int `json:"checked"`
			Findings []struct{ Target, Severity, Message string }
		}
		if err := json.Unmarshal([]byte(out), &findings); err != nil || findings.Checked != 4 || len(findings.Findings) != 1 || findings.Findings[0].Target != "payments" {
			t.Errorf("audit -o %s printed %s (%v)", format, out, err)
		}
	}
}

// TestServeTemplateHintsWork runs the operator commands that `serve
// --template` tells its user to try, exactly as it prints them.
func TestServeTemplateHintsWork(t *testing.T) {
	o := newOperator(t, localstacktest.Options{})
	var text bytes.Buffer
	printStack(&text, o.ls, localstack.Options{})
	mustContain(t, "serve --template", text.String(), "export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1")
	var tried []string
	for _, line := range strings.Split(text.String(), "\n") {
		if !strings.HasPrefix(line, "  ddrotate ") {
			continue
		}
		args := strings.Fields(line)
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args[1:], &stdout, &stderr); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", line, code, stdout.String(), stderr.String())
		}
		o.outputs = append(o.outputs, stdout.String(), stderr.String())
		tried = append(tried, args[1])
	}
	if !slices.Equal(tried, []string{"status", "rotate", "history", "plan"}) {
		t.Errorf("serve --template suggests %v", tried)
	}
}

// TestFleetRunInHistoryAndPlan: a scheduled fleet run (as the schedule
// starts it) shows in history with the rotations it started, and dates
// plan's next run under a rate schedule.
func TestFleetRunInHistoryAndPlan(t *testing.T) {
	o := newOperator(t, localstacktest.Options{})
	fleetARN := o.ls.Deployment.Outputs["RotateFleetStateMachineArn"]
	if fleetARN == "" {
		for _, m := range o.ls.Deployment.Machines {
			if m.Name == "ddrotate-rotate-fleet" {
				fleetARN = m.ARN
			}
		}
	}
	start, err := sfn.NewFromConfig(o.root()).StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(fleetARN), Input: aws.String(`{"mode": "scheduled"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var h historyOutput
	waitFor(t, "the fleet run to start a rotation of every target", func() bool {
		o.okJSON(&h, "history")
		return len(h.Executions) == 5
	})
	var children int
	for _, x := range h.Executions {
		switch x.StateMachine {
		case "rotate-fleet":
			if x.ExecutionARN != aws.ToString(start.ExecutionArn) || x.Target != "" || x.Mode != "scheduled" {
				t.Errorf("the fleet run in history: %+v", x)
			}
		case "rotate-target":
			if x.ByFleet && x.Mode == "scheduled" {
				children++
			}
		}
	}
	if children != 4 {
		t.Errorf("%d rotations started by the fleet run, want 4: %+v", children, h.Executions)
	}
	mustContain(t, "history", o.ok("history"), "rotate-fleet", "(fleet)", "scheduled (fleet)")

	var p planOutput
	o.okJSON(&p, "plan")
	if p.NextRun == nil || !p.NextRun.Equal(aws.ToTime(start.StartDate).UTC().Add(30*24*time.Hour)) || !strings.Contains(p.NextRunNote, "after the last fleet run") {
		t.Errorf("plan's next run %v (%s), want 30 days after %v", p.NextRun, p.NextRunNote, start.StartDate)
	}
	for _, x := range p.Targets {
		if x.Action != "rotate" || x.Reason != "the one schedule rotates every target of the deployment" {
			t.Errorf("plan %s: %+v", x.Target, x)
		}
	}
	var st statusOutput
	o.okJSON(&st, "status")
	for _, x := range st.Targets {
		if x.LastExecution == nil || !x.LastExecution.ByFleet || x.LastExecution.StartedBy == "" {
			t.Errorf("%s's last execution: %+v", x.Target, x.LastExecution)
		}
	}
	o.ok("stop", "--execution", aws.ToString(start.ExecutionArn))
}
