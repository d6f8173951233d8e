// Package localenv runs the whole of ddrotate on one machine: the Datadog
// and AWS emulators, the step handlers wired exactly as in Lambda, and the
// local States Language executor running the deployed definitions. The
// demo, `ddrotate run`, and the workflow and fault tests all stand on it.
//
// The steps go through the Lambda path: the local deployment has a
// deploy.Config, validated as the CDK app validates one; each step's
// environment is built from it by the function the stack uses
// (deploy.Config.StepEnvironment); lambdaenv.SettingsFromEnv reads it and
// lambdaenv.NewSteps and lambdaenv.Handler make the handlers, as each
// Lambda's main does. Only the Datadog endpoint, the log level, the clock
// and the Step Functions client are local.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
	"github.com/ddrotate/ddrotate/shared/rotation"
	"github.com/ddrotate/ddrotate/statemachine"
)

// Local deployment constants, mirroring what the CDK stack deploys for a
// config with the default prefix (see deployConfig).
const (
	Region       = "us-east-1"
	AccountID    = "000000000000"
	Prefix       = deploy.DefaultPrefix
	SecretPrefix = Prefix + "/"
	AdminTarget  = "admin"
	// Site is the local deployment's Datadog site.
	Site          = deploy.SiteUS1
	TopicName     = Prefix + "-notifications"
	TargetMachine = Prefix + "-rotate-target"
	FleetMachine  = Prefix + "-rotate-fleet"
	// localAccessKeyID is the security account's principal in the AWS emulator.
	localAccessKeyID = "AKIADDROTATELOCAL000"
	// localSchedule is the local deployment's schedule, which nothing runs:
	// the longest rate, so that any grace period validates.
	localSchedule = "rate(365 days)"
	// localAlarmEmail is where the local deployment's alarms would go.
	localAlarmEmail = "operators@example.com"
	// localLogLevel makes the local steps log everything, for the tests'
	// leak scans and for debugging a run.
	localLogLevel = "debug"
)

// Options configure an Env.
type Options struct {
	// Clock drives Wait states and retry backoff (default: a VirtualClock,
	// so a 24 h grace period passes at once).
	Clock asl.Clock
	// LogOutput receives the steps' JSON logs (default: discarded).
	LogOutput io.Writer
	// DefaultGrace is the scheduled grace period (default 24 h).
	DefaultGrace time.Duration
	// DatadogAddr and AWSAddr, when set, make the emulators listen there
	// (e.g. 127.0.0.1:8126); otherwise they listen on a free loopback port.
	DatadogAddr, AWSAddr string
	// DatadogTimeout bounds each Datadog call including retries (default 5 s).
	DatadogTimeout time.Duration
	// BeforeState and AfterTask are passed to the executor: fault tests stop
	// executions at chosen states and watch every task attempt.
	BeforeState func(exec *asl.Execution, stateName string) error
	AfterTask   func(exec *asl.Execution, attempt asl.TaskAttempt)
	// Fleet is the deployment's fleet section (default: the config's
	// defaults, 10 at a time and every failure tolerated).
	Fleet *deploy.FleetFile
}

// Env is a running local deployment.
type Env struct {
	Datadog    *ddemu.Server
	DatadogURL string
	AWS        *awsemu.Server
	AWSURL     string
	Engine     *asl.Engine
	Clock      asl.Clock
	Steps      *rotation.Steps

	TargetMachineARN string
	FleetMachineARN  string
	TopicARN         string

	// Secrets and Topic are SDK clients acting as the security account.
	Secrets   *secretsmanager.Client
	Topic     *sns.Client
	AWSConfig aws.Config

	// Admin is the seeded admin credential (local, fake keys).
	Admin ddemu.Admin
	// Targets are the targets added so far, by name.
	Targets map[string]*Target
	// readerRoles are the reader groups' roles, by group id.
	readerRoles map[string]*awsemu.Role

	// What the invariants read besides the emulators' state: the Datadog
	// client's time bound, the rotate-target definition as deployed, and
	// where the Datadog call log stood as each execution entered Store.
	datadogTimeout   time.Duration
	targetDefinition *asl.Definition
	marksMu          sync.Mutex
	storeMarks       map[string]int
}

