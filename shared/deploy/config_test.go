package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validationTime anchors cron expansion so the tests do not depend on today.
var validationTime = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// validConfigFile returns a fresh config that passes validation; each bad
// case changes one thing in it.
func validConfigFile() ConfigFile {
	return ConfigFile{
		Site:     string(SiteUS1),
		Schedule: "rate(7 days)",
		Alarms:   AlarmsFile{Email: "ops@example.com"},
		Targets: []TargetFile{
			{Name: "admin", Kind: KindAdmin},
			{Name: "payments", Kind: KindAPIKey, Accounts: []string{"111111111111"}, ExternalID: "payments-reader"},
			{Name: "search", Kind: KindAPIAppKey, ServiceAccountID: "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Accounts: []string{"222222222222"}, OrganizationID: "o-exampleorg1"},
			{Name: "ingest", Kind: KindAPIKey, Accounts: []string{"333333333333", "444444444444"}, ExternalID: "ingest-reader", GracePeriod: "72h",
				Readers: []string{"arn:aws:iam::333333333333:role/service-role/ingest-forwarder"}},
		},
	}
}

func TestValidateAcceptsValidConfigAndAppliesDefaults(t *testing.T) {
	cfg, err := validConfigFile().Validate(validationTime)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Prefix != "ddrotate" || cfg.SecretPrefix != "ddrotate/" {
		t.Errorf("prefixes = %q, %q; want the defaults ddrotate, ddrotate/", cfg.Prefix, cfg.SecretPrefix)
	}
	if cfg.DefaultGrace != 24*time.Hour || cfg.LogRetentionDays != 365 {
		t.Errorf("defaults: grace %v, retention %d; want 24h, 365", cfg.DefaultGrace, cfg.LogRetentionDays)
	}
	wantGrace := map[string]time.Duration{"admin": 24 * time.Hour, "payments": 24 * time.Hour, "search": 24 * time.Hour, "ingest": 72 * time.Hour}
	for _, target := range cfg.Targets {
		if target.Grace != wantGrace[target.Name] {
			t.Errorf("target %s: grace %v, want %v", target.Name, target.Grace, wantGrace[target.Name])
		}
	}
	wantMaxGrace := map[string]time.Duration{"admin": 7 * 24 * time.Hour, "payments": 7 * 24 * time.Hour, "search": 7 * 24 * time.Hour, "ingest": 7 * 24 * time.Hour}
	for _, target := range cfg.Targets {
		if target.MaxGrace != wantMaxGrace[target.Name] {
			t.Errorf("target %s: max grace %v, want %v", target.Name, target.MaxGrace, wantMaxGrace[target.Name])
		}
	}
	if cfg.OldKeyUsageLag != time.Hour {
		t.Errorf("old key usage lag %v, want the 1h default", cfg.OldKeyUsageLag)
	}
	if admin := cfg.Admin(); admin.Name != "admin" || cfg.SecretName(admin.Name) != "ddrotate/admin" {
		t.Errorf("admin secret = %q, want ddrotate/admin", cfg.SecretName(admin.Name))
	}
}

func TestValidateNamesTheFieldOfEveryMistake(t *testing.T) {
	manyTargets := func(n int) func(*ConfigFile) {
		return func(f *ConfigFile) {
			for i := range n {
				f.Targets = append(f.Targets, TargetFile{
					Name:       fmt.Sprintf("team-with-a-long-descriptive-name-%05d", i),
					Kind:       KindAPIKey,
					Accounts:   []string{"555555555555"},
					ExternalID: "reader",
				})
			}
		}
	}
	tests := []struct {
		name   string
		change func(*ConfigFile)
		want   []Problem // Message is a substring of the reported message
	}{
		{"account id too short", func(f *ConfigFile) { f.Targets[1].Accounts[0] = "12345" },
			[]Problem{{"targets[1].accounts[0]", `"12345" is not a 12-digit AWS account id`}}},
		{"account id listed twice", func(f *ConfigFile) { f.Targets[3].Accounts[1] = "333333333333" },
			[]Problem{{"targets[3].accounts[1]", "listed twice"}}},
		{"duplicate target", func(f *ConfigFile) { f.Targets[2].Name = "payments" },
			[]Problem{{"targets[2].name", "already the name of targets[1]"}}},
		{"unknown kind", func(f *ConfigFile) { f.Targets[1].Kind = "app-key" },
			[]Problem{{"targets[1].kind", `"app-key" is not a target kind`}}},
		{"not a schedule expression", func(f *ConfigFile) { f.Schedule = "every day" },
			[]Problem{{"schedule", "not an EventBridge schedule expression"}}},
		{"rate with wrong plural", func(f *ConfigFile) { f.Schedule = "rate(1 days)" },
			[]Problem{{"schedule", `unit "day"`}}},
		{"cron with both day fields", func(f *ConfigFile) { f.Schedule = "cron(0 3 * * MON *)" },
			[]Problem{{"schedule", `"?" in exactly one of day-of-month and day-of-week`}}},
		{"default grace longer than the schedule", func(f *ConfigFile) {
			f.Schedule = "rate(1 day)"
			f.Targets[3].GracePeriod = ""
			f.DefaultGracePeriod = "48h"
		},
			[]Problem{{"defaultGracePeriod", "not shorter than the schedule's shortest interval between runs (24h0m0s)"}}},
		{"the default grace longer than the schedule", func(f *ConfigFile) { f.Schedule = "rate(12 hours)" },
			[]Problem{{"defaultGracePeriod", `"24h0m0s" is not shorter than the schedule's shortest interval between runs (12h0m0s)`},
				{"targets[3].gracePeriod", `"72h" is not shorter`}}},
		{"target grace longer than the schedule", func(f *ConfigFile) { f.Schedule = "cron(0 3 ? * MON,THU *)" },
			[]Problem{{"targets[3].gracePeriod", "not shorter than the schedule's shortest interval between runs (72h0m0s)"}}},
		{"grace not a duration", func(f *ConfigFile) { f.DefaultGracePeriod = "1 day" },
			[]Problem{{"defaultGracePeriod", `"1 day" is not a duration`}}},
		{"grace longer than an execution may last", func(f *ConfigFile) { f.Schedule = "rate(400 days)"; f.DefaultGracePeriod = "8760h" },
			[]Problem{{"defaultGracePeriod", "an execution must end within a year"}}},
		{"unknown site", func(f *ConfigFile) { f.Site = "datadoghq.co" },
			[]Problem{{"site", `"datadoghq.co" is not a Datadog site`}}},
		{"target name with upper case", func(f *ConfigFile) { f.Targets[1].Name = "Payments" },
			[]Problem{{"targets[1].name", `"Payments" must be 2 to 40 lower-case letters`}}},
		{"target name ending in a hyphen", func(f *ConfigFile) { f.Targets[1].Name = "payments-" },
			[]Problem{{"targets[1].name", "starting and ending with a letter or digit"}}},
		{"target name too long", func(f *ConfigFile) { f.Targets[1].Name = strings.Repeat("p", 41) },
			[]Problem{{"targets[1].name", "2 to 40"}}},
		{"no admin target", func(f *ConfigFile) { f.Targets = f.Targets[1:] },
			[]Problem{{"targets", `found 0 targets of kind "admin", want exactly one`}}},
		{"two admin targets", func(f *ConfigFile) { f.Targets = append(f.Targets, TargetFile{Name: "admin-2", Kind: KindAdmin}) },
			[]Problem{{"targets", `found 2 targets of kind "admin", want exactly one`}}},
		{"api-app-key without service account", func(f *ConfigFile) { f.Targets[2].ServiceAccountID = "" },
			[]Problem{{"targets[2].serviceAccountId", "is not the UUID of a Datadog service account"}}},
		{"api-app-key with a malformed service account", func(f *ConfigFile) { f.Targets[2].ServiceAccountID = "svc-search" },
			[]Problem{{"targets[2].serviceAccountId", `"svc-search" is not the UUID`}}},
		{"api-key with a service account", func(f *ConfigFile) { f.Targets[1].ServiceAccountID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" },
			[]Problem{{"targets[1].serviceAccountId", `only "api-app-key" targets`}}},
		{"admin readable by a team account", func(f *ConfigFile) { f.Targets[0].Accounts = []string{"111111111111"} },
			[]Problem{{"targets[0].accounts", "read by ddrotate's own functions only"}}},
		{"team without accounts", func(f *ConfigFile) { f.Targets[1].Accounts = nil },
			[]Problem{{"targets[1].accounts", "at least one AWS account"}}},
		{"team role without trust condition", func(f *ConfigFile) { f.Targets[1].ExternalID = "" },
			[]Problem{{"targets[1]", "set externalId or organizationId"}}},
		{"external id with a space", func(f *ConfigFile) { f.Targets[1].ExternalID = "payments reader" },
			[]Problem{{"targets[1].externalId", "2 to 1224"}}},
		{"malformed organisation id", func(f *ConfigFile) { f.Targets[2].OrganizationID = "org-1" },
			[]Problem{{"targets[2].organizationId", `"org-1" is not an AWS Organizations id`}}},
		{"reader not a role ARN", func(f *ConfigFile) { f.Targets[1].Readers = []string{"arn:aws:iam::111111111111:user/ci"} },
			[]Problem{{"targets[1].readers[0]", "is not an IAM role ARN"}}},
		{"reader in another account", func(f *ConfigFile) { f.Targets[1].Readers = []string{"arn:aws:iam::999999999999:role/forwarder"} },
			[]Problem{{"targets[1].readers[0]", "account 999999999999, which is not among the target's accounts"}}},
		{"reader listed twice", func(f *ConfigFile) {
			f.Targets[1].Readers = []string{"arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/a"}
		},
			[]Problem{{"targets[1].readers[1]", "listed twice"}}},
		{"admin read directly", func(f *ConfigFile) { f.Targets[0].Readers = []string{"arn:aws:iam::111111111111:role/a"} },
			[]Problem{{"targets[0].readers", "read by ddrotate's own functions only"}}},
		{"max grace shorter than the grace period", func(f *ConfigFile) { f.Targets[3].MaxGracePeriod = "48h" },
			[]Problem{{"targets[3].maxGracePeriod", `"48h" is shorter than the grace period (72h0m0s)`}}},
		{"max grace not a duration", func(f *ConfigFile) { f.DefaultMaxGracePeriod = "a week" },
			[]Problem{{"defaultMaxGracePeriod", `"a week" is not a duration such as "24h", "90m" or "7d"`}}},
		{"max grace beyond a year", func(f *ConfigFile) { f.Targets[1].MaxGracePeriod = "400d" },
			[]Problem{{"targets[1].maxGracePeriod", "an execution must end within a year"}}},
		{"usage lag beyond a day", func(f *ConfigFile) { f.OldKeyUsageLag = "2d" },
			[]Problem{{"oldKeyUsageLag", "must be between 0 and 24h0m0s"}}},
		{"no alarm destination", func(f *ConfigFile) { f.Alarms = AlarmsFile{} },
			[]Problem{{"alarms", "set email or topicArn"}}},
		{"two alarm destinations", func(f *ConfigFile) { f.Alarms.TopicARN = "arn:aws:sns:eu-west-1:999999999999:ops" },
			[]Problem{{"alarms", "not both"}}},
		{"alarm e-mail with a display name", func(f *ConfigFile) { f.Alarms.Email = "Ops <ops@example.com>" },
			[]Problem{{"alarms.email", "not a plain e-mail address"}}},
		{"alarm topic not an ARN", func(f *ConfigFile) { f.Alarms = AlarmsFile{TopicARN: "ops-alarms"} },
			[]Problem{{"alarms.topicArn", "not an SNS topic ARN"}}},
		{"malformed VPC", func(f *ConfigFile) {
			f.VPC = &VPCFile{ID: "vpc-1", PrivateSubnetIDs: []string{"subnet-0123456789abcdef0", "sn-2"}}
		},
			[]Problem{{"vpc.id", `"vpc-1" is not a VPC id`}, {"vpc.privateSubnetIds[1]", `"sn-2" is not a subnet id`}}},
		{"VPC without subnets", func(f *ConfigFile) { f.VPC = &VPCFile{ID: "vpc-0123456789abcdef0"} },
			[]Problem{{"vpc.privateSubnetIds", "at least one private subnet"}}},
		{"prefix with upper case", func(f *ConfigFile) { f.Prefix = "DDRotate" },
			[]Problem{{"prefix", `"DDRotate" must be 2 to 16`}}},
		{"secret prefix without a slash", func(f *ConfigFile) { f.SecretPrefix = "ddrotate" },
			[]Problem{{"secretPrefix", `end with "/"`}}},
		{"log retention CloudWatch does not offer", func(f *ConfigFile) { f.LogRetentionDays = 42 },
			[]Problem{{"logRetentionDays", "42 is not a retention CloudWatch Logs accepts"}}},
		{"fleet concurrency beyond a Distributed Map's", func(f *ConfigFile) { f.Fleet = &FleetFile{MaxConcurrency: 10001} },
			[]Problem{{"fleet.maxConcurrency", "10001 must be from 1 to 10000"}}},
		{"negative fleet concurrency", func(f *ConfigFile) { f.Fleet = &FleetFile{MaxConcurrency: -1} },
			[]Problem{{"fleet.maxConcurrency", "must be from 1 to 10000"}}},
		{"tolerated failures above 100%", func(f *ConfigFile) { f.Fleet = &FleetFile{ToleratedFailurePercentage: ptr(100.5)} },
			[]Problem{{"fleet.toleratedFailurePercentage", "100.5 must be a percentage from 0 to 100"}}},
		{"negative tolerated failures", func(f *ConfigFile) { f.Fleet = &FleetFile{ToleratedFailurePercentage: ptr(-1.0)} },
			[]Problem{{"fleet.toleratedFailurePercentage", "must be a percentage"}}},
		{"more accounts than a secret has tags for", func(f *ConfigFile) {
			f.Targets[1].Accounts = nil
			for i := range MaxAccountsPerTarget + 1 {
				f.Targets[1].Accounts = append(f.Targets[1].Accounts, fmt.Sprintf("%012d", 100000000000+i))
			}
		},
			[]Problem{{"targets[1].accounts", "45 accounts, more than 44"}}},
		{"more readers than a secret policy holds", func(f *ConfigFile) {
			for i := range 400 {
				f.Targets[3].Readers = append(f.Targets[3].Readers, fmt.Sprintf("arn:aws:iam::333333333333:role/a-consumer-role-with-a-long-name-%03d", i))
			}
		},
			[]Problem{{"targets[3].readers", "more than the 20480 Secrets Manager allows"}}},
		{"target names beyond a Step Functions state", func(f *ConfigFile) {
			manyTargets(6500)(f)
			f.Fleet = &FleetFile{MaxConcurrency: 1000}
		},
			[]Problem{{"targets", "more than the 262144 bytes (256 KiB) a state may hold"}}},
		{"a fleet run longer than a year", func(f *ConfigFile) {
			manyTargets(400)(f)
			f.Fleet = &FleetFile{MaxConcurrency: 1}
		},
			[]Problem{{"fleet.maxConcurrency", "longer than a Standard execution's one-year limit; raise it to at least 2"}}},
		{"more targets in one nested stack than a template holds", func(f *ConfigFile) {
			// Names chosen to land in one bucket, which the hash makes all
			// but impossible by chance.
			for i := 0; len(f.Targets) < TemplateResourceLimit+5; i++ {
				if name := fmt.Sprintf("t%d", i); TargetBucket(name) == 0 {
					f.Targets = append(f.Targets, TargetFile{Name: name, Kind: KindAPIKey, Accounts: []string{"100000000000"}, ExternalID: "reader"})
				}
			}
			f.Fleet = &FleetFile{MaxConcurrency: 1000}
		},
			[]Problem{{"targets", "(secrets, their reader policies and read roles), more than CloudFormation's 500 per template"}}},
		{"more team accounts than the topic policy holds", func(f *ConfigFile) {
			for i := range 2500 {
				f.Targets = append(f.Targets, TargetFile{Name: fmt.Sprintf("t%d", i), Kind: KindAPIKey, Accounts: []string{fmt.Sprintf("%012d", 100000000000+i)}, OrganizationID: "o-exampleorg1"})
			}
			f.Fleet = &FleetFile{MaxConcurrency: 1000}
		},
			[]Problem{{"targets", "2504 accounts take about"}}},
		{"more reader roles than IAM allows", func(f *ConfigFile) {
			for i := range 5000 {
				f.Targets = append(f.Targets, TargetFile{Name: fmt.Sprintf("t%d", i), Kind: KindAPIKey, Accounts: []string{"100000000000"}, ExternalID: fmt.Sprintf("reader-%d", i)})
			}
			f.Fleet = &FleetFile{MaxConcurrency: 1000}
		},
			[]Problem{{"targets", "more than the 5000 an account may hold"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := validConfigFile()
			tt.change(&file)
			_, err := file.Validate(validationTime)
			var configErr *ConfigError
			if !errors.As(err, &configErr) {
				t.Fatalf("Validate: got %v, want a *ConfigError", err)
			}
			if len(configErr.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(configErr.Problems), len(tt.want), err)
			}
			for i, want := range tt.want {
				got := configErr.Problems[i]
				if got.Field != want.Field || !strings.Contains(got.Message, want.Message) {
					t.Errorf("problem %d = %q, want field %q with a message containing %q", i, got, want.Field, want.Message)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The limits that grew with the fleet and made deployments of more than a
// few dozen targets fail are gone: 10,000 targets validate.
func TestTenThousandTargetsValidate(t *testing.T) {
	file := validConfigFile()
	for i := range 10000 {
		file.Targets = append(file.Targets, TargetFile{
			Name: fmt.Sprintf("team-%05d", i), Kind: KindAPIKey,
			Accounts:   []string{fmt.Sprintf("%012d", 500000000000+i%300)},
			ExternalID: fmt.Sprintf("reader-%d", (i/300)%3),
		})
	}
	file.Fleet = &FleetFile{MaxConcurrency: 100, ToleratedFailurePercentage: ptr(5.0)}
	cfg, err := file.Validate(validationTime)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Fleet.MaxConcurrency != 100 || cfg.Fleet.ToleratedFailurePercentage != 5 {
		t.Errorf("fleet = %v", cfg.Fleet)
	}
	if n := cfg.Fleet.FleetStateBytes(cfg.TargetNames()); n > StatePayloadLimit/2 {
		t.Errorf("the fleet state takes %d bytes", n)
	}
	if groups := len(cfg.ReaderGroups()); groups != 900+4 {
		t.Errorf("%d reader groups, want 300 accounts × 3 external ids + the example's 4", groups)
	}
}

func TestFleetDefaults(t *testing.T) {
	cfg, err := validConfigFile().Validate(validationTime)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fleet != (Fleet{MaxConcurrency: 10, ToleratedFailurePercentage: 100}) {
		t.Errorf("fleet = %+v, want the defaults 10 and 100", cfg.Fleet)
	}
	file := validConfigFile()
	file.Fleet = &FleetFile{ToleratedFailurePercentage: ptr(0.0)}
	if cfg, err = file.Validate(validationTime); err != nil || cfg.Fleet.ToleratedFailurePercentage != 0 || cfg.Fleet.MaxConcurrency != 10 {
		t.Errorf("an explicit 0%% = %+v (%v), want 0 kept and the default concurrency", cfg.Fleet, err)
	}
}

func TestValidateReportsAllProblemsAtOnce(t *testing.T) {
	file := validConfigFile()
	file.Site = "example.com"
	file.Targets[1].Accounts[0] = "12345"
	file.Targets[2].Kind = "app-key"
	_, err := file.Validate(validationTime)
	for _, field := range []string{"site:", "targets[1].accounts[0]:", "targets[2].kind:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
	if err != nil && !strings.HasPrefix(err.Error(), "3 problems:") {
		t.Errorf("error %q does not start with the count of problems", err)
	}
}

func TestLoadConfigRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"site": "`+string(SiteUS1)+`", "sheduel": "rate(7 days)"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), `unknown field "sheduel"`) {
		t.Fatalf("LoadConfig: got %v, want an unknown field error", err)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "ddrotate.config.example.json"))
	if err != nil {
		t.Fatalf("the documented example must load: %v", err)
	}
	kinds := map[Kind]int{}
	overrides := 0
	for _, target := range cfg.Targets {
		kinds[target.Kind]++
		if target.Grace != cfg.DefaultGrace {
			overrides++
		}
	}
	if kinds[KindAdmin] != 1 || kinds[KindAPIKey] < 1 || kinds[KindAPIAppKey] < 1 || overrides < 1 || len(cfg.Targets) != 4 {
		t.Errorf("example has kinds %v and %d grace overrides over %d targets; want one admin and three teams showing api-key, api-app-key and a grace override",
			kinds, overrides, len(cfg.Targets))
	}
}

func TestParseDurationTakesDays(t *testing.T) {
	for text, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "0d": 0, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseDuration(text); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, text := range []string{"", "d", "7 d", "1.5d", "-1d", "7days", "week"} {
		if _, err := ParseDuration(text); err == nil {
			t.Errorf("ParseDuration(%q) accepted", text)
		}
	}
}
