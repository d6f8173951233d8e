package awsemu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

const v4 = "44444444-4444-4444-8444-444444444444"

func putV4(ctx context.Context, client *secretsmanager.Client, secretID string) (*secretsmanager.PutSecretValueOutput, error) {
	return client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretID), SecretString: aws.String("four"), ClientRequestToken: aws.String(v4),
		VersionStages: []string{"AWSPENDING"},
	})
}

func hasVersion(t *testing.T, e *testEmulator, secretID, versionID string) bool {
	t.Helper()
	_, ok := stagesByVersion(t, e, secretID)[versionID]
	return ok
}

func TestFaultFailsBeforeTheAction(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	e.ResetObservations()
	e.AddFault(Fault{Service: "secretsmanager", Action: "PutSecretValue", ErrorCode: "InternalServiceError", Times: 2})

	for range 2 {
		_, err := putV4(ctx, client, "team-a")
		wantAPIError(t, err, "InternalServiceError")
		var httpErr interface{ HTTPStatusCode() int }
		if errors.As(err, &httpErr) && httpErr.HTTPStatusCode() != 500 {
			t.Errorf("status = %d, want 500", httpErr.HTTPStatusCode())
		}
	}
	if hasVersion(t, e, "team-a", v4) {
		t.Fatal("a fault without AfterEffect let the action happen")
	}
	if _, err := putV4(ctx, client, "team-a"); err != nil {
		t.Fatalf("PutSecretValue after the fault ran out: %v", err)
	}
	if got := e.Counters()["secretsmanager.PutSecretValue"]; got != 3 {
		t.Errorf("PutSecretValue counter = %d, want 3", got)
	}
	calls := e.Calls()
	if len(calls) != 3 || !calls[0].Faulted || !calls[1].Faulted || calls[2].Faulted || calls[2].Status != 200 {
		t.Errorf("calls = %+v, want two faulted then one success", calls)
	}
	if calls[0].SecretID != "team-a" || calls[0].ErrorCode != "InternalServiceError" || calls[0].AccessKeyID != adminKey {
		t.Errorf("call = %+v, want SecretID, error code and key id recorded", calls[0])
	}
}

func TestFaultAfterEffectLosesTheResponse(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	arn := mustDescribeARN(t, ctx, client, "team-a")
	// The fault names the secret by ARN, the request by name.
	e.AddFault(Fault{Action: "PutSecretValue", SecretID: arn, ErrorCode: "InternalServiceError", AfterEffect: true, Times: 1})

	_, err := putV4(ctx, client, "team-a")
	wantAPIError(t, err, "InternalServiceError")
	if !hasVersion(t, e, "team-a", v4) {
		t.Fatal("AfterEffect fault did not perform the action")
	}
	// The retry with the same token finds the version already there.
	out, err := putV4(ctx, client, "team-a")
	if err != nil || aws.ToString(out.VersionId) != v4 {
		t.Fatalf("retried PutSecretValue = %v, %v; want idempotent success", out, err)
	}
	if n := len(stagesByVersion(t, e, "team-a")); n != 4 {
		t.Errorf("%d versions, want 4", n)
	}
}

func TestFaultMatchesOnlyItsSecret(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	seedRotatingSecret(t, ctx, client, "team-b")
	e.AddFault(Fault{SecretID: "team-b", ErrorCode: "ThrottlingException"})

	if _, err := putV4(ctx, client, "team-a"); err != nil {
		t.Fatalf("team-a affected by team-b's fault: %v", err)
	}
	teamBARN, err := e.SecretARN("team-b")
	if err != nil {
		t.Fatal(err)
	}
	_, err = putV4(ctx, client, teamBARN)
	wantAPIError(t, err, "ThrottlingException")

	e.ClearFaults()
	if _, err := putV4(ctx, client, "team-b"); err != nil {
		t.Fatalf("PutSecretValue after ClearFaults: %v", err)
	}
}

func TestFaultResetsConnection(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	e.AddFault(Fault{Action: "PutSecretValue", ResetConn: true, AfterEffect: true, Times: 1})

	_, err := putV4(ctx, client, "team-a")
	if err == nil {
		t.Fatal("PutSecretValue succeeded through a reset connection")
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want a transport error, not an API answer", err)
	}
	if !hasVersion(t, e, "team-a", v4) {
		t.Error("AfterEffect reset did not perform the action")
	}
}

func TestFaultLatencyOutlastsTheClient(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.adminSecrets(t)
	seedRotatingSecret(t, ctx, client, "team-a")
	e.AddFault(Fault{Action: "GetSecretValue", Latency: time.Hour, Times: 1})

	shortCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := client.GetSecretValue(shortCtx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the client's deadline", err)
	}
	if _, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("team-a")}); err != nil {
		t.Fatalf("GetSecretValue after the one-shot latency fault: %v", err)
	}
}

func TestFaultDefaultsPerProtocol(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	client := e.snsClient(t, adminKey)
	topicARN := createTopic(t, ctx, client, "events")
	e.AddFault(Fault{Service: "sns", Action: "Publish", Status: 500, Times: 1})
	e.AddFault(Fault{Service: "sns", Action: "Publish", Status: 400, Times: 1})

	_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m")})
	wantAPIError(t, err, "InternalError")
	_, err = client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m")})
	wantAPIError(t, err, "Throttling")
	if n := len(e.Published(topicARN)); n != 0 {
		t.Errorf("faulted Publish delivered %d messages", n)
	}
}

func mustDescribeARN(t *testing.T, ctx context.Context, client *secretsmanager.Client, name string) string {
	t.Helper()
	out, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	return aws.ToString(out.ARN)
}