// Target is a target set up in the local deployment.
type Target struct {
	Name      string
	Kind      deploy.Kind
	SecretARN string
	// ServiceAccountID owns the target's application key, if it has one.
	ServiceAccountID string
	// RoleARN is the read-only role of the target's reader group (its team
	// account and ExternalId); TeamAccessKeyID is a principal of the team's
	// own account that may assume it.
	RoleARN         string
	TeamAccountID   string
	TeamAccessKeyID string
	ExternalID      string
	// SubscriptionARN is the team's filtered subscription to the topic.
	SubscriptionARN string
}

// Start starts the emulators, seeds the admin credential and its secret,
// creates the topic and registers the definitions with the executor.
func Start(ctx context.Context, opts Options) (*Env, error) {
	opts = withDefaults(opts)
	env := &Env{Clock: opts.Clock, Targets: map[string]*Target{}, readerRoles: map[string]*awsemu.Role{}}
	ok := false
	defer func() {
		if !ok {
			_ = env.Close() // the error that made Start fail is the one to report
		}
	}()

	seed, admin := ddemu.DefaultSeed()
	env.Admin = admin
	env.Datadog = ddemu.New(seed, ddemu.WithClock(opts.Clock.Now))
	var err error
	if env.DatadogURL, err = env.Datadog.Listen(orAddr(opts.DatadogAddr)); err != nil {
		return nil, fmt.Errorf("start the Datadog emulator: %w", err)
	}
	env.AWS = awsemu.New(awsemu.Options{AccountID: AccountID, Region: Region})
	if env.AWSURL, err = env.AWS.Listen(orAddr(opts.AWSAddr)); err != nil {
		return nil, fmt.Errorf("start the AWS emulator: %w", err)
	}
	if err := env.wire(ctx, opts); err != nil {
		return nil, err
	}
	if err := env.putAdminSecret(ctx); err != nil {
		return nil, err
	}
	ok = true
	return env, nil
}

// Connect wires the steps and the executor to emulators that are already
// running (those of `ddrotate serve`), for `ddrotate run`.
func Connect(ctx context.Context, datadogURL, awsURL string, opts Options) (*Env, error) {
	opts = withDefaults(opts)
	env := &Env{Clock: opts.Clock, Targets: map[string]*Target{}, readerRoles: map[string]*awsemu.Role{}, DatadogURL: datadogURL, AWSURL: awsURL}
	if err := env.wire(ctx, opts); err != nil {
		return nil, err
	}
	return env, nil
}

// wire makes the clients, the topic, the executor and the steps.
func (env *Env) wire(ctx context.Context, opts Options) error {
	cfg, err := deployConfig(opts)
	if err != nil {
		return err
	}
	env.AWSConfig = ClientConfig(env.AWSURL, localAccessKeyID)
	env.Secrets = secretsmanager.NewFromConfig(env.AWSConfig)
	env.Topic = sns.NewFromConfig(env.AWSConfig)

	topic, err := env.Topic.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return fmt.Errorf("create the topic: %w", err)
	}
	env.TopicARN = aws.ToString(topic.TopicArn)

	env.datadogTimeout = opts.DatadogTimeout
	before := opts.BeforeState
	env.Engine = asl.NewEngine(asl.EngineOptions{
		Region: Region, AccountID: AccountID, Clock: opts.Clock,
		BeforeState: func(x *asl.Execution, state string) error {
			if state == storeState {
				env.markStore(x)
			}
			if before != nil {
				return before(x, state)
			}
			return nil
		},
		AfterTask: opts.AfterTask,
	})
	subs := map[string]string{}
	for _, step := range deploy.Steps() {
		subs[step.Placeholder()] = FunctionARN(step)
	}
	if env.TargetMachineARN, err = env.Engine.Register(cfg.RotateTargetMachineName(), statemachine.RotateTargetDefinition, subs); err != nil {
		return fmt.Errorf("load the rotate-target definition: %w", err)
	}
	if env.targetDefinition, err = asl.Load(statemachine.RotateTargetDefinition, subs); err != nil {
		return fmt.Errorf("load the rotate-target definition: %w", err)
	}
	subs[deploy.RotateTargetStateMachinePlaceholder] = env.TargetMachineARN
	if env.FleetMachineARN, err = env.Engine.Register(cfg.RotateFleetMachineName(), statemachine.RotateFleetDefinition, subs); err != nil {
		return fmt.Errorf("load the rotate-fleet definition: %w", err)
	}

	if env.Steps, err = env.newSteps(cfg, opts); err != nil {
		return err
	}
	for _, step := range deploy.Steps() {
		handler, err := lambdaenv.Handler(env.Steps, step)
		if err != nil {
			return err
		}
		env.Engine.SetFunction(FunctionARN(step), lambda.NewHandler(handler))
	}
	return nil
}

