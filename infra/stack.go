package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// RotationStackProps configures the ddrotate stack.
type RotationStackProps struct {
	awscdk.StackProps
	// Config is the validated deployment configuration.
	Config deploy.Config
	// FunctionsDir holds one folder per step Lambda, each with its compiled
	// bootstrap (see deploy.Steps); "build/functions" in the app.
	FunctionsDir string
}

// rotationStack carries what the parts of the stack share while it is built.
type rotationStack struct {
	stack awscdk.Stack
	cfg   deploy.Config
	key   awskms.Key
	topic awssns.Topic
}

// NewRotationStack defines everything ddrotate deploys: the key, the secrets,
// the step Lambdas, the state machines, the schedule, the notification topic,
// the read roles and the alarms. The team targets' secrets and the read
// roles are spread over nested stacks (see newTargetStacks), so that no
// template grows with the fleet past CloudFormation's limits; nothing else
// does grow with it. Its inputs must have been checked first (as buildApp
// does): it adds constructs as it goes and cannot take them back.
func NewRotationStack(scope constructs.Construct, id string, props *RotationStackProps) awscdk.Stack {
	s := &rotationStack{
		stack: awscdk.NewStack(scope, jsii.String(id), &props.StackProps),
		cfg:   props.Config,
	}
	s.key = awskms.NewKey(s.stack, jsii.String("Key"), &awskms.KeyProps{
		Alias:             jsii.String("alias/" + s.cfg.Prefix),
		Description:       jsii.String("ddrotate: encrypts the Datadog credentials, the rotation notifications and the state machines' data"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	s.topic = s.newNotificationTopic()
	s.newAdminSecret()
	s.newTargetStacks()
	s.grantDirectReadersKey()
	functions := s.newStepFunctions(props.FunctionsDir)
	targetMachine, fleetMachine := s.newStateMachines(functions)
	s.newSchedule(fleetMachine)
	s.newAlarms(targetMachine, fleetMachine)

	awscdk.NewCfnOutput(s.stack, jsii.String("NotificationTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic of rotation events; teams subscribe with a filter policy on the target attribute"),
		Value:       s.topic.TopicArn(),
	})
	return s.stack
}

// stateMachineARN builds a state machine's ARN from its name, so that the
// Lambdas can refer to the machine that invokes them without a dependency
// cycle between the two.
func (s *rotationStack) stateMachineARN(name string) *string {
	return s.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("stateMachine"),
		ResourceName: jsii.String(name),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// executionsARN matches every execution of the named state machine.
func (s *rotationStack) executionsARN(name string) *string {
	return s.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("execution"),
		ResourceName: jsii.String(name + ":*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

func (s *rotationStack) targetMachineName() string { return s.cfg.RotateTargetMachineName() }
func (s *rotationStack) fleetMachineName() string  { return s.cfg.RotateFleetMachineName() }

// viaService is the kms:ViaService value for an AWS service in this region.
func (s *rotationStack) viaService(service string) *string {
	return jsii.String(service + "." + *s.stack.Region() + ".amazonaws.com")
}
