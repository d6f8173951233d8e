package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// The operator commands (status, rotate, history, plan, audit, stop) work
// against a deployment: a real one through the AWS SDK's default credential
// chain, or the local stack of `ddrotate serve --template` through
// --endpoint-url. They find it by its prefix alone, as the stack names
// things (shared/deploy): the state machines <prefix>-rotate-target and
// <prefix>-rotate-fleet, the schedule rule <prefix>-scheduled-rotation, the
// secrets under the secret prefix that carry the ddrotate:target tag.

// commonFlags are the flags every operator command takes.
type commonFlags struct {
	endpointURL  string
	profile      string
	region       string
	prefix       string
	secretPrefix string
	output       string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "send every AWS call to this URL (the local stack of \"ddrotate serve --template\"), as the AWS CLI's --endpoint-url")
	fs.StringVar(&c.profile, "profile", "", "the AWS profile of the shared config and credentials files (default: the SDK's default credential chain)")
	fs.StringVar(&c.region, "region", "", "the AWS region of the deployment (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)")
	fs.StringVar(&c.prefix, "prefix", "ddrotate", "the deployment's prefix (the config file's \"prefix\")")
	fs.StringVar(&c.secretPrefix, "secret-prefix", "", "the deployment's secret name prefix (the config file's \"secretPrefix\"; default <prefix>/)")
	fs.StringVar(&c.output, "o", "text", "output format: text (aligned columns) or json")
}

// check validates the common flags after parsing.
func (c *commonFlags) check() error {
	if c.output != "text" && c.output != "json" {
		return usagef("-o must be text or json, not %q", c.output)
	}
	if c.prefix == "" {
		return usagef("--prefix must not be empty")
	}
	if c.secretPrefix == "" {
		c.secretPrefix = c.prefix + "/"
	}
	return nil
}

func (c *commonFlags) json() bool { return c.output == "json" }

// scheduleRuleName is the EventBridge rule that starts the scheduled fleet
// run (infra/scheduling.go).
func scheduleRuleName(prefix string) string { return prefix + "-scheduled-rotation" }

// auditFunctionName is the Lambda an audit of the deployment would run.
func auditFunctionName(prefix string) string { return prefix + "-audit" }

// deployment is a ddrotate deployment reached through the AWS APIs.
type deployment struct {
	flags   *commonFlags
	names   deploy.Config // Prefix and SecretPrefix: the names the stack gives things
	region  string
	sfn     *sfn.Client
	secrets *secretsmanager.Client
	events  *eventbridge.Client
	lambda  *lambda.Client

	targetMachine, fleetMachine string // ARNs; found by findMachines
	execCache                   map[string]*execInfo
}

// connect loads the AWS configuration the flags and the environment name.
func connect(ctx context.Context, c *commonFlags) (*deployment, error) {
	var opts []func(*config.LoadOptions) error
	if c.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.profile))
	}
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, usagef("no AWS region: pass --region, or set AWS_REGION or a profile with a region")
	}
	if c.endpointURL != "" {
		cfg.BaseEndpoint = aws.String(c.endpointURL)
	}
	return &deployment{
		flags:   c,
		names:   deploy.Config{Prefix: c.prefix, SecretPrefix: c.secretPrefix},
		region:  cfg.Region,
		sfn:     sfn.NewFromConfig(cfg),
		secrets: secretsmanager.NewFromConfig(cfg),
		events:  eventbridge.NewFromConfig(cfg),
		lambda:  lambda.NewFromConfig(cfg),

		execCache: map[string]*execInfo{},
	}, nil
}

// findMachines finds the deployment's state machines by name.
func (d *deployment) findMachines(ctx context.Context) error {
	if d.targetMachine != "" {
		return nil
	}
	var seen []string
	pages := sfn.NewListStateMachinesPaginator(d.sfn, &sfn.ListStateMachinesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the state machines: %w", err)
		}
		for _, m := range page.StateMachines {
			switch name := aws.ToString(m.Name); name {
			case d.names.RotateTargetMachineName():
				d.targetMachine = aws.ToString(m.StateMachineArn)
			case d.names.RotateFleetMachineName():
				d.fleetMachine = aws.ToString(m.StateMachineArn)
			default:
				if strings.HasSuffix(name, "-rotate-target") {
					seen = append(seen, strings.TrimSuffix(name, "-rotate-target"))
				}
			}
		}
	}
	if d.targetMachine == "" {
		hint := "check --prefix, --region and --profile (or --endpoint-url)"
		if len(seen) > 0 {
			hint = fmt.Sprintf("deployments seen in this region: --prefix %s", strings.Join(seen, ", --prefix "))
		}
		return fmt.Errorf("no ddrotate deployment with prefix %q in %s: there is no state machine %s; %s",
			d.names.Prefix, d.region, d.names.RotateTargetMachineName(), hint)
	}
	return nil
}

