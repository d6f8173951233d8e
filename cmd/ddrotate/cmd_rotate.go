package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

const rotateAbout = `Starts a rotation of one target (an execution of <prefix>-rotate-target) and
prints its ARN. scheduled: the routine rotation; the current key must still work
and lives on for the target's grace period. compromise: after a suspected leak;
every other managed key of the target is revoked as soon as the new one is
current. The flags and the target are checked before anything starts.

With --follow, prints each state as the execution runs and exits 0 when it
succeeds, 1 with the typed error and its message when it fails. A scheduled
rotation waits out its grace period (default 24h) before it deletes the old
key: Ctrl-C stops following, not the execution.`

// followPoll is how often --follow reads the execution's history.
var followPoll = 2 * time.Second

// rotateOutput is `ddrotate rotate -o json`.
type rotateOutput struct {
	execInfo
	// States is the execution's timeline, with --follow.
	States []stateRow `json:"states"`
}

func rotateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("rotate", "--target T --mode scheduled|compromise [--follow] [flags]", rotateAbout, stderr)
	name := fs.String("target", "", "the target to rotate (required)")
	mode := fs.String("mode", "", "scheduled or compromise (required)")
	follow := fs.Bool("follow", false, "show each state as it runs; exit 0 on success, 1 on failure")
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	switch {
	case *name == "":
		return usagef("--target is required")
	case !deploy.ValidTargetName(*name):
		return usagef("--target %q is not a target name (2-40 characters of a-z, 0-9 and '-')", *name)
	case *mode == "":
		return usagef("--mode is required: scheduled (routine) or compromise (after a suspected leak)")
	case rotation.Mode(*mode) != rotation.ModeScheduled && rotation.Mode(*mode) != rotation.ModeCompromise:
		return usagef("--mode must be scheduled or compromise, not %q", *mode)
	}
	input, _ := json.Marshal(rotation.Input{Target: *name, Mode: rotation.Mode(*mode)})
	if _, err := rotation.ParseInput(input); err != nil {
		return usagef("%v", err)
	}

	d, err := connect(ctx, &c)
	if err != nil {
		return err
	}
	if err := d.findMachines(ctx); err != nil {
		return err
	}
	t, _, err := d.lookupTarget(ctx, *name)
	if err != nil {
		return err
	}
	if lock := d.lockOf(ctx, t); lock != nil && !lock.Stale {
		fmt.Fprintf(stderr, "warning: %s is locked: %s; this rotation will fail with RotationInProgressError unless that one ends first (ddrotate stop --execution %s)\n",
			t.Name, lock, lock.ExecutionARN)
	}
	start, err := d.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(d.targetMachine), Input: aws.String(string(input)), Name: aws.String(executionName(*name, *mode)),
	})
	if err != nil {
		return fmt.Errorf("start the rotation: %w", err)
	}
	arn := aws.ToString(start.ExecutionArn)
	started := utc(start.StartDate)
	out := rotateOutput{execInfo: execInfo{ExecutionARN: arn, Name: executionNameOf(arn), StateMachine: d.machineLabel(machineOf(arn)),
		Target: *name, Mode: *mode, Status: "RUNNING", StartDate: started}, States: []stateRow{}}
	if !c.json() {
		fmt.Fprintf(stdout, "started %s rotation of %s\n%s\n", *mode, *name, arn)
	}
	if !*follow {
		if c.json() {
			return writeJSON(stdout, out)
		}
		fmt.Fprintf(stdout, "see how it goes: ddrotate status --target %s; ddrotate history --target %s\n", *name, *name)
		return nil
	}
	return d.follow(ctx, &out, c.json(), stdout)
}

// executionNameOf is the name part of an execution ARN.
func executionNameOf(arn string) string {
	if m := executionARNPattern.FindStringSubmatch(arn); m != nil {
		return m[2]
	}
	return arn
}

// executionName names an operator's execution so that history and the
// console show what it was: <target>-<mode>-<UTC time>-<random>.
func executionName(target, mode string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s-%s-%s", target, mode, time.Now().UTC().Format("20060102T150405Z"), hex.EncodeToString(b))
}

// lockOf reads a target's lock, nil when it is free or unreadable.
func (d *deployment) lockOf(ctx context.Context, t target) *lockStatus {
	if t.versionWith("AWSPENDING") == "" {
		return nil
	}
	st, err := d.targetStatus(ctx, t, nil, time.Now())
	if err != nil {
		return nil
	}
	return st.Lock
}

// follow prints the execution's states as they finish until it ends or
// ctx is cancelled (Ctrl-C), which stops following, not the execution.
func (d *deployment) follow(ctx context.Context, out *rotateOutput, asJSON bool, stdout io.Writer) error {
	tl := newTimeline()
	seen := 0
	for !tl.ended {
		events, err := d.history(ctx, out.ExecutionARN)
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("read the execution's history: %w", err)
		}
		if ctx.Err() != nil {
			break
		}
		for _, ev := range events[min(seen, len(events)):] {
			for _, row := range tl.add(ev) {
				if !asJSON {
					printRow(stdout, row)
				}
			}
		}
		seen = len(events)
		if tl.ended {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(followPoll):
		}
	}
	// The command's context may be cancelled: finish with one of our own.
	fin, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	x, err := d.describe(fin, out.ExecutionARN)
	if err != nil {
		return fmt.Errorf("describe the execution: %w", err)
	}
	out.execInfo = *x
	out.States = tl.rows
	if !terminal(x.Status) {
		if asJSON {
			_ = writeJSON(stdout, out)
		}
		return &exitError{code: 130, msg: fmt.Sprintf("stopped following; the execution was not stopped and is still %s: %s\n"+
			"  ddrotate status --target %s shows how it goes; ddrotate stop --execution %s stops it", x.Status, x.ExecutionARN, x.Target, x.ExecutionARN)}
	}
	if asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s in %s\n", x.Status, formatDuration(x.duration(time.Now())))
	}
	if x.Status == "SUCCEEDED" {
		return nil
	}
	if x.Error != "" {
		return &exitError{code: 1, msg: fmt.Sprintf("%s %s: %s: %s", x.Name, x.Status, x.Error, x.ErrorMessage)}
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%s %s", x.Name, x.Status)}
}

func printRow(w io.Writer, r stateRow) {
	dur := formatSeconds(r.DurationSeconds)
	if r.Outcome == "waiting" || r.Outcome == "running" {
		dur = "…"
	}
	detail := r.Detail
	if len(r.Errors) > 0 && r.Outcome != "waiting" {
		detail = joinNonEmpty(r.Errors[len(r.Errors)-1], detail)
	}
	fmt.Fprintf(w, "  %-18s %9s  %-9s %s\n", r.State, dur, r.Outcome, detail)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
