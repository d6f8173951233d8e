package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

const planAbout = `Says what the next scheduled run will rotate and skip, and why. This deployment
has one schedule (the rule <prefix>-scheduled-rotation starting the fleet run),
which rotates every target; targets have no schedule or pause of their own.`

// planOutput is `ddrotate plan -o json`.
type planOutput struct {
	Schedule *scheduleInfo `json:"schedule"`
	// FleetStateMachine is what the schedule starts.
	FleetStateMachine string     `json:"rotateFleetStateMachineArn"`
	NextRun           *time.Time `json:"nextRun"`
	NextRunNote       string     `json:"nextRunNote"`
	// PerTargetSchedules is false while one schedule rotates every target.
	PerTargetSchedules bool         `json:"perTargetSchedules"`
	Targets            []planTarget `json:"targets"`
}

// planTarget is what the next scheduled run does with one target.
type planTarget struct {
	Target string `json:"target"`
	Kind   string `json:"kind"`
	// Action is rotate, skip or unknown (the schedule could not be read).
	Action       string   `json:"action"`
	Reason       string   `json:"reason"`
	Warnings     []string `json:"warnings"`
	GraceSeconds *int     `json:"gracePeriodSeconds"`
}

func planCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("plan", "[flags]", planAbout, stderr)
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	d, err := connect(ctx, &c)
	if err != nil {
		return err
	}
	if err := d.findMachines(ctx); err != nil {
		return err
	}
	targets, err := d.targets(ctx)
	if err != nil {
		return err
	}
	sched := d.schedule(ctx)
	out := planOutput{Schedule: sched, FleetStateMachine: d.fleetMachine, Targets: []planTarget{}}
	out.NextRun, out.NextRunNote = d.nextRun(ctx, sched)

	now := time.Now()
	known := map[string]bool{}
	namesAll := sched.Targets != nil
	for _, t := range targets {
		known[t.Name] = true
		namesAll = namesAll && containsString(sched.Targets, t.Name)
	}
	for _, t := range targets {
		p := planTarget{Target: t.Name, Kind: string(t.Kind), Warnings: []string{}, GraceSeconds: t.GraceSeconds}
		switch {
		case sched.Problem != "":
			p.Action, p.Reason = "unknown", sched.Problem
		case sched.State != string(evtypes.RuleStateEnabled):
			p.Action, p.Reason = "skip", "the schedule rule is "+sched.State+": no scheduled run starts"
		case sched.Targets == nil:
			p.Action, p.Reason = "rotate", "the one schedule rotates every target of the deployment"
		case namesAll:
			p.Action, p.Reason = "rotate", "the one schedule rotates every target of the deployment (its input names each)"
		case containsString(sched.Targets, t.Name):
			p.Action, p.Reason = "rotate", "named in the schedule's input"
		default:
			p.Action, p.Reason = "skip", "not named in the schedule's input (deploy again to add it)"
		}
		if p.Action != "skip" {
			p.Warnings = d.planWarnings(ctx, t, now)
		}
		out.Targets = append(out.Targets, p)
	}
	if sched.Problem == "" && sched.State == string(evtypes.RuleStateEnabled) {
		for _, name := range sched.Targets {
			if !known[name] {
				out.Targets = append(out.Targets, planTarget{Target: name, Action: "rotate", Reason: "named in the schedule's input",
					Warnings: []string{"the deployment has no secret for it: its rotation will fail"}})
			}
		}
	}
	if c.json() {
		return writeJSON(stdout, out)
	}
	next := formatTimePtr(out.NextRun)
	if out.NextRun == nil {
		next = "unknown"
	}
	fmt.Fprintf(stdout, "next scheduled run  %s (%s)\n", next, out.NextRunNote)
	fmt.Fprintf(stdout, "schedule            %s\n", scheduleLine(sched))
	fmt.Fprintf(stdout, "starts              %s in %s mode\n", d.names.RotateFleetMachineName(), sched.Mode)
	fmt.Fprintf(stdout, "\nOne schedule rotates the whole fleet: targets have no schedule or pause of their own yet.\n\n")
	var rows [][]string
	for _, p := range out.Targets {
		grace := ""
		if p.GraceSeconds != nil {
			grace = (time.Duration(*p.GraceSeconds) * time.Second).String()
		}
		why := p.Reason
		if len(p.Warnings) > 0 {
			why += "; warning: " + strings.Join(p.Warnings, "; ")
		}
		rows = append(rows, []string{p.Target, p.Kind, p.Action, grace, why})
	}
	return table(stdout, []string{"TARGET", "KIND", "ACTION", "GRACE", "WHY"}, rows)
}

// nextRun says when the schedule next starts the fleet run.
func (d *deployment) nextRun(ctx context.Context, s *scheduleInfo) (*time.Time, string) {
	switch {
	case s.Problem != "":
		return nil, s.Problem
	case s.State != string(evtypes.RuleStateEnabled):
		return nil, "the schedule rule is " + s.State
	case strings.HasPrefix(s.Expression, "cron("):
		next, err := deploy.NextRun(s.Expression, time.Now())
		if err != nil {
			return nil, s.Expression + " " + err.Error()
		}
		return &next, s.Expression
	}
	// A rate counts from the rule's creation, which EventBridge does not
	// report: estimate from the last fleet run.
	if d.fleetMachine != "" {
		if last, err := d.listExecutions(ctx, d.fleetMachine, 1); err == nil && len(last) > 0 {
			started := aws.ToTime(last[0].StartDate).UTC()
			if next, err := deploy.NextRun(s.Expression, started); err == nil {
				return &next, fmt.Sprintf("%s after the last fleet run, started %s", s.Expression, formatTime(started))
			}
		}
	}
	return nil, s.Expression + " counts from when the rule was created, which AWS does not report, and no fleet run has started yet"
}

// planWarnings are what will make a target's scheduled rotation fail.
func (d *deployment) planWarnings(ctx context.Context, t target, now time.Time) []string {
	w := []string{}
	if !t.Kind.Valid() {
		w = append(w, fmt.Sprintf("its secret's %s tag is %q, not a target kind: its rotation will fail", deploy.TagKind, t.Kind))
	}
	st, err := d.targetStatus(ctx, t, nil, now)
	if err != nil {
		return append(w, err.Error())
	}
	if st.Problem != "" {
		w = append(w, "its current secret is unusable ("+st.Problem+"): its rotation will fail")
	}
	if st.Lock != nil && !st.Lock.Stale {
		w = append(w, st.Lock.String()+": its rotation will fail with RotationInProgressError unless that execution ends first")
	}
	return w
}
