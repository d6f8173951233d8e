package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ddrotate/ddrotate/infra/templatelimits"
	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/fleetconfig"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// synthResult is one synthesis of a generated fleet's config.
type synthResult struct {
	targets, readerGroups int
	wall                  time.Duration
	realBundles           bool // the Lambda bundles were the real builds
	templates             int
	// The largest of each measure over every template, with its file.
	resources, outputs, parameters, bytes                 int
	resourcesFile, outputsFile, parametersFile, bytesFile string
	longestPolicy, longestTrust                           int
	longestPolicyRole, longestTrustRole                   string
	roles                                                 int
	checkErr                                              error
}

// synthShape is the fleet synthesized: 1,000 targets of 250 team accounts,
// a tenth with a direct reader, as the infra limit test has it.
func synthShape(n int) fleetconfig.Shape {
	return fleetconfig.Shape{Targets: n, MaxConcurrency: 100, ToleratedFailurePercentage: 5}
}

// measureSynth synthesizes the config of n generated targets with the CDK
// app built once (so the Go build is not timed), with the Lambda bundles in
// functionsDir (the real builds) or stand-ins, and measures every template
// against the CloudFormation and IAM limits.
func measureSynth(ctx context.Context, dir string, n int, functionsDir string) (synthResult, error) {
	res := synthResult{targets: n, realBundles: functionsDir != ""}
	shape := synthShape(n)
	cfg, err := shape.Config().Validate(time.Now())
	if err != nil {
		return res, err
	}
	res.readerGroups = len(cfg.ReaderGroups())
	config := filepath.Join(dir, "fleet-config.json")
	if err := shape.Write(config); err != nil {
		return res, err
	}
	if functionsDir == "" {
		functionsDir = filepath.Join(dir, "stand-in-functions")
		for _, step := range deploy.Steps() {
			if err := os.MkdirAll(filepath.Join(functionsDir, string(step)), 0o755); err != nil {
				return res, err
			}
			if err := os.WriteFile(filepath.Join(functionsDir, string(step), "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
				return res, err
			}
		}
	}
	app := filepath.Join(dir, "infra-app")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", app, "./infra").CombinedOutput(); err != nil {
		return res, fmt.Errorf("build the CDK app: %v\n%s", err, out)
	}
	outdir := filepath.Join(dir, "cdk.out")
	cmd := exec.CommandContext(ctx, app)
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+outdir, "DDROTATE_CONFIG="+config, "DDROTATE_FUNCTIONS_DIR="+functionsDir,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return res, fmt.Errorf("synthesize %d targets: %v\n%s", n, err, out)
	}
	res.wall = time.Since(t0)
	stats, err := templatelimits.Stats(outdir)
	if err != nil {
		return res, err
	}
	res.checkErr = templatelimits.Check(stats)
	res.templates = len(stats)
	larger := func(v int, file string, best *int, bestFile *string) {
		if v > *best {
			*best, *bestFile = v, file
		}
	}
	for _, st := range stats {
		larger(st.Resources, st.File, &res.resources, &res.resourcesFile)
		larger(st.Outputs, st.File, &res.outputs, &res.outputsFile)
		larger(st.Parameters, st.File, &res.parameters, &res.parametersFile)
		larger(st.Bytes, st.File, &res.bytes, &res.bytesFile)
		for _, r := range st.Roles {
			res.roles++
			larger(r.PolicyChars, r.ID, &res.longestPolicy, &res.longestPolicyRole)
			larger(r.TrustChars, r.ID, &res.longestTrust, &res.longestTrustRole)
		}
	}
	return res, nil
}

// scaleResult is one fleet run over many targets on the emulators and the
// virtual clock, measured against Step Functions' hard limits.
type scaleResult struct {
	n                       int
	maxConcurrency          int
	setup, wall             time.Duration
	virtual                 time.Duration
	status                  asl.Status
	errorName               string
	counts                  asl.MapRunCounts
	executions              int
	maxEvents               int
	maxEventsOf             string
	maxPayload              int
	maxPayloadOf            string
	fleetEvents, fleetBytes int
	failed                  int
}

