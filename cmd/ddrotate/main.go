// Command ddrotate runs ddrotate on one machine: `ddrotate demo` runs the
// whole system on embedded emulators, `ddrotate serve` keeps the emulators up
// for other tools (the AWS CLI, the SDKs, `ddrotate run`), and `ddrotate run`
// performs one rotation against a running `ddrotate serve`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: ddrotate <command> [flags]

commands:
  demo    run a full local demonstration on embedded emulators and check the invariants
  serve   run the Datadog and AWS emulators with a seeded deployment until interrupted
  run     rotate one target against a running "ddrotate serve"
  targets print each target's secret and the read roles its accounts assume, from a config

Run "ddrotate <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		err = demoCommand(ctx, args[1:], stdout)
	case "serve":
		err = serveCommand(ctx, args[1:], stdout)
	case "run":
		err = runCommand(ctx, args[1:], stdout)
	case "targets":
		err = targetsCommand(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ddrotate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "ddrotate %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "ddrotate %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage marks a command-line mistake (exit code 2).
var errUsage = errors.New("usage")
