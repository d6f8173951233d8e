// Package localenv runs the whole of ddrotate on one machine: the Datadog
// and AWS emulators, the step handlers wired exactly as in Lambda, and the
// local States Language executor running the deployed definitions. The
// demo, `ddrotate run`, and the workflow and fault tests all stand on it.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/rotation"
	"github.com/ddrotate/ddrotate/statemachine"
)

// Local deployment constants, mirroring what the CDK stack deploys.
const (
	Region        = "us-east-1"
	AccountID     = "000000000000"
	SecretPrefix  = "ddrotate/"
	AdminTarget   = "admin"
	TopicName     = "ddrotate-notifications"
	TargetMachine = "ddrotate-rotate-target"
	FleetMachine  = "ddrotate-rotate-fleet"
	// localAccessKeyID is the security account's principal in the AWS emulator.
	localAccessKeyID = "AKIADDROTATELOCAL000"
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
}

// Target is a target set up in the local deployment.
type Target struct {
	Name      string
	Kind      rotation.Kind
	SecretARN string
	// ServiceAccountID owns the target's application key, if it has one.
	ServiceAccountID string
	// RoleARN is the team's read-only role; TeamAccessKeyID is a principal of
	// the team's own account that may assume it.
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
	env := &Env{Clock: opts.Clock, Targets: map[string]*Target{}}
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
	env := &Env{Clock: opts.Clock, Targets: map[string]*Target{}, DatadogURL: datadogURL, AWSURL: awsURL}
	if err := env.wire(ctx, opts); err != nil {
		return nil, err
	}
	return env, nil
}

// wire makes the clients, the topic, the steps and the executor.
func (env *Env) wire(ctx context.Context, opts Options) error {
	env.AWSConfig = ClientConfig(env.AWSURL, localAccessKeyID)
	env.Secrets = secretsmanager.NewFromConfig(env.AWSConfig)
	env.Topic = sns.NewFromConfig(env.AWSConfig)

	topic, err := env.Topic.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return fmt.Errorf("create the topic: %w", err)
	}
	env.TopicARN = aws.ToString(topic.TopicArn)

	env.Engine = asl.NewEngine(asl.EngineOptions{
		Region: Region, AccountID: AccountID, Clock: opts.Clock,
		BeforeState: opts.BeforeState, AfterTask: opts.AfterTask,
	})
	logger := slog.New(slog.NewJSONHandler(opts.LogOutput, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := rotation.Config{
		SecretPrefix:  SecretPrefix,
		AdminSecretID: SecretPrefix + AdminTarget,
		TopicARN:      env.TopicARN,
		Site:          credential.Site("datadoghq.com"),
		DefaultGrace:  opts.DefaultGrace,
	}
	ddOpts := datadog.Options{Endpoint: env.DatadogURL, MaxElapsed: opts.DatadogTimeout}
	keys := func(a credential.Admin) (rotation.KeysAPI, error) {
		return datadog.New(a.Site, a.APIKey, a.AppKey, ddOpts)
	}
	env.Steps, err = rotation.NewSteps(cfg, env.Secrets, env.Topic, engineExecutions{env.Engine}, keys, logger)
	if err != nil {
		return err
	}
	env.Steps.Now = opts.Clock.Now

	subs := map[string]string{}
	handlers := map[string]any{
		"create": env.Steps.Create, "verify": env.Steps.Verify, "store": env.Steps.Store,
		"notify": env.Steps.Notify, "deleteold": env.Steps.DeleteOld, "rollback": env.Steps.Rollback,
	}
	for _, fn := range statemachine.Functions {
		arn := FunctionARN(fn.Name)
		subs[fn.Placeholder] = arn
		env.Engine.SetFunction(arn, lambda.NewHandler(handlers[fn.Name]))
	}
	if env.TargetMachineARN, err = env.Engine.Register(TargetMachine, statemachine.RotateTargetDefinition, subs); err != nil {
		return fmt.Errorf("load the rotate-target definition: %w", err)
	}
	subs[statemachine.RotateTargetStateMachineArn] = env.TargetMachineARN
	if env.FleetMachineARN, err = env.Engine.Register(FleetMachine, statemachine.RotateFleetDefinition, subs); err != nil {
		return fmt.Errorf("load the rotate-fleet definition: %w", err)
	}

	return nil
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

// FunctionARN is the local ARN of a step function.
func FunctionARN(name string) string {
	return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:ddrotate-" + name
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