// runScaleFleet sets up n targets and runs one scheduled fleet over them,
// fleet.maxConcurrency 100 (so that 24 h grace periods fit a Standard
// execution's year), without latency or rate limits: this run is about the
// fleet's limits, not its pace.
func runScaleFleet(ctx context.Context, n int) (scaleResult, error) {
	const concurrency = 100
	res := scaleResult{n: n, maxConcurrency: concurrency}
	tolerated := 5.0
	env, err := localenv.Start(ctx, localenv.Options{Fleet: &deploy.FleetFile{MaxConcurrency: concurrency, ToleratedFailurePercentage: &tolerated}})
	if err != nil {
		return res, err
	}
	defer env.Close()
	env.Datadog.SetMaxAPIKeys(2*n + 100)
	t0 := time.Now()
	for i := range n {
		spec := localenv.TargetSpec{Name: fleetconfig.TargetName(i), Kind: deploy.KindAPIKey}
		if i%everyNthPair == everyNthPair-1 {
			spec.Kind, spec.Scopes = deploy.KindAPIAppKey, []string{"dashboards_read", "metrics_read"}
		}
		if _, err := env.AddTarget(ctx, spec); err != nil {
			return res, err
		}
	}
	res.setup = time.Since(t0)

	v0 := env.Clock.Now()
	t0 = time.Now()
	x, err := env.RotateFleet(ctx, rotation.ModeScheduled)
	res.wall = time.Since(t0)
	res.virtual = env.Clock.Now().Sub(v0)
	if err != nil && x == nil {
		return res, err
	}
	res.status, res.errorName = x.Status(), x.Error()
	res.fleetEvents, res.fleetBytes = len(x.History()), x.MaxPayloadBytes()
	for _, run := range env.Engine.MapRuns() {
		if run.Execution() == x {
			res.counts = run.Counts()
		}
	}
	for _, e := range env.Engine.Executions() {
		res.executions++
		kind := "a rotate-target execution"
		switch {
		case e == x:
			kind = "the rotate-fleet execution"
		case e.MapRun() != nil:
			kind = "a Map Run child execution"
		}
		if n := len(e.History()); n > res.maxEvents {
			res.maxEvents, res.maxEventsOf = n, kind
		}
		if n := e.MaxPayloadBytes(); n > res.maxPayload {
			res.maxPayload, res.maxPayloadOf = n, kind
		}
		if e.StateMachineARN() == env.TargetMachineARN && e.Status() != asl.StatusSucceeded {
			res.failed++
		}
	}
	return res, nil
}

