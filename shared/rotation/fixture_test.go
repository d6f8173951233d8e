package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/internal/syncbuf"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

const (
	region       = "us-east-1"
	accountID    = "000000000000"
	secretPrefix = "ddrotate/"
	adminTarget  = "admin"
	site         = deploy.SiteUS1
	topicName    = "ddrotate-events"
	defaultGrace = 24 * time.Hour
	executionArn = "arn:aws:states:" + region + ":" + accountID + ":execution:ddrotate-rotate-target:"
)

// fixedNow is the steps' clock: every rotatedAt and expiry is derived from it.
var fixedNow = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// teamScopes are the scopes of api-app-key targets' initial application keys.
var teamScopes = []string{"metrics_read", "timeseries_query", "dashboards_read"}

// fixture is one deployment of the rotation steps against fresh Datadog and
// AWS emulators, spoken to by the real clients. Only Step Functions'
// DescribeExecution is a test double.
type fixture struct {
	t   testing.TB
	ctx context.Context

	dd       *ddemu.Server
	ddURL    string
	admin    ddemu.Admin
	aws      *awsemu.Server
	sm       *secretsmanager.Client
	topic    *sns.Client
	topicARN string
	execs    *executions
	steps    *rotation.Steps
	logs     *syncbuf.Buffer

	targets map[string]*target
	execSeq int

	mu sync.Mutex
	// emitted is everything the steps sent out besides logs and SNS: the
	// JSON outputs of the handlers and the texts of their errors.
	emitted []string
	// handedOut are the key values the Datadog emulator ever answered with.
	handedOut map[string]bool
	// factoryAdmins are the admin API key ids the KeysFactory was called
	// with, in order.
	factoryAdmins []string
	// datadogPause is what an injected Datadog latency does instead of
	// sleeping; see holdDatadog.
	datadogPause func(ctx context.Context) error
}

// target is a rotation target the fixture set up, with its initial keys.
type target struct {
	Name             string
	Kind             rotation.Kind
	SecretARN        string
	ServiceAccountID string
	APIKey           ddemu.APIKey
	AppKey           ddemu.AppKey // zero for api-key targets
}

// Targets every fixture has. payments-eu is there to show that rotating
// payments never touches a target whose name merely starts the same way.
const (
	payments   = "payments"
	paymentsEU = "payments-eu"
	analytics  = "analytics"
)

// newFixture starts the emulators, the clients and the steps, and seeds the
// admin credential and the targets payments and payments-eu (api-key) and
// analytics (api-app-key). After the test it scans everything the steps
// emitted for key values.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureWith(tb, true)
}

