package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// alarmPeriodMinutes is the window in which one bad execution raises an alarm.
const alarmPeriodMinutes = 5

// newAlarms raises an alarm to the operators whenever an execution of either
// state machine fails, times out or is aborted: each of those may leave a
// team with an unrotated, or a not yet revoked, key.
func (s *rotationStack) newAlarms(target, fleet awsstepfunctions.StateMachine) {
	action := awscloudwatchactions.NewSnsAction(s.alarmTopic())
	machines := []struct {
		name    string
		machine awsstepfunctions.StateMachine
	}{
		{s.targetMachineName(), target},
		{s.fleetMachineName(), fleet},
	}
	for _, m := range machines {
		outcomes := []struct {
			name   string
			metric func(*awscloudwatch.MetricOptions) awscloudwatch.Metric
		}{
			{"failed", m.machine.MetricFailed},
			{"timed-out", m.machine.MetricTimedOut},
			{"aborted", m.machine.MetricAborted},
		}
		for _, outcome := range outcomes {
			alarmName := m.name + "-" + outcome.name
			alarm := awscloudwatch.NewAlarm(s.stack, jsii.String("Alarm-"+alarmName), &awscloudwatch.AlarmProps{
				AlarmName:          jsii.String(alarmName),
				AlarmDescription:   jsii.String("ddrotate: an execution of " + m.name + " " + outcome.name + "; see its execution history"),
				Metric:             outcome.metric(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))}),
				Threshold:          jsii.Number(1),
				EvaluationPeriods:  jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			})
			alarm.AddAlarmAction(action)
		}
	}
}

// alarmTopic returns the operators' existing topic, or creates one that
// e-mails them. A created topic is encrypted with the stack's key, so the
// key and the topic both let CloudWatch alarms of this account publish.
func (s *rotationStack) alarmTopic() awssns.ITopic {
	if s.cfg.AlarmTopicARN != "" {
		return awssns.Topic_FromTopicArn(s.stack, jsii.String("AlarmTopic"), jsii.String(s.cfg.AlarmTopicARN))
	}
	topic := awssns.NewTopic(s.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		TopicName:   jsii.String(s.cfg.Prefix + "-alarms"),
		DisplayName: jsii.String("ddrotate alarms"),
		MasterKey:   s.key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.cfg.AlarmEmail), nil))
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	fromThisAccount := &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": s.stack.Account()}}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: fromThisAccount,
	}))
	s.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: fromThisAccount,
	}), nil)
	return topic
}
