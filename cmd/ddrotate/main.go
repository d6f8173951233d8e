// Command ddrotate is the operators' command line. Against a deployment, a
// real one (the AWS SDK's default credential chain, --profile, --region) or
// the local stack (--endpoint-url): `status`, `rotate`, `history`, `plan`,
// `audit` and `stop`. Without one: `demo` runs the whole system on
// embedded emulators, `serve` keeps the emulators (or, with --template, the
// synthesized stack) up for other tools, and `targets` prints what a config
// deploys for each target.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

const usage = `usage: ddrotate <command> [flags]

Operating a deployment (a real one, or the local stack with --endpoint-url):
  status    each target's current keys (ids and last4), age, next due, lock and last execution
  rotate    rotate one target: --target T --mode scheduled|compromise [--follow]
  history   recent executions, newest first
  plan      what the next scheduled run will rotate and skip, and why
  audit     run the deployment's audit function, if it has one
  stop      stop a running execution: --execution ARN

Without a deployment:
  demo      run a full local demonstration on embedded emulators and check the invariants
  serve     run the emulators (or, with --template, the synthesized stack) until interrupted
  targets   print each target's secret and the read roles its accounts assume, from a config

Every operator command takes --endpoint-url URL, --profile P, --region R,
--prefix P (default ddrotate), --secret-prefix S (default <prefix>/) and
-o text|json. Run "ddrotate <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// commands are the operator commands, by name.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"status":  statusCommand,
	"rotate":  rotateCommand,
	"history": historyCommand,
	"plan":    planCommand,
	"audit":   auditCommand,
	"stop":    stopCommand,
}

// run dispatches a command line and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage mistake or a refusal
// (nothing was started), 130 when Ctrl-C stopped `rotate --follow`.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch name := args[0]; {
	case name == "demo":
		err = demoCommand(ctx, args[1:], stdout, stderr)
	case name == "serve":
		err = serveCommand(ctx, args[1:], stdout, stderr)
	case name == "targets":
		err = targetsCommand(ctx, args[1:], stdout)
	case commands[name] != nil:
		err = commands[name](ctx, args[1:], stdout, stderr)
	case name == "-h" || name == "--help" || name == "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ddrotate: unknown command %q\n\n%s", name, usage)
		return 2
	}
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		if exit.msg != "" {
			fmt.Fprintf(stderr, "ddrotate %s: %s\n", args[0], exit.msg)
		}
		if exit.usage {
			fmt.Fprintf(stderr, "\n")
			if cmd := commands[args[0]]; cmd != nil {
				_ = cmd(ctx, []string{"-h"}, io.Discard, stderr)
			}
		}
		return exit.code
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "ddrotate %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "ddrotate %s: %s\n", args[0], errorText(err))
		return 1
	}
}

// errorText is err's message with an AWS API error said briefly: the
// service, the operation, the error code and AWS's message, and the
// request id, without the SDK's transport details.
func errorText(err error) string {
	var op *smithy.OperationError
	var api smithy.APIError
	if !errors.As(err, &op) || !errors.As(err, &api) {
		return err.Error()
	}
	brief := fmt.Sprintf("%s %s: %s: %s", op.Service(), op.Operation(), api.ErrorCode(), api.ErrorMessage())
	var withID interface{ ServiceRequestID() string }
	if errors.As(err, &withID) && withID.ServiceRequestID() != "" {
		brief += " (request id " + withID.ServiceRequestID() + ")"
	}
	return strings.Replace(err.Error(), op.Error(), brief, 1)
}

// errUsage marks a command-line mistake of demo or serve (exit code 2).
var errUsage = errors.New("usage")

// flagError makes a flag mistake of demo or serve, which the flag package
// has printed with the usage, exit 2.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &exitError{code: 2}
}
