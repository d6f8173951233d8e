package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
	"github.com/ddrotate/ddrotate/internal/localstack"
)

func serveCommand(ctx context.Context, args []string, out, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	datadogAddr := fs.String("datadog-addr", "127.0.0.1:8126", "loopback address of the Datadog API emulator")
	awsAddr := fs.String("aws-addr", "127.0.0.1:4566", "loopback address of the AWS emulator (Secrets Manager, SNS, STS)")
	noTeams := fs.Bool("no-teams", false, "seed only the admin credential, not the demo teams (without --template)")
	template := fs.String("template", "", "stand up this synthesized stack (cdk.out/<stack>.template.json): its real Lambda bootstraps, IAM, state machines, topics and schedules")
	noSeed := fs.Bool("no-seed", false, "with --template: leave each secret's placeholder value, as a first deployment does before its first-time setup")
	sourceDir := fs.String("source-dir", ".", "with --template: the module root holding functions/<step>, built into the Lambda bootstraps")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *template != "" {
		return serveTemplate(ctx, out, localstack.Options{
			TemplatePath: *template, SourceDir: *sourceDir, AWSAddr: *awsAddr, DatadogAddr: *datadogAddr,
			NoSeed: *noSeed, Logs: out,
		})
	}
	env, err := localenv.Start(ctx, localenv.Options{DatadogAddr: *datadogAddr, AWSAddr: *awsAddr, Clock: asl.RealClock()})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.Close()) }()
	if !*noTeams {
		for _, spec := range demoTeams {
			if _, err := env.AddTarget(ctx, spec); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, `ddrotate emulators are running (local, fake keys only):
  Datadog API  %s
  AWS          %s   (use --endpoint-url with the AWS CLI, BaseEndpoint with the SDKs)

Seeded admin credential (secret %s%s, also the Datadog emulator's admin key):
  adminApiKey       %s
  adminApiKeyId     %s
  adminAppKey       %s
  adminAppKeyId     %s
  serviceAccountId  %s
  site              %s

Targets: %v
SNS topic: %s

Try, in another terminal:
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=%s \
    aws --endpoint-url %s secretsmanager get-secret-value --secret-id %spayments
  curl -H "DD-API-KEY: <adminApiKey>" %s/api/v1/validate

These emulators have no Step Functions: the operator commands (ddrotate status,
rotate, history, plan, stop) run against the synthesized stack, "make local".

Press Ctrl-C to stop.
`, env.DatadogURL, env.AWSURL, localenv.SecretPrefix, localenv.AdminTarget,
		env.Admin.APIKey, env.Admin.APIKeyID, env.Admin.AppKey, env.Admin.AppKeyID, env.Admin.ServiceAccountID, localenv.Site,
		env.TargetNames(), env.TopicARN, localenv.Region, env.AWSURL, localenv.SecretPrefix, env.DatadogURL)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return nil
}
