package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// demoTeams are the teams the demo sets up beside the admin credential.
var demoTeams = []localenv.TargetSpec{
	{Name: "payments", Kind: deploy.KindAPIKey},
	{Name: "analytics", Kind: deploy.KindAPIAppKey, Scopes: []string{"dashboards_read", "metrics_read"}},
	{Name: "checkout", Kind: deploy.KindAPIKey, Grace: time.Minute, ExternalID: "checkout-ci"},
}

func demoCommand(ctx context.Context, args []string, out, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "also print the steps' JSON logs")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	started := time.Now()
	var logs bytes.Buffer
	env, err := localenv.Start(ctx, localenv.Options{LogOutput: &logs})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	p := &printer{w: out}

	p.section("1. A local deployment on embedded emulators")
	p.line("Datadog API emulator  %s", env.DatadogURL)
	p.line("AWS emulator          %s  (Secrets Manager, SNS, STS)", env.AWSURL)
	p.line("state machines        %s, %s (the deployed definitions, run by the local executor)", localenv.TargetMachine, localenv.FleetMachine)
	p.line("clock                 virtual: waits and backoff pass at once, durations below are virtual")
	for _, spec := range demoTeams {
		if _, err := env.AddTarget(ctx, spec); err != nil {
			return err
		}
	}
	p.line("")
	p.line("%-10s %-12s %-8s %-10s %s", "TARGET", "KIND", "GRACE", "API KEY", "SECRET")
	for _, name := range env.TargetNames() {
		t := env.Targets[name]
		keys, _ := env.CurrentKeys(name)
		grace := "24h0m0s"
		for _, spec := range demoTeams {
			if spec.Name == name && spec.Grace > 0 {
				grace = spec.Grace.String()
			}
		}
		p.line("%-10s %-12s %-8s %-10s %s", name, t.Kind, grace, "…"+keys.APIKeyLast4, t.SecretARN)
	}

	p.section("2. Scheduled rotation of the fleet (EventBridge would start this)")
	before := map[string]localenv.KeyIDs{}
	for _, name := range env.TargetNames() {
		before[name], _ = env.CurrentKeys(name)
	}
	fleet, err := env.RotateFleet(ctx, rotation.ModeScheduled)
	if err != nil {
		return err
	}
	p.line("fleet execution %s: %s (%d state transitions)", fleet.Name(), fleet.Status(), fleet.Transitions())
	for _, run := range env.Engine.MapRuns() {
		if run.Execution() == fleet {
			c := run.Counts()
			p.line("  found %d targets by the deployment's tag; Distributed Map run: %d succeeded, %d failed, at most %d at a time, each in a child execution of its own",
				c.Total, c.Succeeded, c.Failed+c.TimedOut+c.Aborted, run.MaxConcurrency())
		}
	}
	for _, x := range env.Engine.Executions() {
		if x.StateMachineARN() == env.TargetMachineARN {
			p.timeline(env, x)
		}
	}
	p.line("")
	for _, name := range env.TargetNames() {
		after, _ := env.CurrentKeys(name)
		p.line("%-10s API key …%s → …%s%s", name, before[name].APIKeyLast4, after.APIKeyLast4, appKeyChange(before[name], after))
	}

	p.section("3. A team reads its new key through its read-only role")
	if err := demoTeamRead(ctx, env, p, "payments", "analytics"); err != nil {
		return err
	}

	p.section("4. What each team's filtered SNS subscription received")
	for _, name := range env.TargetNames() {
		t := env.Targets[name]
		if t.SubscriptionARN == "" {
			continue
		}
		var events []string
		for _, m := range env.AWS.Inbox(t.SubscriptionARN) {
			events = append(events, m.Attributes["event"]+" ("+m.Attributes["target"]+")")
		}
		p.line("%-10s %s", name, strings.Join(events, ", "))
	}

	p.section("5. Suspected leak: compromise rotation of analytics (an operator starts this)")
	leaked, _ := env.CurrentKeys("analytics")
	x, err := env.Rotate(ctx, "analytics", rotation.ModeCompromise)
	if err != nil {
		return err
	}
	p.timeline(env, x)
	now, _ := env.CurrentKeys("analytics")
	p.line("analytics: API key …%s revoked: %v; new API key …%s, application key …%s",
		leaked.APIKeyLast4, !env.KeyExists(leaked.APIKeyID), now.APIKeyLast4, now.AppKeyLast4)

	p.section("6. Invariants (README, \"What it promises\") and leak scan")
	problems := env.CheckInvariants(ctx)
	for _, x := range env.Engine.Executions() {
		if x.Status() != asl.StatusSucceeded {
			problems = append(problems, fmt.Sprintf("invariant 5: execution %s ended %s", x.Name(), x.Status()))
		}
	}
	texts := env.EmittedTexts()
	texts["step logs"] = logs.String()
	leaks := localenv.Leaks(env.KeyValues(), texts)
	p.check(len(problems) == 0, "1-3, 5-9: current keys validate, no orphan key, one create per key type and execution, no lock left, no failed execution, retired keys gone, every message its target's own, compromise waits 0 s, nothing stored unvalidated")
	p.check(len(leaks) == 0, "4: no key value in step logs, execution history, SNS messages or emulator logs (%d values, %d texts scanned)", len(env.KeyValues()), len(texts))
	for _, line := range append(problems, leaks...) {
		p.line("  ✗ %s", line)
	}
	if *verbose {
		p.section("Step logs")
		p.line("%s", logs.String())
	}
	p.line("")
	p.line("demo finished in %s", time.Since(started).Round(time.Millisecond))
	p.line("next: \"make local\" runs the synthesized stack on this machine; operate it as you would a real")
	p.line("deployment, e.g. ddrotate status --endpoint-url http://127.0.0.1:4566 (ddrotate -h lists the commands)")
	if len(problems)+len(leaks) > 0 {
		return errors.New("an invariant failed")
	}
	return nil
}

