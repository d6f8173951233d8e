package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// newSchedule creates the EventBridge rule that starts a scheduled rotation
// of the whole fleet.
func (s *rotationStack) newSchedule(fleet awsstepfunctions.StateMachine) {
	role := awsiam.NewRole(s.stack, jsii.String("ScheduleRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("ddrotate: lets the schedule start the " + s.fleetMachineName() + " state machine"),
	})
	// The execution's input is encrypted with the key in the fleet
	// machine's context, so starting it needs a data key in that context.
	role.AddToPrincipalPolicy(s.keyStatement([]string{"kms:GenerateDataKey"}, map[string]any{
		"kms:EncryptionContext:aws:states:stateMachineArn": s.stateMachineARN(s.fleetMachineName()),
	}))
	awsevents.NewRule(s.stack, jsii.String("Schedule"), &awsevents.RuleProps{
		RuleName:    jsii.String(s.cfg.Prefix + "-scheduled-rotation"),
		Description: jsii.String("ddrotate: scheduled rotation of every Datadog credential"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.cfg.Schedule)),
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewSfnStateMachine(fleet, &awseventstargets.SfnStateMachineProps{
				Input: awsevents.RuleTargetInput_FromObject(deploy.ScheduledRunInput()),
				Role:  role,
			}),
		},
	})
}