// deployConfig is the local deployment's config, validated as the CDK app
// validates one. It lists the admin target only: team targets are added as
// a run goes, and the steps read their settings from their secrets' tags.
func deployConfig(opts Options) (deploy.Config, error) {
	file := deploy.ConfigFile{
		Prefix:             Prefix,
		SecretPrefix:       SecretPrefix,
		Site:               string(Site),
		Schedule:           localSchedule,
		DefaultGracePeriod: opts.DefaultGrace.String(),
		Alarms:             deploy.AlarmsFile{Email: localAlarmEmail},
		Fleet:              opts.Fleet,
		Targets:            []deploy.TargetFile{{Name: AdminTarget, Kind: deploy.KindAdmin}},
	}
	cfg, err := file.Validate(opts.Clock.Now())
	if err != nil {
		return deploy.Config{}, fmt.Errorf("the local deployment's config: %w", err)
	}
	return cfg, nil
}

// newSteps makes the steps as a step Lambda does: from the environment the
// stack would give it, read by lambdaenv. The environment points the
// Datadog clients at the emulator; the executor, standing in for Step
// Functions, answers the steps' DescribeExecution; the clock is the run's.
func (env *Env) newSteps(cfg deploy.Config, opts Options) (*rotation.Steps, error) {
	environment := cfg.StepEnvironment(deploy.StepResources{TopicARN: env.TopicARN, StateMachineARN: env.TargetMachineARN})
	environment[deploy.EnvDatadogEndpoint] = env.DatadogURL
	environment[deploy.EnvLogLevel] = localLogLevel
	settings, err := lambdaenv.SettingsFromEnv(func(key string) string { return environment[key] })
	if err != nil {
		return nil, fmt.Errorf("the local steps' environment: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(opts.LogOutput, &slog.HandlerOptions{Level: settings.LogLevel}))
	steps, err := lambdaenv.NewSteps(settings, env.AWSConfig, datadog.Options{MaxElapsed: opts.DatadogTimeout}, logger)
	if err != nil {
		return nil, err
	}
	steps.Executions = engineExecutions{env.Engine}
	steps.Now = opts.Clock.Now
	return steps, nil
}

func withDefaults(opts Options) Options {
	if opts.Clock == nil {
		opts.Clock = NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	}
	if opts.LogOutput == nil {
		opts.LogOutput = io.Discard
	}
	if opts.DefaultGrace == 0 {
		opts.DefaultGrace = 24 * time.Hour
	}
	if opts.DatadogTimeout == 0 {
		opts.DatadogTimeout = 5 * time.Second
	}
	return opts
}

func orAddr(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// FunctionARN is the local ARN of a step's Lambda.
func FunctionARN(step deploy.Step) string {
	return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + deploy.Config{Prefix: Prefix}.FunctionName(step)
}

// ClientConfig is an AWS SDK configuration that talks to the AWS emulator
// at url as the principal accessKeyID, with no retry delays to speak of.
func ClientConfig(url, accessKeyID string) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKeyID, "local-secret-access-key", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 3,
	}
}

// Close stops the emulators and reports what went wrong stopping them.
func (e *Env) Close() error {
	var errs []error
	if e.Datadog != nil {
		errs = append(errs, e.Datadog.Close())
	}
	if e.AWS != nil {
		errs = append(errs, e.AWS.Close())
	}
	return errors.Join(errs...)
}
