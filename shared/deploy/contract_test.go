package deploy

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStepsAreDistinctAndEachHasItsOwnPlaceholder(t *testing.T) {
	steps := Steps()
	if len(steps) == 0 {
		t.Fatal("no steps")
	}
	placeholders := map[string]Step{}
	for i, step := range steps {
		if slices.Index(steps, step) != i {
			t.Errorf("step %q is listed twice", step)
		}
		if !step.Valid() {
			t.Errorf("step %q is listed but not Valid", step)
		}
		// The step names a folder and ends a Lambda's name.
		if !ValidTargetName(string(step)) {
			t.Errorf("step %q is not a lower-case name fit for a folder and a function", step)
		}
		p := step.Placeholder()
		if !strings.HasSuffix(p, "FunctionArn") || !strings.EqualFold(strings.TrimSuffix(p, "FunctionArn"), string(step)) {
			t.Errorf("step %q has placeholder %q, want its name followed by FunctionArn", step, p)
		}
		if other, dup := placeholders[p]; dup {
			t.Errorf("steps %q and %q share the placeholder %q", other, step, p)
		}
		placeholders[p] = step
	}
	if _, clash := placeholders[RotateTargetStateMachinePlaceholder]; clash {
		t.Errorf("a step's placeholder is the state machine's, %q", RotateTargetStateMachinePlaceholder)
	}
	if Step("rotate").Valid() || Step("rotate").Placeholder() != "" {
		t.Error("an unknown step is Valid or has a placeholder")
	}
	steps[0] = "rotate"
	if Steps()[0] == "rotate" {
		t.Error("changing the slice Steps returned changed the contract's steps")
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		kind             Kind
		valid, hasAppKey bool
	}{
		{KindAPIKey, true, false},
		{KindAPIAppKey, true, true},
		{KindAdmin, true, true},
		{"app-key", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if tt.kind.Valid() != tt.valid || tt.kind.HasAppKey() != tt.hasAppKey {
			t.Errorf("%q: Valid %v, HasAppKey %v; want %v, %v", tt.kind, tt.kind.Valid(), tt.kind.HasAppKey(), tt.valid, tt.hasAppKey)
		}
	}
}

func TestValidTargetName(t *testing.T) {
	for _, name := range []string{"ab", "payments", "team-2", "0x", strings.Repeat("a", 40)} {
		if !ValidTargetName(name) {
			t.Errorf("%q is refused", name)
		}
	}
	for _, name := range []string{"", "a", "-ab", "ab-", "Payments", "pay_ments", "pay ments", "pay/ments", strings.Repeat("a", 41)} {
		if ValidTargetName(name) {
			t.Errorf("%q is accepted", name)
		}
	}
}

func TestSitesAreTheAllowlist(t *testing.T) {
	listed := Sites()
	for _, site := range listed {
		if !site.Valid() || site.APIBaseURL() != "https://api."+string(site) {
			t.Errorf("%q: Valid %v, APIBaseURL %q", site, site.Valid(), site.APIBaseURL())
		}
	}
	listed[0] = "evil.example.com"
	if Site("evil.example.com").Valid() || Sites()[0] == "evil.example.com" {
		t.Error("changing the slice Sites returned widened the allowlist")
	}
}

// The step environment carries the config's values under the contract's
// names, and the stack's resources as given.
func TestStepEnvironment(t *testing.T) {
	file := validConfigFile()
	file.Prefix = "ddr-test"
	file.Site = string(SiteEU1)
	file.DefaultGracePeriod = "36h"
	file.OldKeyUsageLag = "30m"
	cfg, err := file.Validate(validationTime)
	if err != nil {
		t.Fatal(err)
	}
	const topic, machine = "${Token[TOKEN.1]}", "${Token[TOKEN.2]}"
	got := cfg.StepEnvironment(StepResources{TopicARN: topic, StateMachineARN: machine})
	want := map[string]string{
		EnvSecretPrefix:                    "ddr-test/",
		EnvAdminSecretID:                   "ddr-test/admin",
		EnvTopicARN:                        topic,
		EnvSite:                            string(SiteEU1),
		EnvDefaultGrace:                    "129600",
		EnvOldKeyUsageLag:                  "1800",
		EnvStateMachineARN:                 machine,
		EnvLogLevel:                        StepLogLevel,
		EnvDeployment:                      "ddr-test",
		EnvFleetMaxConcurrency:             "10",
		EnvFleetToleratedFailurePercentage: "100",
	}
	if !maps.Equal(got, want) {
		t.Errorf("StepEnvironment = %v, want %v", got, want)
	}
	if _, local := got[EnvDatadogEndpoint]; local {
		t.Errorf("a deployment sets %s, which only local runs may", EnvDatadogEndpoint)
	}
}

func TestResourceNames(t *testing.T) {
	cfg := Config{Prefix: "ddr-test"}
	if got := cfg.FunctionName(StepDeleteOld); got != "ddr-test-deleteold" {
		t.Errorf("FunctionName = %q", got)
	}
	if cfg.RotateTargetMachineName() != "ddr-test-rotate-target" || cfg.RotateFleetMachineName() != "ddr-test-rotate-fleet" {
		t.Errorf("machine names %q, %q", cfg.RotateTargetMachineName(), cfg.RotateFleetMachineName())
	}
}

func TestLogRetentionDaysIsACopy(t *testing.T) {
	days := LogRetentionDays()
	if !slices.IsSorted(days) || !slices.Contains(days, defaultLogRetentionDays) {
		t.Errorf("LogRetentionDays = %v, want them sorted and holding the default %d", days, defaultLogRetentionDays)
	}
	days[0] = 42
	if slices.Contains(LogRetentionDays(), 42) {
		t.Error("changing the slice LogRetentionDays returned changed what the config accepts")
	}
}

// DefaultGracePeriod is what Validate applies when the file sets none.
func TestDefaultGracePeriodApplies(t *testing.T) {
	file := validConfigFile()
	file.DefaultGracePeriod = ""
	cfg, err := file.Validate(validationTime)
	if err != nil || cfg.DefaultGrace != DefaultGracePeriod || DefaultGracePeriod != 24*time.Hour {
		t.Errorf("grace %v (error %v), want %v", cfg.DefaultGrace, err, DefaultGracePeriod)
	}
}

// Targets sharing an account and its trust conditions share a reader group;
// the same account with another externalId is another group; the admin
// target has none.
func TestReaderGroups(t *testing.T) {
	file := validConfigFile()
	file.Prefix = "ddr-test"
	file.Targets = append(file.Targets,
		TargetFile{Name: "payments-eu", Kind: KindAPIKey, Accounts: []string{"111111111111"}, ExternalID: "payments-reader"},
		TargetFile{Name: "fraud", Kind: KindAPIKey, Accounts: []string{"111111111111"}, ExternalID: "fraud-reader"},
		TargetFile{Name: "ingest-org", Kind: KindAPIKey, Accounts: []string{"333333333333"}, OrganizationID: "o-exampleorg1"},
	)
	cfg, err := file.Validate(validationTime)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, g := range cfg.ReaderGroups() {
		key := g.Account + "/" + g.ExternalID + "/" + g.OrganizationID
		if _, dup := got[key]; dup {
			t.Errorf("group %s listed twice", key)
		}
		got[key] = g.Targets
		name := cfg.ReaderRoleName(g)
		if !strings.HasPrefix(name, "ddr-test-read-"+g.Account+"-") || len(name) > 64 {
			t.Errorf("role name %q", name)
		}
		if g.TagKey() != TagReaderPrefix+g.ID() || len(g.TagKey()) > 128 {
			t.Errorf("tag key %q", g.TagKey())
		}
	}
	want := map[string][]string{
		"111111111111/payments-reader/": {"payments", "payments-eu"},
		"111111111111/fraud-reader/":    {"fraud"},
		"222222222222//o-exampleorg1":   {"search"},
		"333333333333/ingest-reader/":   {"ingest"},
		"444444444444/ingest-reader/":   {"ingest"},
		"333333333333//o-exampleorg1":   {"ingest-org"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("groups = %v, want %v", got, want)
	}
	// The id depends on the trust conditions only, not on which targets
	// the group reads, so adding a target does not rename a role.
	a := ReaderGroup{Account: "111111111111", ExternalID: "x", Targets: []string{"a"}}
	b := ReaderGroup{Account: "111111111111", ExternalID: "x", Targets: []string{"a", "b"}}
	c := ReaderGroup{Account: "111111111111", ExternalID: "y"}
	d := ReaderGroup{Account: "111111111111", OrganizationID: "x"}
	if a.ID() != b.ID() || a.ID() == c.ID() || a.ID() == d.ID() {
		t.Errorf("ids %s %s %s %s", a.ID(), b.ID(), c.ID(), d.ID())
	}
}

func TestStepsOfEachMachine(t *testing.T) {
	if got := StepsOf(MachineRotateFleet); !slices.Equal(got, []Step{StepListTargets}) {
		t.Errorf("rotate-fleet invokes %v", got)
	}
	target := StepsOf(MachineRotateTarget)
	if len(target)+1 != len(Steps()) || slices.Contains(target, StepListTargets) {
		t.Errorf("rotate-target invokes %v", target)
	}
	for _, step := range Steps() {
		if step.Machine() == "" {
			t.Errorf("step %s has no machine", step)
		}
	}
}