// newFixtureWith is newFixture, with the leak check optional: a benchmark
// emits too much for the quadratic scan.
func newFixtureWith(tb testing.TB, leakCheck bool) *fixture {
	tb.Helper()
	seed, admin := ddemu.DefaultSeed()
	f := &fixture{
		t:         tb,
		ctx:       tb.Context(),
		admin:     admin,
		aws:       awsemu.New(awsemu.Options{}),
		execs:     &executions{status: map[string]sfntypes.ExecutionStatus{}, input: map[string]string{}},
		logs:      &syncbuf.Buffer{},
		targets:   map[string]*target{},
		handedOut: map[string]bool{},
	}
	// Injected Datadog latency never waits on a timer: it calls the hook a
	// test set with holdDatadog, or returns at once.
	f.dd = ddemu.New(seed, ddemu.WithSleep(func(ctx context.Context, _ time.Duration) error {
		f.mu.Lock()
		hook := f.datadogPause
		f.mu.Unlock()
		if hook == nil {
			return nil
		}
		return hook(ctx)
	}))
	var err error
	if f.ddURL, err = f.dd.Listen("127.0.0.1:0"); err != nil {
		tb.Fatalf("start the Datadog emulator: %v", err)
	}
	tb.Cleanup(func() { _ = f.dd.Close() })
	awsURL, err := f.aws.Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("start the AWS emulator: %v", err)
	}
	tb.Cleanup(func() { _ = f.aws.Close() })

	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFIXTURE000000000", "fixture-secret-access-key", ""),
		BaseEndpoint: aws.String(awsURL),
		// One attempt: an injected fault reaches the step as is, and no
		// test waits for the SDK's backoff.
		RetryMaxAttempts: 1,
	}
	f.sm = secretsmanager.NewFromConfig(cfg)
	f.topic = sns.NewFromConfig(cfg)
	topic, err := f.topic.CreateTopic(f.ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		tb.Fatalf("create the topic: %v", err)
	}
	f.topicARN = aws.ToString(topic.TopicArn)

	f.putAdmin()
	f.addTarget(payments, deploy.KindAPIKey, nil)
	f.addTarget(paymentsEU, deploy.KindAPIKey, nil)
	f.addTarget(analytics, deploy.KindAPIAppKey, nil)

	cfgSteps := rotation.Config{
		SecretPrefix:  secretPrefix,
		AdminSecretID: secretPrefix + adminTarget,
		TopicARN:      f.topicARN,
		Site:          site,
		DefaultGrace:  defaultGrace,
		// As deployed: the steps' own use of an old key while a rotation
		// is under way is not a consumer's.
		OldKeyUsageLag: deploy.DefaultOldKeyUsageLag,
	}
	httpClient := &http.Client{Transport: &recordingTransport{next: http.DefaultTransport, record: f.recordHandedOut}}
	keys := func(a credential.Admin) (rotation.KeysAPI, error) {
		f.mu.Lock()
		f.factoryAdmins = append(f.factoryAdmins, a.APIKeyID)
		f.mu.Unlock()
		return datadog.New(a.Site, a.APIKey, a.AppKey, datadog.Options{Endpoint: f.ddURL, MaxElapsed: 3 * time.Second, HTTPClient: httpClient})
	}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if f.steps, err = rotation.NewSteps(cfgSteps, f.sm, f.topic, f.execs, keys, logger); err != nil {
		tb.Fatalf("NewSteps: %v", err)
	}
	f.steps.Now = func() time.Time { return fixedNow }

	if leakCheck {
		// Registered last, so it runs first: the emulators are still up.
		tb.Cleanup(f.checkNoLeaks)
	}
	return f
}

// putAdmin stores the seeded admin credential as the admin target's secret.
func (f *fixture) putAdmin() {
	a := credential.Admin{
		APIKey: credential.NewSecret(f.admin.APIKey), APIKeyID: f.admin.APIKeyID,
		AppKey: credential.NewSecret(f.admin.AppKey), AppKeyID: f.admin.AppKeyID,
		ServiceAccountID: f.admin.ServiceAccountID, Site: site,
	}
	value, err := a.SecretString()
	if err != nil {
		f.t.Fatalf("encode the admin credential: %v", err)
	}
	arn := f.createSecret(adminTarget, value, tagsFor(adminTarget, deploy.KindAdmin, ""))
	var apiKey ddemu.APIKey
	for _, k := range f.dd.APIKeys() {
		if k.ID == f.admin.APIKeyID {
			apiKey = k
		}
	}
	var appKey ddemu.AppKey
	for _, k := range f.dd.AppKeys() {
		if k.ID == f.admin.AppKeyID {
			appKey = k
		}
	}
	f.targets[adminTarget] = &target{Name: adminTarget, Kind: deploy.KindAdmin, SecretARN: arn,
		ServiceAccountID: f.admin.ServiceAccountID, APIKey: apiKey, AppKey: appKey}
}

// addTarget creates a team's initial key(s) in Datadog and its secret,
// tagged as the CDK stack tags it. extraTags are added to (or, with an
// empty value, removed from) the usual tags.
func (f *fixture) addTarget(name string, kind rotation.Kind, extraTags map[string]string) *target {
	f.t.Helper()
	t := &target{Name: name, Kind: kind}
	t.APIKey = f.dd.AddAPIKey(name + "-initial")
	team := credential.Team{APIKey: credential.NewSecret(t.APIKey.Key), APIKeyID: t.APIKey.ID, Site: site}
	if kind == deploy.KindAPIAppKey {
		sa := f.dd.AddServiceAccount(name + "-service-account")
		t.ServiceAccountID = sa.ID
		t.AppKey = f.dd.AddAppKey(sa.ID, name+"-initial", teamScopes)
		team.AppKey, team.AppKeyID, team.ServiceAccountID = credential.NewSecret(t.AppKey.Key), t.AppKey.ID, sa.ID
	}
	value, err := team.SecretString()
	if err != nil {
		f.t.Fatalf("encode target %s: %v", name, err)
	}
	tags := tagsFor(name, kind, t.ServiceAccountID)
	for k, v := range extraTags {
		if v == "" {
			delete(tags, k)
		} else {
			tags[k] = v
		}
	}
	t.SecretARN = f.createSecret(name, value, tags)
	f.targets[name] = t
	return t
}

