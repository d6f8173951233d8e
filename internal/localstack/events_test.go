package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestEventBridgeReadsTheTemplatesRules: the schedule rule the template
// deploys, as DescribeRule, ListRules and ListTargetsByRule report it
// through the SDK, with AWS's error for a rule that does not exist.
func TestEventBridgeReadsTheTemplatesRules(t *testing.T) {
	ls := startStack(t, nil)
	ctx := context.Background()
	events := eventbridge.NewFromConfig(ls.rootConfig())

	rule, err := events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("ddrotate-scheduled-rotation")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(rule.ScheduleExpression) != "rate(30 days)" || rule.State != evtypes.RuleStateEnabled ||
		aws.ToString(rule.Arn) != "arn:aws:events:us-east-1:000000000000:rule/ddrotate-scheduled-rotation" || aws.ToString(rule.EventBusName) != "default" {
		t.Errorf("DescribeRule: %+v", rule)
	}
	list, err := events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("ddrotate-")})
	if err != nil || len(list.Rules) != 1 || aws.ToString(list.Rules[0].Name) != "ddrotate-scheduled-rotation" {
		t.Errorf("ListRules: %+v, %v", list, err)
	}
	if list, err := events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("other-")}); err != nil || len(list.Rules) != 0 {
		t.Errorf("ListRules(other-): %+v, %v", list, err)
	}
	targets, err := events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("ddrotate-scheduled-rotation")})
	if err != nil || len(targets.Targets) != 1 {
		t.Fatalf("ListTargetsByRule: %+v, %v", targets, err)
	}
	tg := targets.Targets[0]
	var input struct{ Mode string }
	if aws.ToString(tg.Arn) != ls.Deployment.Outputs["RotateFleetStateMachineArn"] || aws.ToString(tg.RoleArn) == "" ||
		json.Unmarshal([]byte(aws.ToString(tg.Input)), &input) != nil || input.Mode != "scheduled" {
		t.Errorf("the schedule's target: %+v", tg)
	}
	_, err = events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nosuch")})
	var nf *evtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeRule(nosuch): %v, want ResourceNotFoundException", err)
	}
}
