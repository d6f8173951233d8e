package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

const stopAbout = `Stops a running execution of the deployment's state machines, such as the
scheduled rotation that holds a target's lock when a compromise rotation must
run (runbook, step 3). A rotation stopped before Store leaves its AWSPENDING
version and new keys behind: the target's next rotation cleans them up.`

// stopOutput is `ddrotate stop -o json`.
type stopOutput struct {
	execInfo
	// AfterStore is set when the rotation had made its new key current
	// before it was stopped (its old key is then still alive).
	AfterStore bool `json:"afterStore"`
}

func stopCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("stop", "--execution ARN [flags]", stopAbout, stderr)
	arn := fs.String("execution", "", "the ARN of the execution to stop (required)")
	cause := fs.String("cause", "stopped by an operator with ddrotate stop", "the cause recorded in the execution's history")
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	switch {
	case *arn == "":
		return usagef("--execution is required")
	case !executionARNPattern.MatchString(*arn):
		return usagef("--execution %q is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)", *arn)
	}
	d, err := connect(ctx, &c)
	if err != nil {
		return err
	}
	if m := machineOf(*arn); m != d.names.RotateTargetMachineName() && m != d.names.RotateFleetMachineName() {
		return refusef("%s is an execution of %s, not of deployment %s (%s, %s)", *arn, m, d.names.Prefix,
			d.names.RotateTargetMachineName(), d.names.RotateFleetMachineName())
	}
	x, err := d.describe(ctx, *arn)
	if err != nil {
		return fmt.Errorf("describe the execution: %w", err)
	}
	if x.Status != "RUNNING" {
		return fmt.Errorf("%s is not running (%s): nothing to stop", x.Name, x.Status)
	}
	if _, err := d.sfn.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(*arn), Error: aws.String("ddrotate.Stopped"), Cause: aws.String(*cause)}); err != nil {
		return fmt.Errorf("stop the execution: %w", err)
	}
	delete(d.execCache, *arn)
	if x, err = d.describe(ctx, *arn); err != nil {
		return fmt.Errorf("describe the stopped execution: %w", err)
	}
	out := stopOutput{execInfo: *x, AfterStore: d.storeCompleted(ctx, x.ExecutionARN)}
	if c.json() {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "stopped %s (%s)\n", x.ExecutionARN, x.Status)
	switch {
	case x.Target == "":
	case out.AfterStore:
		fmt.Fprintf(stdout, "it had made its new key current; the old key it was to delete is still alive: the next rotation of %s deletes it\n"+
			"(now: ddrotate rotate --target %s --mode compromise)\n", x.Target, x.Target)
	default:
		fmt.Fprintf(stdout, "it stopped before Store: AWSCURRENT is unchanged; the next rotation of %s cleans up what it left (its AWSPENDING version, any key it made)\n", x.Target)
	}
	return nil
}

// storeCompleted reports whether a rotate-target execution got past Store.
func (d *deployment) storeCompleted(ctx context.Context, arn string) bool {
	events, err := d.history(ctx, arn)
	if err != nil {
		return false
	}
	for _, ev := range events {
		if ev.StateExitedEventDetails != nil && aws.ToString(ev.StateExitedEventDetails.Name) == "Store" {
			return true
		}
	}
	return false
}
