package lambdaenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

const (
	testTopicARN        = "arn:aws:sns:us-east-1:123456789012:ddrotate"
	testStateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:ddrotate-rotate-target"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		deploy.EnvSecretPrefix:    "ddrotate/",
		deploy.EnvAdminSecretID:   "ddrotate/admin",
		deploy.EnvTopicARN:        testTopicARN,
		deploy.EnvSite:            string(deploy.SiteEU1),
		deploy.EnvDefaultGrace:    "3600",
		deploy.EnvStateMachineARN: testStateMachineARN,
	}
}

func TestSettingsFromEnv(t *testing.T) {
	s, err := SettingsFromEnv(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Rotation.Site != deploy.SiteEU1 || s.Rotation.DefaultGrace != time.Hour || s.Rotation.AdminSecretID != "ddrotate/admin" ||
		s.Rotation.StateMachineARN != testStateMachineARN {
		t.Errorf("settings %+v", s.Rotation)
	}
	if s.DatadogEndpoint != "" {
		t.Errorf("a deployed Lambda must not have a Datadog endpoint override, got %q", s.DatadogEndpoint)
	}
}

// A misconfigured Lambda fails at init with a message naming the variable.
func TestSettingsFromEnvNamesTheBadVariable(t *testing.T) {
	cases := map[string]struct {
		key, value, want string
	}{
		"foreign site":               {deploy.EnvSite, "evil.example.com", deploy.EnvSite},
		"missing site":               {deploy.EnvSite, "", deploy.EnvSite},
		"grace not number":           {deploy.EnvDefaultGrace, "a day", deploy.EnvDefaultGrace},
		"negative grace":             {deploy.EnvDefaultGrace, "-5", deploy.EnvDefaultGrace},
		"no admin secret":            {deploy.EnvAdminSecretID, "", "admin secret id"},
		"no topic":                   {deploy.EnvTopicARN, "", "topic ARN"},
		"topic not an ARN":           {deploy.EnvTopicARN, "ddrotate-topic", "topic ARN"},
		"state machine not an ARN":   {deploy.EnvStateMachineARN, "ddrotate-rotate-target", "state machine ARN"},
		"state machine a topic ARN":  {deploy.EnvStateMachineARN, testTopicARN, deploy.EnvStateMachineARN},
		"state machine an execution": {deploy.EnvStateMachineARN, "arn:aws:states:us-east-1:123456789012:execution:ddrotate-rotate-target:x", "state machine ARN"},
		"bad log level":              {deploy.EnvLogLevel, "chatty", deploy.EnvLogLevel},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := validEnv()
			m[tc.key] = tc.value
			_, err := SettingsFromEnv(env(m))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// The state machine's ARN is optional, as the other settings with defaults.
func TestSettingsFromEnvWithoutStateMachineARN(t *testing.T) {
	m := validEnv()
	delete(m, deploy.EnvStateMachineARN)
	if _, err := SettingsFromEnv(env(m)); err != nil {
		t.Fatal(err)
	}
}

// DeployedEnv, which the infra tests hold the synthesized Lambdas to, is
// exactly what SettingsFromEnv reads besides the local endpoint override.
func TestSettingsFromEnvReadsExactlyTheDeployedEnv(t *testing.T) {
	values := validEnv()
	read := map[string]bool{}
	if _, err := SettingsFromEnv(func(key string) string {
		read[key] = true
		return values[key]
	}); err != nil {
		t.Fatal(err)
	}
	want := append(DeployedEnv(), deploy.EnvDatadogEndpoint)
	if got := slices.Sorted(maps.Keys(read)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("SettingsFromEnv reads %q, want %q (DeployedEnv and the local endpoint)", got, slices.Sorted(slices.Values(want)))
	}
	if slices.Contains(DeployedEnv(), deploy.EnvDatadogEndpoint) {
		t.Errorf("DeployedEnv lists %s, which a deployment must never set", deploy.EnvDatadogEndpoint)
	}
}

// What the stack sets (deploy's builder) is what the steps read, and they
// start from it with the values the config gave.
func TestSettingsFromEnvAcceptsTheStepEnvironment(t *testing.T) {
	file := deploy.ConfigFile{
		Prefix:             "ddr-test",
		Site:               string(deploy.SiteAP1),
		Schedule:           "rate(7 days)",
		DefaultGracePeriod: "36h",
		Alarms:             deploy.AlarmsFile{Email: "ops@example.com"},
		Targets: []deploy.TargetFile{
			{Name: "payments", Kind: deploy.KindAPIKey, Accounts: []string{"111111111111"}, ExternalID: "payments-reader"},
			{Name: "ddr-admin", Kind: deploy.KindAdmin},
		},
	}
	cfg, err := file.Validate(time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	environment := cfg.StepEnvironment(deploy.StepResources{TopicARN: testTopicARN, StateMachineARN: testStateMachineARN})
	if got, want := slices.Sorted(maps.Keys(environment)), slices.Sorted(slices.Values(DeployedEnv())); !slices.Equal(got, want) {
		t.Errorf("deploy's step environment sets %q, the steps read %q", got, want)
	}
	settings, err := SettingsFromEnv(env(environment))
	if err != nil {
		t.Fatalf("the steps refuse the environment the stack gives them: %v", err)
	}
	want := rotation.Config{
		SecretPrefix:    "ddr-test/",
		AdminSecretID:   "ddr-test/ddr-admin",
		TopicARN:        testTopicARN,
		Site:            deploy.SiteAP1,
		DefaultGrace:    36 * time.Hour,
		OldKeyUsageLag:  deploy.DefaultOldKeyUsageLag,
		StateMachineARN: testStateMachineARN,
	}
	if settings.Rotation != want {
		t.Errorf("settings %+v, want %+v", settings.Rotation, want)
	}
	if settings.LogLevel.String() != strings.ToUpper(deploy.StepLogLevel) || settings.DatadogEndpoint != "" {
		t.Errorf("log level %v, endpoint %q; want %s and none", settings.LogLevel, settings.DatadogEndpoint, deploy.StepLogLevel)
	}
}

// Every step of the deploy contract has a handler, so no Lambda and no
// local run finds a step missing at its first invoke.
func TestEveryStepHasAHandler(t *testing.T) {
	steps := &rotation.Steps{}
	handlers := Handlers(steps)
	for _, step := range deploy.Steps() {
		handler, err := Handler(steps, step)
		if err != nil {
			t.Errorf("%s: %v", step, err)
			continue
		}
		if fn := reflect.TypeOf(handler); fn.Kind() != reflect.Func || fn.NumOut() == 0 ||
			!fn.Out(fn.NumOut()-1).Implements(reflect.TypeFor[error]()) {
			t.Errorf("%s: handler %T is not a Lambda handler returning an error", step, handler)
		}
	}
	for step := range handlers {
		if !step.Valid() {
			t.Errorf("Handlers has %q, which is not a step of the deploy contract", step)
		}
	}
	if _, err := Handler(steps, "rotate"); err == nil || !strings.Contains(err.Error(), `"rotate"`) {
		t.Errorf("Handler of an unknown step: got %v, want an error naming it", err)
	}
}

// functionsDir holds one main package per step.
const functionsDir = "../../functions"

// Every step has its main under functions/<step>/, calling MustHandler with
// its own step, and every folder there is a step.
func TestEveryStepHasItsMain(t *testing.T) {
	constants := stepConstants(t)
	for _, step := range deploy.Steps() {
		path := filepath.Join(functionsDir, string(step), "main.go")
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Errorf("step %s has no main: %v", step, err)
			continue
		}
		var started []deploy.Step
		ast.Inspect(file, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && isSelector(call.Fun, "lambdaenv", "MustHandler") && len(call.Args) == 1 {
				if arg, ok := call.Args[0].(*ast.SelectorExpr); ok && isSelector(arg, "deploy", arg.Sel.Name) {
					started = append(started, constants[arg.Sel.Name])
				}
			}
			return true
		})
		if !slices.Equal(started, []deploy.Step{step}) {
			t.Errorf("%s calls lambdaenv.MustHandler with %q, want exactly once with its own step %q", path, started, step)
		}
	}
	entries, err := os.ReadDir(functionsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if entry.IsDir() && !deploy.Step(entry.Name()).Valid() {
			t.Errorf("functions/%s is not a step of the deploy contract", entry.Name())
		}
	}
}

func isSelector(expr ast.Expr, pkg, name string) bool {
	sel, ok := expr.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

// stepConstants maps the names of deploy's Step constants to their values,
// read from its source, so that the mains can be checked without building them.
func stepConstants(t *testing.T) map[string]deploy.Step {
	t.Helper()
	paths, err := filepath.Glob("../deploy/*.go")
	if err != nil {
		t.Fatal(err)
	}
	constants := map[string]deploy.Step{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "Step" {
					continue
				}
				for i, name := range vs.Names {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						value, _ := strconv.Unquote(lit.Value)
						constants[name.Name] = deploy.Step(value)
					}
				}
			}
		}
	}
	if len(constants) != len(deploy.Steps()) {
		t.Fatalf("found %d Step constants in deploy's source, want one per step (%d)", len(constants), len(deploy.Steps()))
	}
	return constants
}