func tagsFor(name string, kind rotation.Kind, serviceAccountID string) map[string]string {
	tags := map[string]string{deploy.TagTarget: name, deploy.TagKind: string(kind)}
	if serviceAccountID != "" {
		tags[deploy.TagServiceAccountID] = serviceAccountID
	}
	return tags
}

func (f *fixture) createSecret(name, value string, tags map[string]string) string {
	f.t.Helper()
	in := &secretsmanager.CreateSecretInput{
		Name:         aws.String(secretPrefix + name),
		Description:  aws.String("ddrotate: Datadog credential of target " + name),
		SecretString: aws.String(value),
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	out, err := f.sm.CreateSecret(f.ctx, in)
	if err != nil {
		f.t.Fatalf("create the secret of %s: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// putCurrent writes raw as the target's new AWSCURRENT version, as an
// operator fixing (or breaking) a secret by hand would.
func (f *fixture) putCurrent(name, raw string) {
	f.t.Helper()
	if _, err := f.sm.PutSecretValue(f.ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretPrefix + name), SecretString: aws.String(raw),
	}); err != nil {
		f.t.Fatalf("put a value in %s: %v", name, err)
	}
}

// putCurrentWith writes the target's AWSCURRENT value, changed by edit, as
// its new AWSCURRENT version.
func (f *fixture) putCurrentWith(name string, edit func(map[string]any)) {
	f.t.Helper()
	_, raw := f.stageValue(name, "AWSCURRENT")
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		f.t.Fatalf("AWSCURRENT of %s: %v", name, err)
	}
	edit(m)
	edited, err := json.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.putCurrent(name, string(edited))
}

// newExecution returns a fresh execution id, RUNNING in the double.
func (f *fixture) newExecution() string {
	f.execSeq++
	id := executionArn + fmt.Sprintf("6f1c2a7e-0000-4000-8000-%012d", f.execSeq)
	f.execs.set(id, sfntypes.ExecutionStatusRunning)
	return id
}

func input(target string, mode rotation.Mode) json.RawMessage {
	return json.RawMessage(`{"target":"` + target + `","mode":"` + string(mode) + `"}`)
}

// --- the steps, through aws-lambda-go's JSON boundary ---

// invoke runs handler as Lambda would: req is encoded to JSON, the handler's
// result is decoded from the JSON it returned. The JSON and the error text
// are kept for the leak scan.
func invoke[Out any](f *fixture, handler any, req any) (Out, error) {
	var out Out
	payload, err := json.Marshal(req)
	if err != nil {
		f.t.Fatalf("encode request: %v", err)
	}
	raw, err := lambda.NewHandler(handler).Invoke(f.ctx, payload)
	raw = bytes.Clone(raw)
	f.mu.Lock()
	f.emitted = append(f.emitted, string(raw))
	if err != nil {
		f.emitted = append(f.emitted, err.Error())
	}
	f.mu.Unlock()
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		// Not Fatalf: invoke also runs in goroutines.
		f.t.Errorf("decode %T from the handler's output: %v", out, err)
		return out, err
	}
	return out, nil
}

// resetEmitted forgets the step outputs and logs kept for the leak scan,
// so that a benchmark's memory does not grow with b.N.
func (f *fixture) resetEmitted() {
	f.mu.Lock()
	f.emitted = nil
	f.mu.Unlock()
	f.logs.Reset()
}

