package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/statemachine"
)

// kmsDataKeyReuseSeconds is how long Step Functions reuses a data key of the CMK,
// trading KMS calls for how much data one key protects (60-900 s).
const kmsDataKeyReuseSeconds = 300

// stepFunctionsEventsRule is the managed rule through which Step Functions
// learns that a child execution started with ".sync" has finished.
const stepFunctionsEventsRule = "StepFunctionsGetEventsForStepFunctionsExecutionRule"

// cdkStateMachineWildcards justifies the "*" resources CDK grants a state
// machine's role for logging and tracing.
const cdkStateMachineWildcards = "Added by CDK for the state machine's logging and X-Ray tracing: the CloudWatch Logs delivery actions " +
	"(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, " +
	"DescribeResourcePolicies, DescribeLogGroups) and xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets " +
	"support no resource-level permissions and must be granted on \"*\"."

// newStateMachines deploys the embedded definitions unchanged, with the
// Lambda and state machine ARNs substituted for their placeholders.
func (s *rotationStack) newStateMachines(functions map[deploy.Step]awslambda.Function) (target, fleet awsstepfunctions.StateMachine) {
	target = s.newStateMachine("RotateTarget", s.targetMachineName(), statemachine.RotateTargetDefinition, s.lambdaSubstitutions(functions, deploy.MachineRotateTarget))
	target.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: s.functionARNs(functions, deploy.MachineRotateTarget),
	}))

	suppressNag(target.Role(), "AwsSolutions-IAM5", cdkStateMachineWildcards, "Resource::*")

	fleetSubstitutions := s.lambdaSubstitutions(functions, deploy.MachineRotateFleet)
	fleetSubstitutions[deploy.RotateTargetStateMachinePlaceholder] = target.StateMachineArn()
	fleet = s.newStateMachine("RotateFleet", s.fleetMachineName(), statemachine.RotateFleetDefinition, fleetSubstitutions)
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: s.functionARNs(functions, deploy.MachineRotateFleet),
	}))
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: &[]*string{target.StateMachineArn()},
	}))
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
		Resources: &[]*string{s.executionsARN(s.targetMachineName())},
	}))
	// The Distributed Map runs each target as a child workflow execution of
	// the fleet machine itself, which it starts, follows and stops when the
	// Map Run fails. The machine's own ARN is built from its name: a
	// reference would make the role depend on the machine that depends on it.
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: &[]*string{s.stateMachineARN(s.fleetMachineName())},
	}))
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
		Resources: &[]*string{s.executionsARN(s.fleetMachineName() + "/" + fleetMapLabel)},
	}))
	fleet.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("events:PutTargets", "events:PutRule", "events:DescribeRule"),
		Resources: &[]*string{s.stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("events"),
			Resource:     jsii.String("rule"),
			ResourceName: jsii.String(stepFunctionsEventsRule),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})},
	}))
	// The child executions' input and output are encrypted with the key in
	// the rotate-target machine's context, and the Map Run's child workflow
	// executions in the context of the fleet machine qualified by the Map's
	// label: starting and following each needs the key in that context only.
	fleet.AddToRolePolicy(s.keyStatement([]string{"kms:GenerateDataKey", "kms:Decrypt"}, map[string]any{
		"kms:EncryptionContext:aws:states:stateMachineArn": s.stateMachineARN(s.targetMachineName()),
	}))
	fleet.AddToRolePolicy(s.keyStatement([]string{"kms:GenerateDataKey", "kms:Decrypt"}, map[string]any{
		"kms:EncryptionContext:aws:states:stateMachineArn": s.stateMachineARN(s.fleetMachineName() + "/" + fleetMapLabel),
	}))

	suppressNag(fleet.Role(), "AwsSolutions-IAM5", cdkStateMachineWildcards, "Resource::*")
	suppressNag(fleet.Role(), "AwsSolutions-IAM5", "A .sync child execution's ARN is only known once it starts; the wildcard covers the executions of the "+
		s.targetMachineName()+" state machine only, which the fleet follows to completion and stops if the fleet run is stopped.",
		executionsFinding(s.targetMachineName()))
	suppressNag(fleet.Role(), "AwsSolutions-IAM5", "The Distributed Map's child workflow executions are named at run time; the wildcard covers the executions of the "+
		"fleet machine's "+fleetMapLabel+" Map Runs only, which the fleet follows to completion and stops when the Map Run fails.",
		executionsFinding(s.fleetMachineName()+"/"+fleetMapLabel))

	awscdk.NewCfnOutput(s.stack, jsii.String("RotateTargetStateMachineArn"), &awscdk.CfnOutputProps{
		Description: jsii.String(`Rotates one target; start it with {"target": "<name>", "mode": "compromise"} after a suspected leak`),
		Value:       target.StateMachineArn(),
	})
	awscdk.NewCfnOutput(s.stack, jsii.String("RotateFleetStateMachineArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Rotates every target; started by the schedule"),
		Value:       fleet.StateMachineArn(),
	})
	return target, fleet
}

// fleetMapLabel is the Label of the rotate-fleet definition's Distributed
// Map, which qualifies its child workflow executions' ARNs.
const fleetMapLabel = "RotateEach"

// lambdaSubstitutions maps the placeholders of machine's steps to their
// functions' ARNs.
func (s *rotationStack) lambdaSubstitutions(functions map[deploy.Step]awslambda.Function, machine deploy.Machine) map[string]*string {
	substitutions := map[string]*string{}
	for _, step := range deploy.StepsOf(machine) {
		substitutions[step.Placeholder()] = functions[step].FunctionArn()
	}
	return substitutions
}

// functionARNs lists the ARNs of machine's steps' functions.
func (s *rotationStack) functionARNs(functions map[deploy.Step]awslambda.Function, machine deploy.Machine) *[]*string {
	var arns []*string
	for _, step := range deploy.StepsOf(machine) {
		arns = append(arns, functions[step].FunctionArn())
	}
	return &arns
}

// newStateMachine creates a Standard state machine from a definition, with
// its data encrypted by the stack's key, X-Ray tracing, and logs that record
// every event but no execution data (which could name keys' ids).
func (s *rotationStack) newStateMachine(id, name string, definition []byte, substitutions map[string]*string) awsstepfunctions.StateMachine {
	logs := awslogs.NewLogGroup(s.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + name),
		Retention:     logRetentions[s.cfg.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	return awsstepfunctions.NewStateMachine(s.stack, jsii.String(id), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(definition))),
		DefinitionSubstitutions: &substitutions,
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled:          jsii.Bool(true),
		EncryptionConfiguration: awsstepfunctions.NewCustomerManagedEncryptionConfiguration(s.key, awscdk.Duration_Seconds(jsii.Number(kmsDataKeyReuseSeconds))),
	})
}
