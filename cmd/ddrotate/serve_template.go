package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ddrotate/ddrotate/internal/localstack"
)

// serveTemplate stands a synthesized stack up and serves it until ctx ends.
func serveTemplate(ctx context.Context, out io.Writer, opts localstack.Options) error {
	fmt.Fprintf(out, "building the stack's Lambda bootstraps and deploying %s ...\n", opts.TemplatePath)
	ls, err := localstack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer ls.Close()
	printStack(out, ls, opts)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return nil
}

func printStack(out io.Writer, ls *localstack.Stack, opts localstack.Options) {
	dep := ls.Deployment
	fmt.Fprintf(out, `
ddrotate stack %s is running on this machine (local, fake keys only):
  Datadog API  %s
  AWS          %s   (Secrets Manager, SNS, STS, Step Functions, Lambda; --endpoint-url for the AWS CLI)
  account %s, region %s
`, dep.StackName, ls.DatadogURL, ls.AWSURL, dep.Account, dep.Region)
	if opts.NoSeed {
		fmt.Fprintf(out, "\nSecrets hold the template's placeholder (--no-seed): put each first value as the README's first-time setup says.\n")
	} else {
		a := ls.Admin
		fmt.Fprintf(out, `
Seeded like a first deployment: targets %s hold their first keys.
Admin credential (the Datadog emulator's admin key, also in the admin target's secret):
  adminApiKey       %s
  adminApiKeyId     %s
  adminAppKey       %s
  adminAppKeyId     %s
  serviceAccountId  %s
`, strings.Join(ls.Seeded, ", "), a.APIKey, a.APIKeyID, a.AppKey, a.AppKeyID, a.ServiceAccountID)
	}
	fmt.Fprintf(out, "\nLambda functions (real bootstraps under the local Runtime API, each with its role's credentials):\n")
	for _, fn := range dep.Functions {
		fmt.Fprintf(out, "  %-22s timeout %-4s role %s\n", fn.Name, fn.Timeout, fn.RoleARN)
	}
	fmt.Fprintf(out, "State machines:\n")
	for _, m := range dep.Machines {
		fmt.Fprintf(out, "  %s\n", m.ARN)
	}
	for _, r := range dep.Rules {
		fmt.Fprintf(out, "Schedule %s: %s (fires on this serve's clock)\n", r.Name, r.Schedule)
	}
	fmt.Fprintf(out, "Outputs:\n")
	names := make([]string, 0, len(dep.Outputs))
	for n := range dep.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, "  %-36s %s\n", n, dep.Outputs[n])
	}
	fmt.Fprintf(out, "Other accounts (an access key acting as each; any secret access key works):\n")
	for _, a := range ls.Accounts {
		org := ""
		if a.OrgID != "" {
			org = " (organization " + a.OrgID + ")"
		}
		fmt.Fprintf(out, "  %s  AWS_ACCESS_KEY_ID=%s%s\n", a.ID, a.AccessKeyID, org)
		for _, r := range a.Roles {
			ext := ""
			if r.ExternalID != "" {
				ext = " --external-id " + r.ExternalID
			}
			fmt.Fprintf(out, "      may assume %s%s\n", r.ARN, ext)
		}
	}
	if len(dep.NotEmulated) > 0 {
		fmt.Fprintf(out, "Deployed as names only (nothing runs behind them locally):\n")
		for _, n := range dep.NotEmulated {
			fmt.Fprintf(out, "  %s\n", n)
		}
	}
	fmt.Fprintf(out, `
Try, in another terminal:
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=%s
  ddrotate status --endpoint-url %s
  ddrotate rotate --endpoint-url %s --target payments --mode compromise --follow
  ddrotate history --endpoint-url %s
  ddrotate plan --endpoint-url %s
(ddrotate is bin/ddrotate after "make build", or "go run ./cmd/ddrotate"); or with the AWS CLI:
  aws --endpoint-url %s stepfunctions start-execution --state-machine-arn %s \
    --input '{"target": "payments", "mode": "compromise"}'
  aws --endpoint-url %s stepfunctions describe-execution --execution-arn <executionArn>

Press Ctrl-C to stop.
`, dep.Region, ls.AWSURL, ls.AWSURL, ls.AWSURL, ls.AWSURL, ls.AWSURL, dep.Outputs["RotateTargetStateMachineArn"], ls.AWSURL)
}