// holdDatadog makes the next Datadog call of op stop before it is answered
// (and before it takes effect) until release is called; arrived is closed
// when it has stopped. It lets a test put one step between two calls of
// another, deterministically.
func (f *fixture) holdDatadog(op string) (arrived <-chan struct{}, release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.datadogPause = func(ctx context.Context) error {
		f.mu.Lock()
		f.datadogPause = nil
		f.mu.Unlock()
		close(in)
		select {
		case <-out:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Unlock()
	f.dd.AddFault(ddemu.Fault{Op: op, Latency: time.Nanosecond, Times: 1})
	return in, func() { once.Do(func() { close(out) }) }
}

// direct runs step without the JSON boundary, for an execution input that
// is not JSON at all: Step Functions never passes one, and the handler's
// own decoder would refuse it before the step saw it.
func direct[In, Out any](f *fixture, step func(context.Context, In) (Out, error), req In) (Out, error) {
	out, err := step(f.ctx, req)
	raw, _ := json.Marshal(out)
	f.mu.Lock()
	f.emitted = append(f.emitted, string(raw))
	if err != nil {
		f.emitted = append(f.emitted, err.Error())
	}
	f.mu.Unlock()
	return out, err
}

func (f *fixture) create(execID string, in json.RawMessage, attempt int) (rotation.Record, error) {
	f.execs.started(execID, in)
	req := rotation.CreateRequest{ExecutionID: execID, Input: in, Attempt: attempt}
	if !json.Valid(in) {
		return direct(f, f.steps.Create, req)
	}
	return invoke[rotation.Record](f, f.steps.Create, req)
}

func (f *fixture) verify(rec rotation.Record) error {
	_, err := invoke[struct{}](f, f.steps.Verify, rotation.StepRequest{Rotation: rec})
	return err
}

func (f *fixture) store(rec rotation.Record) error {
	_, err := invoke[struct{}](f, f.steps.Store, rotation.StepRequest{Rotation: rec})
	return err
}

func (f *fixture) deleteOld(rec rotation.Record) (rotation.DeleteOldResult, error) {
	return invoke[rotation.DeleteOldResult](f, f.steps.DeleteOld, rotation.StepRequest{Rotation: rec})
}

func (f *fixture) rollback(execID string, in json.RawMessage) (rotation.RollbackResult, error) {
	f.execs.started(execID, in)
	req := rotation.RollbackRequest{ExecutionID: execID, Input: in}
	if !json.Valid(in) {
		return direct(f, f.steps.Rollback, req)
	}
	return invoke[rotation.RollbackResult](f, f.steps.Rollback, req)
}

func (f *fixture) notify(req rotation.NotifyRequest) (rotation.NotifyResult, error) {
	return invoke[rotation.NotifyResult](f, f.steps.Notify, req)
}

// mustCreate runs Create, failing the test on an error.
func (f *fixture) mustCreate(execID string, in json.RawMessage) rotation.Record {
	f.t.Helper()
	rec, err := f.create(execID, in, 0)
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	return rec
}

// rotateThroughStore runs Create, Verify and Store of a new execution.
func (f *fixture) rotateThroughStore(name string, mode rotation.Mode) rotation.Record {
	f.t.Helper()
	rec := f.mustCreate(f.newExecution(), input(name, mode))
	if err := f.verify(rec); err != nil {
		f.t.Fatalf("Verify: %v", err)
	}
	if err := f.store(rec); err != nil {
		f.t.Fatalf("Store: %v", err)
	}
	return rec
}

// --- emulator state ---

// state is what the emulators hold: Datadog keys by id and every secret's
// versions.
type state struct {
	apiKeys  map[string]ddemu.APIKey
	appKeys  map[string]ddemu.AppKey
	versions map[string][]awsemu.SecretVersion // by target
}

func (f *fixture) snapshot() state {
	f.t.Helper()
	s := state{apiKeys: map[string]ddemu.APIKey{}, appKeys: map[string]ddemu.AppKey{}, versions: map[string][]awsemu.SecretVersion{}}
	for _, k := range f.dd.APIKeys() {
		s.apiKeys[k.ID] = k
	}
	for _, k := range f.dd.AppKeys() {
		s.appKeys[k.ID] = k
	}
	for name := range f.targets {
		s.versions[name] = f.versions(name)
	}
	return s
}

func (f *fixture) versions(name string) []awsemu.SecretVersion {
	f.t.Helper()
	vs, err := f.aws.SecretVersions(secretPrefix + name)
	if err != nil {
		f.t.Fatalf("versions of %s: %v", name, err)
	}
	return vs
}

// labels maps each staging label of the target's secret to its version.
func (f *fixture) labels(name string) map[string]string {
	f.t.Helper()
	out := map[string]string{}
	for _, v := range f.versions(name) {
		for _, stage := range v.Stages {
			out[stage] = v.VersionID
		}
	}
	return out
}

// stageValue is the secret string of the version carrying stage.
func (f *fixture) stageValue(name, stage string) (versionID, value string) {
	f.t.Helper()
	for _, v := range f.versions(name) {
		if slices.Contains(v.Stages, stage) {
			return v.VersionID, v.SecretString
		}
	}
	f.t.Fatalf("%s has no %s version", name, stage)
	return "", ""
}

// currentKeys reads the API and application key (values included) that
// the target's AWSCURRENT holds.
func (f *fixture) currentKeys(name string) (apiKeyID, apiKey, appKeyID, appKey string) {
	f.t.Helper()
	_, raw := f.stageValue(name, "AWSCURRENT")
	if f.targets[name].Kind == deploy.KindAdmin {
		a, err := credential.ParseAdmin([]byte(raw))
		if err != nil {
			f.t.Fatalf("AWSCURRENT of %s: %v", name, err)
		}
		return a.APIKeyID, a.APIKey.Reveal(), a.AppKeyID, a.AppKey.Reveal()
	}
	tm, err := credential.ParseTeam([]byte(raw))
	if err != nil {
		f.t.Fatalf("AWSCURRENT of %s: %v", name, err)
	}
	return tm.APIKeyID, tm.APIKey.Reveal(), tm.AppKeyID, tm.AppKey.Reveal()
}

// requireCurrentWorks checks invariant 1 for the target: its AWSCURRENT
// keys are live in Datadog.
func (f *fixture) requireCurrentWorks(name string) {
	f.t.Helper()
	_, api, _, app := f.currentKeys(name)
	if !f.dd.APIKeyValid(api) {
		f.t.Errorf("%s: the AWSCURRENT API key does not validate", name)
	}
	if app != "" && !f.dd.AppKeyValid(app) {
		f.t.Errorf("%s: the AWSCURRENT application key does not validate", name)
	}
}

// requireUnchanged fails if the emulators' state differs from before: the
// same Datadog keys, the same secret versions with the same labels.
func (f *fixture) requireUnchanged(before state) {
	f.t.Helper()
	after := f.snapshot()
	if got, want := sortedKeys(after.apiKeys), sortedKeys(before.apiKeys); !slices.Equal(got, want) {
		f.t.Errorf("API keys changed:\n got %v\nwant %v", got, want)
	}
	if got, want := sortedKeys(after.appKeys), sortedKeys(before.appKeys); !slices.Equal(got, want) {
		f.t.Errorf("application keys changed:\n got %v\nwant %v", got, want)
	}
	for name, want := range before.versions {
		if got := versionSummary(after.versions[name]); got != versionSummary(want) {
			f.t.Errorf("versions of %s changed:\n got %s\nwant %s", name, got, versionSummary(want))
		}
	}
}

func versionSummary(vs []awsemu.SecretVersion) string {
	var b strings.Builder
	for _, v := range vs {
		stages := slices.Clone(v.Stages)
		slices.Sort(stages)
		fmt.Fprintf(&b, "%s%v ", v.VersionID, stages)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// apiKeysNamed returns the API keys whose name is exactly name.
func (f *fixture) apiKeysNamed(name string) []ddemu.APIKey {
	var out []ddemu.APIKey
	for _, k := range f.dd.APIKeys() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// appKeysNamed returns the application keys whose name is exactly name.
func (f *fixture) appKeysNamed(name string) []ddemu.AppKey {
	var out []ddemu.AppKey
	for _, k := range f.dd.AppKeys() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// published returns the SNS messages the topic received.
func (f *fixture) published() []awsemu.Message { return f.aws.Published(f.topicARN) }

// --- the one test double: Step Functions' DescribeExecution ---

// executions answers DescribeExecution from a map of execution ARN to
// status and input; an unknown ARN is ExecutionDoesNotExist, as Step
// Functions says.
type executions struct {
	mu     sync.Mutex
	status map[string]sfntypes.ExecutionStatus
	input  map[string]string
}

// started records the input an execution was started with, the first time
// a test hands it to a step (as Step Functions knows it from StartExecution).
func (x *executions) started(arn string, in json.RawMessage) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.input[arn]; !ok {
		x.input[arn] = string(in)
	}
}

var _ rotation.ExecutionsAPI = (*executions)(nil)

func (x *executions) set(arn string, status sfntypes.ExecutionStatus) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.status[arn] = status
}

func (x *executions) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	arn := aws.ToString(in.ExecutionArn)
	status, ok := x.status[arn]
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + arn + "'")}
	}
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: status, Input: aws.String(x.input[arn])}, nil
}

