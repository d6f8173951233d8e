package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

func runCommand(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(out)
	target := fs.String("target", "", "target to rotate (required)")
	mode := fs.String("mode", string(rotation.ModeScheduled), "scheduled or compromise")
	datadogURL := fs.String("datadog-url", "http://127.0.0.1:8126", "URL of the running Datadog API emulator")
	awsURL := fs.String("aws-url", "http://127.0.0.1:4566", "URL of the running AWS emulator")
	realTime := fs.Bool("real-time", false, "wait out grace periods and backoff in real time (default: virtual time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" {
		return fmt.Errorf("%w: --target is required", errUsage)
	}
	opts := localenv.Options{}
	if *realTime {
		opts.Clock = asl.RealClock()
	}
	env, err := localenv.Connect(ctx, *datadogURL, *awsURL, opts)
	if err != nil {
		return fmt.Errorf("connect to ddrotate serve (is it running?): %w", err)
	}
	x, err := env.Rotate(ctx, *target, rotation.Mode(*mode))
	if err != nil {
		return err
	}
	p := &printer{w: out}
	p.timeline(env, x)
	if x.Status() != asl.StatusSucceeded {
		return fmt.Errorf("execution %s ended %s", x.Name(), x.Status())
	}
	return nil
}