func appKeyChange(before, after localenv.KeyIDs) string {
	if before.AppKeyID == "" {
		return ""
	}
	return fmt.Sprintf(", application key …%s → …%s", before.AppKeyLast4, after.AppKeyLast4)
}

// demoTeamRead shows team reading its secret the way its pipeline would:
// as a principal of its own account, assuming its read-only role.
func demoTeamRead(ctx context.Context, env *localenv.Env, p *printer, team, other string) error {
	t := env.Targets[team]
	teamCfg := localenv.ClientConfig(env.AWSURL, t.TeamAccessKeyID)
	assumed, err := sts.NewFromConfig(teamCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(t.RoleARN),
		RoleSessionName: aws.String(team + "-pipeline"),
		ExternalId:      optional(t.ExternalID),
	})
	if err != nil {
		return fmt.Errorf("team %s assumes its role: %w", team, err)
	}
	p.line("account %s assumed %s", t.TeamAccountID, t.RoleARN)
	roleCfg := teamCfg
	roleCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(assumed.Credentials.AccessKeyId),
		aws.ToString(assumed.Credentials.SecretAccessKey), aws.ToString(assumed.Credentials.SessionToken))
	sm := secretsmanager.NewFromConfig(roleCfg)
	own, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.SecretARN)})
	if err != nil {
		return fmt.Errorf("team %s reads its secret: %w", team, err)
	}
	cred, err := credential.ParseTeam([]byte(aws.ToString(own.SecretString)))
	if err != nil {
		return fmt.Errorf("team %s parses its secret: %w", team, err)
	}
	p.line("GetSecretValue %s → API key %s (…%s), rotated %s by %s", localenv.SecretPrefix+team, cred.APIKeyID, cred.APIKey.Last4(),
		cred.RotatedAt.Format(time.RFC3339), shortExecution(cred.ExecutionID))
	p.line("               the key validates in Datadog: %v", env.Datadog.APIKeyValid(cred.APIKey.Reveal()))
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(env.Targets[other].SecretARN)})
	if err == nil {
		return fmt.Errorf("team %s could read team %s's secret", team, other)
	}
	p.line("GetSecretValue %s → denied: %s", localenv.SecretPrefix+other, firstLine(err.Error()))
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func shortExecution(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return "execution " + arn[i+1:]
	}
	return arn
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