// target is one of the deployment's targets, as its secret's tags say.
type target struct {
	Name            string
	Kind            deploy.Kind
	SecretARN       string
	SecretName      string
	GraceSeconds    *int
	MaxGraceSeconds *int
	// stages maps each labelled version id to its staging labels.
	stages map[string][]string
}

// versionWith returns the id of the version that has the staging label.
func (t target) versionWith(label string) string {
	for id, labels := range t.stages {
		if slices.Contains(labels, label) {
			return id
		}
	}
	return ""
}

// targets lists the deployment's targets, sorted by name: the secrets
// under the secret prefix tagged with their target's name.
func (d *deployment) targets(ctx context.Context) ([]target, error) {
	var out []target
	pages := secretsmanager.NewListSecretsPaginator(d.secrets, &secretsmanager.ListSecretsInput{
		Filters: []smtypes.Filter{
			{Key: smtypes.FilterNameStringTypeName, Values: []string{d.names.SecretPrefix}},
			{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{deploy.TagTarget}},
		},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the deployment's secrets: %w", err)
		}
		for _, s := range page.SecretList {
			tags := map[string]string{}
			for _, t := range s.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			name := tags[deploy.TagTarget]
			if aws.ToString(s.Name) != d.names.SecretName(name) {
				continue
			}
			// A secret of another deployment that shares the secret
			// prefix is not one of this deployment's targets.
			if dep, ok := tags[deploy.TagDeployment]; ok && dep != d.names.Prefix {
				continue
			}
			out = append(out, target{
				Name: name, Kind: deploy.Kind(tags[deploy.TagKind]),
				SecretARN: aws.ToString(s.ARN), SecretName: aws.ToString(s.Name),
				GraceSeconds: intTag(tags, deploy.TagGraceSeconds), MaxGraceSeconds: intTag(tags, deploy.TagMaxGraceSeconds),
				stages: s.SecretVersionsToStages,
			})
		}
	}
	slices.SortFunc(out, func(a, b target) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func intTag(tags map[string]string, key string) *int {
	v, ok := tags[key]
	if !ok {
		return nil
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
		return nil
	}
	return &n
}

// lookupTarget returns the named target, or a refusal that lists the
// deployment's targets.
func (d *deployment) lookupTarget(ctx context.Context, name string) (target, []target, error) {
	all, err := d.targets(ctx)
	if err != nil {
		return target{}, nil, err
	}
	t, err := d.findTarget(all, name)
	return t, all, err
}

// findTarget returns the named target of all, or a refusal that lists
// them.
func (d *deployment) findTarget(all []target, name string) (target, error) {
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return target{}, unknownTarget(d, name, all)
}

func unknownTarget(d *deployment, name string, all []target) error {
	if len(all) == 0 {
		return refusef("unknown target %q: deployment %s has no targets (no secret named %s<target> with the tag %s)",
			name, d.names.Prefix, d.names.SecretPrefix, deploy.TagTarget)
	}
	var names []string
	for _, t := range all {
		names = append(names, t.Name)
	}
	return refusef("unknown target %q; the targets of deployment %s are: %s", name, d.names.Prefix, strings.Join(names, ", "))
}

// exitError ends a command with a given exit code; msg, when set, is
// printed after "ddrotate <command>: ".
type exitError struct {
	code int
	msg  string
	// usage asks for the command's usage after the message.
	usage bool
}

func (e *exitError) Error() string { return e.msg }

// usagef is a command-line mistake: the message and the usage, exit 2.
func usagef(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...), usage: true}
}

// refusef refuses to act on what the command line names (an unknown
// target, a missing function), exit 2, without the usage.
func refusef(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// newFlagSet makes a command's flag set; its usage goes to stderr and
// starts with synopsis.
func newFlagSet(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ddrotate %s %s\n\n%s\n\nflags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; a mistake (the flag package has printed it and
// the usage) is exit 2, -h exit 0. Operator commands take no arguments
// besides flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (every option is a flag; flags come before any argument)", fs.Arg(0))
	}
	return nil
}