// frac renders part of a limit: "1,234 = 0.05 of 25,000".
func frac(v, limit int) string {
	return fmt.Sprintf("%s = **%.3f** of %s", thousands(v), float64(v)/float64(limit), thousands(limit))
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func scaleRows(s scaleResult) []row {
	cond := fmt.Sprintf("%d targets (every 4th api-app-key), localenv's VirtualClock, 24 h grace, fleet.maxConcurrency %d, toleratedFailurePercentage 5, no latency or rate limit; fleet %s%s; Map Run %d succeeded, %d failed of %d; %d executions in all; wall %s, setup %s, the clock advanced %s",
		s.n, s.maxConcurrency, s.status, map[bool]string{true: " (" + s.errorName + ")", false: ""}[s.errorName != ""],
		s.counts.Succeeded, s.counts.Failed, s.counts.Total, s.executions, s.wall.Round(100*time.Millisecond), s.setup.Round(100*time.Millisecond), spanString(s.virtual))
	return []row{
		{area: "Fleet limits (Step Functions)", measure: fmt.Sprintf("largest execution history, %d-target fleet run", s.n),
			value:     "**" + thousands(s.maxEvents) + "** events (" + s.maxEventsOf + ")",
			reference: frac(s.maxEvents, asl.HistoryLimit) + " events (hard limit)",
			notes:     fmt.Sprintf("the rotate-fleet execution's own history: %d events, whatever the fleet size (its Distributed Map records the Map Run, each target's events are in its child execution); %s", s.fleetEvents, cond)},
		{area: "Fleet limits (Step Functions)", measure: fmt.Sprintf("largest state payload, %d-target fleet run", s.n),
			value:     "**" + thousands(s.maxPayload) + "** bytes (" + s.maxPayloadOf + ")",
			reference: frac(s.maxPayload, asl.PayloadLimit) + " bytes (256 KiB, hard limit)",
			notes: fmt.Sprintf("Execution.MaxPayloadBytes over every execution: inputs, task parameters and results, Map results and state outputs; the largest is the listing of the %d target names (10 characters each) that the Distributed Map iterates over; "+
				"the Map's own result is one {} per rotated target, reduced to a count; the fleet execution's largest payload %s bytes", s.n, thousands(s.fleetBytes))},
	}
}

func synthRows(s synthResult) []row {
	bundles := "stand-in bootstraps"
	if s.realBundles {
		bundles = "the real linux/arm64 bootstraps"
	}
	cond := fmt.Sprintf("fleetconfig.Shape: %d team targets of %d team accounts (4 per account and ExternalId), a tenth with a direct reader, %d reader groups; the CDK app built once, run with %s, cdk-nag included",
		s.targets, s.targets/4, s.readerGroups, bundles)
	check := "every template and role within its limit"
	if s.checkErr != nil {
		check = "**LIMIT CROSSED**: " + s.checkErr.Error()
	}
	return []row{
		{area: "Synthesis (CloudFormation, IAM)", measure: fmt.Sprintf("%d targets: wall time, templates", s.targets),
			value:     fmt.Sprintf("**%s**, **%d** templates", s.wall.Round(100*time.Millisecond), s.templates),
			reference: "the main stack and one nested stack per occupied bucket (at most 64)",
			notes:     cond + "; " + check},
		{area: "Synthesis (CloudFormation, IAM)", measure: "largest template",
			value: fmt.Sprintf("resources %s (%s); outputs %s; parameters %s; bytes %s (%s)",
				frac(s.resources, deploy.TemplateResourceLimit), s.resourcesFile, frac(s.outputs, deploy.TemplateOutputLimit),
				frac(s.parameters, deploy.TemplateParameterLimit), frac(s.bytes, deploy.TemplateBytesLimit), s.bytesFile),
			reference: "CloudFormation: 500 resources, 200 outputs, 200 parameters, 1 MB per template",
			notes:     "the largest of each measure over every template; the main stack's size does not grow with the fleet, the nested stacks' grow with their bucket's share"},
		{area: "Synthesis (CloudFormation, IAM)", measure: "longest role policies",
			value: fmt.Sprintf("inline %s characters (%s); trust %s characters (%s)",
				frac(s.longestPolicy, deploy.RolePolicyLimit), s.longestPolicyRole, frac(s.longestTrust, deploy.TrustPolicyLimit), s.longestTrustRole),
			reference: "IAM: 10,240 characters of inline policies per role, 2,048 per trust policy (default)",
			notes:     "characters other than white space, with every reference rendered at its longest (templatelimits.PolicyChars); the step roles' policies are the same for 3 targets as for 1,000"},
		{area: "Synthesis (CloudFormation, IAM)", measure: "IAM roles in the account",
			value:     fmt.Sprintf("**%s**", frac(s.roles, deploy.RolesPerAccountQuota)),
			reference: "IAM: 1,000 roles per account (default quota; 5,000 at most)",
			notes:     fmt.Sprintf("%d fixed (one per step, state machine and the schedule) + one per reader group (%d); one role per target would have been %d", deploy.FixedRoles(), s.readerGroups, deploy.FixedRoles()+s.targets)},
	}
}
