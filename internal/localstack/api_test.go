package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// lambdaCall calls the Lambda REST API as the deployment account.
func lambdaCall(t *testing.T, ls *Stack, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, ls.AWSURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIALOCALTEST0000000/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestLocalStackAPIs covers the Step Functions, Lambda and SNS APIs the
// local stack serves from the template, and the IAM the template grants,
// on one stack (standing it up is the slow part).
func TestLocalStackAPIs(t *testing.T) {
	ls := startStack(t, nil)
	ctx := context.Background()
	root := ls.rootConfig()
	states := sfn.NewFromConfig(root)
	targetARN := ls.Deployment.Outputs["RotateTargetStateMachineArn"]

	t.Run("ListStateMachines and DescribeStateMachine come from the template", func(t *testing.T) {
		list, err := states.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range list.StateMachines {
			names = append(names, aws.ToString(m.Name))
		}
		if !slices.Equal(names, []string{"ddrotate-rotate-fleet", "ddrotate-rotate-target"}) {
			t.Fatalf("state machines %v", names)
		}
		d, err := states.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(targetARN)})
		if err != nil {
			t.Fatal(err)
		}
		def := aws.ToString(d.Definition)
		if strings.Contains(def, "${") || !strings.Contains(def, "function:ddrotate-create") {
			t.Fatalf("definition not substituted: %.200s", def)
		}
		if !strings.Contains(aws.ToString(d.RoleArn), ":role/ddrotate-RotateTargetRole") {
			t.Fatalf("role %s", aws.ToString(d.RoleArn))
		}
		if d.EncryptionConfiguration == nil || !strings.Contains(aws.ToString(d.EncryptionConfiguration.KmsKeyId), ":key/") {
			t.Fatal("the template's customer managed key is not reported")
		}
		_, err = states.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(targetARN + "x")})
		if apiCode(err) != "StateMachineDoesNotExist" {
			t.Fatalf("unknown machine: %v", err)
		}
	})

	t.Run("an execution is described, listed, followed and stopped", func(t *testing.T) {
		start, err := states.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(targetARN), Input: aws.String(`{"target": "search", "mode": "scheduled"}`)})
		if err != nil {
			t.Fatal(err)
		}
		// A scheduled rotation waits out its grace period (24 h) after Notify.
		waitFor(t, "the grace period", time.Minute, func() bool {
			h, err := states.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 1})
			return err == nil && h.Events[0].Type == sfntypes.HistoryEventTypeWaitStateEntered
		})
		hist, err := states.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 5})
		if err != nil {
			t.Fatal(err)
		}
		if hist.Events[0].Type != sfntypes.HistoryEventTypeExecutionStarted || hist.NextToken == nil || len(hist.Events) != 5 {
			t.Fatalf("first page %v next %v", hist.Events[0].Type, hist.NextToken)
		}
		if hist.Events[1].StateEnteredEventDetails == nil || aws.ToString(hist.Events[1].StateEnteredEventDetails.Name) != "Create" {
			t.Fatalf("second event %+v", hist.Events[1])
		}
		list, err := states.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(targetARN), StatusFilter: sfntypes.ExecutionStatusRunning})
		if err != nil || len(list.Executions) == 0 || aws.ToString(list.Executions[0].ExecutionArn) != aws.ToString(start.ExecutionArn) {
			t.Fatalf("list executions: %v", err)
		}
		if _, err := states.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		d, err := states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil || d.Status != sfntypes.ExecutionStatusAborted || d.StopDate == nil {
			t.Fatalf("stopped execution: %v %v", d.Status, err)
		}
		if _, err := states.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn}); apiCode(err) != "ValidationException" {
			t.Fatalf("stopping an ended execution: %v", err)
		}
		_, err = states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(strings.Replace(aws.ToString(start.ExecutionArn), ":ddrotate-rotate-target:", ":ddrotate-rotate-target:no-", 1))})
		if apiCode(err) != "ExecutionDoesNotExist" {
			t.Fatalf("unknown execution: %v", err)
		}
	})

	t.Run("StartExecution is idempotent for a running execution of the same name and input", func(t *testing.T) {
		in := &sfn.StartExecutionInput{StateMachineArn: aws.String(targetARN), Name: aws.String("held"), Input: aws.String(`{"target": "ingest", "mode": "scheduled"}`)}
		a, err := states.StartExecution(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := states.StartExecution(ctx, in)
		if err != nil || aws.ToString(a.ExecutionArn) != aws.ToString(b.ExecutionArn) {
			t.Fatalf("second start: %v", err)
		}
		in.Input = aws.String(`{"target": "ingest", "mode": "compromise"}`)
		if _, err := states.StartExecution(ctx, in); apiCode(err) != "ExecutionAlreadyExists" {
			t.Fatalf("same name, other input: %v", err)
		}
		if _, err := states.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: a.ExecutionArn, Error: aws.String("Operator"), Cause: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
		d, _ := states.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: a.ExecutionArn})
		if d.Status != sfntypes.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" {
			t.Fatalf("stopped: %s %s", d.Status, aws.ToString(d.Error))
		}
	})

	t.Run("Lambda Invoke returns a function error as Lambda does", func(t *testing.T) {
		status, header, body := lambdaCall(t, ls, "POST", "/2015-03-31/functions/ddrotate-verify/invocations", `{}`)
		if status != 200 || header.Get("X-Amz-Function-Error") != "Unhandled" || header.Get("X-Amz-Executed-Version") != "$LATEST" {
			t.Fatalf("status %d function error %q", status, header.Get("X-Amz-Function-Error"))
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil || doc["errorType"] != "InputError" || doc["errorMessage"] == nil {
			t.Fatalf("error document %s", body)
		}
		status, _, body = lambdaCall(t, ls, "GET", "/2015-03-31/functions/", "")
		var list struct {
			Functions []struct{ FunctionName string }
		}
		if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Functions) != len(deploy.Steps()) {
			t.Fatalf("list functions: %d %s", status, body)
		}
		status, header, _ = lambdaCall(t, ls, "POST", "/2015-03-31/functions/nope/invocations", `{}`)
		if status != 404 || header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
			t.Fatalf("unknown function: %d %q", status, header.Get("X-Amzn-ErrorType"))
		}
	})

	t.Run("SNS: the template's topics, a filtered cross-account subscription, its listing and removal", func(t *testing.T) {
		topicARN := ls.Deployment.Outputs["NotificationTopicArn"]
		topics, err := sns.NewFromConfig(root).ListTopics(ctx, &sns.ListTopicsInput{})
		if err != nil || len(topics.Topics) != 2 {
			t.Fatalf("list topics: %v", err)
		}
		team := sns.NewFromConfig(configFor(ls, "AKIA111111111111TEAM", "x", ""))
		sub, err := team.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
			Endpoint: aws.String("arn:aws:sqs:us-east-1:111111111111:payments-events"), ReturnSubscriptionArn: true,
			Attributes: map[string]string{"FilterPolicy": `{"target": ["payments"]}`}})
		if err != nil {
			t.Fatal(err)
		}
		// The topic policy lets team accounts subscribe only over the listed protocols.
		_, err = team.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"), Endpoint: aws.String("http://127.0.0.1:9/x")})
		if apiCode(err) != "AuthorizationError" {
			t.Fatalf("http subscription by a team: %v", err)
		}
		subs, err := sns.NewFromConfig(root).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
		if err != nil || !slices.ContainsFunc(subs.Subscriptions, func(s snstypes.Subscription) bool {
			return aws.ToString(s.SubscriptionArn) == aws.ToString(sub.SubscriptionArn)
		}) {
			t.Fatalf("list subscriptions: %v", err)
		}
		if _, err := team.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a team assumes its role with its ExternalId and reads exactly its own secret", func(t *testing.T) {
		teamSTS := sts.NewFromConfig(configFor(ls, "AKIA111111111111TEAM", "x", ""))
		roleARN := readRoleARN(ls, "111111111111", "ddrotate-payments", "")
		if _, err := teamSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci")}); apiCode(err) != "AccessDenied" {
			t.Fatalf("without the ExternalId: %v", err)
		}
		other := sts.NewFromConfig(configFor(ls, "AKIA222222222222TEAM", "x", ""))
		if _, err := other.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci"), ExternalId: aws.String("ddrotate-payments")}); apiCode(err) != "AccessDenied" {
			t.Fatalf("another team's account: %v", err)
		}
		creds, err := teamSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci"), ExternalId: aws.String("ddrotate-payments")})
		if err != nil {
			t.Fatal(err)
		}
		sm := secretsmanager.NewFromConfig(configFor(ls, aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SecretAccessKey), aws.ToString(creds.Credentials.SessionToken)))
		if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN(ls, "payments"))}); err != nil {
			t.Fatalf("own secret: %v", err)
		}
		_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ddrotate/search")})
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:") || !strings.Contains(err.Error(), "because no identity-based policy allows") {
			t.Fatalf("another team's secret: %v", err)
		}
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("ddrotate/payments"), SecretString: aws.String("{}")}); apiCode(err) != "AccessDeniedException" {
			t.Fatalf("a read role writes: %v", err)
		}
		// A principal of the team's organization assumes its role without an ExternalId.
		org := sts.NewFromConfig(configFor(ls, "AKIA222222222222TEAM", "x", ""))
		if _, err := org.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readRoleARN(ls, "222222222222", "", "o-exampleorg1")), RoleSessionName: aws.String("ci")}); err != nil {
			t.Fatalf("organization member: %v", err)
		}
	})

	t.Run("a function's own credentials are held to its role", func(t *testing.T) {
		var verify *Function
		for _, fn := range ls.Deployment.Functions {
			if fn.Name == "ddrotate-verify" {
				verify = fn
			}
		}
		c, err := ls.AWS.IssueSession(verify.RoleARN, verify.Name, 3600e9)
		if err != nil {
			t.Fatal(err)
		}
		sm := secretsmanager.NewFromConfig(configFor(ls, c.AccessKeyID, c.SecretAccessKey, c.SessionToken))
		if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ddrotate/payments")}); err != nil {
			t.Fatalf("verify reads a secret: %v", err)
		}
		_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("ddrotate/payments"), SecretString: aws.String("{}")})
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "assumed-role/ddrotate-StepverifyRole") {
			t.Fatalf("verify writes a secret: %v", err)
		}
		_, err = sfn.NewFromConfig(configFor(ls, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)).StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(targetARN)})
		if apiCode(err) != "AccessDeniedException" {
			t.Fatalf("verify starts an execution: %v", err)
		}
	})
}