// --- leak check (invariant 4) ---

// recordingTransport passes Datadog requests through and remembers every
// key value in the answers, so that the leak scan also knows the values of
// keys that were created and deleted within one step.
type recordingTransport struct {
	next   http.RoundTripper
	record func(value string)
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if readErr != nil {
		return resp, nil
	}
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		walkKeyFields(doc, rt.record)
	}
	return resp, nil
}

// walkKeyFields calls record with every string field named "key" in doc,
// which is where Datadog puts key values.
func walkKeyFields(doc any, record func(string)) {
	switch v := doc.(type) {
	case map[string]any:
		for name, field := range v {
			if s, ok := field.(string); ok && name == "key" {
				record(s)
			}
			walkKeyFields(field, record)
		}
	case []any:
		for _, e := range v {
			walkKeyFields(e, record)
		}
	}
}

func (f *fixture) recordHandedOut(value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handedOut[value] = true
}

// keyValues is every key value the emulators hold or held: live Datadog
// keys, the values Datadog handed out, and the values in every version of
// every secret.
func (f *fixture) keyValues() []string {
	values := map[string]bool{f.admin.APIKey: true, f.admin.AppKey: true}
	for _, k := range f.dd.APIKeys() {
		values[k.Key] = true
	}
	for _, k := range f.dd.AppKeys() {
		values[k.Key] = true
	}
	f.mu.Lock()
	maps.Copy(values, f.handedOut)
	f.mu.Unlock()
	for name := range f.targets {
		vs, err := f.aws.SecretVersions(secretPrefix + name)
		if err != nil {
			continue
		}
		for _, v := range vs {
			var fields map[string]any
			if json.Unmarshal([]byte(v.SecretString), &fields) != nil {
				continue
			}
			for _, name := range []string{"apiKey", "appKey", "adminApiKey", "adminAppKey"} {
				if s, ok := fields[name].(string); ok {
					values[s] = true
				}
			}
		}
	}
	delete(values, "")
	return slices.Sorted(maps.Keys(values))
}

// emissions is everything that left the steps: logs, handler outputs and
// error texts, SNS messages, and the emulators' call logs.
func (f *fixture) emissions() map[string]string {
	out := map[string]string{"logs": f.logs.String()}
	f.mu.Lock()
	out["step outputs and errors"] = strings.Join(f.emitted, "\n")
	f.mu.Unlock()
	var sb strings.Builder
	for _, m := range f.aws.Published(f.topicARN) {
		fmt.Fprintf(&sb, "%s\n%s\n%v\n", m.Subject, m.Message, m.Attributes)
	}
	out["SNS messages"] = sb.String()
	out["Datadog call log"] = fmt.Sprint(f.dd.Calls())
	out["AWS call log"] = fmt.Sprint(f.aws.Calls())
	return out
}

// checkNoLeaks is invariant 4: no key value in anything the steps emitted.
func (f *fixture) checkNoLeaks() {
	values := f.keyValues()
	if len(values) < 2 {
		f.t.Errorf("leak check: only %d key values known; the scan would prove nothing", len(values))
	}
	for _, l := range localenv.Leaks(values, f.emissions()) {
		f.t.Errorf("leak: %s", l)
	}
}

// --- small assertions ---

// wantErrorAs fails unless err's chain holds a *T, and returns it.
func wantErrorAs[T error](t testing.TB, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want a %T", err, err, target)
	}
	return target
}

func keyIDs[K any](keys []K, id func(K) string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, id(k))
	}
	sort.Strings(out)
	return out
}
